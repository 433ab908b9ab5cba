// Package sqlite is Arsenal's SQLite component: a pooled, concurrent
// database on zombiezen.com/go/sqlite (the pure-Go modernc.org build of
// SQLite), with bun:sqlite's features and more.
//
//	db, err := sqlite.Open(ctx, sqlite.Config{Path: "app.db", Create: true})
//	if err != nil { ... }
//	defer db.Close()
//	_, err = db.Exec(ctx, "INSERT INTO users(name) VALUES (:name)", sqlite.Named{"name": "ada"})
//	users, err := sqlite.AllAs[User](ctx, db, "SELECT id, name FROM users")
//
// What it offers: Exec (and ExecArgs, with typed arguments that bind
// without an allocation), Query (an iter.Seq2 of rows), Each (Query with a
// callback), QueryRow, Get, All, Values and AllAs (rows into structs, bun:sqlite's as(Class)); positional
// and named parameters (:name, @name, $name) from a Named map, a
// map[string]any or a struct; a per-connection LRU cache of prepared
// statements; Tx with deferred, immediate and exclusive modes and nested
// savepoints; Serialize and Deserialize (read-only, strict, safe integers);
// column introspection (Inspect, Row.Columns: declared type, storage class
// of the current row, origin table and column); online Backup, VacuumInto
// and Restore; user-defined scalar functions (CreateFunction); JSON rows
// that keep large integers exact (QueryJSON, MarshalRows).
//
// # Configuration
//
// Config holds every setting with its default in the field comment; the
// zero Config is a private in-memory database. Validate checks a Config
// without I/O and names every bad field. ParseURL reads sqlite: and file:
// URLs (sqlite:app.db?strict=true&readers=8); importing this package
// registers both schemes with arsenal.Open. A URL creates a missing file
// (SQLite's URI default; mode=rw requires it to exist), where a Config
// needs Create. A file database runs in WAL mode with synchronous=NORMAL
// unless configured otherwise.
//
// # Untrusted schemas
//
// Every connection runs with trusted_schema=OFF unless Config.TrustedSchema
// is set, and application functions (CreateFunction) are direct-only
// unless marked Innocuous: the views, triggers and other schema code of a
// file or a Deserialize'd image written by someone else cannot call them
// (the statement fails with "unsafe use of name()"). Deserialize never
// trusts the image's schema.
//
// Strict (bun:sqlite's strict): named parameters may be given with or
// without their prefix; a missing parameter, an unknown name in a map, or
// too few positional arguments is an InvalidArgument error. Without
// Strict: names are still accepted with or without the prefix, a
// parameter given no value binds NULL (SQLite's own behaviour), and map
// keys that name no parameter are ignored. Too many positional arguments
// is an error either way.
//
// Binding: nil, a nil pointer and a nil []byte bind NULL; an empty non-nil
// []byte binds an empty BLOB; integers bind exactly, and a uint64 above
// MaxInt64 is an InvalidArgument error rather than a wrapped negative
// number; time.Time binds as fixed-width UTC text (TimeLayout), which sorts
// as time does and which SQLite's date functions read (times stored as
// RFC 3339 with an offset by earlier versions still scan); driver.Valuer is
// honoured; any other type (structs, maps, slices, complex numbers) is an
// InvalidArgument error, never a fmt.Sprint string.
//
// SafeIntegers: in Go, integers are always exact int64. The setting
// governs the JavaScript boundary: QueryJSON, AllJSON and MarshalRows
// (with JSONOptions.SafeIntegers) write integers beyond ±(2^53-1) as JSON
// strings of their exact digits, and scanning such an integer into a
// float64 fails instead of rounding. Without it those integers are written
// as JSON numbers (exact digits, which JavaScript then rounds) and scan
// into floats with rounding.
//
// # Errors
//
// Every error is an *arsenal.Error with Component "sqlite". SQLite result
// codes are translated once (errors.go): BUSY and LOCKED are Unavailable
// (retryable); UNIQUE and PRIMARY KEY constraints AlreadyExists; NOT NULL,
// CHECK and DATATYPE constraints InvalidArgument; FOREIGN KEY and other
// constraints FailedPrecondition; READONLY FailedPrecondition; PERM and
// AUTH (an authorizer refusal) PermissionDenied; CANTOPEN NotFound (Open
// refines it with the file system: PermissionDenied, or InvalidArgument for
// a directory); CORRUPT and NOTADB DataLoss; INTERRUPT Canceled (or
// DeadlineExceeded when the context's deadline passed); FULL, NOMEM and
// TOOBIG ResourceExhausted; syntax errors and other SQLITE_ERRORs
// InvalidArgument with SQLite's message. No row from Get or QueryRow is
// NotFound wrapping ErrNoRows. Bad input (parameters, scan destinations,
// configuration) is InvalidArgument and never panics.
//
// # Concurrency
//
// A DB is safe for concurrent use and must be closed. It owns one writer
// connection and, for a file in WAL mode, a pool of Config.Readers reader
// connections (opened read-only, lazily), both pooled with
// github.com/jackc/puddle/v2. Exec and Tx queue for the writer in arrival
// order, so concurrent writers in this process never see SQLITE_BUSY;
// Query, Get, All and Serialize run on readers beside the writer and see
// the last committed state. A Query whose statement writes (INSERT ...
// RETURNING) moves to the writer by itself. In-memory and deserialized
// databases have one connection that serves everything.
//
// Every call takes a context: it bounds the wait for a connection, and its
// cancellation interrupts the running statement (sqlite3_interrupt), which
// then fails with Canceled. A Tx holds the writer until its function
// returns; inside it, write through the Tx. Stats reports per-operation
// latencies and pool gauges without I/O; every call is counted, those that
// fail before reaching SQLite (a closed DB, bad arguments, an ended
// context) included.
//
// Close interrupts running statements, waits for every connection, and
// closes the writer last, which checkpoints the WAL: afterwards the
// database file alone holds every committed transaction and no -wal file
// remains, so the file can be copied.
//
// # Observability
//
// Config.Observer (an arsenal.Observer) gets OpStart and OpEnd for every
// operation: its Op (exec, query, get, tx, serialize, deserialize, backup,
// vacuum-into, health, inspect; Stats counts vacuum-into under backup),
// the statement text with its placeholders (never the arguments), and in
// OpEnd the error, its code, the duration and Rows (returned for queries,
// changed for Exec). An
// Observer that is also an arsenal.ConnObserver gets connection events:
// connect, disconnect, dial_error (a connection that failed to open or
// configure) and pool_acquire with its wait. Config.Logger gets Warn
// records for operations slower than Config.SlowThreshold, for a
// connection that failed to open or close, and for one dropped because it
// would not roll back. With neither set, no event is built.
//
// Importing the package changes no process-wide state. It uses
// modernc.org/sqlite's defaults, including its page cache: with
// SQLITE_ENABLE_MEMORY_MANAGEMENT every connection's cache is in one
// process-wide group behind one mutex, which several concurrent readers
// contend on. SQLite offers no public way to change that short of a
// custom page cache, so the package leaves it; Config.MmapSize, a setting
// of each DB's own connections, lets reads bypass the page cache instead.
//
// # Access control
//
// Config.Security (security.Options) takes a Policy and an Auditor; the
// zero value checks and records nothing and costs a predictable branch
// or two per call. The policy is enforced through SQLite's own authorizer
// (sqlite3_set_authorizer), for the principal the call's context carries
// (security.WithPrincipal; none is the anonymous principal). While a
// statement is prepared SQLite reports what it touches, and each report is
// a check of component "sqlite", an operation and a resource:
//
//	select                   a table (or view) read
//	insert, update, delete   a table written
//	create, drop             a table, index or trigger (its table), a view (its name)
//	alter, analyze           a table
//	reindex                  an index
//	pragma                   the pragma's name (IntegrityCheck is "integrity_check")
//	attach, detach           the file; the schema name
//	transaction              "" (BEGIN, COMMIT, SAVEPOINT ... and Tx itself)
//	serialize                the schema (Serialize)
//	backup, vacuum-into      "" (Backup, VacuumInto)
//
// A read-only role is a rule allowing only select; a table allowlist is
// one allow rule per table (or a pattern). A refused report makes SQLite
// refuse the whole statement, so nothing of it runs, and the call fails
// with PermissionDenied naming the deny rule (or saying no rule allows
// it), audited as denied. What a cached statement touches is kept with it
// and checked again, before it runs, for each principal that reuses it;
// when a schema change makes SQLite prepare it again, what it touches now
// is checked. Reading a view checks the view and the tables it reads;
// trigger bodies are checked for the caller whose statement fires them.
// DDL needs no rule for SQLite's own schema table (it writes it as a
// matter of course), and DROP TABLE none for deleting the table's rows;
// reading the schema table directly is "select" on "sqlite_master". A
// statement that touches no table (SELECT 1) needs no rule. A script of
// several statements is checked statement by statement, each before it
// runs, so a refused statement stops the script after the earlier ones
// (wrap it in Tx to make it all or nothing). Health is not checked (the
// Hub probes it with no principal), nor the statements the package runs
// itself (pragmas at open, BEGIN and COMMIT of Tx); CreateFunction takes
// no context and is a setup call. Deserialize takes Security in its
// options for the copy it opens (a read-only copy keeps its lock on top).
//
// With an Auditor, every call is recorded with its principal, the
// statement's kind and table (its first write, else its first read),
// outcome, code and latency. SQLite opens local files, so Security.TLS
// and Security.Credentials are refused by Validate.
//
// # Dependencies' internals
//
// zombiezen.com/go/sqlite exposes no sqlite3_stmt_readonly,
// sqlite3_column_decltype, sqlite3_column_origin_name,
// sqlite3_expanded_sql, flags for sqlite3_deserialize, a busy handler
// that a context can cut short, or a cheap sqlite3_interrupt from another
// goroutine (SetInterrupt starts a goroutine per call), and its error
// path for application functions lets the statement run on with the
// message as the result. For these alone, handle.go reads the connection
// and statement handles from zombiezen's unexported fields at offsets
// found by reflection after checking their names and types, and busy.go
// passes a Go function to SQLite as zombiezen itself does. Checked against zombiezen.com/go/sqlite v1.4.2 on
// modernc.org/sqlite v1.37.1; TestRawHandlesAreAvailable fails loudly on
// another version or a changed layout, and the features fall back (reads
// route to the writer, DeclType is empty, Deserialize cannot be read-only
// at the pager level). Everything with a public route (binding text and
// blobs, scanning) uses it.
package sqlite
