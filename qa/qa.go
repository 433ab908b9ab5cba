package qa

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// Category groups checks.
type Category string

// The categories of checks, in the order a run performs them.
const (
	Conformance Category = "conformance" // the component keeps the arsenal contracts
	Integration Category = "integration" // a write-read-delete round trip under the scratch prefix
	Performance Category = "performance" // latency percentiles of a read against thresholds
	Security    Category = "security"    // the endpoint's security posture
)

// Categories lists every category.
func Categories() []Category { return []Category{Conformance, Integration, Performance, Security} }

// Status is a check's outcome.
type Status string

// The outcomes. Only Fail makes a report fail; Warn is a finding a person
// should read (plaintext on loopback, say); Skip says why a check could not
// run.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Target is one endpoint to check: a name for the report and a component
// URL any registered scheme opens (redis://, rediss://, s3://, ws://,
// wss://, sqlite:, file:). Credentials in the URL are used, never printed.
type Target struct {
	Name string
	URL  string
}

// Thresholds bound the performance checks.
type Thresholds struct {
	P50 time.Duration // default 10 ms
	P99 time.Duration // default 100 ms
}

// Options configure a run. The zero value runs every category with the
// defaults below.
type Options struct {
	// Categories to run; empty means all.
	Categories []Category
	// Prefix is where the checks write: Redis keys, S3 object keys and
	// the SQLite table name start with it. Default "arsenal-qa-<random>-".
	// A run deletes everything it wrote under it, even when interrupted.
	Prefix string
	// Ops is the number of reads a performance check times. Default 200.
	Ops int
	// Thresholds for the performance checks.
	Thresholds Thresholds
	// Timeout bounds each check. Default 10 s.
	Timeout time.Duration
	// CleanupTimeout bounds the clean-up after a run, which runs under a
	// context of its own so that an interrupted run still cleans up.
	// Default 10 s.
	CleanupTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if len(o.Categories) == 0 {
		o.Categories = Categories()
	}
	if o.Prefix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.Prefix = "arsenal-qa-" + hex.EncodeToString(b[:]) + "-"
	}
	if o.Ops <= 0 {
		o.Ops = 200
	}
	if o.Thresholds.P50 <= 0 {
		o.Thresholds.P50 = 10 * time.Millisecond
	}
	if o.Thresholds.P99 <= 0 {
		o.Thresholds.P99 = 100 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.CleanupTimeout <= 0 {
		o.CleanupTimeout = 10 * time.Second
	}
	return o
}

// Validate reports every bad option as InvalidArgument.
func (o Options) Validate() error {
	v := arsenal.Validation{Component: "qa"}
	for _, c := range o.Categories {
		v.Check(slices.Contains(Categories(), c), "Categories", "unknown category %q (want conformance, integration, performance or security)", c)
	}
	v.Check(o.Prefix == "" || validPrefix(o.Prefix), "Prefix", "must be 1-64 letters, digits, '-', '_' or '/', and start with a letter")
	v.Check(o.Ops >= 0 && o.Ops <= 1_000_000, "Ops", "must be between 0 (default) and 1,000,000")
	return v.Err()
}

func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > 64 || !(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z') {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '/') {
			return false
		}
	}
	return true
}

// Check is one check's result.
type Check struct {
	Target   string        `json:"target"`
	Kind     string        `json:"kind"`
	Category Category      `json:"category"`
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail,omitempty"` // what was seen; never holds a secret
	Code     string        `json:"code,omitempty"`   // the arsenal code of the error behind a failure
	Duration time.Duration `json:"duration_ns"`
}

// Report aggregates a run.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Prefix   string    `json:"prefix"`
	Checks   []Check   `json:"checks"`
	// Cleaned lists what the clean-up removed, per target; CleanupErrors
	// what it could not.
	Cleaned       map[string]int    `json:"cleaned"`
	CleanupErrors map[string]string `json:"cleanup_errors,omitempty"`
	Interrupted   bool              `json:"interrupted"`
}

// Count returns how many checks ended with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Passed reports whether no check failed, the clean-up left nothing
// behind and the run was not interrupted.
func (r *Report) Passed() bool {
	return r.Count(Fail) == 0 && len(r.CleanupErrors) == 0 && !r.Interrupted
}

// ExitCode is 0 when the report passed, 1 when a check failed or the
// clean-up did not finish, 2 when the run was interrupted: what a CI job
// should exit with.
func (r *Report) ExitCode() int {
	switch {
	case r.Interrupted:
		return 2
	case !r.Passed():
		return 1
	}
	return 0
}

// Run checks every target in turn and returns the aggregated report. It
// opens each target with arsenal.Open, so the packages of the schemes used
// must be imported (examples/qa imports them all). Checks that write do so
// under Options.Prefix, and Run deletes what they wrote before it returns,
// also when ctx is cancelled (the report is then marked Interrupted). Run
// returns an error only for invalid options or targets; a target that
// cannot be opened is a failed check.
func Run(ctx context.Context, targets []Target, opts Options) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	v := arsenal.Validation{Component: "qa"}
	names := map[string]bool{}
	for i, t := range targets {
		v.Check(t.URL != "", fmt.Sprintf("targets[%d].URL", i), "is empty")
		v.Check(t.Name == "" || !names[t.Name], fmt.Sprintf("targets[%d].Name", i), "duplicates %q", t.Name)
		names[t.Name] = true
	}
	if len(targets) == 0 {
		v.Add("targets", "none given")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	rep := &Report{Started: time.Now(), Prefix: opts.Prefix, Cleaned: map[string]int{}}
	var mu sync.Mutex
	record := func(c Check) {
		mu.Lock()
		rep.Checks = append(rep.Checks, c)
		mu.Unlock()
	}
	for i, t := range targets {
		if t.Name == "" {
			t.Name = fmt.Sprintf("target%d", i+1)
		}
		if ctx.Err() != nil {
			break
		}
		runTarget(ctx, t, opts, rep, record)
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Finished = time.Now()
	return rep, nil
}

// prober is one domain's checks.
type prober interface {
	roundTrip(ctx context.Context) error      // write, read back, compare, under the prefix
	read(ctx context.Context) error           // the timed read of the performance check
	security(ctx context.Context) []Check     // posture checks (Target, Kind and Category filled in by the caller)
	cleanup(ctx context.Context) (int, error) // delete everything under the prefix; how many things
}

func runTarget(ctx context.Context, t Target, opts Options, rep *Report, record func(Check)) {
	u, err := url.Parse(t.URL)
	if err != nil {
		record(Check{Target: t.Name, Category: Conformance, Name: "open", Status: Fail, Detail: "the URL does not parse", Code: arsenal.InvalidArgument.String()})
		return
	}
	secret := secretsOf(u)
	start := time.Now()
	octx, cancel := context.WithTimeout(ctx, opts.Timeout)
	comp, err := arsenal.Open(octx, t.URL)
	cancel()
	if err != nil {
		record(Check{Target: t.Name, Category: Conformance, Name: "open", Status: Fail, Detail: scrub(err.Error(), secret),
			Code: arsenal.CodeOf(err).String(), Duration: time.Since(start)})
		return
	}
	kind := comp.Kind()
	if slices.Contains(opts.Categories, Conformance) {
		record(Check{Target: t.Name, Kind: kind, Category: Conformance, Name: "open", Status: Pass, Detail: "opened as " + kind, Duration: time.Since(start)})
	}
	p, err := newProber(ctx, comp, u, opts)
	if err != nil {
		record(Check{Target: t.Name, Kind: kind, Category: Conformance, Name: "checks", Status: Fail, Detail: scrub(err.Error(), secret), Code: arsenal.CodeOf(err).String()})
		_ = comp.Close()
		return
	}
	defer func() {
		// Clean up under a context of its own: an interrupted run still
		// deletes what it wrote.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.CleanupTimeout)
		defer cancel()
		n, err := p.cleanup(cctx)
		rep.Cleaned[t.Name] = n
		if err != nil {
			if rep.CleanupErrors == nil {
				rep.CleanupErrors = map[string]string{}
			}
			rep.CleanupErrors[t.Name] = scrub(err.Error(), secret)
		}
		_ = comp.Close()
	}()

	run := func(cat Category, name string, fn func(ctx context.Context) (Status, string, error)) {
		if !slices.Contains(opts.Categories, cat) || ctx.Err() != nil {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		start := time.Now()
		st, detail, err := fn(cctx)
		c := Check{Target: t.Name, Kind: kind, Category: cat, Name: name, Status: st, Detail: scrub(detail, secret), Duration: time.Since(start)}
		if err != nil {
			c.Code = arsenal.CodeOf(err).String()
			if c.Detail == "" {
				c.Detail = scrub(err.Error(), secret)
			} else {
				c.Detail += ": " + scrub(err.Error(), secret)
			}
		}
		record(c)
	}

	run(Conformance, "health", func(ctx context.Context) (Status, string, error) {
		if err := comp.Health(ctx); err != nil {
			return Fail, "", err
		}
		return Pass, "healthy", nil
	})
	run(Conformance, "stats", func(ctx context.Context) (Status, string, error) {
		s := comp.Stats()
		switch {
		case s.Kind != kind:
			return Fail, fmt.Sprintf("Stats().Kind is %q, Kind() is %q", s.Kind, kind), nil
		case s.Since.IsZero() || s.Since.After(time.Now()):
			return Fail, "Stats().Since is not a time in the past", nil
		case leaks(s.Target, secret):
			return Fail, "Stats().Target shows a credential from the URL", nil
		}
		return Pass, fmt.Sprintf("%d operations recorded, %d gauges", len(s.Ops), len(s.Gauges)), nil
	})
	run(Conformance, "redaction", func(ctx context.Context) (Status, string, error) {
		d, ok := comp.(arsenal.Describer)
		if !ok {
			return Skip, "the component has no Describe", nil
		}
		if leaks(d.Describe(), secret) || leaks(fmt.Sprintf("%+v", comp.Stats()), secret) {
			return Fail, "Describe or Stats shows a credential from the URL", nil
		}
		return Pass, "no credential in Describe or Stats", nil
	})
	run(Integration, "round trip", func(ctx context.Context) (Status, string, error) {
		if err := p.roundTrip(ctx); err != nil {
			return Fail, "", err
		}
		return Pass, "wrote, read back and compared under " + opts.Prefix, nil
	})
	run(Performance, "read latency", func(ctx context.Context) (Status, string, error) {
		lat := make([]time.Duration, 0, opts.Ops)
		for range opts.Ops {
			s := time.Now()
			if err := p.read(ctx); err != nil {
				return Fail, fmt.Sprintf("read %d of %d failed", len(lat)+1, opts.Ops), err
			}
			lat = append(lat, time.Since(s))
		}
		slices.Sort(lat)
		p50, p99 := lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
		detail := fmt.Sprintf("%d reads: p50 %s (limit %s), p99 %s (limit %s)", len(lat), round(p50), opts.Thresholds.P50, round(p99), opts.Thresholds.P99)
		if p50 > opts.Thresholds.P50 || p99 > opts.Thresholds.P99 {
			return Fail, detail, nil
		}
		return Pass, detail, nil
	})
	if slices.Contains(opts.Categories, Security) && ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		for _, c := range p.security(cctx) {
			c.Target, c.Kind, c.Category = t.Name, kind, Security
			c.Detail = scrub(c.Detail, secret)
			record(c)
		}
		cancel()
	}
	if slices.Contains(opts.Categories, Conformance) && ctx.Err() == nil {
		record(closeTwice(ctx, t, opts, Check{Target: t.Name, Kind: kind, Category: Conformance, Name: "close"}, secret))
	}
}

// closeTwice opens the target again and checks Close is idempotent and
// that a call after Close fails with FailedPrecondition.
func closeTwice(ctx context.Context, t Target, opts Options, c Check, secret []string) Check {
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	comp, err := arsenal.Open(cctx, t.URL)
	if err != nil {
		c.Status, c.Detail, c.Code = Fail, scrub(err.Error(), secret), arsenal.CodeOf(err).String()
		return c
	}
	first, second := comp.Close(), comp.Close()
	after := comp.Health(cctx)
	c.Duration = time.Since(start)
	switch {
	case first != nil:
		c.Status, c.Detail = Fail, "Close failed: "+scrub(first.Error(), secret)
	case second != nil:
		c.Status, c.Detail = Fail, "a second Close failed: "+scrub(second.Error(), secret)
	case !arsenal.IsCode(after, arsenal.FailedPrecondition) || !errors.Is(after, arsenal.ErrClosed):
		c.Status, c.Detail = Fail, fmt.Sprintf("Health after Close gave %v, want FailedPrecondition wrapping ErrClosed", arsenal.CodeOf(after))
	default:
		c.Status, c.Detail = Pass, "Close is idempotent and later calls fail with FailedPrecondition"
	}
	return c
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d > time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

// secretsOf returns the credentials a URL holds (its password, a user-only
// token, secret-looking query values), so the report can be proven free of
// them.
func secretsOf(u *url.URL) []string {
	var out []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		} else if name := u.User.Username(); name != "" && !ok {
			out = append(out, name) // https://TOKEN@host
		}
	}
	for k, vs := range u.Query() {
		if arsenal.IsSecretName(k) {
			for _, v := range vs {
				if v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func leaks(s string, secret []string) bool {
	for _, v := range secret {
		if len(v) >= 3 && strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// scrub removes any credential of the URL from text that reaches the
// report.
func scrub(s string, secret []string) string {
	for _, v := range secret {
		if len(v) >= 3 {
			s = strings.ReplaceAll(s, v, "xxxxx")
		}
	}
	return s
}
