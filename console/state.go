package console

import (
	"bytes"
	"context"
	_ "embed"
	"net/http"
	"regexp"
	"runtime"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/stats"
)

// stateView is what GET api/state returns and the live "stats" topic
// pushes: every component's health and stats, already redacted.
type stateView struct {
	Time       time.Time       `json:"time"`
	Components []componentView `json:"components"`
	Alerts     []string        `json:"alerts"`
	Process    processView     `json:"process"`
	Options    optionsView     `json:"options"`
}

type optionsView struct {
	DemoPrefix   string   `json:"demoPrefix"`
	S3Prefix     string   `json:"s3Prefix"`
	AllowSQL     bool     `json:"allowSQL"`
	AllowScaling bool     `json:"allowScaling"`
	MaxUpload    int64    `json:"maxUpload"`
	DialURLs     []string `json:"dialURLs"`
	NumCPU       int      `json:"numCPU"`
}

type processView struct {
	Goroutines int    `json:"goroutines"`
	HeapBytes  uint64 `json:"heapBytes"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

type componentView struct {
	Name      string      `json:"name"`
	Kind      string      `json:"kind"`
	Target    string      `json:"target"`
	Describe  string      `json:"describe"`
	Healthy   bool        `json:"healthy"`
	Error     string      `json:"error,omitempty"`
	Code      string      `json:"code,omitempty"`
	HealthNS  int64       `json:"healthNs"`
	Connected bool        `json:"connected"`
	Ops       []opView    `json:"ops"`
	Gauges    []gaugeView `json:"gauges"`
}

// gaugeView is a Gauge with the words of a code-valued one.
type gaugeView struct {
	arsenal.Gauge
	Text string `json:"Text,omitempty"`
}

type opView struct {
	Name   string `json:"name"`
	Count  uint64 `json:"count"`
	Errors uint64 `json:"errors"`
	P50    int64  `json:"p50Ns"`
	P99    int64  `json:"p99Ns"`
	Max    int64  `json:"maxNs"`
}

func (c *Console) state(ctx context.Context) stateView {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	rep := c.hub.Health(ctx)
	snaps := c.hub.Stats()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	v := stateView{
		Time:    time.Now(),
		Process: processView{Goroutines: runtime.NumGoroutine(), HeapBytes: ms.HeapAlloc, GOMAXPROCS: runtime.GOMAXPROCS(0)},
		Options: optionsView{DemoPrefix: c.opts.DemoPrefix, S3Prefix: c.s3.prefix, AllowSQL: c.opts.AllowSQL,
			AllowScaling: c.opts.AllowScaling, MaxUpload: c.opts.MaxUpload, NumCPU: runtime.NumCPU(), DialURLs: []string{}},
		Alerts: []string{},
	}
	for _, u := range c.opts.DialURLs {
		v.Options.DialURLs = append(v.Options.DialURLs, arsenal.RedactURL(u))
	}
	for _, h := range rep.Components {
		st := snaps[h.Name]
		cv := componentView{Name: h.Name, Kind: h.Kind, Target: scrub(st.Target), Healthy: h.Healthy(),
			HealthNS: h.Latency.Nanoseconds(), Connected: st.Connected, Gauges: []gaugeView{}, Ops: []opView{}}
		for _, g := range st.Gauges {
			gv := gaugeView{Gauge: g}
			if g.Unit == arsenal.UnitCode && g.Value != 0 {
				gv.Text = arsenal.Code(g.Value).String()
			}
			cv.Gauges = append(cv.Gauges, gv)
		}
		if comp, ok := c.hub.Get(h.Name); ok {
			if d, ok := comp.(arsenal.Describer); ok {
				cv.Describe = scrub(d.Describe())
			}
		}
		if h.Err != nil {
			cv.Error, cv.Code = scrub(h.Err.Error()), arsenal.CodeOf(h.Err).String()
		}
		for _, name := range st.OpNames() {
			o := st.Ops[name]
			cv.Ops = append(cv.Ops, opView{Name: name, Count: o.Count, Errors: o.Errors,
				P50: o.P50.Nanoseconds(), P99: o.P99.Nanoseconds(), Max: o.Max.Nanoseconds()})
		}
		v.Components = append(v.Components, cv)
	}
	for _, a := range stats.DetectDegradation(snaps) {
		v.Alerts = append(v.Alerts, scrub(a.String()))
	}
	return v
}

func (c *Console) apiState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, c.state(r.Context()))
}

// configView is a domain's Config as a form.
type configView struct {
	Domain     string              `json:"domain"`
	Fields     []field             `json:"fields"`
	Languages  []string            `json:"languages"`
	Frameworks map[string][]string `json:"frameworks"`
	Complexity []string            `json:"complexities"`
	Features   []string            `json:"features"`
}

func (c *Console) apiConfig(w http.ResponseWriter, r *http.Request) {
	d := r.PathValue("domain")
	base, err := c.baseConfig(d)
	if err != nil {
		writeErr(w, err)
		return
	}
	v := configView{Domain: d, Fields: fieldsOf(base), Frameworks: map[string][]string{}}
	for _, l := range codegen.Languages() {
		v.Languages = append(v.Languages, string(l))
		for _, f := range codegen.Frameworks(l) {
			v.Frameworks[string(l)] = append(v.Frameworks[string(l)], string(f))
		}
	}
	for _, x := range codegen.Complexities() {
		v.Complexity = append(v.Complexity, string(x))
	}
	for _, f := range codegen.FeaturesOf(codegen.Component(d)) {
		v.Features = append(v.Features, string(f))
	}
	writeJSON(w, v)
}

// codegenRequest is a POST api/codegen body: the form's values and the
// template.
type codegenRequest struct {
	Domain     string            `json:"domain"`
	Values     map[string]string `json:"values"`
	Language   string            `json:"language"`
	Framework  string            `json:"framework"`
	Complexity string            `json:"complexity"`
	Features   []string          `json:"features"`
	Headers    [][2]string       `json:"headers"`
}

type codegenView struct {
	Filename     string           `json:"filename"`
	Source       string           `json:"source"`
	Run          string           `json:"run"`
	Dependencies []string         `json:"dependencies"`
	Env          []codegen.EnvVar `json:"env"`
	Report       codegen.Report   `json:"report"`
	OK           bool             `json:"ok"`
	Error        string           `json:"error,omitempty"`
	Code         string           `json:"code,omitempty"`
}

func (c *Console) apiCodegen(w http.ResponseWriter, r *http.Request) {
	var req codegenRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	cfg, err := c.configFrom(req.Domain, req.Values, req.Headers)
	if err != nil {
		writeErr(w, err)
		return
	}
	t := codegen.Template{Language: codegen.Language(req.Language), Framework: codegen.Framework(req.Framework),
		Complexity: codegen.Complexity(req.Complexity)}
	if req.Features != nil {
		t.Features = []codegen.Feature{}
		for _, f := range req.Features {
			t.Features = append(t.Features, codegen.Feature(f))
		}
	}
	code, err := codegen.Render(cfg, t)
	v := codegenView{Filename: code.Filename, Source: code.Source, Run: code.Run, Dependencies: code.Dependencies,
		Env: code.Env, Report: code.Report, OK: err == nil && code.Report.OK()}
	if err != nil {
		v.Error, v.Code = scrub(err.Error()), arsenal.CodeOf(err).String()
	}
	writeJSON(w, v)
}

var userinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/@\s]*:[^/@\s]*@`)

// scrub redacts URL userinfo left in a string coming from a component; the
// components redact their own output, this is the console's second guard.
func scrub(s string) string { return userinfo.ReplaceAllString(s, "${1}xxxxx@") }

//go:embed assets/results.jsonl
var resultsJSONL []byte

// committedResults are the side-by-side results committed with this
// version (a copy of benchmarks/results/all.jsonl, kept equal by a test).
func committedResults() []bench.Line {
	lines, err := bench.ReadLines(bytes.NewReader(resultsJSONL))
	if err != nil {
		return []bench.Line{}
	}
	return lines
}
