package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// DeserializeOptions are bun:sqlite's Database.deserialize options.
type DeserializeOptions struct {
	// ReadOnly refuses every write: the image is attached with
	// SQLITE_DESERIALIZE_READONLY, the connection runs with
	// PRAGMA query_only=ON (which also covers the temp schema), and an
	// authorizer refuses statements that would turn query_only off or
	// ATTACH another database. Writes fail with FailedPrecondition; the
	// refused escape hatches with PermissionDenied.
	ReadOnly bool
	// Strict and SafeIntegers are as in Config.
	Strict       bool
	SafeIntegers bool
	// StatementCache is as in Config. Default 64.
	StatementCache int
	// Observer, Logger and SlowThreshold are as in Config.
	Observer      arsenal.Observer
	Logger        *slog.Logger
	SlowThreshold time.Duration
	// Security is as in Config: the policy is checked on every statement
	// run on the copy (on top of ReadOnly's refusals); Deserialize itself
	// is not checked, as it reads only data and touches no database.
	Security security.Options
}

// Serialize returns the bytes of the named schema ("main" when empty, or
// an attached database's name, or "temp"): a complete database file image,
// a consistent snapshot even while writers run. Cost: one copy of the
// database in memory.
func (db *DB) Serialize(ctx context.Context, schema string) ([]byte, error) {
	ctx, c := db.begin(ctx, db.opSerialize, "serialize", "")
	if schema == "" {
		schema = "main"
	}
	if err := db.authorizeOp(ctx, "serialize", schema); err != nil {
		return nil, db.end(c, err, 0)
	}
	start := db.auditStart()
	b, err := db.serialize(ctx, schema)
	db.recordOp(ctx, "serialize", schema, start, err)
	return b, db.end(c, err, 0)
}

func (db *DB) serialize(ctx context.Context, schema string) ([]byte, error) {
	res, err := db.acquire(ctx, "serialize", false)
	if err != nil {
		return nil, err
	}
	defer db.release(res)
	cn := res.Value()
	cn.arm(ctx)
	b, err := cn.c.Serialize(schema)
	cn.disarm()
	if err == nil && len(b) == 0 && ctx.Err() != nil {
		err = ctx.Err()
	}
	return b, wrapErr(ctx, "serialize", err)
}

// Deserialize opens an in-memory database holding a copy of data (a
// database file image, as Serialize or a file on disk gives). The result
// is an ordinary *DB with one connection; it must be closed. Bytes that
// are not a database fail with DataLoss, never a panic; damage deeper in
// the image surfaces as DataLoss when it is read (IntegrityCheck reads
// everything). Empty data gives an empty database. Cost: one copy of data
// plus reading the schema.
func Deserialize(ctx context.Context, data []byte, opts DeserializeOptions) (*DB, error) {
	cfg := Config{Path: Memory, Strict: opts.Strict, SafeIntegers: opts.SafeIntegers, StatementCache: opts.StatementCache,
		Observer: opts.Observer, Logger: opts.Logger, SlowThreshold: opts.SlowThreshold, Security: opts.Security}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr(ctx, "deserialize", err)
	}
	db := newDB(cfg.withDefaults())
	db.target = "deserialized"
	db.lockRO = opts.ReadOnly
	if opts.ReadOnly {
		db.target = "deserialized, read-only"
	}
	ctx, c := db.begin(ctx, db.opDeserialize, "deserialize", "")
	db.setup = func(c *sqlite.Conn) error {
		stop := context.AfterFunc(ctx, func() { interruptConn(c) })
		defer stop()
		if err := deserializeFlags(c, data, opts.ReadOnly); err != nil {
			return wrapErr(ctx, "deserialize", err)
		}
		c.SetDefensive(true)
		if err := checkSchema(c); err != nil {
			return err
		}
		if opts.ReadOnly {
			return lockReadOnly(c)
		}
		return nil
	}
	if err := db.start(ctx); err != nil {
		return nil, db.end(c, arsenal.Wrap(Kind, "deserialize", err), 0)
	}
	db.setup = nil
	db.end(c, nil, 0)
	return db, nil
}

// checkSchema reads the schema so bytes that are not a database fail now.
func checkSchema(c *sqlite.Conn) error {
	s, _, err := c.PrepareTransient("SELECT count(*) FROM sqlite_schema")
	if err == nil {
		_, err = s.Step()
		s.Finalize()
	}
	if err != nil {
		code := arsenal.DataLoss
		if rc, ok := resultCode(err); ok && codeForResult(rc) == arsenal.ResourceExhausted {
			code = arsenal.ResourceExhausted
		}
		return &arsenal.Error{Code: code, Component: Kind, Op: "deserialize", Message: "not a usable SQLite database image: " + err.Error(), Err: err}
	}
	return nil
}

// lockReadOnly makes a connection refuse writes for good: query_only on,
// and an authorizer that refuses turning it off and attaching databases.
func lockReadOnly(c *sqlite.Conn) error {
	s, _, err := c.PrepareTransient("PRAGMA query_only=ON")
	if err == nil {
		_, err = s.Step()
		s.Finalize()
	}
	if err != nil {
		return wrapErr(context.Background(), "deserialize", err)
	}
	// Under Config.Security the connection's own authorizer (security.go)
	// replaces this one and applies readOnlyLock first.
	return c.SetAuthorizer(sqlite.AuthorizeFunc(readOnlyLock))
}

// readOnlyLock refuses what would undo a read-only deserialized
// database's query_only or attach a writable one.
func readOnlyLock(a sqlite.Action) sqlite.AuthResult {
	switch a.Type() {
	case sqlite.OpAttach, sqlite.OpDetach:
		return sqlite.AuthResultDeny
	case sqlite.OpPragma:
		if strings.EqualFold(a.Pragma(), "query_only") && a.PragmaArg() != "" {
			return sqlite.AuthResultDeny
		}
	}
	return sqlite.AuthResultOK
}

// IntegrityCheck runs PRAGMA integrity_check and returns nil when it
// reports "ok", else a DataLoss error listing (up to 10 of) the problems.
// Cost: reads the whole database.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var problems []string
	err := db.Each(ctx, "PRAGMA integrity_check(10)", func(r *Row) error {
		problems = append(problems, r.Text(0))
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return arsenal.Errorf(arsenal.DataLoss, Kind, "integrity-check", "integrity_check: %s", strings.Join(problems, "; "))
}

// Backup copies the database to a file at path with SQLite's online backup
// API, from one consistent snapshot, while writers go on. It writes a
// temporary file beside path and renames it into place, so path is either
// the old file or the complete copy. The copy runs in steps of 1024 pages;
// ctx is checked between steps. Cost: reads every page once.
func (db *DB) Backup(ctx context.Context, path string) error {
	ctx, c := db.begin(ctx, db.opBackup, "backup", "")
	if err := db.authorizeOp(ctx, "backup", ""); err != nil {
		return db.end(c, err, 0)
	}
	start := db.auditStart()
	err := db.backup(ctx, path)
	db.recordOp(ctx, "backup", "", start, err)
	return db.end(c, err, 0)
}

func (db *DB) backup(ctx context.Context, path string) error {
	if path == "" || path == Memory {
		return invalid("backup", "backup needs a file path")
	}
	res, err := db.acquire(ctx, "backup", false)
	if err != nil {
		return err
	}
	defer db.release(res)
	src := res.Value()
	tmp, err := tempPath(path)
	if err != nil {
		return wrapErr(ctx, "backup", err)
	}
	dst, err := sqlite.OpenConn(tmp, sqlite.OpenReadWrite|sqlite.OpenCreate)
	if err != nil {
		return db.openErrorFor(tmp, err)
	}
	ok := false
	defer func() {
		if !ok {
			dst.Close()
			os.Remove(tmp)
			os.Remove(tmp + "-journal")
		}
	}()
	// Hold one read transaction on the source for the whole copy: the
	// backup then sees a single snapshot and never restarts.
	if err := src.simpleCtx(ctx, "BEGIN"); err != nil {
		return wrapErr(ctx, "backup", err)
	}
	defer src.execSimple("ROLLBACK")
	if err := src.execSimple("SELECT count(*) FROM sqlite_schema"); err != nil {
		return wrapErr(ctx, "backup", err)
	}
	b, err := sqlite.NewBackup(dst, "main", src.c, "main")
	if err != nil {
		return wrapErr(ctx, "backup", err)
	}
	for {
		if err := ctx.Err(); err != nil {
			b.Close()
			return wrapErr(ctx, "backup", err)
		}
		more, err := b.Step(1024)
		if err != nil {
			b.Close()
			return wrapErr(ctx, "backup", err)
		}
		if !more {
			break
		}
	}
	if err := b.Close(); err != nil {
		return wrapErr(ctx, "backup", err)
	}
	if err := dst.Close(); err != nil {
		return wrapErr(ctx, "backup", err)
	}
	ok = true
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return wrapErr(ctx, "backup", err)
	}
	// A stale WAL beside path belongs to the old file: remove it so it is
	// never replayed into the copy.
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	return nil
}

func tempPath(path string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(b[:])), nil
}

func (db *DB) openErrorFor(path string, err error) error {
	d := &DB{cfg: Config{Path: path, Create: true}}
	return d.openError(err)
}

// VacuumInto writes a compacted copy of the database to a new file at path
// with VACUUM INTO (path must not exist, or be empty). It runs on a reader
// connection, so writers go on. Cost: reads every page and rebuilds every
// index.
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	ctx, c := db.begin(ctx, db.opBackup, "vacuum-into", "")
	if err := db.authorizeOp(ctx, "vacuum-into", ""); err != nil {
		return db.end(c, err, 0)
	}
	start := db.auditStart()
	err := db.vacuumInto(ctx, path)
	db.recordOp(ctx, "vacuum-into", "", start, err)
	return db.end(c, err, 0)
}

func (db *DB) vacuumInto(ctx context.Context, path string) error {
	if path == "" || path == Memory {
		return invalid("vacuum-into", "VACUUM INTO needs a file path")
	}
	if _, err := os.Stat(path); err == nil {
		return arsenal.Errorf(arsenal.AlreadyExists, Kind, "vacuum-into", "%s already exists", path)
	}
	res, err := db.acquire(ctx, "vacuum-into", false)
	if err != nil {
		return err
	}
	defer db.release(res)
	cn := res.Value()
	cn.arm(ctx)
	defer cn.disarm()
	s, _, err := cn.c.PrepareTransient("VACUUM INTO ?1")
	if err == nil {
		s.BindText(1, path)
		_, err = s.Step()
		s.Finalize()
	}
	return wrapErr(ctx, "vacuum-into", err)
}

// Restore turns database bytes from anywhere (a Serialize result, an
// upload, an object store) into a database file at path: it reads r,
// deserializes the bytes read-only, checks their integrity, and writes
// them with Backup (atomically: path is replaced only by a complete,
// checked copy). Bytes that are not a sound database are DataLoss and
// leave path untouched. Cost: the image in memory twice, plus a full read.
func Restore(ctx context.Context, r io.Reader, path string) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return wrapErr(ctx, "restore", err)
	}
	src, err := Deserialize(ctx, data, DeserializeOptions{ReadOnly: true})
	if err != nil {
		return arsenal.Wrap(Kind, "restore", err)
	}
	defer src.Close()
	if err := src.IntegrityCheck(ctx); err != nil {
		var ae *arsenal.Error
		if errors.As(err, &ae) && ae.Code != arsenal.DataLoss && ae.Code != arsenal.Canceled && ae.Code != arsenal.DeadlineExceeded {
			return arsenal.Errorf(arsenal.DataLoss, Kind, "restore", "image fails integrity_check: %w", err)
		}
		return arsenal.Wrap(Kind, "restore", err)
	}
	return arsenal.Wrap(Kind, "restore", src.Backup(ctx, path))
}
