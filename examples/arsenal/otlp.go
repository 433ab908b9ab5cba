package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/infra-arsenal/arsenal"
	arsenalotel "github.com/infra-arsenal/arsenal/otel"
)

// serviceName names the traces unless OTEL_SERVICE_NAME does.
const serviceName = "arsenal-example"

// flushTimeout bounds the wait for the last spans to reach the endpoint.
const flushTimeout = 10 * time.Second

// tracing is the OTLP export the standard environment asked for: the
// provider every component's Observer reports to and the workload's span.
type tracing struct {
	tp   *sdktrace.TracerProvider
	root trace.Span
}

// startTracing builds nothing and returns a nil *tracing when the
// environment names no OTLP endpoint or OTEL_SDK_DISABLED is true (see
// arsenalotel.TracerFromEnv). Otherwise it returns the Observer to set on
// every component and ctx under the workload's parent span.
func startTracing(ctx context.Context) (context.Context, arsenal.Observer, *tracing, error) {
	tp, ok, err := arsenalotel.TracerFromEnv(ctx, serviceName)
	if err != nil || !ok {
		return ctx, nil, nil, err
	}
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: tp})
	if err != nil {
		return ctx, nil, nil, errors.Join(err, tp.Shutdown(ctx))
	}
	ctx, root := tp.Tracer("github.com/infra-arsenal/arsenal/examples/arsenal").Start(ctx, "workload")
	return ctx, obs, &tracing{tp: tp, root: root}, nil
}

// finish ends the workload's span, flushes every span to the endpoint
// (waiting at most flushTimeout, even after an interrupt) and prints where
// they went. It never prints OTEL_EXPORTER_OTLP_HEADERS, which may hold
// tokens.
func (t *tracing) finish(ctx context.Context, w io.Writer) error {
	t.root.End()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := t.tp.Shutdown(sctx); err != nil {
		return fmt.Errorf("sending the traces to %s: %w", tracesEndpoint(), err)
	}
	fmt.Fprintf(w, "\nTraces: trace %s sent over OTLP/HTTP to %s\n", t.root.SpanContext().TraceID(), tracesEndpoint())
	return nil
}

// tracesEndpoint is the URL the OTLP/HTTP exporter posts to, read as it
// reads the environment: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
// OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended. Like the exporter
// it keeps only the scheme, host and path, so no user info or query
// parameter is shown.
func tracesEndpoint() string {
	raw, signalPath := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), ""
	if raw == "" {
		raw, signalPath = os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/v1/traces"
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "the OTLP endpoint of the environment"
	}
	p := u.Path
	switch {
	case signalPath != "":
		p = path.Join(p, signalPath)
	case p == "":
		p = "/"
	}
	return u.Scheme + "://" + u.Host + p
}
