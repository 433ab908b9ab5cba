package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

//go:embed dashboard.html
var dashboardHTML []byte

// snapshot is what /api/stats returns: every component's health, stats
// and the degradation alerts of the last interval.
type snapshot struct {
	Time       time.Time          `json:"time"`
	Components []componentView    `json:"components"`
	Alerts     []alertView        `json:"alerts"`
	Schemes    []string           `json:"schemes"`
	Resources  map[string]float64 `json:"resources"`
}

type componentView struct {
	Name      string             `json:"name"`
	Kind      string             `json:"kind"`
	Target    string             `json:"target"`
	Healthy   bool               `json:"healthy"`
	Error     string             `json:"error,omitempty"`
	Code      string             `json:"code,omitempty"`
	HealthMS  float64            `json:"health_ms"`
	Connected bool               `json:"connected"`
	Ops       []opView           `json:"ops"`
	Gauges    map[string]float64 `json:"gauges,omitempty"`
}

type opView struct {
	Name   string  `json:"name"`
	Count  uint64  `json:"count"`
	Errors uint64  `json:"errors"`
	P50US  float64 `json:"p50_us"`
	P95US  float64 `json:"p95_us"`
	P99US  float64 `json:"p99_us"`
	MaxUS  float64 `json:"max_us"`
}

type alertView struct {
	Action  string `json:"action"`
	Message string `json:"message"`
}

// dashboard samples the hub once a second and serves the latest view.
type dashboard struct {
	hub      *arsenal.Hub
	detector *stats.Detector
	mu       sync.RWMutex
	latest   snapshot
}

func newDashboard(hub *arsenal.Hub) *dashboard {
	return &dashboard{hub: hub, detector: stats.NewDetector()}
}

func (d *dashboard) sample(ctx context.Context) snapshot {
	rep := d.hub.Health(ctx)
	stats := d.hub.Stats()
	s := snapshot{Time: time.Now(), Schemes: arsenal.Schemes(), Resources: resourceGauges()}
	for _, h := range rep.Components {
		st := stats[h.Name]
		v := componentView{
			Name: h.Name, Kind: h.Kind, Target: st.Target, Healthy: h.Healthy(),
			HealthMS: float64(h.Latency.Microseconds()) / 1000, Connected: st.Connected, Gauges: gaugeMap(st.Gauges),
		}
		if h.Err != nil {
			v.Error, v.Code = h.Err.Error(), arsenal.CodeOf(h.Err).String()
		}
		for _, name := range st.OpNames() {
			o := st.Ops[name]
			if o.Count == 0 {
				continue
			}
			v.Ops = append(v.Ops, opView{
				Name: name, Count: o.Count, Errors: o.Errors,
				P50US: us(o.P50), P95US: us(o.P95), P99US: us(o.P99), MaxUS: us(o.Max),
			})
		}
		s.Components = append(s.Components, v)
	}
	for _, a := range d.detector.Check(stats) {
		s.Alerts = append(s.Alerts, alertView{Action: string(a.Action), Message: a.Message})
	}
	sort.Slice(s.Alerts, func(i, j int) bool { return s.Alerts[i].Action < s.Alerts[j].Action })
	return s
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// run refreshes the snapshot every interval until ctx ends.
func (d *dashboard) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s := d.sample(ctx)
		d.mu.Lock()
		d.latest = s
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *dashboard) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline' 'self'")
		_, _ = w.Write(dashboardHTML)
	})
	mux.HandleFunc("GET /api/stats", func(w http.ResponseWriter, r *http.Request) {
		d.mu.RLock()
		s := d.latest
		d.mu.RUnlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(s)
	})
	return mux
}

// serve runs the dashboard on addr (a loopback address) until ctx ends.
func (d *dashboard) serve(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	slog.Info("dashboard listening", "url", "http://"+l.Addr().String()+"/")
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func gaugeMap(gs []arsenal.Gauge) map[string]float64 {
	m := make(map[string]float64, len(gs))
	for _, g := range gs {
		m[g.Name] = g.Value
	}
	return m
}
