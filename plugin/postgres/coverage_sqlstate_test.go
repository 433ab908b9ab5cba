package postgres_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
	"github.com/infra-arsenal/arsenal/security"
)

// More server errors, each raised by the real server, map to their codes
// by SQLSTATE (exact codes and class prefixes).
func TestMoreServerErrorsAreTranslatedBySQLState(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t)})
	_, err := db.Exec(ctx, "create table p (id int primary key)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "create table c (id int primary key, p int references p(id), n int check (n > 0))")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "insert into p values (1)")
	require.NoError(t, err)

	tests := []struct {
		name  string
		sql   string
		state string
		code  arsenal.Code
	}{
		{"a duplicate table already exists", "create table p (id int)", "42P07", arsenal.AlreadyExists},
		{"a foreign key violation is a failed precondition", "insert into c values (1, 99, 1)", "23503", arsenal.FailedPrecondition},
		{"a check violation is a failed precondition", "insert into c values (2, 1, -1)", "23514", arsenal.FailedPrecondition},
		{"a bad cast is an invalid argument", "select 'abc'::int", "22P02", arsenal.InvalidArgument},
		{"an unsupported feature is unimplemented", "select count(*) from p for update", "0A000", arsenal.Unimplemented},
		{"an undefined column is not found", "select nope from p", "42703", arsenal.NotFound},
		{"an undefined function is not found", "select no_such_fn()", "42883", arsenal.NotFound},
		{"raised XX000 is internal", "do $$ begin raise exception 'boom' using errcode = 'XX000'; end $$", "XX000", arsenal.Internal},
		{"raised XX001 is data loss", "do $$ begin raise exception 'boom' using errcode = 'XX001'; end $$", "XX001", arsenal.DataLoss},
		{"raised 40001 is aborted", "do $$ begin raise exception 'boom' using errcode = '40001'; end $$", "40001", arsenal.Aborted},
		{"raised 28000 is unauthenticated", "do $$ begin raise exception 'boom' using errcode = '28000'; end $$", "28000", arsenal.Unauthenticated},
		{"raised 53200 is resource exhausted", "do $$ begin raise exception 'boom' using errcode = '53200'; end $$", "53200", arsenal.ResourceExhausted},
		{"raised 42501 is permission denied", "do $$ begin raise exception 'boom' using errcode = '42501'; end $$", "42501", arsenal.PermissionDenied},
		{"raised 08006 is unavailable", "do $$ begin raise exception 'boom' using errcode = '08006'; end $$", "08006", arsenal.Unavailable},
		{"raised P0001 is unknown", "do $$ begin raise exception 'boom'; end $$", "P0001", arsenal.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Exec(ctx, tt.sql)
			require.Error(t, err)
			var pe *pgconn.PgError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.state, pe.Code)
			assert.Equal(t, tt.code, arsenal.CodeOf(err), "%v", err)
		})
	}

	t.Run("a write in a read-only transaction is a failed precondition", func(t *testing.T) {
		tx, err := db.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		_, err = tx.Exec(ctx, "set transaction read only")
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "insert into p values (2)")
		require.Error(t, err)
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "%v", err)
		// The transaction is now aborted: the next statement is 25P02.
		_, err = tx.Exec(ctx, "select 1")
		require.Error(t, err)
		var pe *pgconn.PgError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "25P02", pe.Code)
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "%v", err)
	})
}

// The package's classifier lets arsenal.CodeOf read a raw pgx error, from
// code that uses pgx directly.
func TestRawPgxErrorsClassifyThroughTheRegisteredClassifier(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	conn, err := pgx.Connect(ctx, testenv.Postgres(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "select * from no_such_table")
	require.Error(t, err)
	var ae *arsenal.Error
	require.False(t, errors.As(err, &ae), "a raw pgx error")
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err))
	_, err = conn.Exec(ctx, "select 1/0")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}

func TestConfigGoStringAndJSONAreRedacted(t *testing.T) {
	cfg := postgres.Config{
		URL:      "postgres://app:url-pass-123@db.example:5432/app",
		Password: security.NewSecret("field-pass-456"),
		MaxConns: 7, ConnectTimeout: 3 * time.Second, SlowThreshold: time.Second,
	}
	gs := fmt.Sprintf("%#v", cfg)
	assert.Equal(t, cfg.String(), cfg.GoString())
	assert.Equal(t, cfg.String(), gs)
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, s := range []string{gs, string(b)} {
		assert.NotContains(t, s, "url-pass-123")
		assert.NotContains(t, s, "field-pass-456")
		assert.Contains(t, s, "db.example")
	}
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.EqualValues(t, 7, back["MaxConns"])
	assert.EqualValues(t, 3*time.Second, back["ConnectTimeout"])
	assert.EqualValues(t, time.Second, back["SlowThreshold"])
}

func TestClientNamesItsProtocolAndPoolStatsAreARuleSource(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := postgres.New(postgres.Config{URL: testenv.Postgres(t)})
	c := p.NewClient()
	assert.Equal(t, "postgres", c.Name())
	assert.Equal(t, "postgresql-v3", c.Protocol())

	db := openDB(t, ctx, postgres.Config{URL: testenv.Postgres(t)})
	rules := db.PoolStats().DegradationRules()
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	assert.Contains(t, names, "postgres pool wait")
	assert.Greater(t, len(rules), 1, "the common rules come along")
}
