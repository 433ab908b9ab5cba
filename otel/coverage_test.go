package arsenalotel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/infra-arsenal/arsenal"
	arsenalotel "github.com/infra-arsenal/arsenal/otel"
)

// Without the OTEL_* endpoint variables TracerFromEnv says so and builds
// nothing; with one it exports spans over OTLP/HTTP to that endpoint,
// under OTEL_SERVICE_NAME, unless OTEL_SDK_DISABLED is true.
func TestTracerFromEnvExportsToTheEndpointTheEnvironmentNames(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tp, ok, err := arsenalotel.TracerFromEnv(context.Background(), "svc")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, tp)

	var mu sync.Mutex
	var paths []string
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths, bodies = append(paths, r.URL.Path), append(bodies, b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", recv.URL+"/v1/traces")
	t.Setenv("OTEL_SERVICE_NAME", "from-env-service")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Setenv("OTEL_SDK_DISABLED", "TRUE")
	tp, ok, err = arsenalotel.TracerFromEnv(ctx, "svc")
	require.NoError(t, err)
	assert.False(t, ok, "OTEL_SDK_DISABLED=true turns the exporter off")
	assert.Nil(t, tp)
	t.Setenv("OTEL_SDK_DISABLED", "false")
	tp, ok, err = arsenalotel.TracerFromEnv(ctx, "svc")
	require.NoError(t, err)
	require.True(t, ok)
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: tp})
	require.NoError(t, err)
	st := arsenal.OpStart{Component: "redis", Op: "get", Target: "127.0.0.1:6379", Statement: "get", Resource: "k", Time: time.Now()}
	obs.OpEnd(obs.OpStart(ctx, st), st, arsenal.OpEnd{Duration: time.Millisecond})
	require.NoError(t, tp.Shutdown(ctx), "shutting down flushes the span")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, paths, "the receiver got the span")
	assert.Equal(t, "/v1/traces", paths[0])
	assert.Contains(t, string(bodies[0]), "from-env-service", "OTEL_SERVICE_NAME names the service")
	assert.Contains(t, string(bodies[0]), "GET", "the span of the Redis GET")
}

// NewObserver without providers takes the process-wide ones (no-op until
// an application sets them): calls work and record nothing.
func TestAnObserverOnTheGlobalProvidersWorks(t *testing.T) {
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{})
	require.NoError(t, err)
	st := arsenal.OpStart{Component: "sqlite", Op: "exec", Statement: "SELECT 1", Time: time.Now()}
	ctx := obs.OpStart(context.Background(), st)
	assert.False(t, trace.SpanFromContext(ctx).IsRecording(), "the default provider records nothing")
	obs.OpEnd(ctx, st, arsenal.OpEnd{Err: arsenal.Errorf(arsenal.NotFound, "sqlite", "exec", "x")})
	obs.ConnEvent(ctx, arsenal.ConnEvent{Component: "sqlite", Kind: arsenal.ConnConnect})
}

// A component the observer has no convention for gets a client span named
// by component and operation; an S3 operation without an API name keeps
// its own; a failed connection event carries its error type, and the
// same event kind twice is one metric series.
func TestOtherComponentsUnknownS3OperationsAndFailedConnectionEvents(t *testing.T) {
	e := newEnv(t)
	e.run(context.Background(), arsenal.OpStart{Component: "queue", Op: "enqueue", Target: "127.0.0.1:4222"}, arsenal.OpEnd{Duration: time.Millisecond})
	e.run(context.Background(), arsenal.OpStart{Component: "s3", Op: "presign", Namespace: "bucket", Resource: "a/b"}, arsenal.OpEnd{Duration: time.Millisecond})
	spans := e.spans.Ended()
	require.Len(t, spans, 2)
	assert.Equal(t, "queue enqueue", spans[0].Name())
	assert.Equal(t, trace.SpanKindClient, spans[0].SpanKind())
	a := attrMap(spans[0].Attributes())
	assert.Equal(t, "queue", a["arsenal.component"])
	assert.Equal(t, "enqueue", a["arsenal.operation"])
	assert.Equal(t, "127.0.0.1", a["server.address"])
	assert.Equal(t, "S3.presign", spans[1].Name())
	assert.Equal(t, "S3/presign", attrMap(spans[1].Attributes())["rpc.method"])

	dialErr := arsenal.Errorf(arsenal.Unavailable, "redis", "dial", "connection refused")
	for range 2 {
		arsenal.NotifyConn(context.Background(), e.obs, arsenal.ConnEvent{Component: "redis", Kind: arsenal.ConnDialError, Err: dialErr})
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	ev := find(t, rm, "arsenal.connection.events").(metricdata.Sum[int64])
	require.Len(t, ev.DataPoints, 1, "one series for the same event, code and component")
	assert.Equal(t, int64(2), ev.DataPoints[0].Value)
	typ, ok := ev.DataPoints[0].Attributes.Value("error.type")
	require.True(t, ok)
	assert.Equal(t, "Unavailable", typ.AsString())
}
