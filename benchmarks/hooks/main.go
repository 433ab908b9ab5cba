// Command hooks measures what the observer hooks cost when no Observer is
// set, against the library from before them: for each domain it copies
// the library at the commit before the hooks and at the commit that added
// them (git archive), builds the same probe program in both, and times
// the same calls in the two processes side by side, in interleaved
// sub-blocks against one redis-server and one SQLite file. The two builds
// differ only by the hooks, so the ratio is their cost (target: within
// 1%). It needs the repository's git history.
//
//	cd benchmarks && go run ./hooks [-pairs 200]
package main

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/sqlite"
)

const domain = "hooks"

//go:embed testdata/probe/main.go
var probeSource []byte

var (
	quick = flag.Bool("quick", false, "fewer paired rounds")
	pairs = flag.Int("pairs", 200, "paired rounds per comparison")
)

var lines = bench.NewLineWriter(os.Stdout)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hooks bench: "+format+"\n", args...)
}

// A change is the commit that added one domain's hooks and the calls
// that measure it.
type change struct {
	domain string
	commit string // the commit that added the hooks; its parent is the before
	ops    []op
}

type op struct {
	name     string // the probe's op
	workload string
	n, sub   int // calls per sub-block, sub-blocks per pair
}

var changes = []change{
	{domain: "sqlite", commit: "853ed44", ops: []op{{"point", "sqlite point select, 1 caller", 100, 40}}},
	{domain: "redis", commit: "d75782a", ops: []op{
		{"get", "redis GET, 1 caller", 10, 100},
		{"set", "redis SET, 1 caller", 10, 100},
	}},
}

func main() {
	flag.Parse()
	if *quick {
		*pairs = 30
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hooks bench:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	root, err := gitOut("", "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("the hooks benchmark builds the library at two commits and needs its git history: %w", err)
	}
	work, err := os.MkdirTemp("", "arsenal-hooks")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	addr := os.Getenv("ARSENAL_BENCH_REDIS_ADDR")
	if addr == "" {
		srv, err := testenv.LaunchRedis()
		if err != nil {
			return err
		}
		defer srv.Stop()
		addr = srv.Addr
		logf("started a redis-server (real: %v) at %s", srv.Real, addr)
	}
	dbPath := filepath.Join(work, "bench.db")
	if err := seedSQLite(ctx, dbPath); err != nil {
		return err
	}
	key := "bench:hooks:" + strconv.Itoa(os.Getpid())

	for _, ch := range changes {
		before, err := gitOut(root, "rev-parse", ch.commit+"^")
		if err != nil {
			return err
		}
		after, err := gitOut(root, "rev-parse", ch.commit)
		if err != nil {
			return err
		}
		var probes [2]*probe
		for i, rev := range []string{before, after} {
			bin, err := buildProbe(root, work, rev)
			if err != nil {
				return err
			}
			args := []string{"-key", key}
			if ch.domain == "redis" {
				args = append(args, "-redis", addr)
			} else {
				args = append(args, "-db", dbPath)
			}
			p, err := startProbe(bin, args...)
			if err != nil {
				return err
			}
			defer p.close()
			probes[i] = p
		}
		if ch.domain == "redis" {
			// The key exists before the first GET.
			if _, err := probes[0].call("set", 0, 1); err != nil {
				return err
			}
		}
		for _, o := range ch.ops {
			sp, a, b, err := compare(probes[0], probes[1], o)
			if err != nil {
				return err
			}
			impl := func(rev string) string { return ch.domain + " at " + rev[:7] }
			wl := o.workload + ": no observer, with hooks vs before them"
			_ = lines.Write(bench.Line{Domain: domain, Workload: wl, Impl: impl(before) + " (before the hooks)", Metric: "ops/s", Value: a, Better: "higher"})
			_ = lines.Write(bench.Line{Domain: domain, Workload: wl, Impl: impl(after) + " (hooks, no observer)", Metric: "ops/s", Value: b, Better: "higher"})
			detail := fmt.Sprintf("%+.1f%% time per call (median of %d pairs of interleaved sub-blocks, IQR %+.1f%% to %+.1f%%; %s vs %s)",
				(sp.Median-1)*100, *pairs, (sp.Q1-1)*100, (sp.Q3-1)*100, after[:7], before[:7])
			logf("%s: %s", o.workload, detail)
			_ = lines.Check(domain, "observer hooks with no observer within 1% on "+o.workload, sp.Median <= 1.01, detail)
		}
	}
	return nil
}

// compare times pairs of sub interleaved sub-blocks (a b, b a, ...) of
// o.n calls in each probe and returns the spread of b's time over a's,
// pair by pair, and each side's calls per second in its median pair.
func compare(a, b *probe, o op) (bench.Spread, float64, float64, error) {
	next := 0
	pair := func() (float64, float64, error) {
		var ta, tb float64
		for j := range o.sub {
			x, y := a, b
			if j%2 == 1 {
				x, y = b, a
			}
			tx, err := x.call(o.name, next, o.n)
			if err != nil {
				return 0, 0, err
			}
			ty, err := y.call(o.name, next, o.n)
			if err != nil {
				return 0, 0, err
			}
			next += o.n
			if j%2 == 1 {
				tx, ty = ty, tx
			}
			ta, tb = ta+tx, tb+ty
		}
		return ta, tb, nil
	}
	if _, _, err := pair(); err != nil { // warm-up
		return bench.Spread{}, 0, 0, err
	}
	var ta, tb, ratios []float64
	for range *pairs {
		x, y, err := pair()
		if err != nil {
			return bench.Spread{}, 0, 0, err
		}
		ta, tb, ratios = append(ta, x), append(tb, y), append(ratios, y/x)
	}
	calls := float64(o.n * o.sub)
	return bench.SpreadOf(ratios), calls / bench.SpreadOf(ta).Median, calls / bench.SpreadOf(tb).Median, nil
}

func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// buildProbe copies the library at rev into work/rev, adds the probe as
// cmd/hooksprobe of that copy and builds it.
func buildProbe(root, work, rev string) (string, error) {
	dir := filepath.Join(work, rev)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	archive := exec.Command("git", "archive", "--format=tar", rev)
	archive.Dir = root
	untar := exec.Command("tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return "", err
	}
	untar.Stdin = pipe
	untar.Stderr = os.Stderr
	archive.Stderr = os.Stderr
	if err := untar.Start(); err != nil {
		return "", err
	}
	if err := archive.Run(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	if err := untar.Wait(); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", rev, err)
	}
	probeDir := filepath.Join(dir, "cmd", "hooksprobe")
	if err := os.MkdirAll(probeDir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(probeDir, "main.go"), probeSource, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(work, "probe-"+rev[:12])
	build := exec.Command("go", "build", "-o", bin, "./cmd/hooksprobe")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the probe at %s: %w\n%s", rev, err, out)
	}
	logf("built the probe at %s", rev[:12])
	return bin, nil
}

// A probe is one running probe process.
type probe struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startProbe(bin string, args ...string) (*probe, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &probe{cmd: cmd, in: in, out: bufio.NewReader(out)}, nil
}

// call asks the probe for n calls of op from call number first and
// returns the seconds they took.
func (p *probe) call(op string, first, n int) (float64, error) {
	if _, err := fmt.Fprintf(p.in, "%s %d %d\n", op, first, n); err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	line = strings.TrimSpace(line)
	ns, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("probe answered %q", line)
	}
	return float64(ns) / 1e9, nil
}

func (p *probe) close() {
	_ = p.in.Close()
	_ = p.cmd.Wait()
}

func seedSQLite(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := 1; i <= 10000; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO bench VALUES (?, ?, ?)", i, "name-"+strconv.Itoa(i), float64(i)/3); err != nil {
				return err
			}
		}
		return nil
	})
}
