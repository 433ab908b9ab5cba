package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// auditLog is a slog.Handler that keeps every audit record's attributes.
type auditLog struct {
	mu   sync.Mutex
	recs []map[string]string
}

func (h *auditLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *auditLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *auditLog) WithGroup(string) slog.Handler            { return h }
func (h *auditLog) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, m)
	h.mu.Unlock()
	return nil
}

func (h *auditLog) records() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]string(nil), h.recs...)
}

// find returns the audit records of operation op on resource.
func (h *auditLog) find(op, resource string) []map[string]string {
	var out []map[string]string
	for _, r := range h.records() {
		if r["operation"] == op && r["resource"] == resource {
			out = append(out, r)
		}
	}
	return out
}

var (
	reader = security.Principal{Name: "ana", Roles: []string{"reader"}}
	writer = security.Principal{Name: "bo", Roles: []string{"writer"}}
	admin  = security.Principal{Name: "root", Roles: []string{"admin"}}
)

// securedDB opens a file database whose schema the admin role built, with
// a policy: admin may do anything; reader may only read users and orders
// (a read-only role with a table allowlist); writer may also write orders.
func securedDB(t *testing.T, audit *auditLog) *sqlite.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secure.db")
	plain := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, plain, `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
		CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);
		CREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT);
		INSERT INTO users VALUES (1, 'ana'), (2, 'bo');
		INSERT INTO orders VALUES (1, 1, 9.5);
		INSERT INTO secrets VALUES (1, 'hunter2')`)
	require.NoError(t, plain.Close())

	pol, err := security.NewPolicy(
		security.Rule{Name: "admins", Effect: security.Allow, Role: "admin", Component: "sqlite"},
		security.Rule{Name: "read allowlist", Effect: security.Allow, Role: "reader", Component: "sqlite", Operation: "select", Resource: "users"},
		security.Rule{Name: "read orders", Effect: security.Allow, Role: "reader", Component: "sqlite", Operation: "select", Resource: "orders"},
		security.Rule{Name: "read views", Effect: security.Allow, Role: "reader", Component: "sqlite", Operation: "select", Resource: "v"},
		security.Rule{Name: "writer reads", Effect: security.Allow, Role: "writer", Component: "sqlite", Operation: "select", Resource: "orders"},
		security.Rule{Name: "writer writes orders", Effect: security.Allow, Role: "writer", Component: "sqlite", Operation: "insert,update,delete,transaction", Resource: "orders"},
		security.Rule{Name: "writer tx", Effect: security.Allow, Role: "writer", Component: "sqlite", Operation: "transaction"},
		security.Rule{Name: "no secrets", Effect: security.Deny, Principal: "bo", Resource: "secrets"},
	)
	require.NoError(t, err)
	cfg := sqlite.Config{Path: path, Security: security.Options{Policy: pol}}
	if audit != nil {
		cfg.Security.Audit = security.NewAuditor(audit, nil)
	}
	return openFile(t, cfg)
}

func as(t *testing.T, p security.Principal) context.Context {
	return security.WithPrincipal(ctxT(t), p)
}

// requireDenied checks err is PermissionDenied from the policy, naming
// the rule (or saying no rule allows it).
func requireDenied(t *testing.T, err error, want string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "err: %v", err)
	assert.Contains(t, err.Error(), want)
}

func TestPolicyReadOnlyRoleRefusesWritesThroughTheAuthorizer(t *testing.T) {
	db := securedDB(t, nil)
	ctx := as(t, reader)

	// Reads on the allowlist work, also through the cached statement.
	for range 2 {
		var name string
		require.NoError(t, db.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", 1).Scan(&name))
		assert.Equal(t, "ana", name)
	}
	rows, err := db.All(ctx, "SELECT u.name, o.total FROM users u JOIN orders o ON o.user_id = u.id")
	require.NoError(t, err)
	assert.Len(t, rows, 1)

	// Every write and every schema change is refused by SQLite's
	// authorizer, and nothing of it runs.
	for _, q := range []string{
		"INSERT INTO users (name) VALUES ('mallory')",
		"UPDATE users SET name = 'x' WHERE id = 1",
		"DELETE FROM users",
		"CREATE TABLE t (x)",
		"DROP TABLE users",
		"ALTER TABLE users ADD COLUMN evil TEXT",
		"CREATE INDEX users_name ON users (name)",
		"INSERT INTO orders SELECT * FROM orders",
	} {
		_, err := db.Exec(ctx, q)
		requireDenied(t, err, "no rule allows it")
		assert.Contains(t, err.Error(), `ana may not`, q)
	}
	// Nothing was written.
	var n int64
	require.NoError(t, db.QueryRow(as(t, admin), "SELECT count(*) FROM users").Scan(&n))
	assert.Equal(t, int64(2), n)
	var cols int64
	require.NoError(t, db.QueryRow(as(t, admin), "SELECT count(*) FROM pragma_table_info('users')").Scan(&cols))
	assert.Equal(t, int64(2), cols, "ALTER TABLE did not run")

	// The anonymous caller has no rule at all.
	_, err = db.Exec(ctxT(t), "INSERT INTO orders (user_id, total) VALUES (1, 1)")
	requireDenied(t, err, "anonymous may not insert")
}

func TestPolicyTableAllowlistRefusesOtherTables(t *testing.T) {
	db := securedDB(t, nil)
	ctx := as(t, reader)

	var v string
	err := db.QueryRow(ctx, "SELECT value FROM secrets WHERE id = 1").Scan(&v)
	requireDenied(t, err, `ana may not select "secrets": no rule allows it`)
	assert.Empty(t, v)

	// Hidden in a subquery, a join or a CTE, the table is still seen.
	for _, q := range []string{
		"SELECT name FROM users WHERE name IN (SELECT value FROM secrets)",
		"SELECT u.name FROM users u, secrets s",
		"WITH x AS (SELECT value FROM secrets) SELECT * FROM x",
		"SELECT count(*) FROM secrets",
	} {
		_, err := db.All(ctx, q)
		requireDenied(t, err, `select "secrets"`)
	}

	// A deny rule wins and is named.
	_, err = db.All(as(t, writer), "SELECT * FROM secrets")
	requireDenied(t, err, `denied by rule "no secrets"`)

	// The writer may write orders (and open a transaction), not users.
	require.NoError(t, db.Tx(as(t, writer), func(tx *sqlite.Tx) error {
		_, err := tx.Exec(as(t, writer), "INSERT INTO orders (user_id, total) VALUES (2, 3)")
		return err
	}))
	_, err = db.Exec(as(t, writer), "UPDATE users SET name = 'x'")
	requireDenied(t, err, `bo may not update "users"`)
	// The reader may not even open one.
	err = db.Tx(ctx, func(tx *sqlite.Tx) error { return nil })
	requireDenied(t, err, `ana may not transaction`)

	// Whole-database copies are operations of their own.
	_, err = db.Serialize(ctx, "")
	requireDenied(t, err, `ana may not serialize "main"`)
	err = db.Backup(ctx, filepath.Join(t.TempDir(), "copy.db"))
	requireDenied(t, err, `ana may not backup`)
	err = db.VacuumInto(ctx, filepath.Join(t.TempDir(), "copy.db"))
	requireDenied(t, err, `ana may not vacuum-into`)
	_, err = db.Inspect(ctx, "SELECT * FROM secrets")
	requireDenied(t, err, `select "secrets"`)
	_, err = db.Serialize(as(t, admin), "")
	assert.NoError(t, err)
}

// A statement one principal prepared (and the cache kept) is checked again
// for the next principal.
func TestPolicyCachedStatementIsCheckedPerPrincipal(t *testing.T) {
	db := securedDB(t, nil)
	q := "SELECT value FROM secrets WHERE id = ?"
	var v string
	require.NoError(t, db.QueryRow(as(t, admin), q, 1).Scan(&v))
	assert.Equal(t, "hunter2", v)
	hits := db.DBStats().StmtCacheHits

	v = ""
	err := db.QueryRow(as(t, reader), q, 1).Scan(&v)
	requireDenied(t, err, `ana may not select "secrets"`)
	assert.Empty(t, v)
	assert.Greater(t, db.DBStats().StmtCacheHits, hits, "the refusal came from the cached statement")
	_, err = db.All(as(t, writer), q, 1)
	requireDenied(t, err, `denied by rule "no secrets"`)

	// And the same the other way round, for Exec.
	ins := "INSERT INTO orders (user_id, total) VALUES (1, 2)"
	_, err = db.Exec(as(t, writer), ins)
	require.NoError(t, err)
	_, err = db.Exec(as(t, reader), ins)
	requireDenied(t, err, `ana may not insert "orders"`)

	// A schema change makes SQLite prepare the cached statement again;
	// what it touches now is checked.
	sel := "SELECT * FROM v"
	_, err = db.Exec(as(t, admin), "CREATE VIEW v AS SELECT name FROM users")
	require.NoError(t, err)
	_, err = db.All(as(t, admin), sel)
	require.NoError(t, err)
	_, err = db.All(as(t, reader), sel)
	require.NoError(t, err, "the view reads only users")
	_, err = db.Exec(as(t, admin), "DROP VIEW v; CREATE VIEW v AS SELECT value AS name FROM secrets")
	require.NoError(t, err)
	_, err = db.All(as(t, admin), sel)
	require.NoError(t, err)
	_, err = db.All(as(t, reader), sel)
	requireDenied(t, err, `select "secrets"`)
}

func TestPolicyAuditRecordsOutcomesAndCodes(t *testing.T) {
	audit := &auditLog{}
	db := securedDB(t, audit)

	var name string
	require.NoError(t, db.QueryRow(as(t, reader), "SELECT name FROM users WHERE id = ?", 2).Scan(&name))
	_, err := db.Exec(as(t, reader), "DELETE FROM orders")
	requireDenied(t, err, "no rule allows it")
	_, err = db.All(as(t, writer), "SELECT * FROM secrets")
	requireDenied(t, err, "no secrets")
	_, err = db.Exec(as(t, admin), "INSERT INTO users (id, name) VALUES (1, 'dup')")
	require.Error(t, err)
	require.NoError(t, db.Tx(as(t, writer), func(*sqlite.Tx) error { return nil }))

	ok := audit.find("select", "users")
	require.Len(t, ok, 1)
	assert.Equal(t, "ana", ok[0]["principal"])
	assert.Equal(t, "sqlite", ok[0]["component"])
	assert.Equal(t, "ok", ok[0]["outcome"])
	assert.Equal(t, "OK", ok[0]["code"])
	assert.Equal(t, "INFO", ok[0]["level"])

	del := audit.find("delete", "orders")
	require.Len(t, del, 1)
	assert.Equal(t, "denied", del[0]["outcome"])
	assert.Equal(t, "PermissionDenied", del[0]["code"])
	assert.Equal(t, "WARN", del[0]["level"])

	sec := audit.find("select", "secrets")
	require.Len(t, sec, 1)
	assert.Equal(t, "denied", sec[0]["outcome"])
	assert.Equal(t, "no secrets", sec[0]["rule"])

	dup := audit.find("insert", "users")
	require.Len(t, dup, 1)
	assert.Equal(t, "root", dup[0]["principal"])
	assert.Equal(t, "error", dup[0]["outcome"])
	assert.Equal(t, "AlreadyExists", dup[0]["code"])

	tx := audit.find("transaction", "")
	require.Len(t, tx, 1)
	assert.Equal(t, "ok", tx[0]["outcome"])
	for _, r := range audit.records() {
		for k, v := range r {
			assert.NotContains(t, v, "hunter2", k)
		}
	}
}

// An Auditor without a Policy records every call and refuses nothing.
func TestAuditWithoutPolicy(t *testing.T) {
	audit := &auditLog{}
	db := openFile(t, sqlite.Config{Security: security.Options{Audit: security.NewAuditor(audit, nil)}})
	mustExec(t, db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")
	mustExec(t, db, "INSERT INTO kv VALUES ('a', '1')")
	var v string
	require.NoError(t, db.QueryRow(ctxT(t), "SELECT v FROM kv WHERE k = ?", "a").Scan(&v))
	assert.Len(t, audit.find("create", "kv"), 1)
	assert.Len(t, audit.find("insert", "kv"), 1)
	assert.Len(t, audit.find("select", "kv"), 1)
	assert.Equal(t, "anonymous", orAnon(audit.find("select", "kv")[0]["principal"]))
	assert.Len(t, audit.records(), 3)
}

func orAnon(s string) string {
	if s == "" {
		return "anonymous"
	}
	return s
}

// Denied calls are counted in Stats as errors of their operation.
func TestPolicyDenialsAreCountedInStats(t *testing.T) {
	db := securedDB(t, nil)
	ctx := as(t, reader)
	before := opCalls(db)
	_, err := db.Exec(ctx, "DELETE FROM users")
	requireDenied(t, err, "no rule allows it")
	err = db.Tx(ctx, func(*sqlite.Tx) error { return nil })
	requireDenied(t, err, "no rule allows it")
	var v string
	err = db.QueryRow(ctx, "SELECT value FROM secrets").Scan(&v)
	requireDenied(t, err, "no rule allows it")
	after := opCalls(db)
	for _, op := range []string{"exec", "tx", "get"} {
		assert.Equal(t, before[op][0]+1, after[op][0], "%s calls", op)
		assert.Equal(t, before[op][1]+1, after[op][1], "%s errors", op)
	}
}

func opCalls(db *sqlite.DB) map[string][2]uint64 {
	out := map[string][2]uint64{}
	for name, o := range db.Stats().Ops {
		out[name] = [2]uint64{o.Count, o.Errors}
	}
	return out
}

func TestSecurityTLSAndCredentialsAreRefused(t *testing.T) {
	err := sqlite.Config{Security: security.Options{TLS: &security.TLS{}}}.Validate()
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "Security.TLS")
	err = sqlite.Config{Security: security.Options{Credentials: security.StaticUser("u", "pw")}}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Security.Credentials")
	assert.NotContains(t, err.Error(), "pw")
	assert.NoError(t, sqlite.Config{Security: security.Options{}}.Validate())
}

// A writer allowed to create and drop its own tables needs no rule for
// SQLite's schema table, but reading it is judged like any table.
func TestPolicyDDLNeedsOnlyItsOwnRule(t *testing.T) {
	pol, err := security.NewPolicy(
		security.Rule{Name: "own tables", Effect: security.Allow, Principal: "bo", Operation: "create,drop,alter,insert,select", Resource: "scratch_*"},
	)
	require.NoError(t, err)
	db := openFile(t, sqlite.Config{Security: security.Options{Policy: pol}})
	ctx := as(t, writer)
	_, err = db.Exec(ctx, "CREATE TABLE scratch_a (x)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "CREATE INDEX scratch_a_x ON scratch_a (x)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "ALTER TABLE scratch_a ADD COLUMN y")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO scratch_a VALUES (1, 2)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "DROP TABLE scratch_a")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "CREATE TABLE other (x)")
	requireDenied(t, err, `bo may not create "other"`)
	_, err = db.All(ctx, "SELECT name FROM sqlite_schema")
	requireDenied(t, err, `bo may not select "sqlite_master"`)
	_, err = db.Exec(ctx, "PRAGMA writable_schema = ON")
	requireDenied(t, err, `bo may not pragma "writable_schema"`)
	_, err = db.Exec(ctx, "ATTACH DATABASE ':memory:' AS aux")
	requireDenied(t, err, `bo may not attach`)
}

// A script is judged statement by statement, before each one runs.
func TestPolicyScriptIsJudgedPerStatement(t *testing.T) {
	db := securedDB(t, nil)
	ctx := as(t, writer)
	_, err := db.Exec(ctx, "INSERT INTO orders (user_id, total) VALUES (2, 1); DELETE FROM users")
	requireDenied(t, err, `bo may not delete "users"`)
	_, err = db.Exec(ctx, "INSERT INTO orders (user_id, total) VALUES (2, 1); SELECT * FROM sqlite_master")
	requireDenied(t, err, `bo may not select "sqlite_master"`)
	var n int64
	require.NoError(t, db.QueryRow(as(t, admin), "SELECT count(*) FROM users").Scan(&n))
	assert.Equal(t, int64(2), n, "DELETE did not run")
}

// Trigger bodies are checked for the caller whose statement fires them;
// a statement touching no table and Health need no rule.
func TestPolicyTriggersTablelessStatementsAndHealth(t *testing.T) {
	db := securedDB(t, nil)
	_, err := db.Exec(as(t, admin), "CREATE TRIGGER orders_log AFTER INSERT ON orders BEGIN UPDATE users SET name = name WHERE id = NEW.user_id; END")
	require.NoError(t, err)
	// The writer may insert orders but not read or update users, which
	// the trigger does.
	_, err = db.Exec(as(t, writer), "INSERT INTO orders (user_id, total) VALUES (1, 5)")
	requireDenied(t, err, `"users": no rule allows it`)
	assert.Contains(t, err.Error(), "bo may not")
	_, err = db.Exec(as(t, admin), "INSERT INTO orders (user_id, total) VALUES (1, 5)")
	require.NoError(t, err)

	var one int64
	require.NoError(t, db.QueryRow(ctxT(t), "SELECT 1").Scan(&one))
	assert.Equal(t, int64(1), one)
	assert.NoError(t, db.Health(ctxT(t)))
	st, err := db.Inspect(as(t, reader), "SELECT name FROM users WHERE id = ?", 1)
	require.NoError(t, err)
	assert.Len(t, st.Params, 1)
	assert.Equal(t, []string{"name"}, []string{st.Columns[0].Name})
}

// The Observer sees a refused call end with PermissionDenied, under the
// context its OpStart returned.
func TestPolicyDenialReachesTheObserver(t *testing.T) {
	pol, err := security.NewPolicy(security.Rule{Effect: security.Allow, Role: "admin"})
	require.NoError(t, err)
	rec := &recorder{}
	db := openMem(t, sqlite.Config{Observer: rec, Security: security.Options{Policy: pol}})
	_, err = db.Exec(as(t, admin), "CREATE TABLE t (x)")
	require.NoError(t, err)
	rec.reset()
	_, err = db.Exec(as(t, reader), "INSERT INTO t VALUES (1)")
	requireDenied(t, err, `ana may not insert "t"`)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.starts, 1)
	require.Len(t, rec.ends, 1)
	assert.Equal(t, "exec", rec.starts[0].Op)
	assert.Equal(t, arsenal.PermissionDenied, rec.ends[0].Code)
	assert.Equal(t, 1, rec.marked)
}

// A Config holding security settings with secrets formats without them.
func TestConfigWithSecurityPrintsNoSecret(t *testing.T) {
	pol, err := security.NewPolicy(security.Rule{Effect: security.Allow, Role: "admin"})
	require.NoError(t, err)
	cfg := sqlite.Config{Path: "app.db", Security: security.Options{
		Policy:      pol,
		Audit:       security.NewAuditor(&auditLog{}, nil),
		Credentials: security.StaticUser("svc", "pw-0xSECRET"),
	}}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		outs = append(outs, fmt.Sprintf(f, cfg))
	}
	j, err := json.Marshal(cfg)
	if err == nil {
		outs = append(outs, string(j))
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "config", cfg)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "config", cfg)
	outs = append(outs, buf.String())
	err = cfg.Validate()
	require.Error(t, err)
	outs = append(outs, err.Error(), fmt.Sprintf("%+v", err))
	for _, o := range outs {
		assert.NotContains(t, o, "0xSECRET")
	}
}

// A deserialized copy takes the same Security; a read-only copy keeps its
// lock on top of the policy.
func TestPolicyOnDeserializedCopy(t *testing.T) {
	src := securedDB(t, nil)
	img, err := src.Serialize(as(t, admin), "")
	require.NoError(t, err)
	pol, err := security.NewPolicy(
		security.Rule{Name: "admin", Effect: security.Allow, Role: "admin"},
		security.Rule{Name: "read users", Effect: security.Allow, Role: "reader", Operation: "select", Resource: "users"},
	)
	require.NoError(t, err)
	for _, ro := range []bool{false, true} {
		cp, err := sqlite.Deserialize(ctxT(t), img, sqlite.DeserializeOptions{ReadOnly: ro, Security: security.Options{Policy: pol}})
		require.NoError(t, err)
		var name string
		require.NoError(t, cp.QueryRow(as(t, reader), "SELECT name FROM users WHERE id = 1").Scan(&name))
		assert.Equal(t, "ana", name)
		_, err = cp.All(as(t, reader), "SELECT * FROM secrets")
		requireDenied(t, err, `ana may not select "secrets"`)
		_, err = cp.Exec(as(t, reader), "DELETE FROM users")
		requireDenied(t, err, `ana may not delete "users"`)
		_, err = cp.Exec(as(t, admin), "PRAGMA query_only = OFF")
		if ro {
			require.Error(t, err, "the read-only lock holds for an allowed principal")
			assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
			_, err = cp.Exec(as(t, admin), "DELETE FROM users")
			require.Error(t, err)
			assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "err: %v", err)
		} else {
			require.NoError(t, err)
			_, err = cp.Exec(as(t, admin), "DELETE FROM secrets")
			require.NoError(t, err)
		}
		require.NoError(t, cp.Close())
	}
}

// Principals with different rights share the pooled connections and their
// statement caches concurrently; each gets its own decision every time.
func TestPolicyConcurrentPrincipals(t *testing.T) {
	db := securedDB(t, nil)
	q := "SELECT value FROM secrets WHERE id = ?"
	var wg sync.WaitGroup
	errs := make(chan error, 8*50)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := []security.Principal{admin, reader, writer}[g%3]
			ctx := security.WithPrincipal(context.Background(), p)
			for range 50 {
				var v string
				err := db.QueryRow(ctx, q, 1).Scan(&v)
				switch {
				case p.Name == admin.Name && (err != nil || v != "hunter2"):
					errs <- fmt.Errorf("admin: %q, %v", v, err)
				case p.Name != admin.Name && (arsenal.CodeOf(err) != arsenal.PermissionDenied || v != ""):
					errs <- fmt.Errorf("%s: %q, %v", p.Name, v, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// IntegrityCheck is the pragma integrity_check to the policy.
func TestPolicyIntegrityCheckIsAPragma(t *testing.T) {
	db := securedDB(t, nil)
	requireDenied(t, db.IntegrityCheck(as(t, reader)), `ana may not pragma "integrity_check"`)
	assert.NoError(t, db.IntegrityCheck(as(t, admin)))
}

// A view redefined to read the schema table is judged when SQLite
// prepares the cached statement again, mid-call.
func TestPolicyReprepareJudgesSchemaReads(t *testing.T) {
	db := securedDB(t, nil)
	sel := "SELECT * FROM v"
	_, err := db.Exec(as(t, admin), "CREATE VIEW v AS SELECT name FROM users")
	require.NoError(t, err)
	_, err = db.All(as(t, reader), sel)
	require.NoError(t, err)
	_, err = db.Exec(as(t, admin), "DROP VIEW v; CREATE VIEW v AS SELECT name FROM sqlite_master")
	require.NoError(t, err)
	rows, err := db.All(as(t, reader), sel)
	requireDenied(t, err, `ana may not select "sqlite_master"`)
	assert.Empty(t, rows)
	_, err = db.All(as(t, reader), sel)
	requireDenied(t, err, `ana may not select "sqlite_master"`)
}
