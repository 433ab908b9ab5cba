package sqlite

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/security"
)

// conn is one SQLite connection with its statement cache. A conn is used
// by one goroutine at a time (whoever acquired it from the pool).
type conn struct {
	c        *sqlite.Conn
	db       *DB
	readOnly bool  // opened with SQLITE_OPEN_READONLY
	home     *pool // the pool it belongs to
	funcGen  uint64

	row Row // the Row run hands to its callback, reused so it is not allocated per call

	// Statement cache counters: written only by the goroutine holding the
	// connection (a plain load and store, no locked add), read by Stats.
	hits, misses atomic.Uint64

	// statement cache: an LRU list through cachedStmt.prev/next plus a map.
	cacheMax   int
	cache      map[string]*cachedStmt
	head, tail *cachedStmt

	// interrupt: ctx cancellation calls sqlite3_interrupt through
	// context.AfterFunc; gen stops a late callback from hitting the next
	// user of the connection.
	imu  sync.Mutex
	gen  uint64
	stop func() bool

	// busy handler (busy.go): the sqlite3* it is registered under, and the
	// Done channel of the armed context, which cuts a lock wait short.
	cptr     uintptr
	busyDone <-chan struct{}

	// az is the authorization state of the call in progress (security.go).
	az authState
}

// cachedStmt is a prepared statement plus what binding and scanning need.
type cachedStmt struct {
	s          *sqlite.Stmt
	query      string
	readOnly   bool
	params     []string // 1-based: params[i-1] is parameter i's name with prefix, "" for ?
	bare       []string // the names without their :, @ or $ prefix
	named      bool     // any parameter has a name
	cols       []string // column names
	prev, next *cachedStmt
	cached     bool

	// Under Config.Security (security.go): what the statement touches, as
	// SQLite's authorizer reported it, and the principal the policy last
	// allowed it for.
	facts  []fact
	authPr security.Principal
	authOK bool
}

// errScript reports that a query holds more than one statement.
type errScript struct{ rest string }

func (errScript) Error() string { return "query holds more than one statement" }

func newConn(db *DB, c *sqlite.Conn, readOnly bool) *conn {
	cn := &conn{c: c, db: db, readOnly: readOnly, cacheMax: db.cfg.StatementCache}
	if cn.cacheMax > 0 {
		cn.cache = make(map[string]*cachedStmt, cn.cacheMax)
	}
	return cn
}

// arm makes cancellation of ctx interrupt the statement running on cn
// until disarm. A context that can never be cancelled costs nothing (arm
// and disarm inline to a nil check).
func (cn *conn) arm(ctx context.Context) {
	if ctx.Done() != nil {
		cn.armCancel(ctx)
	}
}

func (cn *conn) armCancel(ctx context.Context) {
	cn.imu.Lock()
	g := cn.gen
	cn.imu.Unlock()
	cn.busyDone = ctx.Done()
	cn.stop = context.AfterFunc(ctx, func() {
		cn.imu.Lock()
		if cn.gen == g {
			interruptConn(cn.c)
		}
		cn.imu.Unlock()
	})
}

// disarm ends what arm started. After it returns no interrupt from the
// old context can reach the connection.
func (cn *conn) disarm() {
	if cn.stop != nil {
		cn.disarmCancel()
	}
}

func (cn *conn) disarmCancel() {
	cn.stop()
	cn.busyDone = nil
	// Whether or not the callback started, bumping the generation under
	// the lock means it either finished already or will do nothing.
	cn.imu.Lock()
	cn.gen++
	cn.imu.Unlock()
	cn.stop = nil
}

// prepare returns the statement for query from the cache or prepares it.
// A query with a second statement after the first returns errScript.
func (cn *conn) prepare(query string) (*cachedStmt, error) {
	if cs := cn.head; cs != nil && cs.query == query {
		// The statement used last: a caller running one query in a loop
		// skips hashing the text (equal strings usually share their
		// bytes, and then == compares no bytes at all).
		cn.hits.Store(cn.hits.Load() + 1)
		return cs, nil
	}
	if cn.cache != nil {
		if cs := cn.cache[query]; cs != nil {
			cn.hits.Store(cn.hits.Load() + 1)
			cn.moveFront(cs)
			return cs, nil
		}
	}
	cn.misses.Store(cn.misses.Load() + 1)
	s, trailing, err := cn.c.PrepareTransient(query)
	if err != nil {
		return nil, err
	}
	if blankSQL(query[:len(query)-trailing]) {
		// No statement: zombiezen returns a Stmt without a handle
		// (sqlite3_prepare's NULL), which would fail every call with
		// SQLite's "not an error". SQLite skips blank text before a
		// statement, so the rest is blank too.
		s.Finalize()
		return nil, errEmpty
	}
	if trailing > 0 {
		if rest := query[len(query)-trailing:]; !blankSQL(rest) {
			s.Finalize()
			return nil, errScript{rest: rest}
		}
	}
	if cn.cache != nil && trailing == 0 {
		// A cached statement lives long: prepare it again with
		// SQLITE_PREPARE_PERSISTENT (zombiezen's Prepare), which keeps it
		// out of the lookaside allocator meant for short-lived objects.
		s.Finalize()
		if s, err = cn.c.Prepare(query); err != nil {
			return nil, err
		}
	}
	cs := &cachedStmt{s: s, query: query, readOnly: stmtReadOnly(s)}
	if cn.az.on {
		cs.facts = slices.Clone(cn.az.facts)
	}
	n := s.BindParamCount()
	if n > 0 {
		cs.params = make([]string, n)
		cs.bare = make([]string, n)
		for i := 1; i <= n; i++ {
			name := s.BindParamName(i)
			cs.params[i-1] = name
			if len(name) > 1 && (name[0] == ':' || name[0] == '@' || name[0] == '$') {
				cs.bare[i-1] = name[1:]
				cs.named = true
			}
		}
	}
	cs.cols = make([]string, s.ColumnCount())
	for i := range cs.cols {
		cs.cols[i] = s.ColumnName(i)
	}
	if cn.cache != nil {
		cs.cached = true
		cn.cache[query] = cs
		cn.pushFront(cs)
		if len(cn.cache) > cn.cacheMax {
			old := cn.tail
			cn.unlink(old)
			delete(cn.cache, old.query)
			old.s.Finalize()
		}
	}
	return cs, nil
}

// errEmpty is prepare's report of a text that holds no statement (see
// blankSQL): Exec runs it as a no-op, a query refuses it (runEmpty).
var errEmpty = errors.New("no statement")

// blankSQL reports whether s holds no SQL statement: nothing but white
// space as SQLite's tokenizer defines it (space, tab, newline, form feed,
// carriage return; not a vertical tab or Unicode spaces, which SQLite
// refuses), comments (-- to the end of the line, /* to */ or to the end of
// the text) and semicolons. SQLite prepares such a text to no statement,
// and skips it before a statement. A NUL byte ends the text, as it does
// for SQLite, which reads a C string.
func blankSQL(s string) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ';':
			i++
		case c == 0:
			return true
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return true
			}
			i += j + 1
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return true
			}
			i += 2 + j + 2
		default:
			return false
		}
	}
	return true
}

// done resets cs after use, finalizing it when it is not cached.
func (cn *conn) done(cs *cachedStmt) {
	if cs.cached {
		cs.s.Reset()
		return
	}
	cs.s.Finalize()
}

func (cn *conn) pushFront(cs *cachedStmt) {
	cs.prev, cs.next = nil, cn.head
	if cn.head != nil {
		cn.head.prev = cs
	}
	cn.head = cs
	if cn.tail == nil {
		cn.tail = cs
	}
}

func (cn *conn) unlink(cs *cachedStmt) {
	if cs.prev != nil {
		cs.prev.next = cs.next
	} else {
		cn.head = cs.next
	}
	if cs.next != nil {
		cs.next.prev = cs.prev
	} else {
		cn.tail = cs.prev
	}
	cs.prev, cs.next = nil, nil
}

func (cn *conn) moveFront(cs *cachedStmt) {
	if cn.head == cs {
		return
	}
	cn.unlink(cs)
	cn.pushFront(cs)
}

// close finalizes every cached statement and closes the connection.
func (cn *conn) close() error {
	for cs := cn.head; cs != nil; cs = cs.next {
		cs.s.Finalize()
	}
	cn.head, cn.tail, cn.cache = nil, nil, nil
	// An interrupt (DB.Close interrupts every connection, and a context
	// may have fired just as the last statement ended) stays pending on a
	// connection no statement is running on, and SQLite's close then
	// aborts the WAL checkpoint it runs when the last connection closes,
	// leaving every committed page in the -wal file. Stepping a statement
	// while none is active clears the flag (sqlite3_step does so before
	// it starts), so the checkpoint runs.
	_ = cn.execSimple("SELECT 1")
	err := cn.c.Close() // its last checkpoint may still wait on a lock
	cn.uninstallBusy()
	return err
}

// execSimple runs one statement with no arguments and no result rows,
// bypassing the cache (pragmas, BEGIN, COMMIT).
func (cn *conn) execSimple(query string) error {
	s, _, err := cn.c.PrepareTransient(query)
	if err != nil {
		return err
	}
	defer s.Finalize()
	for {
		row, err := s.Step()
		if err != nil {
			return err
		}
		if !row {
			return nil
		}
	}
}

// counters shared by a DB's connections.
type cacheCounters struct {
	cacheHits, cacheMisses atomic.Uint64
}

// routesWrites reports whether cn is a reader that hands statements which
// write over to the writer (a read-only database has no writer to hand to:
// SQLite itself refuses the write there).
func (cn *conn) routesWrites() bool {
	return cn.readOnly && !cn.db.single && !cn.db.cfg.ReadOnly
}
