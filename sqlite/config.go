package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// Memory is the Path of a private in-memory database.
const Memory = ":memory:"

// Defaults applied by Open to zero Config fields.
const (
	DefaultReaders        = 4
	DefaultBusyTimeout    = 5 * time.Second
	DefaultStatementCache = 64
	maxReaders            = 256
)

// Config describes a database to open. The zero value is an in-memory
// database; field comments give the default each zero value stands for.
type Config struct {
	// Path is the database file, or ":memory:" (also "") for a private
	// in-memory database. Default ":memory:".
	Path string
	// ReadOnly opens the file with SQLITE_OPEN_READONLY: every write fails
	// with FailedPrecondition. Default false (read-write).
	ReadOnly bool
	// Create creates the file when it does not exist. Default false: a
	// missing file is a NotFound error, so a typo never silently makes an
	// empty database. ParseURL sets it unless the URL says mode=rw, mode=ro,
	// readonly or create=false.
	Create bool
	// Strict binds parameters the way bun:sqlite's strict mode does: named
	// parameters may be given without their :, @ or $ prefix, and a
	// missing or unknown parameter is an InvalidArgument error. Without
	// Strict, a parameter with no value binds NULL and unknown names are
	// ignored (names are accepted with or without the prefix either way).
	// Default false.
	Strict bool
	// SafeIntegers keeps integers exact at the JSON/JavaScript boundary:
	// MarshalRows and AllJSON write integers beyond ±(2^53-1) as JSON
	// strings, and scanning such an integer into a float fails instead of
	// rounding. Integers are exact int64 in Go either way. Default false.
	SafeIntegers bool
	// Readers is the size of the reader connection pool for a file
	// database in WAL mode; readers run beside the single writer. In-memory
	// databases use one connection for everything. Default 4; at most 256.
	Readers int
	// BusyTimeout is how long a connection waits for a lock another
	// process holds before failing with Unavailable. Writers inside this
	// process are serialized and never wait on it. The statement's context
	// cuts the wait short (the error is then the context's). Default 5 s.
	BusyTimeout time.Duration
	// JournalMode is the journal_mode pragma: "wal", "delete", "truncate",
	// "persist", "memory" or "off". Default "wal" for files ("memory" for
	// in-memory databases). Readers run concurrently only in WAL mode.
	JournalMode string
	// Synchronous is the synchronous pragma: "off", "normal", "full" or
	// "extra". Default "normal" in WAL mode (committed transactions survive
	// a process crash; the last ones may roll back on power loss), else
	// "full".
	Synchronous string
	// Pragmas are extra "name=value" (or "name") pragmas run on every new
	// connection in order, such as "foreign_keys=on". Default none.
	Pragmas []string
	// MmapSize is the mmap_size pragma of every connection of a file
	// database: up to this many bytes of the file are read through a
	// memory mapping instead of read calls. A read transaction then takes
	// pages that are not in the WAL straight from the mapping, bypassing
	// the page cache and the process-wide mutex modernc.org/sqlite's page
	// cache takes for every page (see the package doc): 8 concurrent
	// point selects gain about 1.5-2x on 2 cores (BenchmarkPointSelectParallel).
	// The cost, as SQLite documents for memory-mapped I/O: an I/O error
	// on the mapped file, or the file shrinking under the mapping because
	// something other than SQLite truncated it, is a fault that crashes the
	// process instead of an SQLITE_IOERR. Keep it off for files on network
	// file systems or that other programs may rewrite. Default 0: off
	// (SQLite's default). It costs address space, not memory.
	MmapSize int64
	// TrustedSchema is the trusted_schema pragma. Default false
	// (PRAGMA trusted_schema=OFF on every connection): views, triggers and
	// other schema code may call only SQLite's own innocuous functions,
	// never an application function (CreateFunction) or an unsafe
	// virtual table, so a database file written by someone else cannot
	// make the program run its functions. Set it for a schema the program
	// wrote itself whose views or triggers call Innocuous functions.
	// Deserialize never trusts the image's schema.
	TrustedSchema bool
	// Observer receives OpStart and OpEnd for every operation (the
	// statement text with its placeholders, never its arguments; Rows is
	// the rows returned or changed) and connection events: connect,
	// disconnect, pool acquire (with its wait) and open errors. Default
	// nil: no events and no cost.
	Observer arsenal.Observer
	// Logger receives operator logs, all at Warn: operations slower than
	// SlowThreshold (with the statement text, never its arguments), a
	// connection that failed to open or close, and one dropped because it
	// would not roll back. Default nil: no logs.
	Logger *slog.Logger
	// SlowThreshold is the duration from which an operation is logged as
	// slow to Logger. Default 0: no slow-operation logs.
	SlowThreshold time.Duration
	// StatementCache is how many prepared statements each connection
	// keeps (least recently used are finalized first). Default 64; -1
	// disables the cache (every call prepares afresh).
	StatementCache int
	// Security holds the access policy and the audit (see the package
	// doc, "Access control"): Security.Policy is enforced through SQLite's
	// authorizer on every statement (the operation is the statement kind,
	// "select", "insert", "update", "delete", "create", ..., and the
	// resource the table), and on Tx ("transaction"), Serialize,
	// Backup and VacuumInto (resource ""), before anything runs;
	// Security.Audit records every call with its outcome. SQLite opens
	// local files, so Security.TLS and Security.Credentials must stay
	// unset (InvalidArgument). Default: the zero Options, no policy and no
	// audit, at no cost.
	Security security.Options
}

var (
	pragmaRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\s*=\s*[A-Za-z0-9_.\-+]+)?$`)
	journalModes  = []string{"wal", "delete", "truncate", "persist", "memory", "off"}
	synchronouses = []string{"off", "normal", "full", "extra"}
)

// IsMemory reports whether c names a private in-memory database.
func (c Config) IsMemory() bool { return c.Path == "" || c.Path == Memory }

// Validate checks every field without any I/O and reports every bad field
// at once, as an InvalidArgument *arsenal.Error wrapping *arsenal.ConfigError.
func (c Config) Validate() error {
	v := arsenal.Validation{Component: Kind}
	v.Check(!strings.ContainsRune(c.Path, 0), "Path", "must not contain a NUL byte")
	v.Check(!(c.ReadOnly && c.Create), "Create", "cannot create a database opened ReadOnly")
	v.Check(!(c.ReadOnly && c.IsMemory()), "ReadOnly", "an in-memory database opened read-only is always empty; use Deserialize with ReadOnly")
	v.Check(c.Readers >= 0 && c.Readers <= maxReaders, "Readers", "must be between 0 and %d, got %d", maxReaders, c.Readers)
	v.Check(c.BusyTimeout >= 0, "BusyTimeout", "must not be negative, got %s", c.BusyTimeout)
	v.Check(c.SlowThreshold >= 0, "SlowThreshold", "must not be negative, got %s", c.SlowThreshold)
	v.Check(c.MmapSize >= 0, "MmapSize", "must not be negative, got %d", c.MmapSize)
	if c.JournalMode != "" && !contains(journalModes, c.JournalMode) {
		v.Add("JournalMode", "must be one of %s, got %q", strings.Join(journalModes, ", "), c.JournalMode)
	}
	if c.Synchronous != "" && !contains(synchronouses, c.Synchronous) {
		v.Add("Synchronous", "must be one of %s, got %q", strings.Join(synchronouses, ", "), c.Synchronous)
	}
	for i, p := range c.Pragmas {
		if !pragmaRE.MatchString(strings.TrimSpace(p)) {
			// The text is not echoed: a pragma may carry a secret (key='...').
			v.Add("Pragmas", "entry %d is not name or name=value (a name, optionally = a bare word or number)", i)
		}
	}
	v.Check(c.Security.TLS == nil, "Security.TLS", "SQLite opens a local file: there is no connection to secure with TLS")
	v.Check(c.Security.Credentials == nil, "Security.Credentials", "SQLite opens a local file and takes no credentials; use Security.Policy to control access")
	v.Check(c.StatementCache >= -1, "StatementCache", "must be -1 (off), 0 (default) or positive, got %d", c.StatementCache)
	return v.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = Memory
	}
	if c.Readers == 0 {
		c.Readers = DefaultReaders
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.JournalMode == "" {
		if c.IsMemory() {
			c.JournalMode = "memory"
		} else {
			c.JournalMode = "wal"
		}
	}
	c.JournalMode = strings.ToLower(c.JournalMode)
	if c.Synchronous == "" {
		if c.JournalMode == "wal" {
			c.Synchronous = "normal"
		} else {
			c.Synchronous = "full"
		}
	}
	c.Synchronous = strings.ToLower(c.Synchronous)
	if c.StatementCache == 0 {
		c.StatementCache = DefaultStatementCache
	}
	return c
}

// ParseURL parses a sqlite: or file: URL into a Config.
//
//	sqlite:app.db                 relative path
//	sqlite:///var/lib/app.db      absolute path
//	sqlite::memory:               in-memory
//	file:app.db?mode=ro           SQLite URI syntax
//
// A URL creates its file when it does not exist (SQLite's own default
// for URIs), unlike a Config, whose Create is false: add mode=rw (or
// create=false) to require an existing file; mode=ro and readonly open
// read-only and never create. A URL with a user, a password or a port is
// InvalidArgument: SQLite files have none.
//
// Query parameters: mode (ro, rw, rwc, memory), readonly, create, strict,
// safe_integers (also safeIntegers), readers, busy_timeout (a Go duration
// or milliseconds), journal_mode, synchronous, stmt_cache, mmap_size,
// trusted_schema, and pragma (repeatable, "name=value"). Unknown parameters are
// InvalidArgument.
// Errors never echo secrets in the URL.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse-url", "cannot parse URL %s", arsenal.RedactURL(raw))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	red := redactURL(u)
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse-url", "%s: %s", red, fmt.Sprintf(format, args...))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "sqlite" && scheme != "file" {
		return bad("scheme must be sqlite or file")
	}
	if u.User != nil {
		// A file has no user or password: refuse rather than drop them, and
		// leave them out of the message (the user name may be a secret too).
		bare := *u
		bare.User = nil
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse-url",
			"%s: a SQLite URL names a file and takes no user or password (removed from this message)", redactURL(&bare))
	}
	if u.Port() != "" {
		return bad("a SQLite URL names a file, not a server: remove the port")
	}
	var c Config
	createSet := false
	switch {
	case u.Opaque != "":
		c.Path = u.Opaque
	case u.Host != "" && u.Host != "localhost":
		c.Path = u.Host + u.Path
	default:
		c.Path = u.Path
	}
	if p, err := url.PathUnescape(c.Path); err == nil {
		c.Path = p
	}
	if c.Path == "" {
		c.Path = Memory
	}
	boolParam := func(k, v string) (bool, error) {
		if v == "" {
			return true, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("parameter %s=%q is not a boolean", k, v)
		}
		return b, nil
	}
	q := u.Query()
	for k, vs := range q {
		for _, v := range vs {
			var perr error
			switch k {
			case "mode":
				switch v {
				case "ro":
					c.ReadOnly = true
				case "rw":
					c.Create, createSet = false, true
				case "rwc":
					c.Create, createSet = true, true
				case "memory":
					c.Path = Memory
				default:
					perr = fmt.Errorf("mode=%q: want ro, rw, rwc or memory", v)
				}
			case "readonly":
				c.ReadOnly, perr = boolParam(k, v)
			case "create":
				c.Create, perr = boolParam(k, v)
				createSet = true
			case "strict":
				c.Strict, perr = boolParam(k, v)
			case "safe_integers", "safeIntegers", "safeintegers":
				c.SafeIntegers, perr = boolParam(k, v)
			case "readers":
				c.Readers, perr = strconv.Atoi(v)
				if perr != nil {
					perr = fmt.Errorf("readers=%q is not an integer", v)
				}
			case "stmt_cache":
				c.StatementCache, perr = strconv.Atoi(v)
				if perr != nil {
					perr = fmt.Errorf("stmt_cache=%q is not an integer", v)
				}
			case "busy_timeout", "_busy_timeout":
				if ms, err := strconv.Atoi(v); err == nil {
					c.BusyTimeout = time.Duration(ms) * time.Millisecond
				} else if d, err := time.ParseDuration(v); err == nil {
					c.BusyTimeout = d
				} else {
					perr = fmt.Errorf("busy_timeout=%q is neither milliseconds nor a duration", v)
				}
			case "journal_mode", "_journal_mode":
				c.JournalMode = strings.ToLower(v)
			case "synchronous":
				c.Synchronous = strings.ToLower(v)
			case "mmap_size":
				c.MmapSize, perr = strconv.ParseInt(v, 10, 64)
				if perr != nil {
					perr = fmt.Errorf("mmap_size=%q is not an integer", v)
				}
			case "trusted_schema":
				c.TrustedSchema, perr = boolParam(k, v)
			case "pragma", "_pragma":
				c.Pragmas = append(c.Pragmas, v)
			default:
				perr = fmt.Errorf("unknown parameter %q", k)
			}
			if perr != nil {
				return bad("%v", perr)
			}
		}
	}
	if !createSet && !c.ReadOnly && !c.IsMemory() {
		// As sqlite3_open_v2 with SQLITE_OPEN_CREATE, SQLite's URI default.
		c.Create = true
	}
	return c, nil
}

// redactURL is arsenal.RedactedURL that also hides pragma values (a
// pragma may carry a secret: key='...').
func redactURL(u *url.URL) string {
	c := *u
	if c.RawQuery != "" {
		q := c.Query()
		for _, k := range []string{"pragma", "_pragma"} {
			if vs, ok := q[k]; ok {
				for i := range vs {
					vs[i] = "xxxxx"
				}
			}
		}
		c.RawQuery = q.Encode()
	}
	return arsenal.RedactedURL(&c)
}

func init() {
	open := func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		c, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		db, err := Open(ctx, c)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	arsenal.Register("sqlite", open)
	arsenal.Register("file", open)
}
