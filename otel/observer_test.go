package arsenalotel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/infra-arsenal/arsenal"
	arsenalotel "github.com/infra-arsenal/arsenal/otel"
	"github.com/infra-arsenal/arsenal/sqlite"
)

type env struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	obs    *arsenalotel.Observer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	e.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: e.tp, MeterProvider: e.mp})
	require.NoError(t, err)
	e.obs = obs
	return e
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

func (e *env) run(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	op.Time = time.Now()
	ctx = e.obs.OpStart(ctx, op)
	e.obs.OpEnd(ctx, op, end)
}

func TestARedisCommandIsADatabaseClientSpanUnderTheCallersSpan(t *testing.T) {
	e := newEnv(t)
	ctx, parent := e.tp.Tracer("test").Start(context.Background(), "handler")
	e.run(ctx, arsenal.OpStart{Component: "redis", Op: "get", Target: "127.0.0.1:6380", Namespace: "0", Resource: "user:1", Statement: "get"},
		arsenal.OpEnd{Duration: time.Millisecond})
	parent.End()
	spans := e.spans.Ended()
	require.Len(t, spans, 2)
	s := spans[0]
	assert.Equal(t, "GET 0", s.Name(), "{db.operation.name} {db.namespace}, as the conventions name database spans")
	assert.Equal(t, trace.SpanKindClient, s.SpanKind())
	assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "the caller's span is the parent")
	assert.Equal(t, map[string]string{
		"db.system.name": "redis", "db.operation.name": "GET", "db.namespace": "0",
		"server.address": "127.0.0.1", "server.port": "6380",
	}, attrMap(s.Attributes()))
	assert.Equal(t, codes.Unset, s.Status().Code)
	assert.InDelta(t, time.Millisecond, s.EndTime().Sub(s.StartTime()), float64(time.Microsecond))
}

func TestAnS3NotFoundRecordsItsCode(t *testing.T) {
	e := newEnv(t)
	err := arsenal.E(arsenal.NotFound, "s3", "get", errors.New("NoSuchKey"))
	e.run(context.Background(), arsenal.OpStart{Component: "s3", Op: "get", Target: "127.0.0.1:7070", Namespace: "photos", Resource: "a/b.jpg"},
		arsenal.OpEnd{Err: err, Code: arsenal.NotFound, Duration: 2 * time.Millisecond})
	s := e.spans.Ended()[0]
	assert.Equal(t, "S3.GetObject", s.Name())
	a := attrMap(s.Attributes())
	assert.Equal(t, "aws-api", a["rpc.system.name"])
	assert.Equal(t, "S3/GetObject", a["rpc.method"])
	assert.Equal(t, "photos", a["aws.s3.bucket"])
	assert.Equal(t, "a/b.jpg", a["aws.s3.key"])
	assert.Equal(t, "NotFound", a["error.type"])
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.Equal(t, "NotFound", s.Status().Description)
	require.Len(t, s.Events(), 1, "the error is recorded as an event")
	assert.Equal(t, "exception", s.Events()[0].Name)

	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	errs := find(t, rm, "arsenal.operation.errors").(metricdata.Sum[int64])
	require.Len(t, errs.DataPoints, 1)
	assert.Equal(t, int64(1), errs.DataPoints[0].Value)
	code, _ := errs.DataPoints[0].Attributes.Value("error.type")
	assert.Equal(t, "NotFound", code.AsString())
	dur := find(t, rm, "rpc.client.call.duration").(metricdata.Histogram[float64])
	require.Len(t, dur.DataPoints, 1)
	assert.Equal(t, uint64(1), dur.DataPoints[0].Count)
	assert.InDelta(t, 0.002, dur.DataPoints[0].Sum, 1e-9)
}

func TestSQLStatementsAndWebSocketFanOut(t *testing.T) {
	e := newEnv(t)
	e.run(context.Background(), arsenal.OpStart{Component: "sqlite", Op: "query", Target: "/tmp/app.db", Namespace: "app.db", Resource: "users", Statement: "SELECT * FROM users WHERE id = ?"},
		arsenal.OpEnd{Rows: 3, Duration: time.Microsecond})
	e.run(context.Background(), arsenal.OpStart{Component: "websocket", Op: "publish", Target: "server", Resource: "chat"},
		arsenal.OpEnd{Messages: 42, Duration: time.Microsecond})
	spans := e.spans.Ended()
	require.Len(t, spans, 2)
	sql := attrMap(spans[0].Attributes())
	assert.Equal(t, "query users", spans[0].Name())
	assert.Equal(t, "sqlite", sql["db.system.name"])
	assert.Equal(t, "SELECT * FROM users WHERE id = ?", sql["db.query.text"])
	assert.Equal(t, "3", sql["db.response.returned_rows"])
	ws := attrMap(spans[1].Attributes())
	assert.Equal(t, "publish chat", spans[1].Name())
	assert.Equal(t, trace.SpanKindProducer, spans[1].SpanKind())
	assert.Equal(t, "websocket", ws["messaging.system"])
	assert.Equal(t, "chat", ws["messaging.destination.name"])
	assert.Equal(t, "42", ws["messaging.batch.message_count"])

	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	sent := find(t, rm, "messaging.client.sent.messages").(metricdata.Sum[int64])
	assert.Equal(t, int64(42), sent.DataPoints[0].Value)
	db := find(t, rm, "db.client.operation.duration").(metricdata.Histogram[float64])
	assert.Equal(t, uint64(1), db.DataPoints[0].Count)

	omit, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: e.tp, MeterProvider: e.mp, OmitStatements: true})
	require.NoError(t, err)
	op := arsenal.OpStart{Component: "sqlite", Op: "exec", Statement: "DELETE FROM t"}
	omit.OpEnd(omit.OpStart(context.Background(), op), op, arsenal.OpEnd{})
	last := e.spans.Ended()[2]
	_, has := attrMap(last.Attributes())["db.query.text"]
	assert.False(t, has, "OmitStatements keeps SQL text out")
}

func TestConnectionEventsAreCountedAndAddedToTheSpan(t *testing.T) {
	e := newEnv(t)
	ctx, span := e.tp.Tracer("test").Start(context.Background(), "outer")
	arsenal.NotifyConn(ctx, e.obs, arsenal.ConnEvent{Component: "redis", Kind: arsenal.ConnReconnect})
	span.End()
	require.Len(t, e.spans.Ended()[0].Events(), 1)
	assert.Equal(t, "arsenal.reconnect", e.spans.Ended()[0].Events()[0].Name)
	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	ev := find(t, rm, "arsenal.connection.events").(metricdata.Sum[int64])
	require.Len(t, ev.DataPoints, 1)
	kind, _ := ev.DataPoints[0].Attributes.Value("arsenal.event")
	assert.Equal(t, "reconnect", kind.AsString())
}

func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Aggregation {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

// realHub opens a real SQLite database (a file) in a hub and runs a few
// statements, one failing.
func realHub(t *testing.T) *arsenal.Hub {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "app.db"), Create: true})
	require.NoError(t, err)
	h := arsenal.NewHub()
	require.NoError(t, h.Add("db", db))
	t.Cleanup(func() { _ = h.Close() })
	_, err = db.Exec(ctx, "CREATE TABLE t(id INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO t VALUES (1)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO nope VALUES (1)")
	require.Error(t, err)
	return h
}

func parse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err, "the Prometheus text parser rejects the output:\n%s", body)
	return fams
}

func TestTheHubsMetricsEndpointParsesWithThePrometheusTextParser(t *testing.T) {
	h := realHub(t)
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	fams := parse(t, rec.Body.String())

	ops := fams["arsenal_operations_total"]
	require.NotNil(t, ops)
	assert.Equal(t, dto.MetricType_COUNTER, ops.GetType())
	var execCount, execErrors float64
	for _, m := range ops.Metric {
		if label(m, "op") == "exec" && label(m, "component") == "db" {
			execCount = m.GetCounter().GetValue()
		}
	}
	for _, m := range fams["arsenal_operation_errors_total"].Metric {
		if label(m, "op") == "exec" {
			execErrors = m.GetCounter().GetValue()
		}
	}
	assert.Equal(t, 3.0, execCount)
	assert.Equal(t, 1.0, execErrors)
	dur := fams["arsenal_operation_duration_seconds"]
	require.NotNil(t, dur)
	assert.Equal(t, dto.MetricType_SUMMARY, dur.GetType())
	up := fams["arsenal_up"]
	require.NotNil(t, up)
	assert.Equal(t, 1.0, up.Metric[0].GetGauge().GetValue())
	commits := fams["arsenal_sqlite_tx_commits_total"]
	require.NotNil(t, commits, "a typed counter gauge is a counter named _total")
	assert.Equal(t, dto.MetricType_COUNTER, commits.GetType())
}

func TestRegisterHubExportsTheTypedGaugesThroughThePrometheusExporter(t *testing.T) {
	h := realHub(t)
	mp, handler, err := arsenalotel.NewPrometheus()
	require.NoError(t, err)
	defer mp.Shutdown(context.Background())
	reg, err := arsenalotel.RegisterHub(mp, h)
	require.NoError(t, err)
	defer reg.Unregister()
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	fams := parse(t, rec.Body.String())
	up := fams["arsenal_up"]
	require.NotNil(t, up, "families: %v", keys(fams))
	assert.Equal(t, "db", label(up.Metric[0], "arsenal_component_name"))
	assert.Equal(t, 1.0, up.Metric[0].GetGauge().GetValue())
	var opened *dto.MetricFamily
	for name, f := range fams {
		if strings.HasPrefix(name, "arsenal_sqlite_connections_opened") {
			opened = f
		}
	}
	require.NotNil(t, opened, "families: %v", keys(fams))
	assert.Equal(t, dto.MetricType_COUNTER, opened.GetType())
	assert.GreaterOrEqual(t, opened.Metric[0].GetCounter().GetValue(), 1.0)
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func keys(m map[string]*dto.MetricFamily) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
