package sqlite

import (
	"context"
	"slices"
	"strings"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/security"
)

// Authorization (Config.Security.Policy) is enforced through SQLite's own
// authorizer (sqlite3_set_authorizer). While a statement is prepared,
// SQLite reports every table it reads or writes and every schema change,
// pragma, ATTACH and transaction statement; each report becomes a policy
// check of operation and resource:
//
//	select   table read (any column)       insert, update, delete   table written
//	create   table, index or trigger (its table), view (its name)
//	drop     the same                       alter    table
//	pragma   the pragma's name              attach   the file, detach the schema name
//	analyze  table                          reindex  index
//	transaction  ""  (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE)
//
// A refused report makes SQLite refuse the whole statement (SQLITE_DENY),
// so nothing of it runs; the call fails with PermissionDenied naming the
// rule. What a prepared statement touches is kept with it in the
// statement cache and checked again, against the caller's principal, each
// time it is reused, so a statement one principal prepared never runs
// unchecked for another. A statement that touches no table (SELECT 1)
// needs no rule. Statements the package runs itself (pragmas at open,
// BEGIN and COMMIT of Tx) are not checked; Tx itself is the operation
// "transaction" on resource "".

// fact is one operation on one resource that a statement does, as SQLite's
// authorizer reported it while preparing the statement.
type fact struct{ op, resource string }

// authState is a connection's authorization state during one call.
type authState struct {
	on     bool               // a call under the policy is running
	pr     security.Principal // its principal
	facts  []fact             // collected while preparing
	cur    *cachedStmt        // the statement running (a reprepare adds to its facts)
	denied fact               // the first fact SQLite's authorizer refused
	deny   bool               // denied is set
	// refused: checkStmt refused a cached statement (already audited).
	refused bool
}

// actionFact maps an authorizer action to the policy's operation and
// resource; ok is false for actions that name no resource the policy
// judges (a SELECT as such, function calls, recursive CTEs).
func actionFact(a sqlite.Action) (f fact, ok bool) {
	switch a.Type() {
	case sqlite.OpRead:
		return fact{"select", a.Table()}, true
	case sqlite.OpInsert:
		return fact{"insert", a.Table()}, true
	case sqlite.OpUpdate:
		return fact{"update", a.Table()}, true
	case sqlite.OpDelete:
		return fact{"delete", a.Table()}, true
	case sqlite.OpCreateTable, sqlite.OpCreateTempTable, sqlite.OpCreateVTable,
		sqlite.OpCreateIndex, sqlite.OpCreateTempIndex, sqlite.OpCreateTrigger, sqlite.OpCreateTempTrigger:
		return fact{"create", a.Table()}, true
	case sqlite.OpCreateView, sqlite.OpCreateTempView:
		return fact{"create", a.View()}, true
	case sqlite.OpDropTable, sqlite.OpDropTempTable, sqlite.OpDropVTable,
		sqlite.OpDropIndex, sqlite.OpDropTempIndex, sqlite.OpDropTrigger, sqlite.OpDropTempTrigger:
		return fact{"drop", a.Table()}, true
	case sqlite.OpDropView, sqlite.OpDropTempView:
		return fact{"drop", a.View()}, true
	case sqlite.OpAlterTable:
		return fact{"alter", a.Table()}, true
	case sqlite.OpAnalyze:
		return fact{"analyze", a.Table()}, true
	case sqlite.OpReindex:
		return fact{"reindex", a.Index()}, true
	case sqlite.OpPragma:
		return fact{"pragma", a.Pragma()}, true
	case sqlite.OpAttach:
		return fact{"attach", a.File()}, true
	case sqlite.OpDetach:
		return fact{"detach", a.Database()}, true
	case sqlite.OpTransaction, sqlite.OpSavepoint:
		return fact{"transaction", ""}, true
	}
	return fact{}, false
}

// isDDL reports whether a statement's facts make it a schema change.
func isDDL(facts []fact) bool {
	for _, f := range facts {
		if f.op == "create" || f.op == "drop" || f.op == "alter" {
			return true
		}
	}
	return false
}

// isSchemaTable reports whether t is SQLite's schema table, by any of
// its names.
func isSchemaTable(t string) bool {
	switch strings.ToLower(t) {
	case "sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema":
		return true
	}
	return false
}

// authorize is the connection's SQLite authorizer, installed when the
// Config has a Policy or an Auditor.
func (cn *conn) authorize(a sqlite.Action) sqlite.AuthResult {
	if cn.db.lockRO {
		// A read-only deserialized database: its lock comes first, for
		// every statement (lockReadOnly).
		if r := readOnlyLock(a); r != sqlite.AuthResultOK {
			return r
		}
	}
	az := &cn.az
	if !az.on {
		return sqlite.AuthResultOK
	}
	f, ok := actionFact(a)
	if !ok {
		return sqlite.AuthResultOK
	}
	schema := isSchemaTable(f.resource)
	if schema && f.op != "select" {
		// CREATE, DROP and ALTER report their own write to the schema
		// table; the DDL action that comes with it is what is judged.
		// Writing it directly needs PRAGMA writable_schema, a pragma the
		// policy judges.
		return sqlite.AuthResultOK
	}
	list := &az.facts
	if az.cur != nil {
		// SQLite is preparing a cached statement again (the schema
		// changed): keep what it now touches with it.
		list = &az.cur.facts
	}
	if f.op == "delete" && slices.Contains(*list, fact{"drop", f.resource}) {
		return sqlite.AuthResultOK // DROP TABLE deletes the table's rows as it goes
	}
	if !slices.Contains(*list, f) {
		*list = append(*list, f)
		if az.cur != nil {
			az.cur.authOK = false
		}
	}
	if (schema || f.op == "reindex") && (az.cur == nil || isDDL(az.cur.facts)) {
		// DDL reads the schema table too, and CREATE INDEX fills its
		// index (a REINDEX): judged with the whole statement's facts
		// (judge), before it runs. A cached statement prepared again
		// while it runs is judged here, as it has no later check.
		return sqlite.AuthResultOK
	}
	if cn.db.policy.Decide(az.pr, Kind, f.op, f.resource).Allowed {
		return sqlite.AuthResultOK
	}
	if !az.deny {
		az.denied, az.deny = f, true
	}
	return sqlite.AuthResultDeny
}

// authBegin starts a call under the policy on cn.
func (cn *conn) authBegin(ctx context.Context) {
	az := &cn.az
	az.on = true
	az.pr, _ = security.PrincipalFrom(ctx)
	az.facts = az.facts[:0]
	az.cur = nil
	az.deny, az.refused = false, false
}

// authEnd ends the call authBegin started: a statement SQLite refused
// becomes the policy's PermissionDenied error (audited by Authorize), and
// with an Auditor the call's outcome is recorded under the statement's
// kind and table.
func (cn *conn) authEnd(ctx context.Context, op string, start time.Time, err error) error {
	if az := &cn.az; !az.deny && !az.refused && !cn.db.audit {
		// The usual end of an allowed call without an Auditor.
		az.on, az.cur, az.pr = false, nil, security.Principal{}
		return err
	}
	return cn.authEndSlow(ctx, op, start, err)
}

func (cn *conn) authEndSlow(ctx context.Context, op string, start time.Time, err error) error {
	az := &cn.az
	cs := az.cur
	az.on, az.cur, az.pr = false, nil, security.Principal{}
	if az.deny {
		az.deny = false
		if derr := cn.db.cfg.Security.Authorize(ctx, Kind, az.denied.op, az.denied.resource); derr != nil {
			return derr
		}
		// Not refused by the policy now: SQLite's refusal stands.
	}
	if az.refused {
		az.refused = false
		return err // audited as denied by Authorize
	}
	if err == errNeedsWriter || err == errStop {
		return err // the call goes on (on the writer), or ended early on purpose
	}
	if cn.db.audit {
		kind, res := stmtKind(cs, az.facts)
		rerr := err
		if rerr != nil {
			rerr = wrapErr(ctx, op, rerr)
		}
		cn.db.cfg.Security.Record(ctx, Kind, kind, res, start, rerr)
	}
	return err
}

// stmtKind is the operation and table an audit event names for a
// statement: its first write, else its first read; a statement touching
// no table is "select" (read-only) or "exec" on "".
func stmtKind(cs *cachedStmt, prepared []fact) (op, resource string) {
	facts := prepared
	readOnly := true
	if cs != nil {
		facts, readOnly = cs.facts, cs.readOnly
	}
	for _, f := range facts {
		if f.op != "select" {
			return f.op, f.resource
		}
	}
	if len(facts) > 0 {
		return facts[0].op, facts[0].resource
	}
	if readOnly {
		return "select", ""
	}
	return "exec", ""
}

// checkStmt checks what cs touches against the policy for the call's
// principal, before it runs, and makes it the running statement.
func (cn *conn) checkStmt(ctx context.Context, cs *cachedStmt) error {
	az := &cn.az
	az.cur = cs
	if cs.okFor(&az.pr) {
		return nil
	}
	if err := cn.judge(ctx, cs.facts); err != nil {
		return err
	}
	cs.allowed(&az.pr)
	return nil
}

// judge checks a statement's facts against the policy for the call's
// principal. A read of the schema table is judged only when the statement
// is not DDL (which reads it itself).
func (cn *conn) judge(ctx context.Context, facts []fact) error {
	ddl := isDDL(facts)
	for _, f := range facts {
		if ddl && (f.op == "reindex" || isSchemaTable(f.resource)) {
			continue
		}
		if !cn.db.policy.Decide(cn.az.pr, Kind, f.op, f.resource).Allowed {
			cn.az.refused = true
			return cn.db.cfg.Security.Authorize(ctx, Kind, f.op, f.resource)
		}
	}
	return nil
}

// okFor reports whether the policy allowed cs for a principal equal to pr
// the last time it was checked (the policy is immutable, and callers
// usually run a statement again under the same principal).
func (cs *cachedStmt) okFor(pr *security.Principal) bool {
	return cs.authOK && cs.authPr.Name == pr.Name && slices.Equal(cs.authPr.Roles, pr.Roles)
}

func (cs *cachedStmt) allowed(pr *security.Principal) {
	cs.authOK = true
	cs.authPr.Name = pr.Name
	cs.authPr.Roles = append(cs.authPr.Roles[:0], pr.Roles...)
}

// authorizeOp checks an operation that is not a statement (Tx, Serialize,
// Backup, VacuumInto) before any I/O; without a policy it costs one nil
// check.
func (db *DB) authorizeOp(ctx context.Context, op, resource string) error {
	if db.policy == nil {
		return nil
	}
	return db.cfg.Security.Authorize(ctx, Kind, op, resource)
}

// recordOp audits an operation that is not a statement.
func (db *DB) recordOp(ctx context.Context, op, resource string, start time.Time, err error) {
	if db.audit {
		db.cfg.Security.Record(ctx, Kind, op, resource, start, err)
	}
}

// auditStart is the start time of an audited operation (zero without an
// Auditor, so no clock is read).
func (db *DB) auditStart() time.Time {
	if db.audit {
		return time.Now()
	}
	return time.Time{}
}
