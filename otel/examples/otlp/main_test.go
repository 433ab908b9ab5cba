package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// collector is an OTLP/HTTP trace receiver: it decodes every export
// request and keeps the spans' names and trace ids.
type collector struct {
	mu     sync.Mutex
	names  []string
	traces map[string]bool
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
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.names = append(c.names, s.Name)
				c.traces[string(s.TraceId)] = true
			}
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func TestTracesReachTheOTLPEndpointFromTheEnvironment(t *testing.T) {
	r := testenv.SharedRedis(t)
	require.True(t, r.Real || !testenv.RequireReal(), "a real redis-server is required")
	t.Logf("redis at %s (real redis-server: %v)", r.Addr, r.Real)
	col := &collector{traces: map[string]bool{}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "otlp-test")

	args := []string{"-ops", "3", "-redis", r.URL() + "/0"}
	if r.Embedded {
		args[3] += "?cache=false"
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), args, &out))
	assert.Contains(t, out.String(), "sqlite app.db: 7 operations")
	assert.Contains(t, out.String(), "redis redis://"+r.Addr+"/0")
	assert.Contains(t, out.String(), "sent 14 spans under one trace")

	col.mu.Lock()
	defer col.mu.Unlock()
	require.Len(t, col.names, 14, "every operation's span and the workload's reached the collector: %v", col.names)
	assert.Len(t, col.traces, 1, "all under the workload's trace")
	count := func(name string) int {
		n := 0
		for _, s := range col.names {
			if s == name {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 1, count("workload"))
	assert.Equal(t, 3, count("GET 0"))
	assert.Equal(t, 3, count("SET 0"))
	sql := 0
	for _, s := range col.names {
		if strings.HasSuffix(s, " app.db") {
			sql++
		}
	}
	assert.Equal(t, 7, sql, "the CREATE, INSERTs and SELECTs are database spans on app.db: %v", col.names)
}

func TestWithoutAnEndpointItSaysWhatToSet(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	err := run(context.Background(), nil, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OTEL_EXPORTER_OTLP_ENDPOINT")
}
