package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
