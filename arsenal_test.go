package arsenal_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

// fake is a Component for registry and hub tests.
type fake struct {
	kind     string
	health   func(ctx context.Context) error
	closeErr error
	log      *closeLog
	name     string
	mu       sync.Mutex
	closed   bool
}

type closeLog struct {
	mu    sync.Mutex
	order []string
}

func (l *closeLog) add(s string) { l.mu.Lock(); l.order = append(l.order, s); l.mu.Unlock() }

func (f *fake) Kind() string { return f.kind }
func (f *fake) Health(ctx context.Context) error {
	if f.health != nil {
		return f.health(ctx)
	}
	return nil
}
func (f *fake) Stats() arsenal.Stats {
	return arsenal.Stats{Kind: f.kind, Ops: map[string]arsenal.OpStats{"op": {Count: 3, Errors: 1}}}
}
func (f *fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.log != nil {
		f.log.add(f.name)
	}
	return f.closeErr
}

func TestRegistryOpensRegisteredSchemes(t *testing.T) {
	var gotURL string
	arsenal.Register("testfake", func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		gotURL = u.Host + u.Path
		return &fake{kind: "fake"}, nil
	})
	c, err := arsenal.Open(context.Background(), "TESTFAKE://host/path")
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "fake", c.Kind())
	assert.Equal(t, "host/path", gotURL)
	assert.Contains(t, arsenal.Schemes(), "testfake")
}

func TestRegisterPanicsOnDuplicateAndEmptySchemes(t *testing.T) {
	open := func(context.Context, *url.URL) (arsenal.Component, error) { return nil, nil }
	arsenal.Register("testdup", open)
	for name, f := range map[string]func(){
		"duplicate":  func() { arsenal.Register("TestDup", open) },
		"empty":      func() { arsenal.Register("", open) },
		"nil opener": func() { arsenal.Register("testnil", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			assert.Panics(t, f, "Register did not panic")
		})
	}
}

// The sqlite row lives in hint_internal_test.go: this test binary imports
// sqlite (for the Examples), so sqlite: is registered here.
func TestOpenUnknownSchemeHintsAtAForgottenImport(t *testing.T) {
	tests := []struct {
		name, url, hint string
	}{
		{"redis", "redis://user:hunter2@localhost:6379", "arsenal/redis"},
		{"s3", "s3://bucket", "arsenal/s3"},
		{"websocket", "wss://example.test/x", "arsenal/websocket"},
		{"other", "gopher://x", "import the package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := arsenal.Open(context.Background(), tt.url)
			require.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "%v", err)
			msg := err.Error()
			assert.Contains(t, msg, "forgotten import?")
			assert.Contains(t, msg, tt.hint)
			assert.NotContains(t, msg, "hunter2", "error leaks the password")
		})
	}
}

func TestOpenRejectsURLsWithoutSchemeOrUnparseable(t *testing.T) {
	for _, raw := range []string{"localhost:6379x", "no-scheme", "redis://us er:pa ss@[::1"} {
		_, err := arsenal.Open(context.Background(), raw)
		assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "Open(%q): %v", raw, err)
		if err != nil {
			assert.NotContains(t, err.Error(), "pa ss", "Open(%q) leaks the password", raw)
		}
	}
}

func TestRedactURLHidesPasswordsAndSecretParameters(t *testing.T) {
	got := arsenal.RedactURL("redis://alice:s3cret@host:6379/0?token=abc&db=1")
	assert.NotContains(t, got, "s3cret")
	assert.NotContains(t, got, "abc")
	assert.Contains(t, got, "alice", "RedactURL removed too much")
	assert.Contains(t, got, "db=1", "RedactURL removed too much")
}

func TestRedactURLHidesCommonSecretNamesAndUserOnlyTokens(t *testing.T) {
	for _, raw := range []string{
		"https://api.example.com/x?auth=SECRETV",
		"https://api.example.com/x?jwt=SECRETV",
		"https://api.example.com/x?sig=SECRETV",
		"https://bucket.s3.amazonaws.com/k?X-Amz-Signature=SECRETV&X-Amz-Credential=SECRETV",
		"https://api.example.com/x?session=SECRETV",
		"https://api.example.com/x?key=SECRETV",
		"https://api.example.com/x?api-key=SECRETV",
		"https://api.example.com/x?sessionKey=SECRETV",
		"https://SECRETV@github.com/org/repo.git",
		"wss://SECRETV@example.com/ws",
		"redis://SECRETVSECRETVSECRETV@host:6379/0",
	} {
		got := arsenal.RedactURL(raw)
		assert.NotContains(t, got, "SECRETV", "RedactURL(%q)", raw)
		assert.Contains(t, got, "xxxxx", "RedactURL(%q)", raw)
	}
	// Names that only resemble a secret word stay readable.
	got := arsenal.RedactURL("redis://alice@host:6379/0?keepalive=30s&author=bob&monkey=1&db=1")
	assert.Equal(t, "redis://alice@host:6379/0?author=bob&db=1&keepalive=30s&monkey=1", got)
	for _, name := range []string{"X-Signature", "X-Auth-Token", "Authorization", "x-api-key", "jwt", "sig", "PASSWORD", "sessionId"} {
		assert.True(t, arsenal.IsSecretName(name), name)
	}
	for _, name := range []string{"keepalive", "author", "db", "ping_interval", "monkey", "subprotocols", "keyspace"} {
		assert.False(t, arsenal.IsSecretName(name), name)
	}
}

func TestHubChecksHealthConcurrentlyEachWithItsOwnTimeout(t *testing.T) {
	h := arsenal.NewHub()
	h.HealthTimeout = 200 * time.Millisecond
	started := make(chan struct{}, 3)
	slow := &fake{kind: "slow", health: func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		return arsenal.Wrap("slow", "health", ctx.Err())
	}}
	bad := &fake{kind: "bad", health: func(ctx context.Context) error {
		started <- struct{}{}
		return arsenal.E(arsenal.Unavailable, "bad", "health", nil)
	}}
	good := &fake{kind: "good", health: func(ctx context.Context) error { started <- struct{}{}; return nil }}
	for name, c := range map[string]arsenal.Component{"a-slow": slow, "b-bad": bad, "c-good": good} {
		require.NoError(t, h.Add(name, c))
	}
	start := time.Now()
	rep := h.Health(context.Background())
	assert.LessOrEqual(t, time.Since(start), 5*time.Second, "the slow check should be cut at its timeout")
	assert.False(t, rep.Healthy(), "report is healthy with a failing component")
	byName := map[string]arsenal.ComponentHealth{}
	for _, c := range rep.Components {
		byName[c.Name] = c
	}
	assert.Equal(t, arsenal.DeadlineExceeded, arsenal.CodeOf(byName["a-slow"].Err), "slow: %v", byName["a-slow"].Err)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(byName["b-bad"].Err), "bad: %v", byName["b-bad"].Err)
	assert.True(t, byName["c-good"].Healthy(), "good: %v", byName["c-good"].Err)
	err := rep.Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b-bad")
	assert.NotContains(t, err.Error(), "c-good")
	assert.Len(t, started, 3, "checks started")
}

func TestHubClosesInReverseOrderAndJoinsErrors(t *testing.T) {
	log := &closeLog{}
	h := arsenal.NewHub()
	errB := errors.New("b failed")
	errD := errors.New("d failed")
	for _, n := range []string{"a", "b", "c", "d"} {
		f := &fake{kind: "fake", name: n, log: log}
		switch n {
		case "b":
			f.closeErr = errB
		case "d":
			f.closeErr = errD
		}
		require.NoError(t, h.Add(n, f))
	}
	err := h.Close()
	assert.ErrorIs(t, err, errB)
	assert.ErrorIs(t, err, errD)
	assert.Equal(t, "d,c,b,a", strings.Join(log.order, ","), "close order")
	assert.NoError(t, h.Close(), "second Close")
	assert.ErrorIs(t, h.Add("e", &fake{kind: "fake"}), arsenal.ErrClosed, "Add after Close")
}

func TestHubRejectsDuplicateNamesAndAggregatesStats(t *testing.T) {
	h := arsenal.NewHub()
	defer h.Close()
	require.NoError(t, h.Add("x", &fake{kind: "k1"}))
	assert.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(h.Add("x", &fake{kind: "k2"})), "duplicate Add")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(h.Add("nil", nil)), "nil Add")
	require.NoError(t, h.Add("y", &fake{kind: "k2"}))
	st := h.Stats()
	require.Len(t, st, 2)
	assert.Equal(t, "k1", st["x"].Kind)
	assert.Equal(t, "k2", st["y"].Kind)
	n, e := st["x"].Total()
	assert.EqualValues(t, 3, n)
	assert.EqualValues(t, 1, e)
	assert.Equal(t, 1.0/3, st["x"].Ops["op"].ErrorRate())
	assert.Equal(t, []string{"x", "y"}, h.Names())
	c, ok := h.Get("y")
	require.True(t, ok)
	assert.Equal(t, "k2", c.Kind())
}

func TestHubOpenURLUsesTheRegistry(t *testing.T) {
	arsenal.Register("testhub", func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		return &fake{kind: "hubfake"}, nil
	})
	h := arsenal.NewHub()
	defer h.Close()
	c, err := h.OpenURL(context.Background(), "one", "testhub://x")
	require.NoError(t, err)
	assert.Equal(t, "hubfake", c.Kind())
	_, err = h.OpenURL(context.Background(), "one", "testhub://x")
	assert.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(err), "duplicate OpenURL: %v", err)
	_, err = h.OpenURL(context.Background(), "two", "nope://x")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "unknown scheme: %v", err)
}
