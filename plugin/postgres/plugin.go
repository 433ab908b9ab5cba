package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/infra-arsenal/arsenal"
)

// Version is the plugin's version.
const Version = "1.0.0"

// Plugin announces the PostgreSQL backend to a plugin.Registry. Its
// Initialize checks that the postgres schemes are registered (they are,
// from this package's init); Cleanup closes every Client it made.
type Plugin struct {
	mu      sync.Mutex
	clients []*Client
}

// Name returns "postgres".
func (p *Plugin) Name() string { return "postgres" }

// Version returns the plugin version.
func (p *Plugin) Version() string { return Version }

// Databases returns the databases served.
func (p *Plugin) Databases() []string { return []string{"postgresql"} }

// Components lists what the plugin provides.
func (p *Plugin) Components() []string { return []string{"component:postgres", "client:postgres"} }

// Initialize checks the URL schemes are registered.
func (p *Plugin) Initialize(ctx context.Context) error {
	for _, s := range []string{"postgres", "postgresql"} {
		found := false
		for _, r := range arsenal.Schemes() {
			found = found || r == s
		}
		if !found {
			return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "initialize", "scheme %s is not registered", s)
		}
	}
	return nil
}

// NewClient returns a CustomClient owned by the plugin (closed by Cleanup).
func (p *Plugin) NewClient() *Client {
	c := &Client{}
	p.mu.Lock()
	p.clients = append(p.clients, c)
	p.mu.Unlock()
	return c
}

// Cleanup disconnects every client the plugin made. It is idempotent.
func (p *Plugin) Cleanup(ctx context.Context) error {
	p.mu.Lock()
	cs := p.clients
	p.clients = nil
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Disconnect(ctx)
	}
	return nil
}

// Client is the CustomClient face of the backend: Connect with a config
// map {"url": "...", "max_conns": 4}, Execute queries, Disconnect.
type Client struct {
	mu sync.Mutex
	db *DB
}

// Name returns "postgres".
func (c *Client) Name() string { return "postgres" }

// Protocol returns the wire protocol.
func (c *Client) Protocol() string { return "postgresql-v3" }

// Features lists what Execute supports.
func (c *Client) Features() []string {
	return []string{"sql", "transactions", "prepared-statements", "pooling"}
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

// Execute runs q. Statements that return rows fill Result.Rows.
func (c *Client) Execute(ctx context.Context, q arsenal.Query) (arsenal.Result, error) {
	c.mu.Lock()
	db := c.db
	c.mu.Unlock()
	if db == nil {
		return arsenal.Result{}, arsenal.E(arsenal.FailedPrecondition, Kind, "execute", fmt.Errorf("not connected"))
	}
	return db.Query(ctx, q.Statement, q.Args...)
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
	_ arsenal.Plugin       = (*Plugin)(nil)
	_ arsenal.CustomClient = (*Client)(nil)
)
