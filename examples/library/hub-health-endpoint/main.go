// Command hub-health-endpoint serves a Hub's health over HTTP the way
// Kubernetes probes it: /livez and /readyz (JSON with ?verbose or an Accept
// header), 200 while every component answers and 503 once one does not.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/hub-health-endpoint [-addr 127.0.0.1:0]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	addr := flag.String("addr", "127.0.0.1:0", "address of the health endpoint")
	flag.Parse()
	if err := run(*redisURL, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(redisURL, addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rc, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, sqlite.Config{}) // in memory
	if err != nil {
		rc.Close()
		return err
	}
	hub := arsenal.NewHub()
	defer hub.Close()
	if err := hub.Add("cache", rc); err != nil {
		return err
	}
	if err := hub.Add("db", db); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: hub.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	probe := func(path string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var h arsenal.HealthJSON
		if err := json.Unmarshal(b, &h); err != nil {
			fmt.Printf("GET %s -> %d %s\n", path, resp.StatusCode, strings.TrimSpace(string(b)))
			return nil
		}
		names := make([]string, 0, len(h.Components))
		for _, c := range h.Components {
			state := "ok"
			if !c.Healthy {
				state = c.Code
			}
			names = append(names, c.Name+"="+state)
		}
		sort.Strings(names)
		fmt.Printf("GET %s -> %d %s %v\n", path, resp.StatusCode, h.Status, names)
		return nil
	}
	if err := probe("/livez"); err != nil {
		return err
	}
	if err := probe("/readyz"); err != nil {
		return err
	}
	// The database goes away: readiness fails, with the component named.
	_ = db.Close()
	return probe("/readyz")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
