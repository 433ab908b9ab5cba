package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/infra-arsenal/arsenal/plugin"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
	"github.com/infra-arsenal/arsenal/security"
)

// databaseURL is where the examples connect: DATABASE_URL, else a local
// server with trust authentication.
func databaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// A transaction holds one connection from Begin to Commit or Rollback, so
// its statements see each other and commit together.
func ExampleDB_Begin() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: databaseURL()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS ex_accounts (id int PRIMARY KEY, balance int)"); err != nil {
		log.Fatal(err)
	}
	defer db.Exec(ctx, "DROP TABLE ex_accounts")

	tx, err := db.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx) // a no-op (FailedPrecondition) after Commit
	if _, err := tx.Exec(ctx, "INSERT INTO ex_accounts VALUES (1, 100), (2, 0)"); err != nil {
		log.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE ex_accounts SET balance = balance + $1 WHERE id = 2", 40); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	res, err := db.Query(ctx, "SELECT id, balance FROM ex_accounts ORDER BY id")
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range res.Rows {
		fmt.Println(row[0], row[1])
	}
	// Output:
	// 1 100
	// 2 40
}

// Rows streams a result: each row is handled as it arrives and the loop
// can stop early.
func ExampleDB_Rows() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: databaseURL()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for row, err := range db.Rows(ctx, "SELECT g, g * g FROM generate_series(1, 1000) g") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(row[0], row[1])
		if row[0].(int32) == 3 {
			break
		}
	}
	// Output:
	// 1 1
	// 2 4
	// 3 9
}

// A prepared statement is parsed and planned once per connection and run
// by name with only its arguments.
func ExampleDB_Prepare() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: databaseURL()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	square, err := db.Prepare(ctx, "SELECT $1::int * $1::int AS square")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(square.Columns(), square.NumParams())
	for _, n := range []int{3, 12} {
		res, err := square.Query(ctx, n)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(n, res.Rows[0][0])
	}
	// Output:
	// [square] 1
	// 3 9
	// 12 144
}

// The plugin connects when the registry provisions it, checks the server
// version when it validates it, and closes what it opened on cleanup.
func ExampleNew() {
	ctx := context.Background()
	reg := plugin.NewRegistry()
	p := postgres.New(postgres.Config{URL: databaseURL()})
	if err := reg.Register(p); err != nil {
		log.Fatal(err)
	}
	if err := reg.InitializeAll(ctx); err != nil {
		log.Fatal(err)
	}
	defer reg.CleanupAll(ctx)
	for _, info := range reg.List() {
		fmt.Println(info.Name, info.State, info.Databases)
	}
	fmt.Println("server is supported:", p.ServerVersion() >= postgres.MinServerVersion)
	res, err := p.DB().Query(ctx, "SELECT 'ready'")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Rows[0][0])
	// Output:
	// postgres initialized [postgresql]
	// server is supported: true
	// ready
}

// A Config prints and logs without its secrets; Password keeps the
// password out of the URL altogether.
func ExampleConfig() {
	cfg := postgres.Config{URL: "postgres://app:hunter2@db.internal:5432/app", MaxConns: 8}
	fmt.Println(cfg)
	cfg = postgres.Config{URL: "host=db.internal user=app dbname=app", Password: security.NewSecret("hunter2")}
	fmt.Printf("%+v\n", cfg)
	// Output:
	// postgres.Config{URL:"postgres://app:xxxxx@db.internal:5432/app" Password:"" MaxConns:8 ConnectTimeout:0s}
	// postgres.Config{URL:"host=db.internal user=app dbname=app" Password:"[REDACTED]" MaxConns:0 ConnectTimeout:0s}
}
