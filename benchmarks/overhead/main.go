// Command overhead measures what the library's optional layers cost on
// the hot path, each side by side with the same call without it in one
// run: a ten-rule security.Policy on Redis GET and SET and on a SQLite
// point select (target: at most 2% more time per call), OpenTelemetry on
// (arsenalotel's Observer; every span sampled, batched and handed to an
// exporter that drops it) against no observer on the same calls, and
// security.Validate's cost per KiB of input in each context. Each pair
// interleaves short sub-blocks of calls (A B, B A, ...) and the report
// gives the median and IQR of the per-pair ratios; a control pair (two
// handles with no policy, compared the same way) shows the harness's own
// resolution in the same run.
//
//	cd benchmarks && go run ./overhead [-quick]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/benchmarks/internal/benchenv"
	"github.com/infra-arsenal/arsenal/benchmarks/internal/pointdb"
	arsenalotel "github.com/infra-arsenal/arsenal/otel"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

const domain = "overhead"

var (
	quick = flag.Bool("quick", false, "fewer paired rounds")
	pairs = flag.Int("pairs", 200, "paired rounds per comparison")
)

var lines = bench.NewLineWriter(os.Stdout)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "overhead bench: "+format+"\n", args...)
}

func main() {
	flag.Parse()
	if *quick {
		*pairs = 30
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "overhead bench:", err)
		os.Exit(1)
	}
}

// timeCalls runs fn n times from call number first and returns the
// seconds it took.
func timeCalls(first, n int, fn func(i int) error) (float64, error) {
	start := time.Now()
	for i := first; i < first+n; i++ {
		if err := fn(i); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

// pairTime returns one pair's times: sub short sub-blocks of n calls of a
// and of b, interleaved (a b, b a, ...), each side's times summed. A
// loopback round trip drifts by tens of percent over a few milliseconds;
// sub-blocks of a few calls put both sides in the same spell, so the
// drift cancels in the pair's ratio instead of adding to its spread.
func pairTime(n, sub int, a, b func(int) error) func() (float64, float64, error) {
	round := 0
	return func() (float64, float64, error) {
		var ta, tb float64
		for j := range sub {
			first := (round*sub + j) * n
			x, y := a, b
			if j%2 == 1 {
				x, y = b, a
			}
			tx, err := timeCalls(first, n, x)
			if err != nil {
				return 0, 0, err
			}
			ty, err := timeCalls(first, n, y)
			if err != nil {
				return 0, 0, err
			}
			if j%2 == 1 {
				tx, ty = ty, tx
			}
			ta += tx
			tb += ty
		}
		round++
		return ta, tb, nil
	}
}

// compare measures *pairs pairs of sub interleaved sub-blocks of n calls
// each side and returns the spread of b's time over a's, pair by pair,
// and each side's calls per second in its median pair (a best pair would
// let one lucky spell speak for a noisy run).
func compare(n, sub int, a, b func(int) error) (bench.Spread, float64, float64, error) {
	pair := pairTime(n, sub, a, b)
	// One warm-up pair.
	if _, _, err := pair(); err != nil {
		return bench.Spread{}, 0, 0, err
	}
	ta := make([]float64, 0, *pairs)
	tb := make([]float64, 0, *pairs)
	ratios := make([]float64, 0, *pairs)
	for range *pairs {
		x, y, err := pair()
		if err != nil {
			return bench.Spread{}, 0, 0, err
		}
		ta, tb, ratios = append(ta, x), append(tb, y), append(ratios, y/x)
	}
	calls := float64(n * sub)
	return bench.SpreadOf(ratios), calls / bench.SpreadOf(ta).Median, calls / bench.SpreadOf(tb).Median, nil
}

func record(workload, implA, implB string, sp bench.Spread, opsA, opsB float64) {
	_ = lines.Write(bench.Line{Domain: domain, Workload: workload, Impl: implA, Metric: "ops/s", Value: opsA, Better: "higher"})
	_ = lines.Write(bench.Line{Domain: domain, Workload: workload, Impl: implB, Metric: "ops/s", Value: opsB, Better: "higher"})
	logf("%s: %s/%s time ratio median %.3f (IQR %.3f-%.3f) over %d pairs", workload, implB, implA, sp.Median, sp.Q1, sp.Q3, *pairs)
}

func detail(sp bench.Spread, unit string) string {
	return fmt.Sprintf("%+.1f%% time per %s (median of %d pairs of interleaved sub-blocks, IQR %+.1f%% to %+.1f%%)",
		(sp.Median-1)*100, unit, *pairs, (sp.Q1-1)*100, (sp.Q3-1)*100)
}

// discard is a span exporter that drops what it is given: the cost
// measured is the library's and the SDK's (spans built, batched and
// handed to an exporter), not a backend's.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func otelObserver() (arsenal.Observer, *sdktrace.TracerProvider, error) {
	// Every span sampled and batched, as a production setup exports them
	// (an in-memory recorder would keep every span and grow the heap).
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	obs, err := arsenalotel.NewObserver(arsenalotel.Options{TracerProvider: tp, MeterProvider: mp})
	return obs, tp, err
}

// redisPolicy is ten rules, the caller's allow last, so each check walks
// all of them.
func redisPolicy() (*security.Policy, error) {
	return security.NewPolicy(
		security.Rule{Name: "no-flush", Effect: security.Deny, Component: "redis", Operation: "flushall,flushdb"},
		security.Rule{Name: "no-config", Effect: security.Deny, Component: "redis", Operation: "config set,config rewrite"},
		security.Rule{Name: "no-scripts", Effect: security.Deny, Component: "redis", Operation: "eval,evalsha,script load"},
		security.Rule{Name: "no-keys", Effect: security.Deny, Component: "redis", Operation: "keys"},
		security.Rule{Name: "no-admin-keys", Effect: security.Deny, Component: "redis", Resource: "admin:*"},
		security.Rule{Name: "no-session-del", Effect: security.Deny, Component: "redis", Operation: "del,unlink", Resource: "session:*"},
		security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Operation: "get,mget,exists"},
		security.Rule{Name: "writers", Effect: security.Allow, Role: "writer", Resource: "cache:*"},
		security.Rule{Name: "ops", Effect: security.Allow, Principal: "ops", Component: "redis"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app", Component: "redis", Resource: "bench:*"},
	)
}

func sqlitePolicy() (*security.Policy, error) {
	var rules []security.Rule
	for i := range 8 {
		rules = append(rules, security.Rule{Effect: security.Allow, Role: fmt.Sprintf("team-%d", i), Component: "sqlite", Operation: "select,insert", Resource: fmt.Sprintf("t%d_*", i)})
	}
	rules = append(rules,
		security.Rule{Name: "no audit rows", Effect: security.Deny, Component: "sqlite", Resource: "audit_*"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app", Component: "sqlite", Operation: "select", Resource: "bench"},
	)
	return security.NewPolicy(rules...)
}

func run() error {
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})
	addr, stop, started, err := benchenv.Redis()
	if err != nil {
		return err
	}
	defer stop()
	if started != "" {
		logf("%s", started)
	}
	obs, tp, err := otelObserver()
	if err != nil {
		return err
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()
	// flush exports the spans an OpenTelemetry comparison queued, so the
	// batcher's background work does not fall into the next comparison.
	flush := func() { _ = tp.ForceFlush(context.Background()) }
	rpol, err := redisPolicy()
	if err != nil {
		return err
	}
	openRedis := func(mut func(*redis.Config)) (*redis.Client, error) {
		cfg, err := redis.ParseURL("redis://" + addr + "/0")
		if err != nil {
			return nil, err
		}
		mut(&cfg)
		return redis.Open(ctx, cfg)
	}
	plain, err := openRedis(func(*redis.Config) {})
	if err != nil {
		return err
	}
	defer plain.Close()
	ruled, err := openRedis(func(c *redis.Config) { c.Security.Policy = rpol })
	if err != nil {
		return err
	}
	defer ruled.Close()
	traced, err := openRedis(func(c *redis.Config) { c.Observer = obs })
	if err != nil {
		return err
	}
	defer traced.Close()
	key := "bench:overhead:" + strconv.Itoa(os.Getpid())
	if err := plain.Set(ctx, key, "value"); err != nil {
		return err
	}
	defer plain.Del(context.Background(), key)
	get := func(c *redis.Client) func(int) error {
		return func(int) error { _, err := c.Get(ctx, key); return err }
	}
	set := func(c *redis.Client) func(int) error {
		return func(int) error { return c.Set(ctx, key, "value") }
	}
	// Each pair: 100 interleaved sub-blocks of 10 calls a side (1,000
	// calls a side, a few hundred microseconds per sub-block).
	const redisBlock, redisSub = 10, 100
	// The control: two clients with no policy, compared the same way,
	// show what the harness itself resolves (two connections, one server).
	control, err := openRedis(func(*redis.Config) {})
	if err != nil {
		return err
	}
	defer control.Close()
	redisOps := []struct {
		op  string
		run func(*redis.Client) func(int) error
	}{{"GET", get}, {"SET", set}}
	// The control and policy comparisons first, then OpenTelemetry's, each
	// flushed.
	for _, w := range redisOps {
		sp, a, b, err := compare(redisBlock, redisSub, w.run(plain), w.run(control))
		if err != nil {
			return err
		}
		record("redis "+w.op+", 1 caller: control (a second client, no policy)", "no policy", "no policy (second client)", sp, a, b)
		_ = lines.Check(domain, "harness resolves 2% on Redis "+w.op+" (two clients without a policy within 1%)", sp.Median >= 0.99 && sp.Median <= 1.01, detail(sp, "call"))
		sp, a, b, err = compare(redisBlock, redisSub, w.run(plain), w.run(ruled))
		if err != nil {
			return err
		}
		record("redis "+w.op+", 1 caller: ten-rule policy", "no policy", "ten-rule policy", sp, a, b)
		_ = lines.Check(domain, "authorization overhead <= 2% on Redis "+w.op+" (ten-rule policy)", sp.Median <= 1.02, detail(sp, "call"))
	}
	for _, w := range redisOps {
		sp, a, b, err := compare(redisBlock, redisSub, w.run(plain), w.run(traced))
		flush()
		if err != nil {
			return err
		}
		record("redis "+w.op+", 1 caller: OpenTelemetry", "no observer", "OpenTelemetry", sp, a, b)
		logf("OpenTelemetry on Redis %s: %s", w.op, detail(sp, "call"))
	}

	dir, err := os.MkdirTemp("", "arsenal-overhead")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bench.db")
	if err := pointdb.Seed(ctx, path); err != nil {
		return err
	}
	spol, err := sqlitePolicy()
	if err != nil {
		return err
	}
	openDB := func(mut func(*sqlite.Config)) (*sqlite.DB, error) {
		cfg := sqlite.Config{Path: path, Readers: 8}
		mut(&cfg)
		return sqlite.Open(ctx, cfg)
	}
	dbs := map[string]*sqlite.DB{}
	for name, mut := range map[string]func(*sqlite.Config){
		"none":    func(*sqlite.Config) {},
		"control": func(*sqlite.Config) {},
		"policy":  func(c *sqlite.Config) { c.Security.Policy = spol },
		"otel":    func(c *sqlite.Config) { c.Observer = obs },
	} {
		db, err := openDB(mut)
		if err != nil {
			return err
		}
		defer db.Close()
		dbs[name] = db
	}
	point := func(db *sqlite.DB) func(int) error {
		var id int64
		var name string
		var score float64
		return func(i int) error {
			return db.QueryRow(ctx, pointdb.Select, i%pointdb.Rows+1).Scan(&id, &name, &score)
		}
	}
	// Each pair: 40 interleaved sub-blocks of 100 queries a side.
	const sqliteBlock, sqliteSub = 100, 40
	sp, a, b, err := compare(sqliteBlock, sqliteSub, point(dbs["none"]), point(dbs["control"]))
	if err != nil {
		return err
	}
	record("sqlite point select, 1 caller: control (a second database handle, no policy)", "no policy", "no policy (second handle)", sp, a, b)
	_ = lines.Check(domain, "harness resolves 2% on a SQLite point select (two handles without a policy within 1%)", sp.Median >= 0.99 && sp.Median <= 1.01, detail(sp, "query"))
	sp, a, b, err = compare(sqliteBlock, sqliteSub, point(dbs["none"]), point(dbs["policy"]))
	if err != nil {
		return err
	}
	record("sqlite point select, 1 caller: ten-rule policy", "no policy", "ten-rule policy", sp, a, b)
	_ = lines.Check(domain, "authorization overhead <= 2% on a SQLite point select (ten-rule policy)", sp.Median <= 1.02, detail(sp, "query"))
	sp, a, b, err = compare(sqliteBlock, sqliteSub, point(dbs["none"]), point(dbs["otel"]))
	flush()
	if err != nil {
		return err
	}
	record("sqlite point select, 1 caller: OpenTelemetry", "no observer", "OpenTelemetry", sp, a, b)
	logf("OpenTelemetry on a SQLite point select: %s", detail(sp, "query"))

	// security.Validate per KiB of input, in each context.
	kib := strings.Repeat("Robert'); DROP TABLE students;-- <b onclick=x>hi</b> name_1 ", 20)[:1024]
	json := `{"user":"` + strings.Repeat("a", 990) + `","$where":"1"}`
	for _, c := range []security.Context{security.SQLIdent, security.SQLString, security.SQLLike, security.SQLOrderBy,
		security.SQLText, security.RedisPattern, security.RedisInline, security.Lua, security.JSONDoc,
		security.HTML, security.HTMLUGC, security.HTMLAttr, security.URL, security.JSString, security.S3Key, security.WSOrigin} {
		in := kib
		if c == security.JSONDoc {
			in = json
		}
		n, start := 0, time.Now()
		for time.Since(start) < 100*time.Millisecond {
			_ = security.Validate(in, c)
			n++
		}
		us := time.Since(start).Seconds() * 1e6 / float64(n) / (float64(len(in)) / 1024)
		_ = lines.Write(bench.Line{Domain: domain, Workload: "security.Validate per KiB", Impl: c.String(), Metric: "µs", Value: us, Better: "lower"})
	}
	return nil
}
