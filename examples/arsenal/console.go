package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
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
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	addr := "http://" + l.Addr().String() + "/"
	if o.consoleToken != "" {
		fmt.Fprintf(out, "\nArsenal console: %s?token=%s\n", addr, url.QueryEscape(o.consoleToken))
	} else {
		fmt.Fprintf(out, "\nArsenal console: %s\n", addr)
	}
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
