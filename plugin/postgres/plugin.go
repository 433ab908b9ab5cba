package postgres

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"sync"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/plugin"
)

// Version is the plugin's version.
const Version = "1.1.0"

// MinServerVersion is the oldest PostgreSQL server Validate accepts
// (server_version_num), the oldest pgx v5 supports.
const MinServerVersion = 130000

// Plugin announces the PostgreSQL backend to a plugin.Registry. Provision
// validates Config and opens a DB on it (connect and ping); Validate checks
// the server is PostgreSQL 13 or newer; Cleanup closes the DB and every
// Client the plugin made. Create it with New.
type Plugin struct {
	cfg Config

	mu            sync.Mutex
	db            *DB
	serverVersion int
	clients       []*Client
}

// New returns a Plugin that connects with cfg when provisioned.
func New(cfg Config) *Plugin { return &Plugin{cfg: cfg} }

// Name returns "postgres".
func (p *Plugin) Name() string { return "postgres" }

// Version returns the plugin version.
func (p *Plugin) Version() string { return Version }

// Databases returns the databases served.
func (p *Plugin) Databases() []string { return []string{"postgresql"} }

// Components lists what the plugin provides.
func (p *Plugin) Components() []string { return []string{"component:postgres", "client:postgres"} }

// Provision validates the config (InvalidArgument naming every bad field),
// opens the pool and reads the server's version. Provisioning twice keeps
// the first DB.
func (p *Plugin) Provision(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		return nil
	}
	db, err := Open(ctx, p.cfg)
	if err != nil {
		return err
	}
	res, err := db.Query(ctx, "select current_setting('server_version_num')")
	if err != nil {
		_ = db.Close()
		return err
	}
	v, _ := strconv.Atoi(fmt.Sprint(res.Rows[0][0]))
	p.db, p.serverVersion = db, v
	return nil
}

// Validate checks the provisioned server: FailedPrecondition before
// Provision or for a server older than MinServerVersion.
func (p *Plugin) Validate() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db == nil {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "validate", "plugin is not provisioned")
	}
	if p.serverVersion < MinServerVersion {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "validate",
			"server version %d is older than the supported %d", p.serverVersion, MinServerVersion)
	}
	return nil
}

// DB returns the DB Provision opened, or nil before Provision and after
// Cleanup.
func (p *Plugin) DB() *DB {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.db
}

// ServerVersion is the server's server_version_num read by Provision.
func (p *Plugin) ServerVersion() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.serverVersion
}

// NewClient returns a CustomClient owned by the plugin (closed by Cleanup).
func (p *Plugin) NewClient() *Client {
	c := &Client{}
	p.mu.Lock()
	p.clients = append(p.clients, c)
	p.mu.Unlock()
	return c
}

// Cleanup closes the provisioned DB and disconnects every client the
// plugin made. It is idempotent.
func (p *Plugin) Cleanup(ctx context.Context) error {
	p.mu.Lock()
	cs, db := p.clients, p.db
	p.clients, p.db = nil, nil
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Disconnect(ctx)
	}
	if db != nil {
		return db.Close()
	}
	return nil
}

// Client is the CustomClient face of the backend: Connect with a config
// map {"url": "...", "max_conns": 4}, Execute queries, Disconnect. Begin,
// Prepare and Stream give the transactions, prepared statements and
// streaming its Features list.
type Client struct {
	mu sync.Mutex
	db *DB
}

// Name returns "postgres".
func (c *Client) Name() string { return "postgres" }

// Protocol returns the wire protocol.
func (c *Client) Protocol() string { return "postgresql-v3" }

// Features lists what the client supports: Execute ("sql"), Begin
// ("transactions"), Prepare ("prepared-statements"), Stream ("streaming")
// and a connection pool ("pooling").
func (c *Client) Features() []string {
	return []string{"sql", "transactions", "prepared-statements", "streaming", "pooling"}
}

// Performance describes the client.
func (c *Client) Performance() arsenal.PerformanceProfile {
	return arsenal.PerformanceProfile{MaxConcurrency: 4, Streaming: true}
}

// Connect opens the pool. config needs "url"; "max_conns" is optional.
func (c *Client) Connect(ctx context.Context, config map[string]any) error {
	cfg := Config{}
	u, ok := config["url"].(string)
	if !ok {
		v := arsenal.Validation{Component: Kind}
		v.Add("url", "is required and must be a string")
		return v.Err()
	}
	cfg.URL = u
	switch n := config["max_conns"].(type) {
	case nil:
	case int:
		cfg.MaxConns = int32(n)
	case float64:
		cfg.MaxConns = int32(n)
	default:
		v := arsenal.Validation{Component: Kind}
		v.Add("max_conns", "must be a number, not %T", n)
		return v.Err()
	}
	db, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db != nil {
		_ = c.db.Close()
	}
	c.db = db
	return nil
}

func (c *Client) conn(op string) (*DB, error) {
	c.mu.Lock()
	db := c.db
	c.mu.Unlock()
	if db == nil {
		return nil, arsenal.E(arsenal.FailedPrecondition, Kind, op, fmt.Errorf("not connected"))
	}
	return db, nil
}

// Execute runs q on a pooled connection. Statements that return rows fill
// Result.Rows.
func (c *Client) Execute(ctx context.Context, q arsenal.Query) (arsenal.Result, error) {
	db, err := c.conn("execute")
	if err != nil {
		return arsenal.Result{}, err
	}
	return db.Query(ctx, q.Statement, q.Args...)
}

// Begin starts a transaction; its Execute runs queries on the
// transaction's connection until Commit or Rollback.
func (c *Client) Begin(ctx context.Context) (*Tx, error) {
	db, err := c.conn("begin")
	if err != nil {
		return nil, err
	}
	return db.Begin(ctx)
}

// Prepare prepares a statement (see DB.Prepare).
func (c *Client) Prepare(ctx context.Context, sql string) (*Stmt, error) {
	db, err := c.conn("prepare")
	if err != nil {
		return nil, err
	}
	return db.Prepare(ctx, sql)
}

// Stream runs q and yields its rows as they arrive (see DB.Rows).
func (c *Client) Stream(ctx context.Context, q arsenal.Query) iter.Seq2[[]any, error] {
	db, err := c.conn("stream")
	if err != nil {
		return func(yield func([]any, error) bool) { yield(nil, err) }
	}
	return db.Rows(ctx, q.Statement, q.Args...)
}

// Disconnect closes the pool; it is idempotent.
func (c *Client) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	db := c.db
	c.db = nil
	c.mu.Unlock()
	if db != nil {
		return db.Close()
	}
	return nil
}

var (
	_ arsenal.Plugin         = (*Plugin)(nil)
	_ plugin.Provisioner     = (*Plugin)(nil)
	_ plugin.Validator       = (*Plugin)(nil)
	_ plugin.CleanerUpper    = (*Plugin)(nil)
	_ plugin.ComponentLister = (*Plugin)(nil)
	_ arsenal.CustomClient   = (*Client)(nil)
)
