package arsenalotel_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	arsenalotel "github.com/infra-arsenal/arsenal/otel"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/require"
)

// benchObserver is an OpenTelemetry Observer with every span sampled and
// kept in memory (the SDK's recorder) and metrics on a manual reader: the
// cost of instrumentation itself, with no exporter's network in it.
func benchObserver(b *testing.B) arsenal.Observer {
	b.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: tp, MeterProvider: mp})
	require.NoError(b, err)
	return obs
}

// BenchmarkObserved runs a Redis GET and SET (1 caller, real redis-server)
// and a SQLite point select with no observer and with OpenTelemetry on,
// side by side in one run:
//
//	cd otel && go test -run '^$' -bench Observed -benchtime 2s -count 5
func BenchmarkObserved(b *testing.B) {
	ctx := context.Background()
	srv := testenv.SharedRedis(b)
	db := func(obs arsenal.Observer) *sqlite.DB {
		d, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Create: true, Observer: obs})
		require.NoError(b, err)
		b.Cleanup(func() { _ = d.Close() })
		_, err = d.Exec(ctx, "CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
		require.NoError(b, err)
		for i := 1; i <= 1000; i++ {
			_, err := d.Exec(ctx, "INSERT INTO bench VALUES (?, ?, ?)", i, "name"+strconv.Itoa(i), float64(i))
			require.NoError(b, err)
		}
		return d
	}
	rc := func(obs arsenal.Observer) *redis.Client {
		cfg, err := redis.ParseURL(srv.URL() + "/0")
		require.NoError(b, err)
		cfg.Observer = obs
		cfg.DisableCache = srv.Embedded
		c, err := redis.Open(ctx, cfg)
		require.NoError(b, err)
		b.Cleanup(func() { _ = c.Close() })
		return c
	}
	for _, mode := range []string{"none", "otel"} {
		var obs arsenal.Observer
		if mode == "otel" {
			obs = benchObserver(b)
		}
		c := rc(obs)
		key := "otel-bench:" + testenv.RandomHex(4)
		require.NoError(b, c.Set(ctx, key, "value"))
		b.Run("redis-GET/observer="+mode, func(b *testing.B) {
			for b.Loop() {
				_, err := c.Get(ctx, key)
				require.NoError(b, err)
			}
		})
		b.Run("redis-SET/observer="+mode, func(b *testing.B) {
			for b.Loop() {
				require.NoError(b, c.Set(ctx, key, "value"))
			}
		})
		d := db(obs)
		b.Run("sqlite-point-select/observer="+mode, func(b *testing.B) {
			var id int64
			var name string
			var score float64
			for i := 0; b.Loop(); i++ {
				require.NoError(b, d.QueryRow(ctx, "SELECT id, name, score FROM bench WHERE id = ?", i%1000+1).Scan(&id, &name, &score))
			}
		})
	}
}
