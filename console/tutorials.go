package console

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/tutorial"
)

// tutorials is the tutorials tab: each tutorial of package tutorial runs
// against the hub's component of its domain, confined to a scratch area
// so that neither a Check nor an applied solution touches the user's data:
//
//   - redis: the hub's Redis client, keys under DemoPrefix + "tutorial:";
//   - s3: a second client on the hub's bucket with its keys under the S3
//     demo prefix + "tutorial/";
//   - sqlite: a scratch database file in a temporary directory (never the
//     hub's database), removed by Close;
//   - websocket: the tutorial's own playground server on loopback.
type tutorials struct {
	c *Console

	mu     sync.Mutex
	envs   map[string]*tutorialEnv
	closed bool
}

// tutorialEnv is one tutorial's live session.
type tutorialEnv struct {
	mu       sync.Mutex // one Check, apply or reset at a time
	env      *tutorial.Env
	target   string   // where the tutorial works, for the page
	progress []string // per step: "" (not checked), "done", "todo"
	closers  []func()
	reset    bool // Reset closed it: a caller that waited for mu must not use it
}

// lock locks te for one operation, failing when a reset closed it meanwhile.
func (te *tutorialEnv) lock() error {
	te.mu.Lock()
	if te.reset {
		te.mu.Unlock()
		return arsenal.Errorf(arsenal.Aborted, Kind, "tutorials", "the tutorial was reset meanwhile; try again")
	}
	return nil
}

func newTutorials(c *Console) *tutorials { return &tutorials{c: c, envs: map[string]*tutorialEnv{}} }

func (d *tutorials) routes(m *http.ServeMux) {
	m.HandleFunc("GET /api/tutorials", d.list)
	m.HandleFunc("GET /api/tutorials/{name}", d.show)
	m.HandleFunc("POST /api/tutorials/{name}/check", d.check)
	m.HandleFunc("POST /api/tutorials/{name}/apply", d.apply)
	m.HandleFunc("POST /api/tutorials/{name}/reset", d.resetTutorial)
}

func (d *tutorials) close() {
	d.mu.Lock()
	envs := d.envs
	d.envs, d.closed = map[string]*tutorialEnv{}, true
	d.mu.Unlock()
	for _, te := range envs {
		te.mu.Lock()
		te.shutdown()
		te.mu.Unlock()
	}
}

func (te *tutorialEnv) shutdown() {
	te.env.Close()
	for i := len(te.closers) - 1; i >= 0; i-- {
		te.closers[i]()
	}
	te.closers = nil
}

type tutorialSummary struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Steps       int    `json:"steps"`
}

type tutorialList struct {
	Tutorials  []tutorialSummary `json:"tutorials"`
	AllowApply bool              `json:"allowApply"`
}

type tutorialStep struct {
	N           int    `json:"n"`
	Title       string `json:"title"`
	Instruction string `json:"instruction"`
	Code        string `json:"code"`
	Hint        string `json:"hint"`
	Status      string `json:"status"` // "", "done" or "todo": the last Check's result
}

type tutorialView struct {
	tutorialSummary
	Target     string         `json:"target"`
	AllowApply bool           `json:"allowApply"`
	Items      []tutorialStep `json:"items"`
}

// stepResult is the outcome of checking one step.
type stepResult struct {
	Step  int    `json:"step"`
	Done  bool   `json:"done"`
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

type checkView struct {
	Results  []stepResult `json:"results"`
	Progress []string     `json:"progress"`
	Target   string       `json:"target"`
}

func (d *tutorials) list(w http.ResponseWriter, r *http.Request) {
	out := tutorialList{Tutorials: []tutorialSummary{}, AllowApply: d.c.opts.AllowTutorialSolutions}
	for _, t := range tutorial.All() {
		out.Tutorials = append(out.Tutorials, summaryOf(t))
	}
	writeJSON(w, out)
}

func summaryOf(t *tutorial.Tutorial) tutorialSummary {
	return tutorialSummary{Name: t.Name, Title: t.Title, Description: t.Description, Steps: len(t.Steps)}
}

func (d *tutorials) get(name string) (*tutorial.Tutorial, error) {
	t, ok := tutorial.Get(name)
	if !ok {
		if len(name) > maxQueryParam {
			name = name[:maxQueryParam] + "…"
		}
		return nil, arsenal.Errorf(arsenal.NotFound, Kind, "tutorials", "no tutorial called %q (see api/tutorials)", name)
	}
	return t, nil
}

// show returns a tutorial's steps with the progress of its session (the
// session is not opened by this GET).
func (d *tutorials) show(w http.ResponseWriter, r *http.Request) {
	t, err := d.get(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	v := tutorialView{tutorialSummary: summaryOf(t), AllowApply: d.c.opts.AllowTutorialSolutions, Target: d.plannedTarget(t.Name)}
	d.mu.Lock()
	te := d.envs[t.Name]
	d.mu.Unlock()
	var progress []string
	if te != nil {
		te.mu.Lock()
		progress, v.Target = append([]string(nil), te.progress...), te.target
		te.mu.Unlock()
	}
	for i, s := range t.Steps {
		st := tutorialStep{N: i + 1, Title: s.Title, Instruction: s.Instruction, Code: s.Code, Hint: s.Hint}
		if i < len(progress) {
			st.Status = progress[i]
		}
		v.Items = append(v.Items, st)
	}
	writeJSON(w, v)
}

type stepRequest struct {
	Step int `json:"step"` // 1-based; 0 in a check means every step
}

// check validates one step (or every step) against the live component.
// A step not done yet is a 200 with done false and the reason.
func (d *tutorials) check(w http.ResponseWriter, r *http.Request) {
	t, err := d.get(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	var req stepRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	from, to := req.Step, req.Step
	if req.Step == 0 {
		from, to = 1, len(t.Steps)
	} else if _, err := t.Step(req.Step); err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	te, err := d.session(ctx, t)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := te.lock(); err != nil {
		writeErr(w, err)
		return
	}
	defer te.mu.Unlock()
	out := checkView{Results: []stepResult{}, Target: te.target}
	for n := from; n <= to; n++ {
		res := stepResult{Step: n, Done: true}
		te.progress[n-1] = "done"
		if err := t.Check(ctx, te.env, n); err != nil {
			res.Done, res.Error, res.Code = false, scrub(err.Error()), arsenal.CodeOf(err).String()
			te.progress[n-1] = "todo"
		}
		out.Results = append(out.Results, res)
	}
	out.Progress = append([]string(nil), te.progress...)
	writeJSON(w, out)
}

// apply runs a step's solution, when Options.AllowTutorialSolutions is set.
func (d *tutorials) apply(w http.ResponseWriter, r *http.Request) {
	t, err := d.get(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	var req stepRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	s, err := t.Step(req.Step)
	if err != nil {
		writeErr(w, err)
		return
	}
	if !d.c.opts.AllowTutorialSolutions {
		writeErr(w, arsenal.Errorf(arsenal.PermissionDenied, Kind, "tutorials", "applying a solution from the page is off (set Options.AllowTutorialSolutions); run the step's code yourself"))
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	te, err := d.session(ctx, t)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := te.lock(); err != nil {
		writeErr(w, err)
		return
	}
	defer te.mu.Unlock()
	if err := s.Solution(ctx, te.env); err != nil {
		writeErr(w, err)
		return
	}
	d.c.log.Info("console: tutorial solution applied", "tutorial", t.Name, "step", req.Step, "target", te.target)
	writeJSON(w, map[string]any{"applied": true, "step": req.Step, "target": te.target})
}

// plannedTarget says where a tutorial works before its session exists.
func (d *tutorials) plannedTarget(name string) string {
	switch name {
	case "redis":
		return "Redis keys under " + d.c.opts.DemoPrefix + "tutorial:"
	case "s3":
		return "S3 keys under " + d.c.s3.prefix + "tutorial/"
	case "sqlite":
		return "a scratch SQLite database (not the hub's)"
	case "websocket":
		return "the console's WebSocket playground on loopback"
	}
	return ""
}

// session returns the tutorial's live session, opening it the first time.
func (d *tutorials) session(ctx context.Context, t *tutorial.Tutorial) (*tutorialEnv, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "tutorials", "the console is closed")
	}
	if te := d.envs[t.Name]; te != nil {
		return te, nil
	}
	te, err := d.open(ctx, t)
	if err != nil {
		return nil, err
	}
	d.envs[t.Name] = te
	return te, nil
}

func (d *tutorials) open(ctx context.Context, t *tutorial.Tutorial) (*tutorialEnv, error) {
	te := &tutorialEnv{env: &tutorial.Env{}, progress: make([]string, len(t.Steps)), target: d.plannedTarget(t.Name)}
	missing := func(kind string) error {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "tutorials", "the hub has no %s component: the %s tutorial runs against it", kind, t.Name)
	}
	switch t.Name {
	case "redis":
		_, comp, ok := d.c.component(redis.Kind)
		cl, _ := comp.(*redis.Client)
		if !ok || cl == nil {
			return nil, missing(redis.Kind)
		}
		te.env.Redis, te.env.Prefix = cl, d.c.opts.DemoPrefix+"tutorial:"
	case "s3":
		hubClient, ok := d.c.s3Client()
		if !ok {
			return nil, missing(s3.Kind)
		}
		cfg := hubClient.Config()
		cfg.Prefix += d.c.s3.prefix + "tutorial/"
		cl, err := s3.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		te.env.S3 = cl
		te.closers = append(te.closers, func() { _ = cl.Close() })
	case "sqlite":
		dir, err := os.MkdirTemp("", "arsenal-console-tutorial-")
		if err != nil {
			return nil, arsenal.Wrap(Kind, "tutorials", err)
		}
		db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "tutorial.db"), Create: true})
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		te.env.SQLite = db
		te.closers = append(te.closers, func() { _ = os.RemoveAll(dir) }, func() { _ = db.Close() })
	case "websocket":
		p, err := tutorial.NewPlayground(d.c.ctx, "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		te.env.WS = p
		te.target = "the console's WebSocket playground at " + strings.TrimSuffix(p.URL(), "/")
		te.closers = append(te.closers, func() { _ = p.Close() })
	default:
		return nil, arsenal.Errorf(arsenal.Unimplemented, Kind, "tutorials", "the console has no components for the %s tutorial", t.Name)
	}
	return te, nil
}
