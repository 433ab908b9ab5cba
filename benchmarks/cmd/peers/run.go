package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/internal/testenv"
)

// knownDomains are run first, in this order; any other domain directory
// follows alphabetically.
var knownDomains = []string{"sqlite", "redis", "websocket", "s3"}

// notDomains are directories of benchmarks that hold no domain program.
var notDomains = []string{"cmd", "results", "testdata", "node_modules"}

// DomainRun is what one domain program produced.
type DomainRun struct {
	Name     string
	Command  string        // as run, from the benchmarks directory
	Lines    []bench.Line  // the JSON lines it printed
	Elapsed  time.Duration // wall time, including compilation
	Err      error         // non-nil when it failed (exit status, timeout, bad output)
	LogTail  string        // the last lines of its stderr, kept for failures
	Chart    string        // path of its chart, relative to the results directory; empty if none
	RawPath  string        // path of its raw JSONL
	LogPath  string        // path of its stderr log
	Reported int           // measurements it reported
}

// Report is a whole run of the runner.
type Report struct {
	Started  time.Time
	Finished time.Time
	Command  string
	Quick    bool
	Machine  Machine
	// LoadStart and LoadEnd are the 1, 5 and 15 minute load averages
	// when the run started and ended (/proc/loadavg), so a reader can tell
	// a run on a busy machine; empty where the system has none.
	LoadStart, LoadEnd string
	Servers            []string // servers started or used, described
	Notes              []string // setup notes (bun installed, stand-in servers)
	Domains            []*DomainRun
	Skipped            []string // requested with -only but not found
	Missing            []string // known domains (sqlite, redis, websocket, s3) with no program yet
}

// Failed counts the domains that failed.
func (r *Report) Failed() int {
	n := 0
	for _, d := range r.Domains {
		if d.Err != nil {
			n++
		}
	}
	return n
}

// findDomains lists the domain directories under dir: subdirectories with
// a Go file declaring package main.
func findDomains(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range entries {
		if !e.IsDir() || slices.Contains(notDomains, e.Name()) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, e.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte("package main")) {
				found = append(found, e.Name())
				break
			}
		}
	}
	slices.SortFunc(found, func(a, b string) int {
		ia, ib := slices.Index(knownDomains, a), slices.Index(knownDomains, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	return found, nil
}

// run does the whole job: setup, every domain, report.
func run(ctx context.Context, o options) (*Report, error) {
	rep := &Report{Started: time.Now(), Command: o.commandLine, Quick: o.quick, Machine: describeMachine(), LoadStart: loadAverage()}
	domains, err := findDomains(o.dir)
	if err != nil {
		return nil, fmt.Errorf("list domain programs in %s: %w", o.dir, err)
	}
	for _, k := range knownDomains {
		if !slices.Contains(domains, k) && (len(o.only) == 0 || slices.Contains(o.only, k)) {
			rep.Missing = append(rep.Missing, k)
		}
	}
	if len(o.only) > 0 {
		var keep []string
		for _, want := range o.only {
			if slices.Contains(domains, want) {
				keep = append(keep, want)
			} else if !slices.Contains(knownDomains, want) {
				rep.Skipped = append(rep.Skipped, want)
			}
		}
		domains = keep
	}
	if err := os.MkdirAll(o.results, 0o755); err != nil {
		return nil, err
	}
	env, cleanup := setup(ctx, o, domains, rep)
	defer cleanup()
	rep.Machine.Bun = bunVersion()

	for _, d := range domains {
		if ctx.Err() != nil {
			rep.Domains = append(rep.Domains, &DomainRun{Name: d, Err: fmt.Errorf("not run: %w", ctx.Err())})
			continue
		}
		dr := runDomain(ctx, o, d, env)
		rep.Domains = append(rep.Domains, dr)
	}
	cleanup()
	rep.Finished = time.Now()
	rep.LoadEnd = loadAverage()

	for _, d := range rep.Domains {
		if len(d.Lines) == 0 {
			continue
		}
		name := d.Name + ".svg"
		if err := writeChart(filepath.Join(o.results, name), d); err != nil {
			slog.Warn("chart", "domain", d.Name, "err", err)
			continue
		}
		d.Chart = name
	}
	if err := writeAllJSONL(filepath.Join(o.results, "all.jsonl"), rep); err != nil {
		return rep, err
	}
	if err := writeMarkdown(o.out, o.results, rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// setup installs bun if needed, starts the servers the domains need, and
// returns the environment for the domain programs and a cleanup function
// (safe to call twice).
func setup(ctx context.Context, o options, domains []string, rep *Report) ([]string, func()) {
	env := os.Environ()
	nodeDir := testenv.NodeDir()
	env = setEnv(env, "ARSENAL_NODE_DIR", nodeDir)
	if o.install {
		if note, err := ensureBun(ctx, nodeDir); err != nil {
			rep.Notes = append(rep.Notes, "bun could not be installed: "+err.Error())
			slog.Warn("bun", "err", err)
		} else if note != "" {
			rep.Notes = append(rep.Notes, note)
		}
	}
	var stops []func()
	var once sync.Once
	cleanup := func() {
		once.Do(func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		})
	}
	if !o.servers {
		return env, cleanup
	}
	if slices.Contains(domains, "redis") {
		if addr := os.Getenv("ARSENAL_BENCH_REDIS_ADDR"); addr != "" {
			rep.Servers = append(rep.Servers, "Redis at "+addr+" (given by ARSENAL_BENCH_REDIS_ADDR)")
		} else if r, err := testenv.LaunchRedis(); err != nil {
			rep.Notes = append(rep.Notes, "redis-server could not start: "+err.Error())
		} else {
			stops = append(stops, r.Stop)
			env = setEnv(env, "ARSENAL_BENCH_REDIS_ADDR", r.Addr)
			rep.Servers = append(rep.Servers, describeRedis(r))
		}
	}
	if slices.Contains(domains, "s3") {
		mem := testenv.MemoryDir() // the server's data on tmpfs when there is room
		if ep := os.Getenv("ARSENAL_BENCH_S3_ENDPOINT"); ep != "" {
			rep.Servers = append(rep.Servers, "S3 at "+ep+" (given by ARSENAL_BENCH_S3_ENDPOINT)")
		} else if s, err := testenv.LaunchS3In(mem); err != nil {
			rep.Notes = append(rep.Notes, "versitygw could not start: "+err.Error())
		} else {
			stops = append(stops, s.Stop)
			env = setEnv(env, "ARSENAL_BENCH_S3_ENDPOINT", s.Endpoint)
			env = setEnv(env, "ARSENAL_BENCH_S3_ACCESS_KEY", s.AccessKey)
			env = setEnv(env, "ARSENAL_BENCH_S3_SECRET_KEY", s.SecretKey)
			// A server of the run's own: the s3 program starts its HTTPS
			// twin itself (it does not for an endpoint a user names).
			env = setEnv(env, "ARSENAL_BENCH_S3_OWN", "1")
			if s.Real {
				rep.Servers = append(rep.Servers, fmt.Sprintf("%s (posix backend on %s) at %s", toolVersion(versitygwPath(), "--version"), s3Storage(mem), s.Addr))
			} else {
				rep.Servers = append(rep.Servers, "embedded gofakes3 at "+s.Addr+" (versitygw not installed: a stand-in, not a real server)")
			}
		}
	}
	return env, cleanup
}

// s3Storage says where a real versitygw launched under mem (from
// testenv.MemoryDir) keeps its data: on tmpfs when there was room (the
// same server for every client, without the disk stalls of a VM's block
// device deciding single rounds), else the disk.
func s3Storage(mem string) string {
	if mem != "" {
		return "tmpfs " + mem
	}
	return "local disk"
}

func versitygwPath() string {
	if p, ok := testenv.Binary("versitygw"); ok {
		return p
	}
	return "versitygw"
}

func describeRedis(r *testenv.Redis) string {
	if !r.Real {
		return "embedded miniredis at " + r.Addr + " (redis-server not installed: a stand-in, not a real server)"
	}
	v := toolVersion("redis-server", "--version") // "Redis server v=7.0.15 sha=... malloc=..."
	if _, after, ok := strings.Cut(v, " v="); ok {
		v = "redis-server " + strings.Fields(after)[0]
	}
	return v + ", no persistence, at " + r.Addr
}

// setEnv returns env with key set to value, replacing any earlier value.
func setEnv(env []string, key, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	return append(out, key+"="+value)
}

// ensureBun installs the npm package bun into nodeDir when
// node_modules/.bin/bun is missing, and says what it did.
func ensureBun(ctx context.Context, nodeDir string) (string, error) {
	bin := filepath.Join(nodeDir, "node_modules", ".bin", "bun")
	if _, err := os.Stat(bin); err == nil {
		return "", nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("bun is not in %s and npm is not installed", nodeDir)
	}
	if err := os.MkdirAll(nodeDir, 0o755); err != nil {
		return "", err
	}
	slog.Info("installing bun from npm", "dir", nodeDir)
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ictx, npm, "install", "--no-audit", "--no-fund", "--prefix", nodeDir, "bun@1.4.4")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install bun@1.4.4: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("npm installed bun but %s is missing", bin)
	}
	return "installed bun@1.4.4 from npm into " + nodeDir, nil
}

func bunVersion() string {
	bin, ok := testenv.Peer("bun")
	if !ok {
		return "not installed"
	}
	return toolVersion(bin, "--version")
}

// toolVersion runs `bin arg` and returns its first output line.
func toolVersion(bin, arg string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, arg).CombinedOutput()
	if err != nil {
		return filepath.Base(bin)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if !strings.ContainsAny(line, "0123456789") {
		return filepath.Base(bin) // no version number to report (e.g. a build from git)
	}
	return line
}

// runDomain runs `go run ./<domain> [-quick]` in o.dir, keeping its stdout
// as raw JSONL and its stderr as a log (also echoed, prefixed, to ours).
func runDomain(ctx context.Context, o options, name string, env []string) *DomainRun {
	args := []string{"run", "./" + name}
	if o.quick {
		args = append(args, "-quick")
	}
	d := &DomainRun{
		Name:    name,
		Command: "go " + strings.Join(args, " "),
		RawPath: filepath.Join(o.results, name+".jsonl"),
		LogPath: filepath.Join(o.results, name+".log"),
	}
	slog.Info("running", "domain", name, "command", d.Command)
	start := time.Now()
	defer func() { d.Elapsed = time.Since(start) }()

	raw, err := os.Create(d.RawPath)
	if err != nil {
		d.Err = err
		return d
	}
	defer raw.Close()
	logf, err := os.Create(d.LogPath)
	if err != nil {
		d.Err = err
		return d
	}
	defer logf.Close()

	rctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, "go", args...)
	cmd.Dir = o.dir
	cmd.Env = env
	// go run starts the program as its child: kill the whole process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	tail := &tailBuffer{max: 40}
	cmd.Stdout = io.MultiWriter(raw, &stdout)
	cmd.Stderr = io.MultiWriter(logf, tail, &prefixWriter{prefix: "[" + name + "] ", w: os.Stderr})
	runErr := cmd.Run()

	lines, parseErr := bench.ReadLines(&stdout)
	for i := range lines {
		if lines[i].Domain == "" {
			lines[i].Domain = name
		}
	}
	d.Lines = lines
	for _, l := range lines {
		if !l.IsCheck() {
			d.Reported++
		}
	}
	d.LogTail = tail.String()
	switch {
	case rctx.Err() == context.DeadlineExceeded:
		d.Err = fmt.Errorf("timed out after %v", o.timeout)
	case ctx.Err() != nil:
		d.Err = fmt.Errorf("interrupted: %w", ctx.Err())
	case runErr != nil:
		d.Err = fmt.Errorf("%s: %w", d.Command, runErr)
	case parseErr != nil:
		d.Err = fmt.Errorf("bad output: %w", parseErr)
	case len(lines) == 0:
		d.Err = errors.New("printed no results")
	}
	if d.Err != nil {
		slog.Warn("domain failed", "domain", name, "err", d.Err)
	} else {
		slog.Info("domain done", "domain", name, "lines", len(lines), "elapsed", time.Since(start).Round(time.Second))
	}
	return d
}

// writeAllJSONL writes every domain's lines into one file.
func writeAllJSONL(path string, rep *Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bench.NewLineWriter(f)
	for _, d := range rep.Domains {
		for _, l := range d.Lines {
			if err := w.Write(l); err != nil {
				f.Close()
				return err
			}
		}
	}
	return f.Close()
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.partial + string(p)
	parts := strings.Split(s, "\n")
	t.partial = parts[len(parts)-1]
	t.lines = append(t.lines, parts[:len(parts)-1]...)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := slices.Clone(t.lines)
	if t.partial != "" {
		out = append(out, t.partial)
	}
	return strings.Join(out, "\n")
}

// prefixWriter writes each line with a prefix.
type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	midway bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var buf bytes.Buffer
	for _, c := range b {
		if !p.midway {
			buf.WriteString(p.prefix)
			p.midway = true
		}
		buf.WriteByte(c)
		if c == '\n' {
			p.midway = false
		}
	}
	if _, err := p.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
