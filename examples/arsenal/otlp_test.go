package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

// span is what the collector keeps of one received span.
type span struct {
	name, trace, id, parent string
	service                 string            // the resource's service.name
	attrs                   map[string]string // string and integer attributes
}

// collector is an OTLP/HTTP trace receiver: it decodes every export
// request (protobuf) and keeps its spans and the header named header.
type collector struct {
	header string

	mu       sync.Mutex
	requests int
	headers  []string
	spans    []span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests++
	c.headers = append(c.headers, r.Header.Get(c.header))
	for _, rs := range req.ResourceSpans {
		service := attrMap(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.spans = append(c.spans, span{
					name: s.Name, trace: hex.EncodeToString(s.TraceId), id: hex.EncodeToString(s.SpanId),
					parent: hex.EncodeToString(s.ParentSpanId), service: service, attrs: attrMap(s.Attributes),
				})
			}
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = fmt.Sprint(v.IntValue)
		}
	}
	return m
}

// asMainEnv makes the test binary run main instead of the tests (see
// TestMain), so a test sees all the program prints, stdout and stderr.
const asMainEnv = "ARSENAL_EXAMPLE_AS_MAIN"

// runProgram runs the program with args in this process's environment
// without the OTEL_* variables and the ones naming servers, plus env, and
// returns its combined output.
func runProgram(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	serverVars := regexp.MustCompile(`^(OTEL_|S3_|ARSENAL_|REDIS_URL=|VALKEY_URL=)`)
	for _, kv := range os.Environ() {
		if !serverVars.MatchString(kv) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, asMainEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the program failed:\n%s", out)
	return string(out)
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, every component's operations reach
// a real OTLP/HTTP receiver as spans under the one "workload" span, named
// by OTEL_SERVICE_NAME, with the OTEL_EXPORTER_OTLP_HEADERS sent but never
// printed.
func TestTracesOfEveryComponentReachTheOTLPEndpoint(t *testing.T) {
	rd := testenv.SharedRedis(t)
	require.True(t, rd.Real || !testenv.RequireReal(), "a real redis-server is required")
	st := testenv.SharedS3(t)
	t.Logf("redis at %s (real: %v), S3 at %s", rd.Addr, rd.Real, st.Endpoint)
	redisURL := rd.URL() + "/0"
	if rd.Embedded {
		redisURL += "?cache=false" // miniredis has no client-side caching
	}
	const token = "otlp-token-5f1c9a2e"
	col := &collector{header: "X-Otlp-Token"}
	srv := httptest.NewServer(col)
	defer srv.Close()

	out := runProgram(t, []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + srv.URL,
		"OTEL_EXPORTER_OTLP_HEADERS=x-otlp-token=" + token,
		"OTEL_SERVICE_NAME=otlp-test",
	}, "-ops", "3", "-c", "1", "-redis", redisURL, "-s3", s3URL(st, st.NewBucket(t)))
	t.Logf("output:\n%s", out)
	assert.NotContains(t, out, token, "a header value is never printed")
	m := regexp.MustCompile(`(?m)^Traces: trace ([0-9a-f]{32}) sent over OTLP/HTTP to (\S+)$`).FindStringSubmatch(out)
	require.NotNil(t, m, "one line says where the traces went")
	assert.Equal(t, srv.URL+"/v1/traces", m[2])
	assert.Contains(t, out, "Latency by operation", "the report is printed as without tracing")

	col.mu.Lock()
	defer col.mu.Unlock()
	require.Positive(t, col.requests)
	for _, h := range col.headers {
		assert.Equal(t, token, h, "the exporter sends OTEL_EXPORTER_OTLP_HEADERS")
	}
	var root *span
	byID := map[string]*span{}
	for i := range col.spans {
		s := &col.spans[i]
		byID[s.id] = s
		assert.Equal(t, "otlp-test", s.service, "OTEL_SERVICE_NAME names the service of %s", s.name)
		if s.name == "workload" {
			require.Nil(t, root, "one workload span")
			root = s
		}
	}
	require.NotNil(t, root, "the workload's span arrived: %d spans", len(col.spans))
	assert.Empty(t, root.parent, "the workload's span is the root")
	assert.Equal(t, root.trace, m[1], "the printed trace is the workload's")
	// underRoot: s descends from the workload's span.
	underRoot := func(s *span) bool {
		for p := s; p != nil; p = byID[p.parent] {
			if p == root {
				return true
			}
		}
		return false
	}
	count := func(attr, value string) int {
		n := 0
		for i := range col.spans {
			if s := &col.spans[i]; s.attrs[attr] == value && underRoot(s) {
				n++
			}
		}
		return n
	}
	// Each component's workload operations, exactly: 3 rounds, 1 caller.
	assert.Equal(t, 3, count("db.query.text", "INSERT OR REPLACE INTO arsenal_demo (id, worker, note, at) VALUES (?, ?, ?, julianday('now'))"), "sqlite")
	assert.Equal(t, 3, count("db.operation.name", "HINCRBY"), "redis")
	assert.Equal(t, 1, count("db.operation.name", "PUBLISH"), "redis (round 0)")
	assert.Equal(t, 3, count("rpc.method", "S3/PutObject"), "s3")
	assert.Equal(t, 3, count("messaging.operation.name", "write"), "websocket")
	for _, system := range []string{"db.system.name=sqlite", "db.system.name=redis", "rpc.system.name=aws-api", "messaging.system=websocket"} {
		k, v, _ := strings.Cut(system, "=")
		assert.Positive(t, count(k, v), "%s spans under the workload", system)
	}
}

// OTEL_SDK_DISABLED=true turns tracing off even with an endpoint: nothing
// is sent and no traces line printed.
func TestOTELSDKDisabledSendsNothing(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	var out bytes.Buffer
	require.NoError(t, runWithOutput(context.Background(), options{ops: 2, concurrency: 1}, &out))
	assert.Contains(t, out.String(), "Latency by operation")
	assert.NotContains(t, out.String(), "Traces:")
	col.mu.Lock()
	defer col.mu.Unlock()
	assert.Zero(t, col.requests)
}

// Without an endpoint no OpenTelemetry is built: no Observer, no span.
func TestWithoutAnEndpointThereIsNoTracing(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	ctx := context.Background()
	got, obs, tr, err := startTracing(ctx)
	require.NoError(t, err)
	assert.Nil(t, obs)
	assert.Nil(t, tr)
	assert.Equal(t, ctx, got)
}

// The printed endpoint is the one the exporter posts to, without the user
// info or query a URL may carry.
func TestTracesEndpointIsWhereTheExporterSends(t *testing.T) {
	for _, c := range []struct{ base, traces, want string }{
		{"http://127.0.0.1:4318", "", "http://127.0.0.1:4318/v1/traces"},
		{"https://user:pw@otel.example:4318/otlp/?k=v", "", "https://otel.example:4318/otlp/v1/traces"},
		{"http://127.0.0.1:4318", "https://tok@traces.example/api/traces?key=x", "https://traces.example/api/traces"},
		{"", "http://127.0.0.1:4318", "http://127.0.0.1:4318/"},
		{"127.0.0.1:4318", "", "the OTLP endpoint of the environment"},
	} {
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", c.base)
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.traces)
		assert.Equal(t, c.want, tracesEndpoint(), "%+v", c)
	}
}
