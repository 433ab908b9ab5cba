package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPostgresPassesTheConformanceSuite(t *testing.T) {
	dsn := testenv.Postgres(t)
	port, _ := testenv.FreePort()
	componenttest.Run(t, componenttest.Harness{
		Kind: postgres.Kind,
		Open: func(ctx context.Context) (arsenal.Component, error) {
			return postgres.Open(ctx, postgres.Config{URL: dsn})
		},
		OpenInvalid: func(ctx context.Context) error {
			_, err := postgres.Open(ctx, postgres.Config{MaxConns: -1, ConnectTimeout: -time.Second})
			return err
		},
		InvalidFields:      []string{"URL", "MaxConns", "ConnectTimeout"},
		UnreachableTimeout: 2 * time.Second,
		Unreachable: func(ctx context.Context) error {
			_, err := postgres.Open(ctx, postgres.Config{
				URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/x?sslmode=disable", port), ConnectTimeout: 2 * time.Second})
			return err
		},
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			_, err := c.(*postgres.DB).Query(ctx, "select 1")
			return err
		},
		Blocking: func(ctx context.Context, c arsenal.Component) error {
			_, err := c.(*postgres.DB).Exec(ctx, "select pg_sleep(5)")
			return err
		},
	})
}

func TestServerErrorsAreTranslatedBySQLState(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "create table u (id int primary key, name text not null)"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Exec(ctx, "insert into u values ($1, $2)", 1, "a"); err != nil || n != 1 {
		t.Fatalf("insert = %d, %v", n, err)
	}
	tests := []struct {
		name string
		sql  string
		args []any
		code arsenal.Code
	}{
		{"a duplicate key already exists", "insert into u values (1, 'b')", nil, arsenal.AlreadyExists},
		{"a null into not-null is an invalid argument", "insert into u values (2, null)", nil, arsenal.InvalidArgument},
		{"a syntax error is an invalid argument", "selec 1", nil, arsenal.InvalidArgument},
		{"an undefined table is not found", "select * from nope", nil, arsenal.NotFound},
		{"division by zero is an invalid argument", "select 1/0", nil, arsenal.InvalidArgument},
		{"a statement timeout is canceled", "set statement_timeout = 50; select pg_sleep(1)", nil, arsenal.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Exec(ctx, tt.sql, tt.args...)
			if got := arsenal.CodeOf(err); got != tt.code {
				t.Errorf("code %v, want %v (%v)", got, tt.code, err)
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				t.Errorf("cause is not a *pgconn.PgError: %v", err)
			}
		})
	}
	res, err := db.Query(ctx, "select id, name from u order by id")
	if err != nil || len(res.Rows) != 1 || res.Columns[1] != "name" || res.Rows[0][1] != "a" {
		t.Errorf("Query = %+v, %v", res, err)
	}
}

func TestOpenByURLThroughTheRegistry(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := arsenal.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Kind() != postgres.Kind || c.Health(ctx) != nil {
		t.Errorf("opened %s", c.Kind())
	}
	bad := strings.Replace(dsn, "postgres@", "postgres:hunter2@", 1) + "&connect_timeout=notanumber"
	_, err = arsenal.Open(ctx, bad)
	if arsenal.CodeOf(err) != arsenal.InvalidArgument || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestPluginLifecycleAndCustomClient(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	reg := plugin.NewRegistry()
	p := &postgres.Plugin{}
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	if err := reg.InitializeAll(ctx); err != nil {
		t.Fatal(err)
	}
	cl := p.NewClient()
	if _, err := cl.Execute(ctx, arsenal.Query{Statement: "select 1"}); arsenal.CodeOf(err) != arsenal.FailedPrecondition {
		t.Errorf("Execute before Connect: %v", err)
	}
	if err := cl.Connect(ctx, map[string]any{"max_conns": "x"}); arsenal.CodeOf(err) != arsenal.InvalidArgument {
		t.Errorf("Connect without url: %v", err)
	}
	if err := cl.Connect(ctx, map[string]any{"url": dsn, "max_conns": 2}); err != nil {
		t.Fatal(err)
	}
	res, err := cl.Execute(ctx, arsenal.Query{Statement: "select $1::int + 1 as n", Args: []any{41}})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != int32(42) {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	if err := reg.CleanupAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Execute(ctx, arsenal.Query{Statement: "select 1"}); arsenal.CodeOf(err) != arsenal.FailedPrecondition {
		t.Errorf("Execute after Cleanup: %v", err)
	}
}
