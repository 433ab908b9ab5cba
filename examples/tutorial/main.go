// Command tutorial runs Arsenal's interactive tutorials (package tutorial)
// from the command line, against live components.
//
//	go run ./examples/tutorial list
//	go run ./examples/tutorial show redis [STEP]      # the steps, or one step with its code
//	go run ./examples/tutorial hint redis STEP
//	go run ./examples/tutorial solution redis STEP [-apply]
//	go run ./examples/tutorial check redis [STEP]     # validate one step, or report progress
//	go run ./examples/tutorial walk websocket [-solve]
//
// walk goes through a tutorial step by step: it prints the instruction and
// waits for a command on standard input: Enter (or "check") validates the
// step, "hint" and "solution" print them, "apply" runs the solution, "skip"
// moves on and "quit" stops; -solve applies every solution by itself. The
// WebSocket tutorial's playground server lives in this process, so that
// tutorial runs with walk (its URL is printed); the others keep their state
// in the servers and work with check between runs too.
//
// Components: -redis URL (default REDIS_URL, then redis://localhost:6379/0)
// with keys under -prefix (default "tutorial:"); -db FILE (default
// SQLITE_PATH, then arsenal-tutorial.db); S3 from S3_ENDPOINT, S3_BUCKET
// (default arsenal-tutorial), S3_REGION and S3_ACCESS_KEY_ID /
// S3_SECRET_ACCESS_KEY, with keys under tutorial/; -ws ADDR for the
// playground (default 127.0.0.1:0).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/tutorial"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	redisURL, dbPath, prefix, wsAddr string
	apply, solve                     bool
}

const usage = `usage: tutorial list
       tutorial show NAME [STEP]
       tutorial hint NAME STEP
       tutorial solution NAME STEP [-apply]
       tutorial check NAME [STEP]
       tutorial walk NAME [-solve]
flags (after the command): -redis URL, -db FILE, -prefix P, -ws ADDR`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("tutorial "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.redisURL, "redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	fs.StringVar(&o.dbPath, "db", envOr("SQLITE_PATH", "arsenal-tutorial.db"), "SQLite file")
	fs.StringVar(&o.prefix, "prefix", "tutorial:", "prefix of the Redis keys")
	fs.StringVar(&o.wsAddr, "ws", "127.0.0.1:0", "address of the WebSocket playground")
	fs.BoolVar(&o.apply, "apply", false, "solution: apply it to the live component")
	fs.BoolVar(&o.solve, "solve", false, "walk: apply every step's solution")
	// Positional arguments come first, flags after them.
	var pos []string
	rest := args[1:]
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tutorial: unexpected argument %q (flags go after the positional arguments)\n", fs.Arg(0))
		return 2
	}
	if len(pos) > 2 || (cmd == "list" && len(pos) > 0) {
		fmt.Fprintf(stderr, "tutorial: too many arguments\n%s\n", usage)
		return 2
	}
	if cmd == "list" {
		for _, t := range tutorial.All() {
			fmt.Fprintf(stdout, "%-10s %d steps  %s\n", t.Name, len(t.Steps), t.Title)
		}
		return 0
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	t, ok := tutorial.Get(pos[0])
	if !ok {
		fmt.Fprintf(stderr, "tutorial: no tutorial called %q (see tutorial list)\n", pos[0])
		return 2
	}
	step := 0
	if len(pos) > 1 {
		n, err := strconv.Atoi(pos[1])
		if err == nil {
			_, err = t.Step(n)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tutorial: %s has steps 1 to %d, not %q\n", t.Name, len(t.Steps), pos[1])
			return 2
		}
		step = n
	}
	needStep := func() bool {
		if step == 0 {
			fmt.Fprintf(stderr, "tutorial: %s needs a step number\n", cmd)
		}
		return step != 0
	}
	switch cmd {
	case "show":
		if step == 0 {
			fmt.Fprintf(stdout, "%s\n\n%s\n\n", t.Title, t.Description)
			for i, s := range t.Steps {
				fmt.Fprintf(stdout, "%d. %s\n", i+1, s.Title)
			}
			return 0
		}
		printStep(stdout, t, step)
		return 0
	case "hint":
		if !needStep() {
			return 2
		}
		fmt.Fprintln(stdout, t.Steps[step-1].Hint)
		return 0
	case "solution":
		if !needStep() {
			return 2
		}
		fmt.Fprintln(stdout, t.Steps[step-1].Code)
		if !o.apply {
			return 0
		}
		return withEnv(ctx, t, o, stderr, func(env *tutorial.Env) int {
			if err := t.Steps[step-1].Solution(ctx, env); err != nil {
				fmt.Fprintln(stderr, "tutorial: applying the solution:", err)
				return 1
			}
			fmt.Fprintf(stdout, "applied step %d\n", step)
			return 0
		})
	case "check":
		return withEnv(ctx, t, o, stderr, func(env *tutorial.Env) int {
			return check(ctx, t, env, step, stdout)
		})
	case "walk":
		return withEnv(ctx, t, o, stderr, func(env *tutorial.Env) int {
			return walk(ctx, t, env, o.solve, stdin, stdout)
		})
	}
	fmt.Fprintf(stderr, "tutorial: unknown command %q\n%s\n", cmd, usage)
	return 2
}

func printStep(w io.Writer, t *tutorial.Tutorial, n int) {
	s := t.Steps[n-1]
	fmt.Fprintf(w, "Step %d of %d: %s\n\n%s\n", n, len(t.Steps), s.Title, s.Instruction)
}

// check validates one step, or every step in order (stopping at the
// first not done) and reports the progress.
func check(ctx context.Context, t *tutorial.Tutorial, env *tutorial.Env, step int, w io.Writer) int {
	from, to := 1, len(t.Steps)
	if step != 0 {
		from, to = step, step
	}
	for n := from; n <= to; n++ {
		if err := t.Check(ctx, env, n); err != nil {
			fmt.Fprintf(w, "step %d (%s): not done: %v\n", n, t.Steps[n-1].Title, err)
			return 1
		}
		fmt.Fprintf(w, "step %d (%s): done\n", n, t.Steps[n-1].Title)
	}
	if step == 0 {
		fmt.Fprintf(w, "%s: all %d steps done\n", t.Name, len(t.Steps))
	}
	return 0
}

func walk(ctx context.Context, t *tutorial.Tutorial, env *tutorial.Env, solve bool, stdin io.Reader, w io.Writer) int {
	if env.WS != nil {
		fmt.Fprintln(w, "playground:", env.WS.URL())
	}
	in := bufio.NewScanner(stdin)
	for n := 1; n <= len(t.Steps); n++ {
		s := t.Steps[n-1]
		fmt.Fprintln(w)
		printStep(w, t, n)
	prompt:
		for {
			cmd := "check"
			if solve {
				cmd = "apply"
			} else {
				fmt.Fprint(w, "[Enter]=check, hint, solution, apply, skip, quit> ")
				if !in.Scan() {
					fmt.Fprintln(w, "\nstopped")
					return 1
				}
				if c := strings.TrimSpace(in.Text()); c != "" {
					cmd = c
				}
			}
			switch cmd {
			case "check":
				if err := s.Validate(ctx, env); err != nil {
					fmt.Fprintln(w, "not yet:", err)
					continue
				}
				fmt.Fprintf(w, "step %d done\n", n)
				break prompt
			case "hint":
				fmt.Fprintln(w, "hint:", s.Hint)
			case "solution":
				fmt.Fprintf(w, "solution:\n%s\n", s.Code)
			case "apply":
				if err := s.Solution(ctx, env); err != nil {
					fmt.Fprintln(w, "the solution failed:", err)
					return 1
				}
				fmt.Fprintln(w, "solution applied")
				if solve {
					if err := s.Validate(ctx, env); err != nil {
						fmt.Fprintln(w, "still not done:", err)
						return 1
					}
					fmt.Fprintf(w, "step %d done\n", n)
					break prompt
				}
			case "skip":
				break prompt
			case "quit":
				return 1
			default:
				fmt.Fprintf(w, "unknown command %q\n", cmd)
			}
		}
	}
	fmt.Fprintf(w, "\n%s tutorial finished\n", t.Name)
	return 0
}

// withEnv opens the component t needs, runs f and closes it.
func withEnv(ctx context.Context, t *tutorial.Tutorial, o options, stderr io.Writer, f func(*tutorial.Env) int) int {
	env := &tutorial.Env{Prefix: o.prefix}
	defer env.Close()
	var err error
	switch t.Name {
	case "redis":
		var cfg redis.Config
		if cfg, err = redis.ParseURL(o.redisURL); err == nil {
			if env.Redis, err = redis.Open(ctx, cfg); err == nil {
				defer env.Redis.Close()
			}
		}
	case "sqlite":
		if env.SQLite, err = sqlite.Open(ctx, sqlite.Config{Path: o.dbPath, Create: true}); err == nil {
			defer env.SQLite.Close()
		}
	case "s3":
		cfg := s3.FromEnv()
		if cfg.Bucket == "" {
			cfg.Bucket = "arsenal-tutorial"
		}
		cfg.Prefix = "tutorial/"
		if env.S3, err = s3.Open(ctx, cfg); err == nil {
			defer env.S3.Close()
		}
	case "websocket":
		if env.WS, err = tutorial.NewPlayground(ctx, o.wsAddr); err == nil {
			defer env.WS.Close()
		}
	default:
		err = errors.New("no components known for tutorial " + t.Name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tutorial: open the %s component: %v\n", t.Name, err)
		if c := arsenal.CodeOf(err); c != arsenal.Unknown {
			fmt.Fprintln(stderr, "  code:", c)
		}
		return 1
	}
	return f(env)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
