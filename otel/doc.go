// Package arsenalotel reports Arsenal's components to OpenTelemetry:
// spans and metrics for every operation through the root package's
// Observer hooks, observable gauges for a Hub's components, a Prometheus
// exporter and an OTLP trace exporter configured from the standard
// environment.
//
// It is a nested module (github.com/infra-arsenal/arsenal/otel), as
// rueidis keeps rueidisotel, so that the library's own go.mod never
// requires the OpenTelemetry SDK; import it only where you want it.
//
// # Configuration
//
// NewObserver(Options{}) uses the global tracer and meter providers;
// Options names others. Set the Observer as each domain Config's
// Observer. RegisterHub adds a hub's gauges; NewPrometheus gives a meter
// provider with a /metrics handler; TracerFromEnv builds an OTLP exporter
// from OTEL_EXPORTER_OTLP_* variables.
//
// # Errors
//
// A failed operation's span has status Error, error.type set to its
// arsenal Code name (NotFound, Unavailable, ...) and the error recorded
// as an event; arsenal errors never carry secrets. Constructors return the
// SDK's errors unchanged.
//
// # Concurrency
//
// An Observer is safe for concurrent use; it runs on the operation's
// goroutine and allocates a span and a few attributes per operation.
package arsenalotel
