package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
	"github.com/infra-arsenal/arsenal/security"
)

// A policy is checked before any statement reaches PostgreSQL, by the
// statement's kind, and every call is audited once with its outcome.
func TestPolicyRefusesStatementKindsBeforeAnyIO(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	admin := openDB(t, ctx, postgres.Config{URL: dsn})
	_, err := admin.Exec(ctx, "CREATE TABLE notes (id int PRIMARY KEY, body text)")
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "INSERT INTO notes VALUES (1, 'first')")
	require.NoError(t, err)

	pol, err := security.NewPolicy(
		security.Rule{Name: "no-ddl", Effect: security.Deny, Component: "postgres", Operation: "drop,alter,truncate"},
		security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Component: "postgres", Operation: "select,with"},
		security.Rule{Name: "writers", Effect: security.Allow, Role: "writer", Component: "postgres", Operation: "select,insert,update,begin"},
	)
	require.NoError(t, err)
	var audit bytes.Buffer
	db := openDB(t, ctx, postgres.Config{URL: dsn, Security: security.Options{
		Policy: pol, Audit: security.NewAuditor(slog.NewJSONHandler(&audit, nil), nil)}})
	reader := security.WithPrincipal(ctx, security.Principal{Name: "ana", Roles: []string{"reader"}})
	writer := security.WithPrincipal(ctx, security.Principal{Name: "bo", Roles: []string{"writer"}})

	res, err := db.Query(reader, "  /* a report */ SELECT body FROM notes WHERE id = $1", 1)
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	assert.Equal(t, "first", res.Rows[0][0])

	_, err = db.Exec(reader, "INSERT INTO notes VALUES (2, 'sneaky')")
	require.Error(t, err)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "ana may not insert")
	_, err = db.Begin(reader)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "a reader may not open a transaction")
	_, err = db.Exec(writer, "DROP TABLE notes")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `denied by rule "no-ddl"`)
	_, err = db.Exec(ctx, "SELECT 1")
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "an anonymous caller matches no rule")
	for range db.Rows(reader, "DELETE FROM notes RETURNING id") {
		break
	}
	st, err := db.Prepare(reader, "UPDATE notes SET body = 'x'")
	assert.Nil(t, st)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "preparing is judged by the statement's kind too")

	tx, err := db.Begin(writer)
	require.NoError(t, err)
	_, err = tx.Exec(writer, "INSERT INTO notes VALUES (3, 'third')")
	require.NoError(t, err)
	_, err = tx.Exec(writer, "DELETE FROM notes")
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "a writer may not delete, inside a transaction either")
	require.NoError(t, tx.Commit(writer))

	// Nothing refused reached the server: the table and its rows are as
	// the allowed statements left them.
	res, err = admin.Query(ctx, "SELECT id, body FROM notes ORDER BY id")
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	assert.EqualValues(t, 1, res.Rows[0][0])
	assert.EqualValues(t, 3, res.Rows[1][0])

	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(audit.String()), "\n") {
		for _, o := range []string{`"outcome":"ok"`, `"outcome":"denied"`, `"outcome":"error"`} {
			if strings.Contains(line, o) {
				outcomes = append(outcomes, strings.Trim(strings.TrimPrefix(o, `"outcome":`), `"`))
			}
		}
	}
	// ok: select, begin, insert (in the tx); denied: insert, begin, drop,
	// select (anonymous), delete (rows), update (prepare), delete (tx).
	assert.Equal(t, 3, count(outcomes, "ok"), "audit: %s", audit.String())
	assert.Equal(t, 7, count(outcomes, "denied"), "audit: %s", audit.String())
	assert.Contains(t, audit.String(), `"operation":"insert"`)
	assert.Contains(t, audit.String(), `"rule":"no-ddl"`)
	assert.NotContains(t, audit.String(), "sneaky", "arguments and statement text stay out of the audit")
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// Security.Credentials is asked for every new connection; a failing
// provider fails Open with its code and no connection is made.
func TestCredentialsProviderSuppliesEveryConnection(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	var calls atomic.Int32
	db := openDB(t, ctx, postgres.Config{URL: dsn, MaxConns: 2, Security: security.Options{
		Credentials: security.ProviderFunc(func(context.Context) (security.Credentials, error) {
			calls.Add(1)
			return security.Credentials{User: "postgres", Secret: security.NewSecret("not-checked-under-trust-auth")}, nil
		})}})
	res, err := db.Query(ctx, "SELECT current_user")
	require.NoError(t, err)
	assert.Equal(t, "postgres", res.Rows[0][0], "the provider's user is the session's")
	assert.GreaterOrEqual(t, calls.Load(), int32(1))

	_, err = postgres.Open(ctx, postgres.Config{URL: dsn, Security: security.Options{
		Credentials: security.ProviderFunc(func(context.Context) (security.Credentials, error) {
			return security.Credentials{}, errors.New("vault sealed")
		})}})
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
}

// Security.TLS replaces sslmode, with verification on, and never falls
// back to plaintext: the machine's PostgreSQL (whose certificate, when it
// serves TLS, no system root signed) is refused either way, and a CA
// file that cannot be read is InvalidArgument before any dial.
func TestSecurityTLSVerifiesAndNeverFallsBackToPlaintext(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	probe := openDB(t, ctx, postgres.Config{URL: dsn})
	res, err := probe.Query(ctx, "SHOW ssl")
	require.NoError(t, err)
	t.Logf("the server's ssl setting: %v", res.Rows[0][0])
	_, err = postgres.Open(ctx, postgres.Config{URL: dsn, ConnectTimeout: 5 * time.Second, Security: security.Options{TLS: &security.TLS{}}})
	require.Error(t, err, "an unverified server, or one without TLS, must be refused, not used in plaintext")
	if res.Rows[0][0] == "on" {
		assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "an untrusted server certificate: %v", err)
	}

	missing := filepath.Join(t.TempDir(), "no-such-ca.pem")
	_, err = os.Stat(missing)
	require.True(t, os.IsNotExist(err))
	_, err = postgres.Open(ctx, postgres.Config{URL: dsn, Security: security.Options{TLS: &security.TLS{CAFiles: []string{missing}}}})
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)
}
