package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/puddle/v2"
	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/stats"
)

// DB is an open SQLite database: one writer connection and, for a file in
// WAL mode, a pool of reader connections, both managed by puddle. Writes
// (Exec, Tx) queue for the writer in the order they arrive, so callers in
// this process never see SQLITE_BUSY; reads (Query, Get, All) run on
// readers beside the writer. In-memory and deserialized databases have a
// single connection that serves both.
//
// A DB is safe for concurrent use and must be closed.
type DB struct {
	cfg    Config
	target string
	single bool // one connection serves reads and writes
	memory bool // the data lives only in that connection

	writer  *pool
	readers *pool // nil when one connection serves everything

	// deserialized databases: extra per-connection setup.
	setup func(*sqlite.Conn) error

	closed    atomic.Bool
	closeOnce sync.Once

	connsMu sync.Mutex
	conns   map[*conn]struct{} // every open connection, for Close to interrupt

	funcsMu sync.RWMutex
	funcs   []namedFunc
	funcGen atomic.Uint64

	obs   arsenal.Observer
	log   *slog.Logger
	slow  time.Duration
	hooks bool   // an Observer, or a Logger with a SlowThreshold
	ns    string // OpStart.Namespace: the file's name, or ":memory:"

	// Config.Security (security.go): secure when there is a Policy or an
	// Auditor (each connection then has an authorizer), policy nil without
	// one, audit when there is an Auditor.
	secure, audit bool
	policy        *security.Policy
	lockRO        bool // a read-only deserialized database (readOnlyLock)

	rec                                           *stats.Recorder
	opExec, opQuery, opGet, opTx, opSerialize     *stats.Op
	opDeserialize, opBackup, opHealth, opFunction *stats.Op
	opInspect                                     *stats.Op
	cacheCounters
	txCommits, txRollbacks atomic.Uint64
	opened                 atomic.Int64 // connections opened
}

// Open validates cfg, opens the database and returns it. The writer
// connection (or the only connection) is opened before Open returns, so a
// missing file or directory fails here: NotFound (or PermissionDenied,
// InvalidArgument for a directory, DataLoss for a file that is not a
// database). Reader connections open on first use.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr(ctx, "open", err)
	}
	db := newDB(cfg.withDefaults())
	if err := db.start(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

func newDB(cfg Config) *DB {
	db := &DB{cfg: cfg, conns: map[*conn]struct{}{}, rec: stats.NewRecorder()}
	db.obs, db.log, db.slow = cfg.Observer, cfg.Logger, cfg.SlowThreshold
	db.hooks = db.obs != nil || db.log != nil && db.slow > 0
	db.secure, db.audit, db.policy = cfg.Security.Active(), cfg.Security.Audit != nil, cfg.Security.Policy
	db.memory = cfg.IsMemory()
	db.single = db.memory || cfg.JournalMode != "wal" && !cfg.ReadOnly
	if db.memory {
		db.target, db.ns = Memory, Memory
	} else {
		db.target, db.ns = cfg.Path, filepath.Base(cfg.Path)
	}
	db.opExec = db.rec.Op("exec")
	db.opQuery = db.rec.Op("query")
	db.opGet = db.rec.Op("get")
	db.opTx = db.rec.Op("tx")
	db.opSerialize = db.rec.Op("serialize")
	db.opDeserialize = db.rec.Op("deserialize")
	db.opBackup = db.rec.Op("backup")
	db.opHealth = db.rec.Op("health")
	db.opFunction = db.rec.Op("function")
	db.opInspect = db.rec.Op("inspect")
	// Statements take microseconds, where two clock reads are a visible
	// share: time 1 in 16 after the first 1024 (calls and errors stay exact).
	for _, op := range []*stats.Op{db.opExec, db.opQuery, db.opGet} {
		op.SampleEvery(latencySampleEvery)
	}
	return db
}

// start opens the first connection and builds the pools.
func (db *DB) start(ctx context.Context) error {
	first, err := db.openConn(!db.cfg.ReadOnly)
	if err != nil {
		return err
	}
	var handed atomic.Bool
	writerCtor := func(context.Context) (*conn, error) {
		if !handed.Swap(true) {
			first.home = db.writer
			return first, nil
		}
		if db.memory {
			// Never silently replace the only copy of the data.
			return nil, arsenal.Errorf(arsenal.DataLoss, Kind, "open", "the in-memory connection was lost")
		}
		cn, err := db.openConn(!db.cfg.ReadOnly)
		if err == nil {
			cn.home = db.writer
		}
		return cn, err
	}
	destroy := func(cn *conn) { db.closeConn(cn) }
	wp, err := newPool(&puddle.Config[*conn]{Constructor: writerCtor, Destructor: destroy, MaxSize: 1})
	if err != nil {
		db.closeConn(first)
		return arsenal.E(arsenal.Internal, Kind, "open", err)
	}
	db.writer = wp
	if err := wp.p.CreateResource(ctx); err != nil {
		wp.close()
		db.closeConn(first)
		return wrapErr(ctx, "open", err)
	}
	if !db.single {
		// Readers open lazily, read-only. For a ReadOnly database the
		// "writer" above is one more read-only connection.
		rp, err := newPool(&puddle.Config[*conn]{
			Constructor: func(context.Context) (*conn, error) {
				cn, err := db.openConn(false)
				if err == nil {
					cn.home = db.readers
				}
				return cn, err
			},
			Destructor: destroy,
			MaxSize:    int32(db.cfg.Readers),
		})
		if err != nil {
			wp.close()
			return arsenal.E(arsenal.Internal, Kind, "open", err)
		}
		db.readers = rp
	}
	return nil
}

// latencySampleEvery is the share of exec, query and get calls whose
// latency Stats times once each operation has timed its first 1024 calls
// (stats.Op.SampleEvery): 1 in 16. Counts and errors include every call.
const latencySampleEvery = 16

// openConn opens and configures one connection; write selects a
// read-write connection (the writer) over a read-only one (a reader).
func (db *DB) openConn(write bool) (*conn, error) {
	cfg := db.cfg
	var flags sqlite.OpenFlags
	if write {
		flags |= sqlite.OpenReadWrite
		if cfg.Create || db.memory {
			flags |= sqlite.OpenCreate
		}
	} else {
		flags |= sqlite.OpenReadOnly
	}
	path := cfg.Path
	if db.memory {
		flags |= sqlite.OpenMemory
	}
	c, err := sqlite.OpenConn(path, flags)
	if err != nil {
		err = db.openError(err)
		db.connEvent(context.Background(), arsenal.ConnDialError, err, 0)
		db.warn("sqlite: opening a connection failed", err)
		return nil, err
	}
	cn := newConn(db, c, !write)
	if err := db.configure(cn, write); err != nil {
		cn.close()
		db.connEvent(context.Background(), arsenal.ConnDialError, err, 0)
		db.warn("sqlite: configuring a new connection failed", err)
		return nil, err
	}
	if db.secure {
		if err := c.SetAuthorizer(sqlite.AuthorizeFunc(cn.authorize)); err != nil {
			cn.close()
			err = arsenal.E(arsenal.Internal, Kind, "open", err)
			db.connEvent(context.Background(), arsenal.ConnDialError, err, 0)
			return nil, err
		}
	}
	db.connEvent(context.Background(), arsenal.ConnConnect, nil, 0)
	db.opened.Add(1)
	db.connsMu.Lock()
	db.conns[cn] = struct{}{}
	db.connsMu.Unlock()
	return cn, nil
}

// openError refines SQLITE_CANTOPEN with what the file system says.
func (db *DB) openError(err error) error {
	rc, _ := resultCode(err)
	if rc.ToPrimary() != sqlite.ResultCantOpen || db.memory {
		return wrapErr(context.Background(), "open", err)
	}
	path := db.cfg.Path
	code := arsenal.NotFound
	msg := "cannot open " + path
	if fi, serr := os.Stat(path); serr == nil {
		if fi.IsDir() {
			code, msg = arsenal.InvalidArgument, path+" is a directory"
		} else {
			code, msg = arsenal.PermissionDenied, "cannot open "+path+" (permission denied?)"
		}
	} else if errors.Is(serr, os.ErrPermission) {
		code = arsenal.PermissionDenied
	} else if _, derr := os.Stat(filepath.Dir(path)); derr != nil {
		msg = "directory " + filepath.Dir(path) + " does not exist"
	} else if !db.cfg.Create {
		msg = path + " does not exist (set Create to make it)"
	}
	return &arsenal.Error{Code: code, Component: Kind, Op: "open", Message: msg, Err: err}
}

// configure applies the Config's pragmas to a new connection.
func (db *DB) configure(cn *conn, write bool) error {
	cfg := db.cfg
	c := cn.c
	cn.installBusy()
	if db.setup != nil {
		if err := db.setup(c); err != nil {
			return err
		}
	}
	// Each statement with the label an error names it by: the text of a
	// Config.Pragmas entry is never echoed (it may carry a secret).
	type step struct{ q, label string }
	var stmts []step
	if write && !db.memory {
		stmts = append(stmts,
			step{"PRAGMA journal_mode=" + cfg.JournalMode, "journal_mode=" + cfg.JournalMode},
			step{"PRAGMA synchronous=" + cfg.Synchronous, "synchronous=" + cfg.Synchronous})
	}
	trusted := "OFF"
	if cfg.TrustedSchema {
		trusted = "ON"
	}
	stmts = append(stmts, step{"PRAGMA trusted_schema=" + trusted, "trusted_schema=" + trusted})
	if cfg.MmapSize > 0 && !db.memory {
		q := fmt.Sprintf("PRAGMA mmap_size=%d", cfg.MmapSize)
		stmts = append(stmts, step{q, q[len("PRAGMA "):]})
	}
	for i, p := range cfg.Pragmas {
		stmts = append(stmts, step{"PRAGMA " + p, fmt.Sprintf("Pragmas entry %d", i)})
	}
	if !db.memory && db.setup == nil {
		// Reading the schema now turns "not a database" into an Open error.
		stmts = append(stmts, step{"SELECT count(*) FROM sqlite_schema", "reading the schema"})
	}
	for _, st := range stmts {
		if err := cn.execSimple(st.q); err != nil {
			return wrapErr(context.Background(), "open", fmt.Errorf("%s: %w", st.label, err))
		}
	}
	if write && !db.memory && cfg.JournalMode == "wal" {
		// journal_mode=wal can silently stay on another mode (a read-only
		// directory, say); report it rather than run without readers.
		var mode string
		s, _, err := c.PrepareTransient("PRAGMA journal_mode")
		if err == nil {
			if ok, _ := s.Step(); ok {
				mode = s.ColumnText(0)
			}
			s.Finalize()
		}
		if mode != "wal" {
			return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "open", "journal_mode=wal did not take effect (mode %q)", mode)
		}
	}
	return db.applyFuncs(cn)
}

func (db *DB) closeConn(cn *conn) {
	db.connsMu.Lock()
	// Keep the closed connection's cache counts.
	db.cacheHits.Add(cn.hits.Load())
	db.cacheMisses.Add(cn.misses.Load())
	delete(db.conns, cn)
	db.connsMu.Unlock()
	err := wrapErr(context.Background(), "close", cn.close())
	if err != nil {
		db.warn("sqlite: closing a connection failed (its WAL checkpoint may not have run)", err)
	}
	db.connEvent(context.Background(), arsenal.ConnDisconnect, err, 0)
}

// acquire takes a connection: the writer when write is set (or when the
// database has a single connection), else a reader.
func (db *DB) acquire(ctx context.Context, op string, write bool) (*puddle.Resource[*conn], error) {
	if db.closed.Load() {
		return nil, arsenal.Closed(Kind, op)
	}
	p := db.writer
	if !write && db.readers != nil {
		p = db.readers
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr(ctx, op, err)
	}
	var t0 time.Time
	if db.obs != nil {
		t0 = time.Now()
	}
	res, err := p.acquire(ctx)
	if db.obs != nil && err == nil {
		db.connEvent(ctx, arsenal.ConnPoolAcquire, nil, time.Since(t0))
	}
	if err != nil {
		if errors.Is(err, puddle.ErrClosedPool) {
			return nil, arsenal.Closed(Kind, op)
		}
		return nil, wrapErr(ctx, op, err)
	}
	cn := res.Value()
	if cn.funcGen != db.funcGen.Load() {
		if err := db.applyFuncs(cn); err != nil {
			res.Release()
			return nil, err
		}
	}
	return res, nil
}

// release returns a connection to its pool. A connection left inside a
// transaction (a failed COMMIT, or a BEGIN sent through Exec) is rolled
// back first; one that cannot be is destroyed.
func (db *DB) release(res *puddle.Resource[*conn]) {
	cn := res.Value()
	if !cn.c.AutocommitEnabled() {
		if err := cn.execSimple("ROLLBACK"); err != nil && !db.memory {
			db.warn("sqlite: dropping a connection left in a transaction that would not roll back", wrapErr(context.Background(), "release", err))
			res.Destroy()
			return
		}
	}
	cn.home.release(res)
}

// Kind returns "sqlite".
func (db *DB) Kind() string { return Kind }

// Config returns the configuration the database was opened with, defaults
// filled in.
func (db *DB) Config() Config { return db.cfg }

// Describe returns a one-line description safe to log.
func (db *DB) Describe() string {
	mode := "read-write"
	if db.cfg.ReadOnly {
		mode = "read-only"
	}
	if db.single {
		return fmt.Sprintf("sqlite %s (%s, one connection)", db.target, mode)
	}
	return fmt.Sprintf("sqlite %s (%s, %s, 1 writer + %d readers)", db.target, mode, db.cfg.JournalMode, db.cfg.Readers)
}

// Health checks the database answers a query that reads its header (PRAGMA
// schema_version) on a reader connection.
func (db *DB) Health(ctx context.Context) error {
	ctx, c := db.begin(ctx, db.opHealth, "health", "")
	res, err := db.acquire(ctx, "health", false)
	if err != nil {
		return db.end(c, err, 0)
	}
	cn := res.Value()
	cn.arm(ctx)
	err = cn.execSimple("PRAGMA schema_version")
	cn.disarm()
	db.release(res)
	return db.end(c, wrapErr(ctx, "health", err), 0)
}

// DBStats are a DB's typed gauges, the Detail of its Stats: the writer's
// and the readers' pools (as puddle's Stat), the statement caches and the
// transaction counters.
type DBStats struct {
	WriterAcquired    int64         // 1 while a caller holds the writer
	WriterWaits       int64         `stat:",counter"`         // writer acquires that had to queue
	WriterWait        time.Duration `stat:",seconds,counter"` // total time callers queued for the writer
	ReadersMax        int32         // the reader pool's size limit
	ReadersTotal      int32         // reader connections open
	ReadersIdle       int32         // reader connections idle
	ReadersAcquired   int32         // reader connections in use
	ReaderWaits       int64         `stat:",counter"`         // reader acquires that had to queue
	ReaderWait        time.Duration `stat:",seconds,counter"` // total time callers queued for a reader
	AcquireCanceled   int64         `stat:",counter"`         // acquires whose context ended first
	ConnectionsOpened int64         `stat:",counter"`         // connections opened since Open
	StmtCacheHits     uint64        `stat:",counter"`         // statements found prepared
	StmtCacheMisses   uint64        `stat:",counter"`         // statements prepared anew
	TxCommits         uint64        `stat:",counter"`
	TxRollbacks       uint64        `stat:",counter"`
}

// DegradationRules are the rules that judge a DB by default: the common
// ones (stats.DefaultRules), plus callers queueing for the writer more
// than a second in all between two checks (warn).
func DegradationRules() []stats.Rule {
	return stats.Append(
		stats.Rule{Name: "sqlite writer queue", Kind: Kind, Metric: "gauge:writer_wait", Threshold: 1, Rate: true, Action: stats.ActionWarn},
	)
}

// DegradationRules makes DBStats a stats.RuleSource.
func (DBStats) DegradationRules() []stats.Rule { return DegradationRules() }

// DBStats returns the pools' and caches' counters. It does no I/O.
func (db *DB) DBStats() DBStats {
	hits, misses := db.cacheHits.Load(), db.cacheMisses.Load()
	db.connsMu.Lock()
	for cn := range db.conns {
		hits += cn.hits.Load()
		misses += cn.misses.Load()
	}
	db.connsMu.Unlock()
	s := DBStats{
		ConnectionsOpened: db.opened.Load(),
		StmtCacheHits:     hits,
		StmtCacheMisses:   misses,
		TxCommits:         db.txCommits.Load(),
		TxRollbacks:       db.txRollbacks.Load(),
	}
	if db.writer != nil {
		ws := db.writer.p.Stat()
		s.WriterAcquired = int64(ws.AcquiredResources()) - int64(db.writer.parked())
		s.WriterWaits = ws.EmptyAcquireCount()
		s.WriterWait = ws.EmptyAcquireWaitTime()
		s.AcquireCanceled += ws.CanceledAcquireCount()
	}
	if db.readers != nil {
		rs := db.readers.p.Stat()
		parked := int32(db.readers.parked())
		s.ReadersMax = rs.MaxResources()
		s.ReadersTotal = rs.TotalResources()
		s.ReadersIdle = rs.IdleResources() + parked
		s.ReadersAcquired = rs.AcquiredResources() - parked
		s.ReaderWaits = rs.EmptyAcquireCount()
		s.ReaderWait = rs.EmptyAcquireWaitTime()
		s.AcquireCanceled += rs.CanceledAcquireCount()
	}
	return s
}

// Stats returns per-operation latencies, with DBStats as its Detail and
// Gauges. It does no I/O. Counts and errors include every call; the
// latency figures of exec, query and get rest on every call for the first
// 1024 and on 1 call in 16 after that (statements take microseconds, and
// timing each one would cost a visible share of it).
func (db *DB) Stats() arsenal.Stats {
	ds := db.DBStats()
	return arsenal.Stats{
		Kind:      Kind,
		Target:    db.target,
		Connected: !db.closed.Load(),
		Since:     db.rec.Since(),
		Ops:       db.rec.Snapshot(),
		Gauges:    stats.Gauges(ds),
		Detail:    ds,
	}
}

// Close interrupts running statements, waits for every connection to come
// back to its pool, and closes them (the writer last, which checkpoints
// the WAL). It is idempotent; later calls on the DB fail with
// FailedPrecondition wrapping arsenal.ErrClosed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closed.Store(true)
		db.connsMu.Lock()
		for cn := range db.conns {
			interruptConn(cn.c)
		}
		db.connsMu.Unlock()
		if db.readers != nil {
			db.readers.close()
		}
		if db.writer != nil {
			db.writer.close()
		}
	})
	return nil
}

var _ arsenal.Component = (*DB)(nil)
var _ arsenal.Describer = (*DB)(nil)

func closedErr(op string) error { return arsenal.Closed(Kind, op) }
