// Package tutorial holds Arsenal's interactive tutorials: for each domain
// (Redis, SQLite, S3, WebSocket) a short series of steps, each with a title,
// an instruction, the code that does it, a hint, a Validate function that
// checks the state of the live component (a hash with the right fields
// exists, a table holds the rows, an object carries the metadata, a
// WebSocket client received the message) and a Solution that applies the
// step.
//
//	t, _ := tutorial.Get("redis")
//	env := &tutorial.Env{Redis: rc, Prefix: "tutorial:"}
//	for i, s := range t.Steps {
//		if err := s.Validate(ctx, env); err != nil {
//			fmt.Printf("step %d: %v (hint: %s)\n", i+1, err, s.Hint)
//		}
//	}
//
// Validation errors are *arsenal.Error values with code FailedPrecondition
// ("not done yet") saying what is missing; a component the tutorial needs
// but the Env lacks is FailedPrecondition too, and a failing server gives its
// own code. examples/tutorial runs the tutorials from the command line.
package tutorial

import (
	"context"
	"sort"
	"sync"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// Kind is the component name in the package's errors.
const Kind = "tutorial"

// Tutorial is one domain's series of steps.
type Tutorial struct {
	Name        string // "redis", "sqlite", "s3", "websocket"
	Title       string
	Description string
	Steps       []Step
}

// Step is one step of a tutorial.
type Step struct {
	Title       string
	Instruction string // what to do, in prose
	Code        string // Go code that does it, against the names in Env
	Hint        string
	// Validate checks the live component: nil once the step is done, a
	// FailedPrecondition error saying what is missing before.
	Validate func(ctx context.Context, env *Env) error
	// Solution applies the step (what Code does).
	Solution func(ctx context.Context, env *Env) error
}

// Env holds the live components the tutorials work on. Set the ones of the
// tutorial being run; the others may stay nil.
type Env struct {
	Redis  *redis.Client
	SQLite *sqlite.DB
	S3     *s3.Client  // confine it to a scratch area with s3.Config.Prefix
	WS     *Playground // the WebSocket tutorial's server (NewPlayground)
	// Prefix is prepended to every Redis key the tutorial uses, so that it
	// works in a scratch namespace. Default "" (none).
	Prefix string

	mu    sync.Mutex
	state map[string]any // objects that live from one step to the next (a client connection)
}

// Key is the Redis key name under Prefix.
func (e *Env) Key(name string) string { return e.Prefix + name }

// Set keeps v under name for later steps.
func (e *Env) Set(name string, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == nil {
		e.state = map[string]any{}
	}
	e.state[name] = v
}

// Value returns what Set kept under name.
func (e *Env) Value(name string) (any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.state[name]
	return v, ok
}

// Close closes the objects kept with Set that have a Close method (not the
// components, which belong to the caller).
func (e *Env) Close() {
	e.mu.Lock()
	st := e.state
	e.state = nil
	e.mu.Unlock()
	for _, v := range st {
		if c, ok := v.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}
}

var registry = map[string]*Tutorial{}

func register(t *Tutorial) *Tutorial {
	registry[t.Name] = t
	return t
}

// All returns every tutorial, sorted by name.
func All() []*Tutorial {
	out := make([]*Tutorial, 0, len(registry))
	for _, t := range registry {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the tutorial called name.
func Get(name string) (*Tutorial, bool) {
	t, ok := registry[name]
	return t, ok
}

// Step returns step n (1-based) of t, or an InvalidArgument error.
func (t *Tutorial) Step(n int) (Step, error) {
	if n < 1 || n > len(t.Steps) {
		return Step{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "step", "tutorial %s has steps 1 to %d, not %d", t.Name, len(t.Steps), n)
	}
	return t.Steps[n-1], nil
}

// Check validates step n (1-based).
func (t *Tutorial) Check(ctx context.Context, env *Env, n int) error {
	s, err := t.Step(n)
	if err != nil {
		return err
	}
	return s.Validate(ctx, env)
}

// notYet is the error of a step that is not done yet.
func notYet(format string, args ...any) error {
	return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "validate", format, args...)
}

// need fails when the component the tutorial needs is missing.
func need(ok bool, what string) error {
	if !ok {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "validate", "this tutorial needs %s in its Env", what)
	}
	return nil
}

// same reports a mismatch between a value found and the one wanted.
func same[T comparable](what string, got, want T) error {
	if got != want {
		return notYet("%s is %v, want %v", what, got, want)
	}
	return nil
}
