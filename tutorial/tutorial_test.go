package tutorial_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/tutorial"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// liveEnv gives every component a fresh scratch area on real servers.
func liveEnv(t *testing.T, ctx context.Context) *tutorial.Env {
	t.Helper()
	env := &tutorial.Env{Prefix: "tutorial:" + testenv.RandomHex(4) + ":"}

	rs := testenv.SharedRedis(t)
	cfg, err := redis.ParseURL(rs.URL())
	require.NoError(t, err)
	env.Redis, err = redis.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { env.Redis.Close() })

	env.SQLite, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "tutorial.db"), Create: true})
	require.NoError(t, err)
	t.Cleanup(func() { env.SQLite.Close() })

	srv := testenv.SharedS3(t)
	if testenv.RequireReal() {
		require.True(t, srv.Real, "versitygw is required")
	}
	env.S3, err = s3.Open(ctx, s3.Config{Bucket: srv.NewBucket(t), Prefix: "tutorial/", Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey)})
	require.NoError(t, err)
	t.Cleanup(func() { env.S3.Close() })

	env.WS, err = tutorial.NewPlayground(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { env.WS.Close() })
	t.Cleanup(env.Close)
	return env
}

// Each tutorial, walked in order against real servers: every step's
// validation fails (FailedPrecondition) before its solution is applied and
// passes after.
func TestEveryStepFailsBeforeItsSolutionAndPassesAfter(t *testing.T) {
	all := tutorial.All()
	var names []string
	for _, tu := range all {
		names = append(names, tu.Name)
	}
	require.Equal(t, []string{"redis", "s3", "sqlite", "websocket"}, names)
	for _, tu := range all {
		t.Run(tu.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			env := liveEnv(t, ctx)
			assert.NotEmpty(t, tu.Title)
			assert.NotEmpty(t, tu.Description)
			require.GreaterOrEqual(t, len(tu.Steps), 5)
			require.LessOrEqual(t, len(tu.Steps), 8)
			for i, s := range tu.Steps {
				assert.NotEmpty(t, s.Title, "step %d", i+1)
				assert.NotEmpty(t, s.Instruction, "step %d", i+1)
				assert.NotEmpty(t, s.Code, "step %d", i+1)
				assert.NotEmpty(t, s.Hint, "step %d", i+1)
				err := tu.Check(ctx, env, i+1)
				require.Error(t, err, "step %d %q passes before its solution", i+1, s.Title)
				assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "step %d: %v", i+1, err)
				require.NoError(t, s.Solution(ctx, env), "step %d solution", i+1)
				require.NoError(t, tu.Check(ctx, env, i+1), "step %d %q after its solution", i+1, s.Title)
			}
		})
	}
}

func TestAWrongAnswerIsNotAccepted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := liveEnv(t, ctx)
	tu, ok := tutorial.Get("redis")
	require.True(t, ok)
	require.NoError(t, env.Redis.Set(ctx, env.Key("greeting"), "goodbye"))
	err := tu.Check(ctx, env, 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `greeting is goodbye, want hello`)

	_, err = env.Redis.HSet(ctx, env.Key("user:1"), "name", "Bob", "lang", "go")
	require.NoError(t, err)
	assert.ErrorContains(t, tu.Check(ctx, env, 3), "user:1 field name is Bob, want Ada")

	sq, _ := tutorial.Get("sqlite")
	_, err = env.SQLite.Exec(ctx, "CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT)")
	require.NoError(t, err)
	assert.ErrorContains(t, sq.Check(ctx, env, 1), "todos' columns is id,title, want id,title,done")

	s3t, _ := tutorial.Get("s3")
	_, err = env.S3.Put(ctx, "report.csv", []byte("x"), &s3.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"owner": "ada"}})
	require.NoError(t, err)
	assert.ErrorContains(t, s3t.Check(ctx, env, 2), "content type is text/plain, want text/csv")
}

func TestStepsAndComponentsAreCheckedBeforeUse(t *testing.T) {
	ctx := context.Background()
	tu, ok := tutorial.Get("redis")
	require.True(t, ok)
	_, err := tu.Step(0)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	err = tu.Check(ctx, &tutorial.Env{}, 7)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	for _, tu := range tutorial.All() {
		for i, s := range tu.Steps {
			err := tu.Check(ctx, &tutorial.Env{}, i+1)
			require.Error(t, err, "%s step %d", tu.Name, i+1)
			assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "%s step %d", tu.Name, i+1)
			assert.Contains(t, err.Error(), "needs", "%s step %d", tu.Name, i+1)
			err = s.Solution(ctx, &tutorial.Env{})
			require.Error(t, err, "%s step %d solution", tu.Name, i+1)
			assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "%s step %d solution", tu.Name, i+1)
		}
	}
	_, ok = tutorial.Get("mongodb")
	assert.False(t, ok)
}

func TestThePlaygroundRefusesAClientWithoutAName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := tutorial.NewPlayground(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer p.Close()
	_, err = websocketDial(ctx, p.URL())
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
}
