package codegen

import (
	"slices"
	"strings"

	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func init() {
	matchers = append(matchers, func(c any) (Component, any, bool) {
		switch v := c.(type) {
		case sqlite.Config:
			return SQLite, v, true
		case *sqlite.Config:
			if v != nil {
				return SQLite, *v, true
			}
		}
		return "", nil, false
	})
	builders[SQLite] = buildSQLite
}

// sqliteGo is the view of the Go SQLite template.
type sqliteGo struct {
	Config       string // the sqlite.Config composite literal
	Writable     bool   // the program may create its work table (not ReadOnly)
	SafeIntegers bool
	Time         bool // the config literal uses package time
}

// sqliteJS is the view of the TypeScript and JavaScript SQLite templates.
type sqliteJS struct {
	Path              string // expression
	Writable          bool
	Create            bool
	Strict            bool
	SafeIntegers      bool
	BusyMS            string
	JournalMode, Sync string   // literals: the configured (or default) pragmas for a file
	Pragmas           []string // literals, run in order on the connection
	P                 string   // the named-parameter key prefix the runtime wants ("$" for Bun without strict)
}

func buildSQLite(g *gen, config any) (any, error) {
	c := config.(sqlite.Config)
	path := c.Path
	if path == "" {
		path = sqlite.Memory
	}
	if c.ReadOnly && g.t.Has(SQLiteTransactions) {
		// A transaction that writes cannot run on a read-only database.
		g.t.Features = slices.DeleteFunc(g.t.Features, func(f Feature) bool { return f == SQLiteTransactions })
		g.compat = append(g.compat, warn("ReadOnly", "the database is opened read-only, so the transactions feature (which writes) is left out"))
	}
	if c.Security != (security.Options{}) {
		// A policy, an auditor or a TLS or credential provider is a live
		// value (rules, handlers, files), not a literal: the generated
		// program must set it in code, and says so rather than run
		// unchecked without notice.
		c.Security = security.Options{}
		g.security = append(g.security, warn("Security", "the access policy and audit (Security) are not rendered: the generated program runs every statement unchecked; set Security in code (sqlite.Config.Security in Go) to enforce them"))
	}
	g.sqliteAdvice(c, path)
	if g.t.Language == Go {
		g.dep("github.com/infra-arsenal/arsenal")
		exprs := map[string]string{"Path": g.envVar("SQLITE_PATH", "Path", path)}
		lit := g.goConfig("sqlite", c, exprs)
		return sqliteGo{Config: lit, Writable: !c.ReadOnly, SafeIntegers: c.SafeIntegers, Time: strings.Contains(lit, "time.")}, nil
	}
	switch g.t.Framework {
	case Bun:
		g.dep("bun")
	case Node:
		g.dep("better-sqlite3")
	}
	journal := strings.ToLower(c.JournalMode)
	if journal == "" {
		journal = "wal"
	}
	sync := strings.ToLower(c.Synchronous)
	if sync == "" {
		sync = "full"
		if journal == "wal" {
			sync = "normal"
		}
	}
	busy := c.BusyTimeout
	if busy == 0 {
		busy = sqlite.DefaultBusyTimeout
	}
	v := sqliteJS{
		Path:     g.envVar("SQLITE_PATH", "Path", path),
		Writable: !c.ReadOnly, Create: c.Create, Strict: c.Strict, SafeIntegers: c.SafeIntegers,
		BusyMS: JSMillis(busy),
	}
	if v.Writable {
		// A read-only connection cannot change the journal mode.
		v.JournalMode, v.Sync = g.str("JournalMode", journal), g.str("Synchronous", sync)
	}
	for _, p := range c.Pragmas {
		v.Pragmas = append(v.Pragmas, g.str("Pragmas", strings.TrimSpace(p)))
	}
	if g.t.Framework == Bun && !c.Strict {
		v.P = "$"
	}
	return v, nil
}

func (g *gen) sqliteAdvice(c sqlite.Config, path string) {
	memory := c.IsMemory()
	journal := strings.ToLower(c.JournalMode)
	// Security.
	if strings.HasPrefix(path, "/tmp/") || strings.HasPrefix(path, "/var/tmp/") {
		g.security = append(g.security, info("Path", "the database lives in a world-writable directory; other local users may read or replace it"))
	}

	// Performance.
	if !memory && journal != "" && journal != "wal" {
		g.perf = append(g.perf, warn("JournalMode", "journal mode %s lets readers block the writer and each other; WAL runs readers beside the writer for a concurrent file database", journal))
	}
	if !memory && (journal == "" || journal == "wal") {
		g.perf = append(g.perf, info("JournalMode", "WAL: readers run beside the single writer; keep transactions short so checkpoints can reset the log"))
	}
	if strings.EqualFold(c.Synchronous, "full") || strings.EqualFold(c.Synchronous, "extra") {
		if journal == "" || journal == "wal" {
			g.perf = append(g.perf, info("Synchronous", "%s fsyncs on every commit; in WAL mode normal keeps committed data across a process crash at a fraction of the cost", strings.ToLower(c.Synchronous)))
		}
	}
	if c.StatementCache == -1 {
		g.perf = append(g.perf, warn("StatementCache", "the statement cache is off: every call prepares its SQL afresh; leave it on for repeated queries"))
	}
	if memory && c.Readers > 0 {
		g.perf = append(g.perf, info("Readers", "an in-memory database has one connection; the reader pool applies to a file in WAL mode"))
	}
	if !g.t.Has(SQLiteTransactions) && !c.ReadOnly {
		g.perf = append(g.perf, info("", "batch writes in one transaction (the transactions feature): one commit (and fsync) instead of one per statement"))
	}
	if memory && !g.t.Has(SQLiteDeserialize) && !g.t.Has(SQLiteBackup) {
		g.perf = append(g.perf, info("Path", "an in-memory database is lost on exit; serialize it or back it up to keep it"))
	}

	// Compatibility.
	switch g.t.Framework {
	case Bun:
		g.compat = append(g.compat, info("Readers", "bun:sqlite is one synchronous connection: reads and writes take turns on the calling thread (no reader pool)"))
		g.compat = append(g.compat, info("StatementCache", "bun:sqlite caches statements made with db.query() itself (the program uses it); the configured cache size is not applied"))
		if g.t.Has(SQLiteBackup) {
			g.compat = append(g.compat, warn("", "bun:sqlite has no online backup API: the program writes the copy with VACUUM INTO, which holds a read transaction for the whole copy"))
		}
		if c.SafeIntegers {
			g.compat = append(g.compat, info("SafeIntegers", "bun:sqlite returns every integer as a bigint with safeIntegers, and refuses to bind one beyond 64 bits"))
		}
	case Node, Deno:
		lib := "better-sqlite3"
		if g.t.Framework == Deno {
			lib = "node:sqlite"
		}
		g.compat = append(g.compat, info("Readers", "%s is one synchronous connection: reads and writes take turns on the calling thread (no reader pool)", lib))
		if g.t.Has(SQLiteColumnTypes) {
			g.compat = append(g.compat, info("", "%s reports declared types (stmt.columns()) but not the storage class of a row's values: the program asks SQL's typeof()", lib))
		}
		if c.SafeIntegers {
			g.compat = append(g.compat, info("SafeIntegers", "%s returns integers as bigints (%s); bigints bind exactly", lib, map[Framework]string{Node: "defaultSafeIntegers", Deno: "readBigInts"}[g.t.Framework]))
		}
		if c.Strict {
			g.compat = append(g.compat, info("Strict", "%s binds named parameters by bare name and throws on a missing one, close to strict mode", lib))
		}
		g.compat = append(g.compat, info("StatementCache", "%s has no statement cache: keep prepared statements in variables to reuse them", lib))
		if g.t.Framework == Deno {
			if g.t.Has(SQLiteDeserialize) {
				g.compat = append(g.compat, warn("", "Deno's node:sqlite loses the readOnly option when it deserializes: the program sets PRAGMA query_only=ON on the copy instead, which a later PRAGMA can undo"))
			}
			if g.t.Has(SQLiteTransactions) {
				g.compat = append(g.compat, info("", "node:sqlite has no transaction helper: the program runs BEGIN, COMMIT and ROLLBACK itself and has no nested savepoints"))
			}
		}
	}
}
