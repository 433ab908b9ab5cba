package arsenal_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

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
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Kind() != "fake" || gotURL != "host/path" {
		t.Errorf("opened %q with %q", c.Kind(), gotURL)
	}
	if !slices.Contains(arsenal.Schemes(), "testfake") {
		t.Errorf("Schemes() = %v lacks testfake", arsenal.Schemes())
	}
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
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			f()
		})
	}
}

func TestOpenUnknownSchemeHintsAtAForgottenImport(t *testing.T) {
	tests := []struct {
		name, url, hint string
	}{
		{"redis", "redis://user:hunter2@localhost:6379", "arsenal/redis"},
		{"s3", "s3://bucket", "arsenal/s3"},
		{"websocket", "wss://example.test/x", "arsenal/websocket"},
		{"sqlite", "sqlite:///tmp/x.db", "arsenal/sqlite"},
		{"other", "gopher://x", "import the package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := arsenal.Open(context.Background(), tt.url)
			if arsenal.CodeOf(err) != arsenal.InvalidArgument {
				t.Fatalf("code %v: %v", arsenal.CodeOf(err), err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "forgotten import?") || !strings.Contains(msg, tt.hint) {
				t.Errorf("error lacks hint %q: %s", tt.hint, msg)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the password: %s", msg)
			}
		})
	}
}

func TestOpenRejectsURLsWithoutSchemeOrUnparseable(t *testing.T) {
	for _, raw := range []string{"localhost:6379x", "no-scheme", "redis://us er:pa ss@[::1"} {
		_, err := arsenal.Open(context.Background(), raw)
		if arsenal.CodeOf(err) != arsenal.InvalidArgument {
			t.Errorf("Open(%q): code %v (%v)", raw, arsenal.CodeOf(err), err)
		}
		if err != nil && strings.Contains(err.Error(), "pa ss") {
			t.Errorf("Open(%q) leaks the password: %v", raw, err)
		}
	}
}

func TestRedactURLHidesPasswordsAndSecretParameters(t *testing.T) {
	got := arsenal.RedactURL("redis://alice:s3cret@host:6379/0?token=abc&db=1")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "abc") {
		t.Errorf("RedactURL leaked: %s", got)
	}
	if !strings.Contains(got, "alice") || !strings.Contains(got, "db=1") {
		t.Errorf("RedactURL removed too much: %s", got)
	}
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
		if err := h.Add(name, c); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	rep := h.Health(context.Background())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Health took %s; the slow check should be cut at its timeout", d)
	}
	if rep.Healthy() {
		t.Error("report is healthy with a failing component")
	}
	byName := map[string]arsenal.ComponentHealth{}
	for _, c := range rep.Components {
		byName[c.Name] = c
	}
	if arsenal.CodeOf(byName["a-slow"].Err) != arsenal.DeadlineExceeded {
		t.Errorf("slow: %v", byName["a-slow"].Err)
	}
	if arsenal.CodeOf(byName["b-bad"].Err) != arsenal.Unavailable {
		t.Errorf("bad: %v", byName["b-bad"].Err)
	}
	if !byName["c-good"].Healthy() {
		t.Errorf("good: %v", byName["c-good"].Err)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "b-bad") || strings.Contains(err.Error(), "c-good") {
		t.Errorf("report error = %v", err)
	}
	if len(started) != 3 {
		t.Errorf("%d checks started", len(started))
	}
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
		if err := h.Add(n, f); err != nil {
			t.Fatal(err)
		}
	}
	err := h.Close()
	if !errors.Is(err, errB) || !errors.Is(err, errD) {
		t.Errorf("Close error %v does not join both failures", err)
	}
	if got := strings.Join(log.order, ","); got != "d,c,b,a" {
		t.Errorf("close order %s, want d,c,b,a", got)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := h.Add("e", &fake{kind: "fake"}); !errors.Is(err, arsenal.ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
}

func TestHubRejectsDuplicateNamesAndAggregatesStats(t *testing.T) {
	h := arsenal.NewHub()
	defer h.Close()
	if err := h.Add("x", &fake{kind: "k1"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Add("x", &fake{kind: "k2"}); arsenal.CodeOf(err) != arsenal.AlreadyExists {
		t.Errorf("duplicate Add: %v", err)
	}
	if err := h.Add("nil", nil); arsenal.CodeOf(err) != arsenal.InvalidArgument {
		t.Errorf("nil Add: %v", err)
	}
	_ = h.Add("y", &fake{kind: "k2"})
	st := h.Stats()
	if len(st) != 2 || st["x"].Kind != "k1" || st["y"].Kind != "k2" {
		t.Errorf("Stats = %+v", st)
	}
	n, e := st["x"].Total()
	if n != 3 || e != 1 || st["x"].Ops["op"].ErrorRate() != 1.0/3 {
		t.Errorf("Total = %d, %d", n, e)
	}
	if got := h.Names(); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("Names = %v", got)
	}
	if c, ok := h.Get("y"); !ok || c.Kind() != "k2" {
		t.Errorf("Get(y) = %v %v", c, ok)
	}
}

func TestHubOpenURLUsesTheRegistry(t *testing.T) {
	arsenal.Register("testhub", func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		return &fake{kind: "hubfake"}, nil
	})
	h := arsenal.NewHub()
	defer h.Close()
	c, err := h.OpenURL(context.Background(), "one", "testhub://x")
	if err != nil || c.Kind() != "hubfake" {
		t.Fatalf("OpenURL = %v, %v", c, err)
	}
	if _, err := h.OpenURL(context.Background(), "one", "testhub://x"); arsenal.CodeOf(err) != arsenal.AlreadyExists {
		t.Errorf("duplicate OpenURL: %v", err)
	}
	if _, err := h.OpenURL(context.Background(), "two", "nope://x"); arsenal.CodeOf(err) != arsenal.InvalidArgument {
		t.Errorf("unknown scheme: %v", err)
	}
}
