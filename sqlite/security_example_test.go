package sqlite_test

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// A policy through Config.Security: the reader role may only read the
// users table, and SQLite's authorizer refuses everything else before it
// runs.
func ExampleConfig_security() {
	ctx := context.Background()
	policy, err := security.NewPolicy(
		security.Rule{Name: "admin", Effect: security.Allow, Role: "admin"},
		security.Rule{Name: "read users", Effect: security.Allow, Role: "reader", Component: "sqlite", Operation: "select", Resource: "users"},
	)
	if err != nil {
		panic(err)
	}
	db, err := sqlite.Open(ctx, sqlite.Config{Security: security.Options{Policy: policy}})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	admin := security.WithPrincipal(ctx, security.Principal{Name: "root", Roles: []string{"admin"}})
	if _, err := db.Exec(admin, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ana')"); err != nil {
		panic(err)
	}

	reader := security.WithPrincipal(ctx, security.Principal{Name: "ana", Roles: []string{"reader"}})
	var name string
	err = db.QueryRow(reader, "SELECT name FROM users WHERE id = ?", 1).Scan(&name)
	fmt.Println(name, err)
	_, err = db.Exec(reader, "DELETE FROM users")
	fmt.Println(arsenal.CodeOf(err), err)
	// Output:
	// ana <nil>
	// PermissionDenied sqlite: delete: PermissionDenied: ana may not delete "users": no rule allows it
}
