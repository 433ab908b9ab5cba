package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/tutorial"
)

type checkResp struct {
	Results []struct {
		Step  int    `json:"step"`
		Done  bool   `json:"done"`
		Error string `json:"error"`
		Code  string `json:"code"`
	} `json:"results"`
	Progress []string `json:"progress"`
	Target   string   `json:"target"`
}

type tutorialResp struct {
	Name       string `json:"name"`
	Steps      int    `json:"steps"`
	Target     string `json:"target"`
	AllowApply bool   `json:"allowApply"`
	Items      []struct {
		N                              int
		Title, Instruction, Code, Hint string
		Status                         string
	} `json:"items"`
}

// TestTutorialsWalkAgainstTheHubsComponentsConfined walks every tutorial
// through the API against real servers: each step's Check fails before its
// solution is applied and passes after, the progress follows, and every
// write stays in the console's scratch areas.
func TestTutorialsWalkAgainstTheHubsComponentsConfined(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{mu: &logMu, w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, console.Options{AllowTutorialSolutions: true, Logger: logger})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The user's own data, which the tutorials must leave alone.
	require.NoError(t, f.redis.Set(ctx, "greeting", "the user's"))
	_, err := f.s3.Put(ctx, "hello.txt", []byte("the user's"), nil)
	require.NoError(t, err)

	code, body := f.get(t, "api/tutorials")
	require.Equal(t, http.StatusOK, code, body)
	list := decode[struct {
		Tutorials []struct {
			Name  string `json:"name"`
			Steps int    `json:"steps"`
		} `json:"tutorials"`
		AllowApply bool `json:"allowApply"`
	}](t, body)
	assert.True(t, list.AllowApply)
	require.Len(t, list.Tutorials, len(tutorial.All()))

	for _, lt := range list.Tutorials {
		t.Run(lt.Name, func(t *testing.T) {
			want, ok := tutorial.Get(lt.Name)
			require.True(t, ok)
			code, body := f.get(t, "api/tutorials/"+lt.Name)
			require.Equal(t, http.StatusOK, code, body)
			tv := decode[tutorialResp](t, body)
			require.Len(t, tv.Items, len(want.Steps))
			for i, s := range want.Steps {
				assert.Equal(t, s.Title, tv.Items[i].Title)
				assert.Equal(t, s.Instruction, tv.Items[i].Instruction)
				assert.Equal(t, s.Code, tv.Items[i].Code)
				assert.Equal(t, s.Hint, tv.Items[i].Hint)
			}
			for n := 1; n <= len(want.Steps); n++ {
				code, body := f.post(t, "api/tutorials/"+lt.Name+"/check", map[string]int{"step": n})
				require.Equal(t, http.StatusOK, code, body)
				c := decode[checkResp](t, body)
				require.Len(t, c.Results, 1)
				assert.False(t, c.Results[0].Done, "step %d is not done before its solution", n)
				assert.Equal(t, "FailedPrecondition", c.Results[0].Code, c.Results[0].Error)
				assert.Equal(t, "todo", c.Progress[n-1])

				code, body = f.post(t, "api/tutorials/"+lt.Name+"/apply", map[string]int{"step": n})
				require.Equal(t, http.StatusOK, code, body)

				code, body = f.post(t, "api/tutorials/"+lt.Name+"/check", map[string]int{"step": n})
				require.Equal(t, http.StatusOK, code, body)
				c = decode[checkResp](t, body)
				require.True(t, c.Results[0].Done, "step %d after its solution: %s", n, c.Results[0].Error)
				assert.Equal(t, "done", c.Progress[n-1])
			}
			code, body = f.get(t, "api/tutorials/"+lt.Name)
			require.Equal(t, http.StatusOK, code, body)
			for _, it := range decode[tutorialResp](t, body).Items {
				assert.Equal(t, "done", it.Status, "step %d in the progress", it.N)
			}
		})
	}

	// Confinement: Redis keys under the demo prefix, S3 keys under the
	// demo folder, nothing in the hub's SQLite database.
	keys, err := f.redis.Keys(ctx, "*")
	require.NoError(t, err)
	var tutKeys int
	for _, k := range keys {
		if k == "greeting" {
			continue
		}
		assert.True(t, strings.HasPrefix(k, console.DefaultDemoPrefix+"tutorial:"), k)
		tutKeys++
	}
	assert.Positive(t, tutKeys)
	v, err := f.redis.Get(ctx, "greeting")
	require.NoError(t, err)
	assert.Equal(t, "the user's", v)
	var objs int
	for o, err := range f.s3.List(ctx, nil) {
		require.NoError(t, err)
		if o.Key == "hello.txt" {
			continue
		}
		assert.True(t, strings.HasPrefix(o.Key, "arsenal-console/tutorial/"), o.Key)
		objs++
	}
	assert.Positive(t, objs)
	b, err := f.s3.GetBytes(ctx, "hello.txt", nil)
	require.NoError(t, err)
	assert.Equal(t, "the user's", string(b))
	comp, ok := f.hub.Get("db")
	require.True(t, ok)
	tables, err := comp.(*sqlite.DB).Values(ctx, `SELECT name FROM sqlite_master`)
	require.NoError(t, err)
	assert.Empty(t, tables, "the hub's database is untouched")

	// Start over: the tutorials' data goes, the user's stays, and the
	// first step is not done again.
	for _, lt := range list.Tutorials {
		code, body := f.post(t, "api/tutorials/"+lt.Name+"/reset", map[string]any{})
		require.Equal(t, http.StatusOK, code, body)
		code, body = f.get(t, "api/tutorials/"+lt.Name)
		require.Equal(t, http.StatusOK, code, body)
		for _, it := range decode[tutorialResp](t, body).Items {
			assert.Empty(t, it.Status, "%s step %d: the progress is forgotten", lt.Name, it.N)
		}
		code, body = f.post(t, "api/tutorials/"+lt.Name+"/check", map[string]int{"step": 1})
		require.Equal(t, http.StatusOK, code, body)
		assert.False(t, decode[checkResp](t, body).Results[0].Done, "%s step 1 after a reset", lt.Name)
	}
	keys, err = f.redis.Keys(ctx, "*")
	require.NoError(t, err)
	assert.Equal(t, []string{"greeting"}, keys, "only the user's key is left")
	var left []string
	for o, err := range f.s3.List(ctx, nil) {
		require.NoError(t, err)
		left = append(left, o.Key)
	}
	assert.Equal(t, []string{"hello.txt"}, left, "only the user's object is left")

	// Every applied solution is logged for the operator, without a secret.
	logMu.Lock()
	text := logs.String()
	logMu.Unlock()
	assert.Contains(t, text, `level=INFO msg="console: tutorial solution applied" tutorial=redis step=6`)
	assert.Contains(t, text, `tutorial=s3 step=1 target="S3 keys under arsenal-console/tutorial/"`)
	for _, s := range f.secrets {
		assert.NotContains(t, text, s)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestTutorialSolutionsAreNotAppliedUnlessAllowed(t *testing.T) {
	f := newFixture(t, console.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, body := f.get(t, "api/tutorials/redis")
	require.Equal(t, http.StatusOK, code, body)
	assert.False(t, decode[tutorialResp](t, body).AllowApply)
	code, body = f.post(t, "api/tutorials/redis/apply", map[string]int{"step": 1})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, `"code":"PermissionDenied"`)
	assert.Contains(t, body, "AllowTutorialSolutions")
	keys, err := f.redis.Keys(ctx, "*")
	require.NoError(t, err)
	assert.Empty(t, keys, "nothing written")
	// Check still works: it only reads.
	code, body = f.post(t, "api/tutorials/redis/check", map[string]int{"step": 0})
	require.Equal(t, http.StatusOK, code, body)
	c := decode[checkResp](t, body)
	require.Len(t, c.Results, 6)
	assert.False(t, c.Results[0].Done)
	code, body = f.post(t, "api/tutorials/redis/check", map[string]int{"step": 7})
	assert.Equal(t, http.StatusBadRequest, code, body)
}

func TestTutorialResetDeletesOnlyUnderTheDemoPrefix(t *testing.T) {
	// A prefix with glob characters: an unquoted MATCH pattern would also
	// match the user's key below.
	f := newFixture(t, console.Options{AllowTutorialSolutions: true, DemoPrefix: "demo*[x]:"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, f.redis.Set(ctx, "demoZx:tutorial:greeting", "the user's"))
	code, body := f.post(t, "api/tutorials/redis/apply", map[string]int{"step": 1})
	require.Equal(t, http.StatusOK, code, body)
	v, err := f.redis.Get(ctx, "demo*[x]:tutorial:greeting")
	require.NoError(t, err)
	require.Equal(t, "hello", v)
	code, body = f.post(t, "api/tutorials/redis/reset", map[string]any{})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"deleted":1`)
	keys, err := f.redis.Keys(ctx, "*")
	require.NoError(t, err)
	assert.Equal(t, []string{"demoZx:tutorial:greeting"}, keys)
	// Reset is POST-only and same-origin like every state change.
	assert.Equal(t, http.StatusMethodNotAllowed, serve(f.c, "GET", "/api/tutorials/redis/reset", "127.0.0.1:1", "localhost", nil).Code)
	assert.Equal(t, http.StatusForbidden, serve(f.c, "POST", "/api/tutorials/redis/reset", "127.0.0.1:1", "localhost", map[string]string{"Sec-Fetch-Site": "cross-site"}).Code)
}
