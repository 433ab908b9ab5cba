package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/plugin"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
)

func TestProvisionConnectsAndValidateChecksTheServer(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx := testCtx(t, 30*time.Second)

	p := postgres.New(postgres.Config{URL: dsn})
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(p.Validate()), "Validate before Provision")
	assert.Nil(t, p.DB())
	reg := plugin.NewRegistry()
	require.NoError(t, reg.Register(p))
	require.NoError(t, reg.InitializeAll(ctx))
	require.NotNil(t, p.DB(), "Provision opened a DB")
	assert.GreaterOrEqual(t, p.ServerVersion(), postgres.MinServerVersion)
	assert.NoError(t, p.DB().Health(ctx))
	info := reg.List()[0]
	assert.Equal(t, plugin.Initialized, info.State)
	assert.Equal(t, []string{"component:postgres", "client:postgres"}, info.Components)
	db := p.DB()
	require.NoError(t, reg.CleanupAll(ctx))
	assert.Nil(t, p.DB())
	_, err := db.Query(ctx, "select 1")
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "Cleanup closed the DB: %v", err)

	// A bad config fails provisioning with every field named.
	reg = plugin.NewRegistry()
	require.NoError(t, reg.Register(postgres.New(postgres.Config{MaxConns: -1})))
	err = reg.InitializeAll(ctx)
	var ce *arsenal.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.Has("URL"))
	assert.True(t, ce.Has("MaxConns"))
	assert.Equal(t, plugin.Failed, reg.List()[0].State)

	// No server: Unavailable, and nothing is left open.
	port, _ := testenv.FreePort()
	down := postgres.New(postgres.Config{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/x?sslmode=disable", port), ConnectTimeout: 2 * time.Second})
	reg = plugin.NewRegistry()
	require.NoError(t, reg.Register(down))
	err = reg.InitializeAll(ctx)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err), "%v", err)
	assert.Nil(t, down.DB())
}

func TestTheCustomClientDoesWhatItsFeaturesClaim(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx := testCtx(t, 30*time.Second)
	p := postgres.New(postgres.Config{URL: dsn})
	reg := plugin.NewRegistry()
	require.NoError(t, reg.Register(p))
	require.NoError(t, reg.InitializeAll(ctx))
	cl := p.NewClient()
	assert.Equal(t, []string{"sql", "transactions", "prepared-statements", "streaming", "pooling"}, cl.Features())
	assert.True(t, cl.Performance().Streaming)

	_, err := cl.Execute(ctx, arsenal.Query{Statement: "select 1"})
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "Execute before Connect: %v", err)
	_, err = cl.Begin(ctx)
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "Begin before Connect: %v", err)
	for _, err := range cl.Stream(ctx, arsenal.Query{Statement: "select 1"}) {
		assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "Stream before Connect: %v", err)
	}
	err = cl.Connect(ctx, map[string]any{"max_conns": "x"})
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "Connect without url: %v", err)
	require.NoError(t, cl.Connect(ctx, map[string]any{"url": dsn, "max_conns": 2}))

	res, err := cl.Execute(ctx, arsenal.Query{Statement: "select $1::int + 1 as n", Args: []any{41}})
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	assert.Equal(t, int32(42), res.Rows[0][0])

	// sql + transactions: a table created and filled in one transaction
	// across Execute calls is gone after Rollback.
	tx, err := cl.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Execute(ctx, arsenal.Query{Statement: "create table t (n int)"})
	require.NoError(t, err)
	_, err = tx.Execute(ctx, arsenal.Query{Statement: "insert into t select generate_series(1, 5)"})
	require.NoError(t, err)
	res, err = tx.Execute(ctx, arsenal.Query{Statement: "select count(*) from t"})
	require.NoError(t, err)
	assert.EqualValues(t, 5, res.Rows[0][0])
	require.NoError(t, tx.Rollback(ctx))
	_, err = cl.Execute(ctx, arsenal.Query{Statement: "select count(*) from t"})
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err), "%v", err)

	// prepared-statements
	st, err := cl.Prepare(ctx, "select $1::int * 2")
	require.NoError(t, err)
	res, err = st.Query(ctx, 21)
	require.NoError(t, err)
	assert.Equal(t, int32(42), res.Rows[0][0])

	// streaming
	sum := int32(0)
	for v, err := range cl.Stream(ctx, arsenal.Query{Statement: "select generate_series(1, $1::int)", Args: []any{100}}) {
		require.NoError(t, err)
		sum += v[0].(int32)
	}
	assert.Equal(t, int32(5050), sum)

	require.NoError(t, reg.CleanupAll(ctx))
	_, err = cl.Execute(ctx, arsenal.Query{Statement: "select 1"})
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "Execute after Cleanup: %v", err)
}
