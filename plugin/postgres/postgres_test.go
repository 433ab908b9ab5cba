package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
)

// TestMain gives the Examples a throwaway database of their own in
// DATABASE_URL, the variable they read (as a user's program would).
func TestMain(m *testing.M) {
	u, drop, err := testenv.PostgresDatabase()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("DATABASE_URL", u)
	code := m.Run()
	drop()
	testenv.StopAll()
	os.Exit(code)
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func openDB(t *testing.T, ctx context.Context, cfg postgres.Config) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

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
	ctx := testCtx(t, 30*time.Second)
	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t)})
	_, err := db.Exec(ctx, "create table u (id int primary key, name text not null)")
	require.NoError(t, err)
	n, err := db.Exec(ctx, "insert into u values ($1, $2)", 1, "a")
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
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
			assert.Equal(t, tt.code, arsenal.CodeOf(err), "%v", err)
			var pe *pgconn.PgError
			assert.ErrorAs(t, err, &pe, "cause is not a *pgconn.PgError")
		})
	}
	res, err := db.Query(ctx, "select id, name from u order by id")
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	assert.Equal(t, "name", res.Columns[1])
	assert.Equal(t, "a", res.Rows[0][1])
}

func TestOpenByURLThroughTheRegistry(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx := testCtx(t, 15*time.Second)
	c, err := arsenal.Open(ctx, dsn)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, postgres.Kind, c.Kind())
	assert.NoError(t, c.Health(ctx))
	bad := strings.Replace(dsn, "postgres@", "postgres:hunter2@", 1) + "&connect_timeout=notanumber"
	_, err = arsenal.Open(ctx, bad)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)
	assert.NotContains(t, err.Error(), "hunter2")
}
