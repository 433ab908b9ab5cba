package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "app.db"), Create: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	db.Exec(ctx, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
	db.Exec(ctx, "INSERT INTO users(name) VALUES (:name)", sqlite.Named{"name": "ada"})
	db.Exec(ctx, "INSERT INTO users(name) VALUES (?)", "bob")

	type User struct {
		ID   int64
		Name string
	}
	users, err := sqlite.AllAs[User](ctx, db, "SELECT id, name FROM users ORDER BY id")
	fmt.Println(users, err)
	// Output: [{1 ada} {2 bob}] <nil>
}

func ExampleDB_Query() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{})
	defer db.Close()
	for row, err := range db.Query(ctx, "SELECT value FROM json_each('[10, 20, 30]')") {
		if err != nil {
			fmt.Println(err)
			return
		}
		var v int
		row.Scan(&v)
		fmt.Println(v)
	}
	// Output:
	// 10
	// 20
	// 30
}

func ExampleDB_Tx() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{})
	defer db.Close()
	db.Exec(ctx, "CREATE TABLE t(x)")
	err := db.TxWith(ctx, sqlite.Immediate, func(tx *sqlite.Tx) error {
		tx.Exec(ctx, "INSERT INTO t VALUES (1)")
		// A nested Tx is a savepoint: its failure undoes only its own work.
		_ = tx.Tx(ctx, func(tx *sqlite.Tx) error {
			tx.Exec(ctx, "INSERT INTO t VALUES (2)")
			return fmt.Errorf("changed my mind")
		})
		return nil
	})
	var n int
	db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n)
	fmt.Println(n, err)
	// Output: 1 <nil>
}

func ExampleDeserialize() {
	ctx := context.Background()
	src, _ := sqlite.Open(ctx, sqlite.Config{})
	src.Exec(ctx, "CREATE TABLE t(x); INSERT INTO t VALUES (42)")
	image, _ := src.Serialize(ctx, "main")
	src.Close()

	db, _ := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{ReadOnly: true})
	defer db.Close()
	var x int
	db.QueryRow(ctx, "SELECT x FROM t").Scan(&x)
	_, err := db.Exec(ctx, "DELETE FROM t")
	fmt.Println(x, err)
	// Output: 42 sqlite: exec: FailedPrecondition: attempt to write a readonly database
}

func ExampleDB_Inspect() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{})
	defer db.Close()
	db.Exec(ctx, "CREATE TABLE t(born DATETIME, name VARCHAR(10)); INSERT INTO t VALUES ('2020', 1)")
	st, _ := db.Inspect(ctx, "SELECT born, name AS who, length(name) FROM t")
	for _, c := range st.Columns {
		fmt.Printf("%s declared %q stored %s from %q\n", c.Name, c.DeclType, c.Type, c.Origin)
	}
	// Output:
	// born declared "DATETIME" stored INTEGER from "born"
	// who declared "VARCHAR(10)" stored TEXT from "name"
	// length(name) declared "" stored INTEGER from ""
}

func ExampleMarshalRows() {
	rows := [][]any{{int64(1), int64(1<<53 + 1)}}
	safe, _ := sqlite.MarshalRows([]string{"id", "big"}, rows, sqlite.JSONOptions{SafeIntegers: true})
	plain, _ := sqlite.MarshalRows([]string{"id", "big"}, rows, sqlite.JSONOptions{})
	fmt.Println(string(safe))
	fmt.Println(string(plain))
	// Output:
	// [{"id":1,"big":"9007199254740993"}]
	// [{"id":1,"big":9007199254740993}]
}

func ExampleDB_CreateFunction() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{})
	defer db.Close()
	db.CreateFunction("double", sqlite.Function{NArgs: 1, Deterministic: true, Scalar: func(args []any) (any, error) {
		n, ok := args[0].(int64)
		if !ok {
			return nil, fmt.Errorf("double wants an integer")
		}
		return n * 2, nil
	}})
	var n int
	db.QueryRow(ctx, "SELECT double(21)").Scan(&n)
	fmt.Println(n)
	// Output: 42
}

// A sqlite: URL creates its file unless it says mode=rw; a Config needs
// Create.
func ExampleParseURL() {
	for _, u := range []string{"sqlite:app.db", "sqlite:app.db?mode=rw", "file:app.db?mode=ro", "sqlite://alice:pw@host/app.db"} {
		cfg, err := sqlite.ParseURL(u)
		if err != nil {
			fmt.Println(arsenal.CodeOf(err))
			continue
		}
		fmt.Println(cfg.Path, "create:", cfg.Create, "read-only:", cfg.ReadOnly)
	}
	// Output:
	// app.db create: true read-only: false
	// app.db create: false read-only: false
	// app.db create: false read-only: true
	// InvalidArgument
}

func ExampleDB_Each() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{})
	defer db.Close()
	db.Exec(ctx, "CREATE TABLE t(id INTEGER PRIMARY KEY, age INT); INSERT INTO t(age) VALUES (10), (20), (30)")
	err := db.Each(ctx, "SELECT id, age FROM t WHERE age >= ? ORDER BY id", func(r *sqlite.Row) error {
		fmt.Println(r.Int64(0), r.Int64(1))
		return nil
	}, 20)
	fmt.Println(err)
	// Output:
	// 2 20
	// 3 30
	// <nil>
}

// Times are stored as fixed-width UTC text: ORDER BY sorts them as time
// does, whatever zone they were given in, and SQLite's date functions
// read them.
func ExampleTimeLayout() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{})
	defer db.Close()
	db.Exec(ctx, "CREATE TABLE ev(name TEXT, at TEXT)")
	paris := time.FixedZone("CET", 3600)
	db.Exec(ctx, "INSERT INTO ev VALUES (?, ?)", "late", time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC))
	db.Exec(ctx, "INSERT INTO ev VALUES (?, ?)", "early", time.Date(2024, 5, 6, 12, 59, 59, 0, paris))
	for r, err := range db.Query(ctx, "SELECT name, at, datetime(at) FROM ev ORDER BY at") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.Text(0), r.Text(1), r.Text(2))
	}
	// Output:
	// early 2024-05-06T11:59:59.000000000Z 2024-05-06 11:59:59
	// late 2024-05-06T12:00:00.000000000Z 2024-05-06 12:00:00
}

// printObserver prints each operation as it ends.
type printObserver struct{}

func (printObserver) OpStart(ctx context.Context, op arsenal.OpStart) context.Context { return ctx }

func (printObserver) OpEnd(_ context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	fmt.Printf("%s %q rows=%d code=%s\n", op.Op, op.Statement, end.Rows, end.Code)
}

// An Observer sees every operation with its statement (never its
// arguments), the rows it returned or changed, and its code.
func ExampleConfig_observer() {
	ctx := context.Background()
	db, _ := sqlite.Open(ctx, sqlite.Config{Observer: printObserver{}})
	defer db.Close()
	db.Exec(ctx, "CREATE TABLE users(email TEXT UNIQUE)")
	db.Exec(ctx, "INSERT INTO users VALUES (?)", "ada@example.com")
	db.Exec(ctx, "INSERT INTO users VALUES (?)", "ada@example.com")
	db.Values(ctx, "SELECT email FROM users")
	// Output:
	// exec "CREATE TABLE users(email TEXT UNIQUE)" rows=0 code=OK
	// exec "INSERT INTO users VALUES (?)" rows=1 code=OK
	// exec "INSERT INTO users VALUES (?)" rows=0 code=AlreadyExists
	// query "SELECT email FROM users" rows=1 code=OK
}
