package plugin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/infra-arsenal/arsenal"
)

// Provisioner is an optional Plugin ability: InitializeAll calls
// Provision first, to do the plugin's real setup work (connect, load its
// configuration, start workers). A plugin without it needs no setup.
type Provisioner interface {
	Provision(ctx context.Context) error
}

// Validator is an optional Plugin ability: after Provision succeeds the
// registry calls Validate, and a failure there cleans the plugin up again
// (provision, then validate, then clean up on partial failure).
type Validator interface {
	Validate() error
}

// CleanerUpper is an optional Plugin ability: the registry calls Cleanup
// to release what Provision acquired, after a failed Provision or Validate
// and from CleanupAll. Cleanup must be idempotent.
type CleanerUpper interface {
	Cleanup(ctx context.Context) error
}

// ComponentLister is an optional Plugin ability: the component kinds or
// extensions the plugin provides, shown in Info.
type ComponentLister interface {
	Components() []string
}

// State is where a plugin is in its lifecycle.
type State int

// The lifecycle states.
const (
	Registered  State = iota // known, not yet initialized
	Initialized              // Provision and Validate (those it has) succeeded
	Failed                   // Provision or Validate failed; cleaned up
	CleanedUp                // CleanupAll released it after a successful initialization
)

func (s State) String() string {
	switch s {
	case Registered:
		return "registered"
	case Initialized:
		return "initialized"
	case Failed:
		return "failed"
	case CleanedUp:
		return "cleaned-up"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Info describes a registered plugin.
type Info struct {
	Name       string
	Version    string
	Databases  []string
	Components []string // from ComponentLister; nil without it
	State      State
	Err        error // the last lifecycle error, if any
}

// Registry holds plugins and runs their lifecycle. It is safe for
// concurrent use. The zero value is not usable; call NewRegistry.
type Registry struct {
	mu      sync.Mutex
	order   []string
	plugins map[string]*entry
}

type entry struct {
	p     arsenal.Plugin
	state State
	err   error
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{plugins: map[string]*entry{}} }

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
var versionRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Check validates a plugin's metadata without running it: a lower-case
// name, a semantic version, and at least one database. It lists every
// problem in one InvalidArgument error.
func Check(p arsenal.Plugin) error {
	if p == nil {
		return arsenal.E(arsenal.InvalidArgument, "plugin", "register", errors.New("nil plugin"))
	}
	v := arsenal.Validation{Component: "plugin"}
	v.Check(nameRE.MatchString(p.Name()), "Name", "%q must be lower-case letters, digits, '-' or '_', starting with a letter", p.Name())
	v.Check(versionRE.MatchString(p.Version()), "Version", "%q is not a semantic version (1.2.3)", p.Version())
	v.Check(len(p.Databases()) > 0, "Databases", "must list at least one database or service")
	return v.Err()
}

// Register adds p after checking its metadata. A second plugin with the
// same name is AlreadyExists.
func (r *Registry) Register(p arsenal.Plugin) error {
	if err := Check(p); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.plugins[p.Name()]; dup {
		return arsenal.Errorf(arsenal.AlreadyExists, "plugin", "register", "plugin %q is already registered", p.Name())
	}
	r.plugins[p.Name()] = &entry{p: p}
	r.order = append(r.order, p.Name())
	return nil
}

// Get returns the plugin registered under name.
func (r *Registry) Get(name string) (arsenal.Plugin, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.plugins[name]
	if !ok {
		return nil, false
	}
	return e.p, true
}

// ForDatabase returns the plugins that serve database, in registration
// order.
func (r *Registry) ForDatabase(database string) []arsenal.Plugin {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []arsenal.Plugin
	for _, n := range r.order {
		if slices.ContainsFunc(r.plugins[n].p.Databases(), func(d string) bool { return strings.EqualFold(d, database) }) {
			out = append(out, r.plugins[n].p)
		}
	}
	return out
}

// List describes every plugin in registration order.
func (r *Registry) List() []Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Info, 0, len(r.order))
	for _, n := range r.order {
		e := r.plugins[n]
		var comps []string
		if cl, ok := e.p.(ComponentLister); ok {
			comps = cl.Components()
		}
		out = append(out, Info{
			Name: n, Version: e.p.Version(), Databases: e.p.Databases(), Components: comps,
			State: e.state, Err: e.err,
		})
	}
	return out
}

// InitializeAll initializes every registered plugin not yet initialized, in
// registration order: Provision for a Provisioner, then Validate for a
// Validator. If one fails, it is cleaned up, and so is every plugin this call
// initialized before it (in reverse order), and the joined error is
// returned. A panic inside a plugin is turned into an Internal error.
func (r *Registry) InitializeAll(ctx context.Context) error {
	r.mu.Lock()
	var todo []*entry
	for _, n := range r.order {
		if e := r.plugins[n]; e.state != Initialized {
			todo = append(todo, e)
		}
	}
	r.mu.Unlock()
	var done []*entry
	for _, e := range todo {
		err := initialize(ctx, e.p)
		r.mu.Lock()
		if err != nil {
			e.state, e.err = Failed, err
			r.mu.Unlock()
			errs := []error{err}
			if cerr := cleanupOf(ctx, e.p); cerr != nil {
				errs = append(errs, fmt.Errorf("cleanup %s: %w", e.p.Name(), cerr))
			}
			for i := len(done) - 1; i >= 0; i-- {
				if cerr := r.cleanup(ctx, done[i]); cerr != nil {
					errs = append(errs, cerr)
				}
			}
			return errors.Join(errs...)
		}
		e.state, e.err = Initialized, nil
		r.mu.Unlock()
		done = append(done, e)
	}
	return nil
}

func initialize(ctx context.Context, p arsenal.Plugin) error {
	if pr, ok := p.(Provisioner); ok {
		if err := safeCall(func() error { return pr.Provision(ctx) }); err != nil {
			return arsenal.Wrap("plugin", "provision "+p.Name(), err)
		}
	}
	if v, ok := p.(Validator); ok {
		if err := safeCall(v.Validate); err != nil {
			return arsenal.Wrap("plugin", "validate "+p.Name(), err)
		}
	}
	return nil
}

// cleanupOf runs p's Cleanup if it has one.
func cleanupOf(ctx context.Context, p arsenal.Plugin) error {
	cu, ok := p.(CleanerUpper)
	if !ok {
		return nil
	}
	return safeCall(func() error { return cu.Cleanup(ctx) })
}

func (r *Registry) cleanup(ctx context.Context, e *entry) error {
	err := cleanupOf(ctx, e.p)
	r.mu.Lock()
	defer r.mu.Unlock()
	e.state, e.err = CleanedUp, err
	if err != nil {
		return fmt.Errorf("cleanup %s: %w", e.p.Name(), err)
	}
	return nil
}

// CleanupAll cleans up every initialized plugin in reverse registration
// order and joins their errors.
func (r *Registry) CleanupAll(ctx context.Context) error {
	r.mu.Lock()
	var todo []*entry
	for i := len(r.order) - 1; i >= 0; i-- {
		if e := r.plugins[r.order[i]]; e.state == Initialized {
			todo = append(todo, e)
		}
	}
	r.mu.Unlock()
	var errs []error
	for _, e := range todo {
		if err := r.cleanup(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func safeCall(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = arsenal.Errorf(arsenal.Internal, "plugin", "call", "plugin panicked: %v", v)
		}
	}()
	return f()
}

// Default is the package's default registry, used by the package-level
// functions. Nothing registers into it at import: a program adds its
// plugins itself (usually from main), so importing a plugin package
// changes no registry.
var Default = NewRegistry()

// Register adds p to Default.
func Register(p arsenal.Plugin) error { return Default.Register(p) }

// Get returns the plugin registered in Default under name.
func Get(name string) (arsenal.Plugin, bool) { return Default.Get(name) }

// List describes Default's plugins.
func List() []Info { return Default.List() }

// InitializeAll initializes Default's plugins (see Registry.InitializeAll).
func InitializeAll(ctx context.Context) error { return Default.InitializeAll(ctx) }

// CleanupAll cleans up Default's plugins (see Registry.CleanupAll).
func CleanupAll(ctx context.Context) error { return Default.CleanupAll(ctx) }
