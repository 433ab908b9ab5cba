package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" { // runProgram: this binary is the program
		main()
		os.Exit(0)
	}
	testenv.Main(m)
}

// s3URL is the -s3 URL of bucket on st.
func s3URL(st *testenv.S3, bucket string) string {
	return fmt.Sprintf("s3://%s:%s@%s?endpoint=%s&region=%s", url.PathEscape(st.AccessKey), url.PathEscape(st.SecretKey),
		bucket, url.QueryEscape(st.Endpoint), st.Region)
}

// The demo must run on embedded defaults on a machine with nothing but Go.
func TestDemoRunsEveryComponentOnEmbeddedDefaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hub := arsenal.NewHub()
	defer hub.Close()
	o := options{ops: 40, concurrency: 2}
	for _, open := range []func(context.Context, options) (*part, error){openSQLite, openRedis, openS3, openWebSocket} {
		p, err := open(ctx, o)
		if p != nil && p.cleanup != nil {
			defer p.cleanup()
		}
		require.NoError(t, err)
		require.NoError(t, hub.Add(p.name, p.comp))
		res := drive(ctx, p, o.ops, o.concurrency)
		assert.Zero(t, res.errors, "%s: first error %v", p.name, res.firstErr)
		assert.Equal(t, o.ops, res.count, p.name)
	}
	rep := hub.Health(ctx)
	require.True(t, rep.Healthy(), "health: %v", rep.Err())
	assert.Len(t, rep.Components, 4)
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// -console against a real redis-server and versitygw: the address is
// printed on stdout, the console answers, and at shutdown the rounds in
// flight finish instead of being reported as errors (issue 14 item 10).
func TestConsoleServesRealComponentsAndShutsDownWithoutErrors(t *testing.T) {
	rd := testenv.StartRedis(t)
	st := testenv.SharedS3(t)
	addr := freeAddr(t)
	o := options{redis: rd.URL(), s3: s3URL(st, st.NewBucket(t)), ops: 10, concurrency: 4, console: addr, duration: 4 * time.Second}
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runWithOutput(context.Background(), o, out) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Arsenal console: ") }, 30*time.Second, 20*time.Millisecond)
	m := regexp.MustCompile(`Arsenal console: (http://\S+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, "address printed: %s", out.String())
	assert.Equal(t, "http://"+addr+"/", m[1])
	resp, err := http.Get(m[1] + "api/state")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"kind":"redis"`)
	assert.NotContains(t, string(body), st.SecretKey)
	// The hub's health and metrics beside the console: the same Stats,
	// as Prometheus text, for every component the console shows.
	for _, path := range []string{"hub/livez", "hub/readyz"} {
		resp, err := http.Get(m[1] + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	resp, err = http.Get(m[1] + "hub/metrics")
	require.NoError(t, err)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	require.NoError(t, err, "the metrics parse as Prometheus text")
	ops := families["arsenal_operations_total"]
	require.NotNil(t, ops, "families: %v", slices.Collect(maps.Keys(families)))
	kinds := map[string]bool{}
	for _, mt := range ops.GetMetric() {
		for _, l := range mt.GetLabel() {
			if l.GetName() == "kind" && mt.GetCounter().GetValue() > 0 {
				kinds[l.GetValue()] = true
			}
		}
	}
	for _, k := range []string{"sqlite", "redis", "s3", "websocket"} {
		assert.True(t, kinds[k], "operations counted for %s: %v", k, kinds)
	}
	// A request that reaches the listener by another name is refused.
	req, err := http.NewRequest(http.MethodGet, m[1]+"hub/metrics", nil)
	require.NoError(t, err)
	req.Host = "rebound.example:80"
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.NoError(t, <-done)
	report := out.String()
	assert.Contains(t, report, "real server from -redis")
	assert.Contains(t, report, "Latency by operation")
	// Every operation row of the final report shows zero errors.
	rows := regexp.MustCompile(`(?m)^\s+(sqlite|redis|s3|websocket)\s+(\S+)\s+(\d+)\s+(\d+)\s`).FindAllStringSubmatch(report, -1)
	require.NotEmpty(t, rows, report)
	for _, r := range rows {
		assert.Equal(t, "0", r[4], "errors reported for %s %s at shutdown:\n%s", r[1], r[2], report)
	}
}

// A non-loopback -console address without a token is refused.
func TestConsoleRefusesEveryInterfaceWithoutAToken(t *testing.T) {
	err := runConsole(context.Background(), arsenal.NewHub(), nil, options{console: ":0"}, io.Discard)
	require.Error(t, err)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "ARSENAL_CONSOLE_TOKEN")
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With a token the printed URL carries the token once, and requests
// without it are refused (the tests listen on loopback only).
func TestConsoleWithATokenPrintsTheTokenURLAndRequiresIt(t *testing.T) {
	const token = "example-token-1234"
	o := options{ops: 1, concurrency: 1, console: freeAddr(t), consoleToken: token, duration: 3 * time.Second}
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runWithOutput(context.Background(), o, out) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Arsenal console: ") }, 30*time.Second, 20*time.Millisecond)
	m := regexp.MustCompile(`Arsenal console: (http://\S+)\?token=(\S+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	assert.Equal(t, token, m[2])
	base := m[1]
	resp, err := http.Get(base + "api/state")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	req, _ := http.NewRequest("GET", base+"api/state", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// The hub's endpoints beside it ask for the same token.
	resp, err = http.Get(base + "hub/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	req, _ = http.NewRequest("GET", base+"hub/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(metrics), "arsenal_operations_total{")
	resp, err = http.Get(base + "hub/readyz?token=" + url.QueryEscape(token))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, <-done)
}

// Rounds in flight when shutdown begins run to their end (issue 14 item
// 10): a slow round sees no cancellation, so no error is counted for it.
func TestShutdownLetsRoundsInFlightFinish(t *testing.T) {
	var mu sync.Mutex
	var started, failed int
	p := &part{name: "slow", workload: func(ctx context.Context, worker, i int) error {
		mu.Lock()
		started++
		mu.Unlock()
		select {
		case <-time.After(150 * time.Millisecond):
			return nil
		case <-ctx.Done():
			mu.Lock()
			failed++
			mu.Unlock()
			return ctx.Err()
		}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	stop := startLoad(ctx, []*part{p}, 2)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return started > 0 }, 5*time.Second, 5*time.Millisecond)
	cancel() // shutdown begins while a round is in flight
	stop()
	mu.Lock()
	defer mu.Unlock()
	assert.Positive(t, started)
	assert.Zero(t, failed, "rounds in flight at shutdown were cancelled")
}

// An interrupt during the demo run stops new rounds and cancels none.
func TestInterruptedRunCountsNoErrors(t *testing.T) {
	p := &part{name: "slow", workload: func(ctx context.Context, worker, i int) error {
		select {
		case <-time.After(50 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	res := drive(ctx, p, 1000, 2)
	assert.Zero(t, res.errors, "first error: %v", res.firstErr)
	assert.Positive(t, res.count)
	assert.Less(t, res.count, 1000, "no new rounds after the interrupt")
}
