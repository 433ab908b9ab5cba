// Command hooks measures what the observer hooks cost when no Observer is
// set, against the library from before them. For each domain it copies
// the library at the commit before the hooks and at the commit that added
// them (git archive), renames the two copies' module paths
// (arsenal.test/before and arsenal.test/after) and builds one probe
// program that imports both, so the same calls through the two builds run
// side by side in one process, in interleaved sub-blocks, against one
// redis-server and one SQLite file. The builds differ only by the hooks,
// so the time ratio is their cost (target: within 1%). It needs the
// repository's git history.
//
//	cd benchmarks && go run ./hooks [-pairs 200]
package main

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/benchmarks/internal/benchenv"
	"github.com/infra-arsenal/arsenal/benchmarks/internal/pointdb"
)

const (
	domain     = "hooks"
	modulePath = "github.com/infra-arsenal/arsenal"
)

//go:embed testdata/probe/*.go
var probeFS embed.FS

var (
	quick = flag.Bool("quick", false, "fewer paired rounds")
	pairs = flag.Int("pairs", 200, "paired rounds per comparison")
)

var lines = bench.NewLineWriter(os.Stdout)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hooks bench: "+format+"\n", args...)
}

// A change is the commit that added one domain's hooks and the workloads
// (the probe's names) that measure it.
type change struct {
	domain    string
	commit    string // the commit that added the hooks; its parent is the before
	workloads map[string]string
}

var changes = []change{
	{domain: "sqlite", commit: "853ed44", workloads: map[string]string{"point": "sqlite point select, 1 caller"}},
	{domain: "redis", commit: "d75782a", workloads: map[string]string{"get": "redis GET, 1 caller", "set": "redis SET, 1 caller"}},
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

	addr, stop, started, err := benchenv.Redis()
	if err != nil {
		return err
	}
	defer stop()
	if started != "" {
		logf("%s", started)
	}
	dbPath := filepath.Join(work, "bench.db")
	if err := pointdb.Seed(ctx, dbPath); err != nil {
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
		bin, err := buildProbe(root, filepath.Join(work, ch.domain), ch.domain, before, after)
		if err != nil {
			return err
		}
		args := []string{"-pairs", strconv.Itoa(*pairs), "-key", key}
		if ch.domain == "redis" {
			args = append(args, "-redis", addr)
		} else {
			args = append(args, "-db", dbPath)
		}
		cmd := exec.Command(bin, args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("the %s probe: %w", ch.domain, err)
		}
		results, err := parsePairs(out)
		if err != nil {
			return err
		}
		for name := range ch.workloads {
			if !slices.ContainsFunc(results, func(r *workloadPairs) bool { return r.name == name }) {
				return fmt.Errorf("the %s probe reported no pairs for %s", ch.domain, name)
			}
		}
		for _, res := range results {
			wl, ok := ch.workloads[res.name]
			if !ok {
				return fmt.Errorf("the %s probe reported an unknown workload %q", ch.domain, res.name)
			}
			tp := res.pairs
			var tb, ta, ratios []float64
			for _, t := range tp {
				tb, ta, ratios = append(tb, t[0]), append(ta, t[1]), append(ratios, t[1]/t[0])
			}
			sp := bench.SpreadOf(ratios)
			calls := float64(res.calls)
			title := wl + ": no observer, with hooks vs before them"
			_ = lines.Write(bench.Line{Domain: domain, Workload: title, Impl: ch.domain + " at " + before[:7] + " (before the hooks)", Metric: "ops/s", Value: calls / bench.SpreadOf(tb).Median, Better: "higher"})
			_ = lines.Write(bench.Line{Domain: domain, Workload: title, Impl: ch.domain + " at " + after[:7] + " (hooks, no observer)", Metric: "ops/s", Value: calls / bench.SpreadOf(ta).Median, Better: "higher"})
			detail := fmt.Sprintf("%+.1f%% time per call (median of %d pairs of interleaved sub-blocks in one process, IQR %+.1f%% to %+.1f%%; %s vs %s)",
				(sp.Median-1)*100, len(ratios), (sp.Q1-1)*100, (sp.Q3-1)*100, after[:7], before[:7])
			logf("%s: %s", wl, detail)
			_ = lines.Check(domain, "observer hooks with no observer within 1% on "+wl, sp.Median <= 1.01, detail)
		}
	}
	return nil
}

// workloadPairs is what the probe reported for one workload: its calls a
// side in each pair and each pair's seconds before and after the hooks.
type workloadPairs struct {
	name  string
	calls int
	pairs [][2]float64
}

// parsePairs reads the probe's "<workload> <calls> <seconds before>
// <seconds after>" lines, workloads in the order the probe ran them.
func parsePairs(out []byte) ([]*workloadPairs, error) {
	var results []*workloadPairs
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			return nil, fmt.Errorf("probe printed %q", sc.Text())
		}
		calls, err0 := strconv.Atoi(f[1])
		b, err1 := strconv.ParseFloat(f[2], 64)
		a, err2 := strconv.ParseFloat(f[3], 64)
		if err0 != nil || err1 != nil || err2 != nil || calls <= 0 || b <= 0 || a <= 0 {
			return nil, fmt.Errorf("probe printed %q", sc.Text())
		}
		if len(results) == 0 || results[len(results)-1].name != f[0] {
			results = append(results, &workloadPairs{name: f[0], calls: calls})
		}
		last := results[len(results)-1]
		last.pairs = append(last.pairs, [2]float64{b, a})
	}
	return results, sc.Err()
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

// buildProbe copies the library at before and after into dir/before and
// dir/after under the module paths arsenal.test/before and
// arsenal.test/after, writes the probe for domain beside them and builds
// it.
func buildProbe(root, dir, domain, before, after string) (string, error) {
	for _, side := range []struct{ name, rev string }{{"before", before}, {"after", after}} {
		if err := copyAt(root, filepath.Join(dir, side.name), side.rev, "arsenal.test/"+side.name); err != nil {
			return "", err
		}
	}
	probeDir := filepath.Join(dir, "probe")
	if err := os.MkdirAll(probeDir, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"harness.go", domain + ".go"} {
		src, err := probeFS.ReadFile("testdata/probe/" + name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(probeDir, name), src, 0o644); err != nil {
			return "", err
		}
	}
	gomod := "module arsenal.test/probe\n\ngo 1.26.0\n\n" +
		"require (\n\tarsenal.test/after v0.0.0\n\tarsenal.test/before v0.0.0\n)\n\n" +
		"replace arsenal.test/after => ../after\n\nreplace arsenal.test/before => ../before\n"
	if err := os.WriteFile(filepath.Join(probeDir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	// The dependencies' checksums: both copies' go.sum.
	var sums []byte
	for _, side := range []string{"before", "after"} {
		b, err := os.ReadFile(filepath.Join(dir, side, "go.sum"))
		if err != nil {
			return "", err
		}
		sums = append(sums, b...)
	}
	if err := os.WriteFile(filepath.Join(probeDir, "go.sum"), sums, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "probe.bin")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = probeDir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s for the %s probe: %w\n%s", strings.Join(args, " "), domain, err, out)
		}
	}
	logf("built the %s probe: %s before the hooks, %s with them", domain, before[:7], after[:7])
	return bin, nil
}

// copyAt unpacks the repository at rev into dir and renames its module
// path to path in go.mod and in every Go file.
func copyAt(root, dir, rev, path string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	archive := exec.Command("git", "archive", "--format=tar", rev)
	archive.Dir = root
	archive.Stderr = os.Stderr
	untar := exec.Command("tar", "-x", "-C", dir)
	untar.Stderr = os.Stderr
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return err
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		return err
	}
	if err := archive.Run(); err != nil {
		return fmt.Errorf("git archive %s: %w", rev, err)
	}
	if err := untar.Wait(); err != nil {
		return fmt.Errorf("unpacking %s: %w", rev, err)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := d.Name(); name != "go.mod" && !strings.HasSuffix(name, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if nb := bytes.ReplaceAll(b, []byte(modulePath), []byte(path)); !bytes.Equal(nb, b) {
			return os.WriteFile(p, nb, 0o644)
		}
		return nil
	})
}
