package arsenalotel

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/infra-arsenal/arsenal"
)

// ScopeName is the instrumentation scope of Arsenal's spans and metrics.
const ScopeName = "github.com/infra-arsenal/arsenal/otel"

// Options configure an Observer. The zero value uses the global tracer and
// meter providers (otel.GetTracerProvider, otel.GetMeterProvider).
type Options struct {
	TracerProvider trace.TracerProvider // default: otel.GetTracerProvider()
	MeterProvider  metric.MeterProvider // default: otel.GetMeterProvider()
	// OmitStatements leaves SQL text out of db.query.text. Statements
	// carry their placeholders, never their arguments, so the default is
	// to record them, as the semantic conventions recommend for
	// parameterized queries.
	OmitStatements bool
}

// Observer is an arsenal.Observer and arsenal.ConnObserver that turns a
// component's operations into OpenTelemetry spans and metrics. Set it as
// the Observer of each domain's Config:
//
//	obs, _ := arsenalotel.NewObserver(arsenalotel.Options{})
//	c, err := redis.Open(ctx, redis.Config{Addrs: addrs, Observer: obs})
//
// Spans follow the semantic conventions: database client spans for sqlite,
// redis and postgres (db.system.name, db.operation.name, db.query.text,
// db.namespace, server.address), messaging spans for websocket topics
// (messaging.system "websocket", messaging.destination.name, the fan-out
// as messaging.batch.message_count), and AWS API spans for s3
// (rpc.system.name "aws-api", rpc.method "S3/PutObject", aws.s3.bucket,
// aws.s3.key). A failed operation sets the span's status to Error and
// error.type to its arsenal Code. Each span's parent is the span in the
// caller's context.
//
// Metrics: db.client.operation.duration, messaging.client.operation.duration
// and rpc.client.call.duration histograms (seconds) by component and
// operation; arsenal.operation.errors by code; messaging.client.sent.messages
// counting a publish's fan-out; arsenal.connection.events by kind. Gauges
// of a Hub's components come from RegisterHub.
//
// An Observer is safe for concurrent use.
type Observer struct {
	tracer    trace.Tracer
	omitStmt  bool
	dbDur     metric.Float64Histogram
	msgDur    metric.Float64Histogram
	rpcDur    metric.Float64Histogram
	errs      metric.Int64Counter
	sent      metric.Int64Counter
	connEvent metric.Int64Counter
	// The attributes of each (component, operation or event, error code),
	// built once: building an attribute set sorts and allocates, and a
	// service has few of them.
	sets   sync.Map // setKey -> metric.MeasurementOption
	events sync.Map // eventKey -> *eventAttrs
}

// cached returns the value m holds for k, storing build's result first
// when it holds none.
func cached[K comparable, V any](m *sync.Map, k K, build func() V) V {
	if v, ok := m.Load(k); ok {
		return v.(V)
	}
	v, _ := m.LoadOrStore(k, build())
	return v.(V)
}

// metricAttrs returns the metric attributes of operations and connection
// events: the component, what happened (under key), and the error type
// when failed.
func metricAttrs(component, key, what string, code arsenal.Code, failed bool) []attribute.KeyValue {
	kv := []attribute.KeyValue{attribute.String("arsenal.component", component), attribute.String(key, what)}
	if failed {
		kv = append(kv, semconv.ErrorTypeKey.String(code.String()))
	}
	return kv
}

type setKey struct {
	component, op string
	code          arsenal.Code
	failed        bool
}

// measurement returns the metric attributes of an operation's end.
func (o *Observer) measurement(component, op string, code arsenal.Code, failed bool) metric.MeasurementOption {
	return cached(&o.sets, setKey{component, op, code, failed}, func() metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(metricAttrs(component, "arsenal.operation", op, code, failed)...))
	})
}

// NewObserver creates the Observer's tracer and instruments.
func NewObserver(opts Options) (*Observer, error) {
	tp, mp := opts.TracerProvider, opts.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	o := &Observer{tracer: tp.Tracer(ScopeName), omitStmt: opts.OmitStatements}
	buckets := metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
	var err error
	if o.dbDur, err = m.Float64Histogram("db.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of database client operations."), buckets); err != nil {
		return nil, err
	}
	if o.msgDur, err = m.Float64Histogram("messaging.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of messaging operations."), buckets); err != nil {
		return nil, err
	}
	if o.rpcDur, err = m.Float64Histogram("rpc.client.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of outbound RPC calls."), buckets); err != nil {
		return nil, err
	}
	if o.errs, err = m.Int64Counter("arsenal.operation.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Operations that failed, by component, operation and arsenal code.")); err != nil {
		return nil, err
	}
	if o.sent, err = m.Int64Counter("messaging.client.sent.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Messages delivered by topic publishes (their fan-out).")); err != nil {
		return nil, err
	}
	if o.connEvent, err = m.Int64Counter("arsenal.connection.events", metric.WithUnit("{event}"),
		metric.WithDescription("Connection events: connect, disconnect, reconnect, failover, pool_acquire, dial_error.")); err != nil {
		return nil, err
	}
	return o, nil
}

type family int

const (
	famDB family = iota
	famMessaging
	famRPC
	famOther
)

func familyOf(component string) family {
	switch component {
	case "sqlite", "redis", "postgres":
		return famDB
	case "websocket":
		return famMessaging
	case "s3":
		return famRPC
	}
	return famOther
}

// s3Methods maps the s3 package's operation names to the S3 API's.
var s3Methods = map[string]string{
	"put": "PutObject", "get": "GetObject", "stat": "HeadObject", "delete": "DeleteObject",
	"delete_many": "DeleteObjects", "copy": "CopyObject", "list": "ListObjectsV2",
	"list_uploads": "ListMultipartUploads", "health": "HeadBucket", "upload_part": "UploadPart",
	"complete_upload": "CompleteMultipartUpload", "create_upload": "CreateMultipartUpload",
	"abort_upload": "AbortMultipartUpload", "create_bucket": "CreateBucket",
	"delete_bucket": "DeleteBucket", "head_bucket": "HeadBucket",
}

func s3Method(op string) string {
	if m, ok := s3Methods[op]; ok {
		return m
	}
	return op
}

// attrs returns the span name, kind and attributes of op.
func (o *Observer) attrs(op arsenal.OpStart) (string, trace.SpanKind, []attribute.KeyValue) {
	kv := make([]attribute.KeyValue, 0, 8)
	kv = append(kv, serverAttrs(op.Target)...)
	switch familyOf(op.Component) {
	case famDB:
		system := semconv.DBSystemNameKey.String(op.Component)
		switch op.Component {
		case "sqlite":
			system = semconv.DBSystemNameSQLite
		case "redis":
			system = semconv.DBSystemNameRedis
		case "postgres":
			system = semconv.DBSystemNamePostgreSQL
		}
		opName := op.Op
		if op.Component == "redis" && op.Statement != "" {
			opName = strings.ToUpper(op.Statement) // the command name
		}
		kv = append(kv, system, semconv.DBOperationName(opName))
		if op.Namespace != "" {
			kv = append(kv, semconv.DBNamespace(op.Namespace))
		}
		if op.Statement != "" && op.Component != "redis" && !o.omitStmt {
			kv = append(kv, semconv.DBQueryText(op.Statement))
		}
		name := opName
		if op.Resource != "" && op.Component != "redis" {
			kv = append(kv, semconv.DBCollectionName(op.Resource))
			name += " " + op.Resource
		} else if op.Namespace != "" {
			name += " " + op.Namespace
		}
		return name, trace.SpanKindClient, kv
	case famMessaging:
		kv = append(kv, semconv.MessagingSystemKey.String("websocket"), semconv.MessagingOperationName(op.Op))
		kind := trace.SpanKindClient
		name := "websocket " + op.Op
		if op.Resource != "" {
			kv = append(kv, semconv.MessagingDestinationName(op.Resource))
			name = op.Op + " " + op.Resource
		}
		switch op.Op {
		case "publish", "send", "write":
			kind = trace.SpanKindProducer
			kv = append(kv, semconv.MessagingOperationTypeSend)
		case "read", "receive":
			kind = trace.SpanKindConsumer
			kv = append(kv, semconv.MessagingOperationTypeReceive)
		}
		return name, kind, kv
	case famRPC:
		method := s3Method(op.Op)
		kv = append(kv, semconv.RPCSystemNameKey.String("aws-api"), semconv.RPCMethod("S3/"+method))
		if op.Namespace != "" {
			kv = append(kv, semconv.AWSS3Bucket(op.Namespace))
		}
		if op.Resource != "" {
			kv = append(kv, semconv.AWSS3Key(op.Resource))
		}
		return "S3." + method, trace.SpanKindClient, kv
	}
	kv = append(kv, attribute.String("arsenal.component", op.Component), attribute.String("arsenal.operation", op.Op))
	return op.Component + " " + op.Op, trace.SpanKindClient, kv
}

// serverAttrs splits a host:port target into server.address and
// server.port; a path or bucket target gives none.
func serverAttrs(target string) []attribute.KeyValue {
	host, port, err := net.SplitHostPort(target)
	if err != nil || host == "" {
		return nil
	}
	kv := []attribute.KeyValue{semconv.ServerAddress(host)}
	if p, err := strconv.Atoi(port); err == nil {
		kv = append(kv, semconv.ServerPort(p))
	}
	return kv
}

// OpStart starts the operation's span as a child of the span in ctx.
func (o *Observer) OpStart(ctx context.Context, op arsenal.OpStart) context.Context {
	name, kind, kv := o.attrs(op)
	start := op.Time
	if start.IsZero() {
		start = time.Now()
	}
	ctx, _ = o.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(kv...), trace.WithTimestamp(start))
	return ctx
}

// OpEnd ends the span OpStart started and records the metrics.
func (o *Observer) OpEnd(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	span := trace.SpanFromContext(ctx)
	code := end.Code
	if end.Err != nil && code == arsenal.OK {
		code = arsenal.CodeOf(end.Err)
	}
	if end.Err != nil {
		span.SetStatus(codes.Error, code.String())
		span.SetAttributes(semconv.ErrorTypeKey.String(code.String()))
		span.RecordError(end.Err) // coded errors never hold secrets
	}
	switch familyOf(op.Component) {
	case famDB:
		if end.Rows > 0 {
			span.SetAttributes(semconv.DBResponseReturnedRows(int(end.Rows)))
		}
	case famMessaging:
		if end.Messages > 0 {
			span.SetAttributes(semconv.MessagingBatchMessageCount(int(end.Messages)))
		}
	}
	endAt := op.Time.Add(end.Duration)
	if op.Time.IsZero() || end.Duration <= 0 {
		endAt = time.Now()
	}
	span.End(trace.WithTimestamp(endAt))

	set := o.measurement(op.Component, op.Op, code, end.Err != nil)
	secs := end.Duration.Seconds()
	switch familyOf(op.Component) {
	case famDB:
		o.dbDur.Record(ctx, secs, set)
	case famMessaging:
		o.msgDur.Record(ctx, secs, set)
		if end.Messages > 0 {
			o.sent.Add(ctx, end.Messages, set)
		}
	default:
		o.rpcDur.Record(ctx, secs, set)
	}
	if end.Err != nil {
		o.errs.Add(ctx, 1, set)
	}
}

// ConnEvent counts the event and adds it to the current span, if any.
func (o *Observer) ConnEvent(ctx context.Context, ev arsenal.ConnEvent) {
	var code arsenal.Code
	if ev.Err != nil {
		code = arsenal.CodeOf(ev.Err)
	}
	a := o.eventAttrs(ev.Component, ev.Kind, code, ev.Err != nil)
	o.connEvent.Add(ctx, 1, a.set)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(a.name, trace.WithAttributes(a.kv...))
	}
}

type eventKey struct {
	component string
	kind      arsenal.ConnEventKind
	code      arsenal.Code
	failed    bool
}

type eventAttrs struct {
	name string
	kv   []attribute.KeyValue
	set  metric.MeasurementOption
}

// eventAttrs returns the span event name and attributes and the metric
// attribute set of a connection event, built once per kind (a pool
// acquire is an event of every SQLite call).
func (o *Observer) eventAttrs(component string, kind arsenal.ConnEventKind, code arsenal.Code, failed bool) *eventAttrs {
	return cached(&o.events, eventKey{component, kind, code, failed}, func() *eventAttrs {
		kv := metricAttrs(component, "arsenal.event", kind.String(), code, failed)
		return &eventAttrs{name: "arsenal." + kind.String(), kv: kv, set: metric.WithAttributeSet(attribute.NewSet(kv...))}
	})
}

var (
	_ arsenal.Observer     = (*Observer)(nil)
	_ arsenal.ConnObserver = (*Observer)(nil)
)
