package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/security"
)

// runConsole serves the console on o.console and keeps a paced load on
// every component until ctx ends or o.duration passes. At shutdown the load
// stops starting rounds and lets the rounds in flight finish (each bounded
// by its own timeout) before the final report, so they are not counted as
// errors.
func runConsole(ctx context.Context, hub *arsenal.Hub, parts []*part, o options, out io.Writer) error {
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	host, _, err := net.SplitHostPort(o.console)
	if err != nil {
		return arsenal.Errorf(arsenal.InvalidArgument, "arsenal", "console", "-console %q: want host:port, such as 127.0.0.1:8080", o.console)
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil {
		loopback = ip.IsLoopback()
	}
	if !loopback && o.consoleToken == "" {
		return arsenal.Errorf(arsenal.InvalidArgument, "arsenal", "console",
			"-console %s is not a loopback address: serve 127.0.0.1:PORT, or set ARSENAL_CONSOLE_TOKEN to require a token", o.console)
	}
	opts := console.Options{AllowScaling: true, Logger: slog.Default()}
	if o.consoleToken != "" {
		opts.Token = security.NewSecret(o.consoleToken)
		if !loopback {
			// Every request carries the token, so any name the operator
			// reaches an all-interfaces listener by is accepted.
			opts.AllowedHosts = []string{host}
			if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
				opts.AllowedHosts = []string{"*"}
			}
		}
	}
	c, err := console.New(hub, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := net.Listen("tcp", o.console)
	if err != nil {
		return arsenal.Wrap("arsenal", "console", err)
	}
	srv := &http.Server{Handler: withHubEndpoints(hub, c, o.consoleToken), ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	addr := "http://" + l.Addr().String() + "/"
	if o.consoleToken != "" {
		fmt.Fprintf(out, "\nArsenal console: %s?token=%s\n", addr, url.QueryEscape(o.consoleToken))
	} else {
		fmt.Fprintf(out, "\nArsenal console: %s\n", addr)
	}
	fmt.Fprintf(out, "  health and metrics: %shub/livez, %shub/readyz, %shub/metrics (Prometheus text)\n", addr, addr, addr)
	fmt.Fprintln(out, "  (Ctrl+C to stop)")

	stopLoad := startLoad(ctx, parts, o.concurrency)
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	stopLoad()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = srv.Shutdown(sctx)
	cancel()
	report(context.WithoutCancel(ctx), hub, out)
	if err == http.ErrServerClosed {
		err = nil
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "console:", err)
	}
	return err
}

// startLoad keeps a paced load on every part until ctx ends or stop is
// called. stop waits for the rounds in flight: a round started runs to its
// end even when shutdown begins (only its own 5 s timeout cuts it short),
// so the final report does not count it as an error.
func startLoad(ctx context.Context, parts []*part, concurrency int) (stop func()) {
	loadCtx, cancel := context.WithCancel(ctx)
	var load sync.WaitGroup
	for _, p := range parts {
		load.Go(func() {
			i := 0
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-loadCtx.Done():
					return
				case <-t.C:
				}
				for w := 0; w < concurrency && loadCtx.Err() == nil; w++ {
					octx, cancelRound := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
					_ = p.workload(octx, w, i)
					cancelRound()
					i++
				}
			}
		})
	}
	return func() {
		cancel()
		load.Wait()
	}
}

// withHubEndpoints serves the hub's /livez, /readyz and /metrics
// (arsenal.Hub.Handler) under /hub/ beside the console, so a scraper reads
// the same Stats the console's pages show. With a token, those paths ask
// for it too, as "Authorization: Bearer <token>" (what Prometheus sends
// with its authorization setting) or ?token=; without one (a loopback
// listener) they answer only requests whose Host is a loopback name.
func withHubEndpoints(hub *arsenal.Hub, consoleHandler http.Handler, token string) http.Handler {
	mux := http.NewServeMux()
	hubHandler := http.StripPrefix("/hub", hub.Handler())
	mux.Handle("/hub/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" && !loopbackHost(r.Host) {
			// Without a token the listener is a loopback one: a page
			// elsewhere reaching it through a rebound DNS name is refused,
			// as the console refuses it.
			http.Error(w, "host not allowed", http.StatusForbidden)
			return
		}
		if token != "" {
			got := r.URL.Query().Get("token")
			if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				got = bearer
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="arsenal"`)
				http.Error(w, "token required", http.StatusUnauthorized)
				return
			}
		}
		hubHandler.ServeHTTP(w, r)
	}))
	mux.Handle("/", consoleHandler)
	return mux
}

// loopbackHost reports whether a Host header names this machine's
// loopback interface: localhost or a loopback IP, with or without a port.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
