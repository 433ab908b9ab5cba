package arsenal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Hub holds a named set of components: it opens them, checks their health
// together, gathers their stats, and closes them in reverse order.
//
// A Hub is safe for concurrent use and must be closed.
type Hub struct {
	// HealthTimeout bounds each component's health check; 0 means 5 s.
	HealthTimeout time.Duration

	mu       sync.Mutex
	names    []string // in the order added
	comps    map[string]Component
	timeouts map[string]time.Duration // per-component health timeouts
	closed   bool
}

// SetHealthTimeout bounds the health check of the component named name by
// d instead of HealthTimeout (a remote store may need longer than a local
// file); d <= 0 removes the override.
func (h *Hub) SetHealthTimeout(name string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d <= 0 {
		delete(h.timeouts, name)
		return
	}
	if h.timeouts == nil {
		h.timeouts = map[string]time.Duration{}
	}
	h.timeouts[name] = d
}

// NewHub returns an empty Hub.
func NewHub() *Hub { return &Hub{comps: map[string]Component{}} }

// Add puts an already-open component under name. The hub now owns it and
// closes it on Close. A duplicate name is AlreadyExists; a closed hub is
// FailedPrecondition (and c is left open for the caller).
func (h *Hub) Add(name string, c Component) error {
	if c == nil {
		return &Error{Code: InvalidArgument, Component: "hub", Op: "add", Message: "nil component " + name}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return Closed("hub", "add")
	}
	if h.comps == nil {
		h.comps = map[string]Component{}
	}
	if _, dup := h.comps[name]; dup {
		return &Error{Code: AlreadyExists, Component: "hub", Op: "add", Message: "component " + name + " already added"}
	}
	h.comps[name] = c
	h.names = append(h.names, name)
	return nil
}

// OpenURL opens rawURL with the registry and adds the component under name.
func (h *Hub) OpenURL(ctx context.Context, name, rawURL string) (Component, error) {
	c, err := Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if err := h.Add(name, c); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

// Get returns the component added under name.
func (h *Hub) Get(name string) (Component, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.comps[name]
	return c, ok
}

// GetAs returns the component added to h under name as its concrete type,
// such as *sqlite.DB:
//
//	db, err := arsenal.GetAs[*sqlite.DB](hub, "db")
//
// A missing name is NotFound; a component of another type is
// InvalidArgument naming both types.
func GetAs[T Component](h *Hub, name string) (T, error) {
	var zero T
	c, ok := h.Get(name)
	if !ok {
		return zero, &Error{Code: NotFound, Component: "hub", Op: "get", Message: "no component named " + strconvQuote(name)}
	}
	t, ok := c.(T)
	if !ok {
		return zero, &Error{Code: InvalidArgument, Component: "hub", Op: "get", Message: fmt.Sprintf(
			"component %s is a %T, not a %s", strconvQuote(name), c, typeName[T]())}
	}
	return t, nil
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// Names lists the components in the order they were added.
func (h *Hub) Names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.names)
}

// ComponentHealth is one component's health result.
type ComponentHealth struct {
	Name    string
	Kind    string
	Err     error         // nil when healthy
	Latency time.Duration // how long the check took
}

// Healthy reports whether the check passed.
func (c ComponentHealth) Healthy() bool { return c.Err == nil }

// HealthReport is the result of checking every component.
type HealthReport struct {
	Components []ComponentHealth // in the order the components were added
}

// Healthy reports whether every component passed.
func (r HealthReport) Healthy() bool {
	for _, c := range r.Components {
		if c.Err != nil {
			return false
		}
	}
	return true
}

// Err joins the failures, each prefixed with its component's name, or nil.
func (r HealthReport) Err() error {
	var errs []error
	for _, c := range r.Components {
		if c.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Name, c.Err))
		}
	}
	return errors.Join(errs...)
}

// Health checks every component concurrently, each under its own timeout
// (SetHealthTimeout, else HealthTimeout, within ctx), and waits for all of
// them.
func (h *Hub) Health(ctx context.Context) HealthReport {
	return h.health(ctx, nil)
}

// health is Health over the components keep accepts (all when nil).
func (h *Hub) health(ctx context.Context, keep func(name string) bool) HealthReport {
	h.mu.Lock()
	var names []string
	for _, n := range h.names {
		if keep == nil || keep(n) {
			names = append(names, n)
		}
	}
	comps := make([]Component, len(names))
	timeouts := make([]time.Duration, len(names))
	def := h.HealthTimeout
	if def <= 0 {
		def = 5 * time.Second
	}
	for i, n := range names {
		comps[i] = h.comps[n]
		timeouts[i] = def
		if d, ok := h.timeouts[n]; ok {
			timeouts[i] = d
		}
	}
	h.mu.Unlock()
	report := HealthReport{Components: make([]ComponentHealth, len(names))}
	var wg sync.WaitGroup
	for i, c := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeouts[i])
			defer cancel()
			start := time.Now()
			err := c.Health(cctx)
			if err == nil && cctx.Err() != nil {
				err = Wrap(c.Kind(), "health", cctx.Err())
			}
			report.Components[i] = ComponentHealth{Name: names[i], Kind: c.Kind(), Err: err, Latency: time.Since(start)}
		}()
	}
	wg.Wait()
	return report
}

// Stats returns every component's stats by name.
func (h *Hub) Stats() map[string]Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]Stats, len(h.comps))
	for n, c := range h.comps {
		out[n] = c.Stats()
	}
	return out
}

// Close closes every component in reverse order of addition and joins their
// errors. It is idempotent; later Adds fail.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	names := slices.Clone(h.names)
	comps := h.comps
	h.mu.Unlock()
	var errs []error
	for i := len(names) - 1; i >= 0; i-- {
		if err := comps[names[i]].Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", names[i], err))
		}
	}
	return errors.Join(errs...)
}
