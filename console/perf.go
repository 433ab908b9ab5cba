package console

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// perfRunner runs one benchmark at a time (bench.Run) on a component's
// workload, in the background, cancellable.
type perfRunner struct {
	c *Console

	mu       sync.Mutex
	running  bool
	cancel   context.CancelFunc
	progress *bench.Progress
	result   *bench.Result
	scaling  []scalePoint
	err      string
	code     string
	kind     string
}

type scalePoint struct {
	GOMAXPROCS int     `json:"gomaxprocs"`
	OpsPerSec  float64 `json:"opsPerSec"`
	P99NS      int64   `json:"p99Ns"`
}

func newPerfRunner(c *Console) *perfRunner { return &perfRunner{c: c} }

func (p *perfRunner) routes(m *http.ServeMux) {
	m.HandleFunc("POST /api/perf/run", p.run)
	m.HandleFunc("POST /api/perf/cancel", p.cancelRun)
	m.HandleFunc("GET /api/perf/status", p.status)
	m.HandleFunc("GET /api/perf/results", p.results)
}

type perfRequest struct {
	Component  string `json:"component"`
	Levels     []int  `json:"levels"`
	DurationMS int    `json:"durationMs"`
	Scaling    bool   `json:"scaling"`
}

// workload returns the operation a run measures and its cleanup. Writes go
// under the demo prefix; SQLite reads the scratch database.
func (p *perfRunner) workload(ctx context.Context, kind string) (bench.Func, func(), error) {
	c := p.c
	switch kind {
	case "redis":
		cl, err := c.redis.client()
		if err != nil {
			return nil, nil, err
		}
		key := c.opts.DemoPrefix + "bench"
		if err := cl.Set(ctx, key, "arsenal"); err != nil {
			return nil, nil, err
		}
		return func(ctx context.Context) error { _, err := cl.Get(ctx, key); return err }, func() {}, nil
	case "sqlite":
		image, err := c.sql.sample(ctx)
		if err != nil {
			return nil, nil, err
		}
		db, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{ReadOnly: true})
		if err != nil {
			return nil, nil, err
		}
		return func(ctx context.Context) error {
			var name string
			return db.QueryRow(ctx, `SELECT name FROM users WHERE id = ?`, 1).Scan(&name)
		}, func() { db.Close() }, nil
	case "s3":
		cl, err := c.s3.client()
		if err != nil {
			return nil, nil, err
		}
		key := c.s3.prefix + "bench.txt"
		if _, err := cl.Put(ctx, key, []byte("arsenal"), nil); err != nil {
			return nil, nil, err
		}
		return func(ctx context.Context) error { _, err := cl.Stat(ctx, key); return err }, func() {}, nil
	case "websocket":
		u, err := c.ws.echo()
		if err != nil {
			return nil, nil, err
		}
		conn, err := websocket.Dial(ctx, u, &websocket.Options{Subprotocols: []string{echoProtocol}})
		if err != nil {
			return nil, nil, err
		}
		if _, _, err := conn.Read(ctx); err != nil { // the greeting
			conn.Close()
			return nil, nil, err
		}
		var mu sync.Mutex
		msg := []byte(`{"type":"bench","payload":"arsenal"}`)
		return func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if err := conn.Write(ctx, websocket.Text, msg); err != nil {
				return err
			}
			_, _, err := conn.Read(ctx)
			return err
		}, func() { conn.Close() }, nil
	}
	return nil, nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "perf", "no workload for %q (sqlite, redis, websocket, s3)", kind)
}

func (p *perfRunner) run(w http.ResponseWriter, r *http.Request) {
	var req perfRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Scaling && !p.c.opts.AllowScaling {
		writeErr(w, arsenal.Errorf(arsenal.PermissionDenied, Kind, "perf", "the GOMAXPROCS scaling analysis is off (Options.AllowScaling)"))
		return
	}
	if len(req.Levels) == 0 {
		req.Levels = []int{1, 4, 16}
	}
	if len(req.Levels) > 8 {
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "perf", "at most 8 levels"))
		return
	}
	for _, l := range req.Levels {
		if l < 1 || l > 256 {
			writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "perf", "a level is 1 to 256 callers"))
			return
		}
	}
	dur := time.Duration(req.DurationMS) * time.Millisecond
	if dur <= 0 {
		dur = time.Second
	}
	dur = min(dur, 10*time.Second)
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		writeErr(w, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "perf", "a run is in progress; cancel it first"))
		return
	}
	ctx, cancel := context.WithCancel(p.c.ctx)
	p.running, p.cancel, p.progress, p.result, p.scaling, p.err, p.code, p.kind = true, cancel, nil, nil, nil, "", "", req.Component
	p.mu.Unlock()
	p.c.wg.Go(func() { p.execute(ctx, req, dur) })
	writeJSON(w, map[string]any{"started": true})
}

func (p *perfRunner) execute(ctx context.Context, req perfRequest, dur time.Duration) {
	var err error
	defer func() {
		p.mu.Lock()
		p.running = false
		p.cancel()
		if err != nil {
			p.err, p.code = scrub(err.Error()), arsenal.CodeOf(err).String()
		}
		p.mu.Unlock()
		p.c.live.publish("perf", p.snapshot())
	}()
	fn, cleanup, err := p.workload(ctx, req.Component)
	if err != nil {
		return
	}
	defer cleanup()
	cfg := bench.Config{Levels: req.Levels, Duration: dur, Warmup: 100 * time.Millisecond, SampleEvery: 100 * time.Millisecond,
		Progress: func(pr bench.Progress) {
			p.mu.Lock()
			p.progress = &pr
			p.mu.Unlock()
			p.c.live.publish("perf", map[string]any{"progress": pr})
		}}
	res, rerr := bench.Run(ctx, req.Component, cfg, fn)
	if rerr != nil {
		err = rerr
		return
	}
	p.mu.Lock()
	p.result = &res
	p.mu.Unlock()
	if !req.Scaling {
		return
	}
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	p.c.log.Info("console: GOMAXPROCS scaling analysis running", "from", 1, "to", runtime.NumCPU())
	for procs := 1; procs <= runtime.NumCPU(); procs++ {
		runtime.GOMAXPROCS(procs)
		r, rerr := bench.Run(ctx, req.Component+" GOMAXPROCS="+strconv.Itoa(procs),
			bench.Config{Levels: []int{4 * procs}, Duration: dur, Warmup: 50 * time.Millisecond, SampleEvery: -1}, fn)
		if rerr != nil {
			err = rerr
			return
		}
		b := r.Best()
		p.mu.Lock()
		p.scaling = append(p.scaling, scalePoint{GOMAXPROCS: procs, OpsPerSec: b.OpsPerSec, P99NS: b.Latency.P99.Nanoseconds()})
		p.mu.Unlock()
	}
}

type perfStatus struct {
	Running   bool            `json:"running"`
	Component string          `json:"component"`
	Progress  *bench.Progress `json:"progress"`
	Result    *bench.Result   `json:"result"`
	Scaling   []scalePoint    `json:"scaling"`
	Error     string          `json:"error,omitempty"`
	Code      string          `json:"code,omitempty"`
}

func (p *perfRunner) snapshot() perfStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := perfStatus{Running: p.running, Component: p.kind, Progress: p.progress, Result: p.result, Error: p.err, Code: p.code, Scaling: p.scaling}
	if s.Scaling == nil {
		s.Scaling = []scalePoint{}
	}
	return s
}

func (p *perfRunner) status(w http.ResponseWriter, r *http.Request) { writeJSON(w, p.snapshot()) }

func (p *perfRunner) cancelRun(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	running := p.running
	if running {
		p.cancel()
	}
	p.mu.Unlock()
	writeJSON(w, map[string]any{"cancelled": running})
}

func (p *perfRunner) results(w http.ResponseWriter, r *http.Request) {
	byDomain := map[string][]bench.Line{}
	var order []string
	for _, l := range p.c.opts.Results {
		if _, ok := byDomain[l.Domain]; !ok {
			order = append(order, l.Domain)
		}
		byDomain[l.Domain] = append(byDomain[l.Domain], l)
	}
	out := struct {
		Domains []string               `json:"domains"`
		Tables  map[string]bench.Table `json:"tables"`
	}{Domains: order, Tables: map[string]bench.Table{}}
	if out.Domains == nil {
		out.Domains = []string{}
	}
	for d, ls := range byDomain {
		out.Tables[d] = bench.Tabulate(ls)
	}
	writeJSON(w, out)
}
