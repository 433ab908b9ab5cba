// Command hub-prometheus-metrics exposes every component's statistics to
// Prometheus: the Hub's /metrics endpoint serves call counts, error counts,
// latency quantiles and each domain's gauges in the text exposition format.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/hub-prometheus-metrics [-addr 127.0.0.1:0]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func main() {
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	addr := flag.String("addr", "127.0.0.1:0", "address of the metrics endpoint")
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
	db, err := sqlite.Open(ctx, sqlite.Config{})
	if err != nil {
		rc.Close()
		return err
	}
	hub := arsenal.NewHub()
	defer hub.Close()
	_ = hub.Add("cache", rc)
	_ = hub.Add("db", db)

	// Some traffic: 10 SETs, 5 GETs of a missing key (a miss, not an
	// error), 3 queries.
	for i := range 10 {
		if err := rc.Set(ctx, fmt.Sprintf("example:metrics:%d", i), "v"); err != nil {
			return err
		}
	}
	for range 5 {
		_, _ = rc.Get(ctx, "example:metrics:missing")
	}
	for range 3 {
		if _, err := db.Values(ctx, "SELECT 1"); err != nil {
			return err
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/metrics", hub.MetricsHandler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	fmt.Println("scrape:", resp.Status, resp.Header.Get("Content-Type"))
	// Print the samples a dashboard would chart.
	sc := bufio.NewScanner(resp.Body)
	lines := 0
	for sc.Scan() {
		l := sc.Text()
		lines++
		if strings.HasPrefix(l, "arsenal_up{") ||
			(strings.HasPrefix(l, "arsenal_operations_total{") || strings.HasPrefix(l, "arsenal_operation_errors_total{")) &&
				(strings.Contains(l, `op="set"`) || strings.Contains(l, `op="get"`) || strings.Contains(l, `op="query"`)) {
			fmt.Println(l)
		}
	}
	fmt.Println("samples and comments:", lines > 20)
	return sc.Err()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
