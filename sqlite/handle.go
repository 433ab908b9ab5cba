package sqlite

import (
	"reflect"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
	"zombiezen.com/go/sqlite"
)

// zombiezen.com/go/sqlite does not expose sqlite3_column_decltype,
// sqlite3_column_origin_name, sqlite3_stmt_readonly, sqlite3_expanded_sql,
// the flags argument of sqlite3_deserialize, a cheap sqlite3_interrupt
// from another goroutine, or an error result for a function that fails the
// statement. The C library (modernc.org's translation) has them all; what
// is missing is the statement, connection and function-context handles,
// which zombiezen keeps in unexported fields. handle.go reads those fields
// at offsets found once by reflection, after checking their names and
// types, so an upgrade of zombiezen that moves or retypes them turns these
// abilities off (rawOK is false and the callers fall back or report
// Unimplemented) instead of reading garbage. Nothing with a public route
// (binding, scanning) goes through here. TestRawHandlesAreAvailable fails
// loudly when the handles are unavailable or go.mod names a zombiezen or
// modernc version other than the ones checked (see the package doc).

var (
	rawOK          bool
	offStmtConn    uintptr // Stmt.conn *Conn
	offStmtPtr     uintptr // Stmt.stmt uintptr
	offConnTLS     uintptr // Conn.tls *libc.TLS
	offConnPtr     uintptr // Conn.conn uintptr
	offCtxPtr      uintptr // Context.ptr uintptr (the sqlite3_context)
	rawCheckReason string
)

func init() {
	field := func(t reflect.Type, name string, want reflect.Type) (uintptr, bool) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type != want || len(f.Index) != 1 {
			rawCheckReason = "zombiezen " + t.Name() + "." + name + " changed"
			return 0, false
		}
		return f.Offset, true
	}
	st := reflect.TypeFor[sqlite.Stmt]()
	ct := reflect.TypeFor[sqlite.Conn]()
	var ok1, ok2, ok3, ok4, ok5 bool
	offStmtConn, ok1 = field(st, "conn", reflect.TypeFor[*sqlite.Conn]())
	offStmtPtr, ok2 = field(st, "stmt", reflect.TypeFor[uintptr]())
	offConnTLS, ok3 = field(ct, "tls", reflect.TypeFor[*libc.TLS]())
	offConnPtr, ok4 = field(ct, "conn", reflect.TypeFor[uintptr]())
	offCtxPtr, ok5 = field(reflect.TypeFor[sqlite.Context](), "ptr", reflect.TypeFor[uintptr]())
	rawOK = ok1 && ok2 && ok3 && ok4 && ok5
}

// rawConn returns the C handles of c.
func rawConn(c *sqlite.Conn) (*libc.TLS, uintptr) {
	p := unsafe.Pointer(c)
	return *(**libc.TLS)(unsafe.Add(p, offConnTLS)), *(*uintptr)(unsafe.Add(p, offConnPtr))
}

// rawStmt returns the C handles of s.
func rawStmt(s *sqlite.Stmt) (*libc.TLS, uintptr) {
	p := unsafe.Pointer(s)
	c := *(**sqlite.Conn)(unsafe.Add(p, offStmtConn))
	tls, _ := rawConn(c)
	return tls, *(*uintptr)(unsafe.Add(p, offStmtPtr))
}

// stmtReadOnly reports sqlite3_stmt_readonly; without raw handles it
// answers false, which routes the statement to the writer (always correct,
// merely slower).
func stmtReadOnly(s *sqlite.Stmt) bool {
	if !rawOK {
		return false
	}
	tls, p := rawStmt(s)
	return lib.Xsqlite3_stmt_readonly(tls, p) != 0
}

// columnMeta returns sqlite3_column_decltype and sqlite3_column_origin_name;
// ok is false when the decltype is NULL (an expression).
func columnMeta(s *sqlite.Stmt, col int) (decl string, declOK bool, origin string) {
	if !rawOK {
		return "", false, ""
	}
	tls, p := rawStmt(s)
	if d := lib.Xsqlite3_column_decltype(tls, p, int32(col)); d != 0 {
		decl, declOK = libc.GoString(d), true
	}
	if o := lib.Xsqlite3_column_origin_name(tls, p, int32(col)); o != 0 {
		origin = libc.GoString(o)
	}
	return decl, declOK, origin
}

// expandedSQL returns sqlite3_expanded_sql: the statement text with its
// current bindings substituted.
func expandedSQL(s *sqlite.Stmt) string {
	if !rawOK {
		return ""
	}
	tls, p := rawStmt(s)
	z := lib.Xsqlite3_expanded_sql(tls, p)
	if z == 0 {
		return ""
	}
	defer lib.Xsqlite3_free(tls, z)
	return libc.GoString(z)
}

// deserializeFlags is sqlite3_deserialize with flags (zombiezen always
// passes FREEONCLOSE|RESIZEABLE). It copies data into SQLite-owned memory.
func deserializeFlags(c *sqlite.Conn, data []byte, readOnly bool) error {
	if !rawOK {
		if len(data) > 19 && data[18] == 2 {
			data = append([]byte(nil), data...)
			walToRollback(data)
		}
		return c.Deserialize("main", data)
	}
	tls, db := rawConn(c)
	n := int64(len(data))
	size := uint64(n)
	if size == 0 {
		size = 1
	}
	p := lib.Xsqlite3_malloc64(tls, size)
	if p == 0 {
		return sqlite.ResultNoMem.ToError()
	}
	if n > 0 {
		buf := libc.GoBytes(p, len(data))
		copy(buf, data)
		walToRollback(buf)
	}
	zMain, err := libc.CString("main")
	if err != nil {
		lib.Xsqlite3_free(tls, p)
		return sqlite.ResultNoMem.ToError()
	}
	defer libc.Xfree(tls, zMain)
	flags := uint32(lib.SQLITE_DESERIALIZE_FREEONCLOSE)
	if readOnly {
		flags |= lib.SQLITE_DESERIALIZE_READONLY
	} else {
		flags |= lib.SQLITE_DESERIALIZE_RESIZEABLE
	}
	// On failure SQLite frees p itself (FREEONCLOSE).
	if rc := sqlite.ResultCode(lib.Xsqlite3_deserialize(tls, db, zMain, p, n, n, flags)); !rc.IsSuccess() {
		return rc.ToError()
	}
	return nil
}

// interruptConn calls sqlite3_interrupt on c; safe from any goroutine.
func interruptConn(c *sqlite.Conn) {
	tls, db := rawConn(c)
	lib.Xsqlite3_interrupt(tls, db)
}

// walToRollback rewrites the header of an image taken from a WAL-mode file
// (file format versions 2 at offsets 18 and 19) to rollback-journal mode:
// an in-memory database cannot use a WAL, and SQLite refuses to open such
// an image with "unable to open database file".
func walToRollback(b []byte) {
	if len(b) >= 100 && string(b[:16]) == "SQLite format 3\x00" && b[18] == 2 && b[19] == 2 {
		b[18], b[19] = 1, 1
	}
}

// failFunction marks the current call of a user-defined function as failed
// with msg. zombiezen's own error path (returning an error from Scalar,
// v1.4.2) leaves the statement running with the message as the result
// (TestUserDefinedFunctionsRunOnEveryConnection), so the
// function instead sets the error code here and returns msg as its value:
// SQLite then fails the statement with msg as the error text.
func failFunction(ctx sqlite.Context, msg string) (sqlite.Value, bool) {
	if !rawOK {
		return sqlite.Value{}, false
	}
	p := *(*uintptr)(unsafe.Add(unsafe.Pointer(&ctx), offCtxPtr))
	tls, _ := rawConn(ctx.Conn())
	lib.Xsqlite3_result_error_code(tls, p, lib.SQLITE_ERROR)
	return sqlite.TextValue(msg), true
}
