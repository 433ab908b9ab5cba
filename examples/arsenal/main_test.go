package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// The demo must run on embedded defaults on a machine with nothing but Go.
func TestDemoRunsEveryComponentOnEmbeddedDefaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hub := arsenal.NewHub()
	defer hub.Close()
	o := options{ops: 40, concurrency: 2}
	for _, open := range []func(context.Context, options) (*part, error){openSQLite, openRedis, openS3, openWebSocket} {
		p, err := open(ctx, o)
		if p != nil && p.cleanup != nil {
			defer p.cleanup()
		}
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if err := hub.Add(p.name, p.comp); err != nil {
			t.Fatal(err)
		}
		res := drive(ctx, p, o.ops, o.concurrency)
		if res.errors != 0 || res.count != o.ops {
			t.Errorf("%s: %d rounds, %d errors (first: %v)", p.name, res.count, res.errors, res.firstErr)
		}
	}
	rep := hub.Health(ctx)
	if !rep.Healthy() || len(rep.Components) != 4 {
		t.Fatalf("health: %v (%d components)", rep.Err(), len(rep.Components))
	}

	d := newDashboard(hub)
	d.latest = d.sample(ctx)
	srv := httptest.NewServer(d.handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range s.Components {
		kinds[c.Kind] = true
		if !c.Healthy {
			t.Errorf("%s unhealthy in the dashboard: %s", c.Name, c.Error)
		}
		var calls uint64
		for _, op := range c.Ops {
			calls += op.Count
		}
		if calls < uint64(o.ops) {
			t.Errorf("%s: dashboard shows %d calls after %d rounds", c.Name, calls, o.ops)
		}
	}
	for _, k := range []string{"sqlite", "redis", "s3", "websocket"} {
		if !kinds[k] {
			t.Errorf("dashboard lacks %s", k)
		}
	}
	page, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 || page.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("dashboard page: %d %s", page.StatusCode, page.Header.Get("Content-Type"))
	}
}
