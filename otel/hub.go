package arsenalotel

import (
	"context"
	"net/http"
	"os"
	"strings"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/infra-arsenal/arsenal"
)

// unitOf maps a gauge's unit to a UCUM unit, as OpenTelemetry expects.
func unitOf(u arsenal.Unit) string {
	switch u {
	case arsenal.UnitBytes:
		return "By"
	case arsenal.UnitSeconds, arsenal.UnitUnixTime:
		return "s"
	case arsenal.UnitRatio:
		return "1"
	case arsenal.UnitBool:
		return ""
	}
	return "{" + string(u) + "}"
}

type gaugeKey struct{ kind, name string }

// RegisterHub registers observable instruments for the typed gauges of
// every component in hub, read from Stats at each collection (no I/O):
// arsenal.<kind>.<gauge> (counters as observable counters, levels as
// gauges, units mapped to UCUM: By, s, 1 for ratios) and arsenal.up, each with the
// component's hub name as the arsenal.component.name attribute. The
// instruments are those of the components present when RegisterHub runs;
// register again (after unregistering) when a hub gains a kind it did not
// have. Unregister the returned registration before closing the hub.
func RegisterHub(mp metric.MeterProvider, hub *arsenal.Hub) (metric.Registration, error) {
	m := mp.Meter(ScopeName)
	up, err := m.Int64ObservableGauge("arsenal.up",
		metric.WithDescription("Whether the component holds a usable connection (1) or not (0)."))
	if err != nil {
		return nil, err
	}
	floatGauges := map[gaugeKey]metric.Float64ObservableGauge{}
	floatCounters := map[gaugeKey]metric.Float64ObservableCounter{}
	observables := []metric.Observable{up}
	for _, s := range hub.Stats() {
		for _, g := range s.Gauges {
			k := gaugeKey{s.Kind, g.Name}
			if _, ok := floatGauges[k]; ok {
				continue
			}
			if _, ok := floatCounters[k]; ok {
				continue
			}
			name := "arsenal." + s.Kind + "." + g.Name
			desc := metric.WithDescription("The " + g.Name + " gauge of " + s.Kind + " components.")
			if g.Counter {
				c, err := m.Float64ObservableCounter(name, metric.WithUnit(unitOf(g.Unit)), desc)
				if err != nil {
					return nil, err
				}
				floatCounters[k] = c
				observables = append(observables, c)
				continue
			}
			gg, err := m.Float64ObservableGauge(name, metric.WithUnit(unitOf(g.Unit)), desc)
			if err != nil {
				return nil, err
			}
			floatGauges[k] = gg
			observables = append(observables, gg)
		}
	}
	return m.RegisterCallback(func(ctx context.Context, obs metric.Observer) error {
		for name, s := range hub.Stats() {
			set := metric.WithAttributes(attribute.String("arsenal.component.name", name), attribute.String("arsenal.component", s.Kind))
			v := int64(0)
			if s.Connected {
				v = 1
			}
			obs.ObserveInt64(up, v, set)
			for _, g := range s.Gauges {
				k := gaugeKey{s.Kind, g.Name}
				if c, ok := floatCounters[k]; ok {
					obs.ObserveFloat64(c, g.Value, set)
				} else if gg, ok := floatGauges[k]; ok {
					obs.ObserveFloat64(gg, g.Value, set)
				}
			}
		}
		return nil
	}, observables...)
}

// NewPrometheus returns a MeterProvider whose metrics an http.Handler
// serves in the Prometheus format (through OpenTelemetry's Prometheus
// exporter, on a registry of its own, not the process-wide default). Use
// the provider as Options.MeterProvider and for RegisterHub, and mount the
// handler at /metrics. Shut the provider down when done.
func NewPrometheus() (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := promclient.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// TracerFromEnv returns a TracerProvider exporting spans over OTLP/HTTP
// when the standard environment names an endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the
// exporter reads the other OTEL_EXPORTER_OTLP_* variables itself, and
// OTEL_SERVICE_NAME names the service), and ok=false when none is set or
// OTEL_SDK_DISABLED is true. Shut the provider down to flush its spans.
func TracerFromEnv(ctx context.Context, service string) (tp *sdktrace.TracerProvider, ok bool, err error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, false, nil
	}
	// The specification's boolean: "true" in any case turns the SDK off.
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, false, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, false, err
	}
	if s := strings.TrimSpace(os.Getenv("OTEL_SERVICE_NAME")); s != "" {
		service = s
	}
	res := resource.NewSchemaless(semconv.ServiceName(service))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), true, nil
}
