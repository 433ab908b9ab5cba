package plugin_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/plugin"
)

type fakePlugin struct {
	name, version string
	dbs           []string
	initErr       error
	validateErr   error
	cleanupErr    error
	panicInit     bool
	log           *events
}

type events struct {
	mu sync.Mutex
	l  []string
}

func (e *events) add(s string) { e.mu.Lock(); e.l = append(e.l, s); e.mu.Unlock() }
func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.l, ",")
}

func (f *fakePlugin) Name() string         { return f.name }
func (f *fakePlugin) Version() string      { return f.version }
func (f *fakePlugin) Databases() []string  { return f.dbs }
func (f *fakePlugin) Components() []string { return []string{"client"} }
func (f *fakePlugin) Initialize(ctx context.Context) error {
	if f.panicInit {
		panic("boom")
	}
	f.log.add("init " + f.name)
	return f.initErr
}
func (f *fakePlugin) Cleanup(ctx context.Context) error {
	f.log.add("cleanup " + f.name)
	return f.cleanupErr
}

type validatingPlugin struct{ *fakePlugin }

func (v validatingPlugin) Validate() error { v.log.add("validate " + v.name); return v.validateErr }

func newFake(name string, log *events) *fakePlugin {
	return &fakePlugin{name: name, version: "1.0.0", dbs: []string{name + "db"}, log: log}
}

func TestRegisterChecksMetadataAndRejectsDuplicates(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	bad := &fakePlugin{name: "Bad Name", version: "one", log: log}
	err := r.Register(bad)
	var ce *arsenal.ConfigError
	if arsenal.CodeOf(err) != arsenal.InvalidArgument || !errors.As(err, &ce) {
		t.Fatalf("bad metadata: %v", err)
	}
	for _, f := range []string{"Name", "Version", "Databases"} {
		if !ce.Has(f) {
			t.Errorf("error does not name %s: %v", f, err)
		}
	}
	if err := r.Register(newFake("pg", log)); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(newFake("pg", log)); arsenal.CodeOf(err) != arsenal.AlreadyExists {
		t.Errorf("duplicate: %v", err)
	}
	if err := r.Register(nil); arsenal.CodeOf(err) != arsenal.InvalidArgument {
		t.Errorf("nil plugin: %v", err)
	}
	if got := r.ForDatabase("PGDB"); len(got) != 1 || got[0].Name() != "pg" {
		t.Errorf("ForDatabase = %v", got)
	}
}

func TestInitializeAllCleansUpEarlierPluginsWhenOneFails(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	a, b := newFake("a", log), newFake("b", log)
	c := validatingPlugin{newFake("c", log)}
	c.validateErr = errors.New("c misconfigured")
	for _, p := range []arsenal.Plugin{a, b, c} {
		if err := r.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	err := r.InitializeAll(context.Background())
	if err == nil || !errors.Is(err, c.validateErr) {
		t.Fatalf("InitializeAll = %v", err)
	}
	if got, want := log.String(), "init a,init b,init c,validate c,cleanup c,cleanup b,cleanup a"; got != want {
		t.Errorf("lifecycle %q, want %q", got, want)
	}
	states := map[string]plugin.State{}
	for _, i := range r.List() {
		states[i.Name] = i.State
	}
	if states["a"] != plugin.CleanedUp || states["c"] != plugin.Failed {
		t.Errorf("states = %v", states)
	}
}

func TestInitializeThenCleanupRunsInReverseOrder(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	a, b := newFake("a", log), newFake("b", log)
	b.cleanupErr = errors.New("b cleanup failed")
	_ = r.Register(a)
	_ = r.Register(b)
	if err := r.InitializeAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, i := range r.List() {
		if i.State != plugin.Initialized {
			t.Errorf("%s is %v", i.Name, i.State)
		}
	}
	err := r.CleanupAll(context.Background())
	if !errors.Is(err, b.cleanupErr) {
		t.Errorf("CleanupAll = %v", err)
	}
	if got, want := log.String(), "init a,init b,cleanup b,cleanup a"; got != want {
		t.Errorf("lifecycle %q, want %q", got, want)
	}
	if err := r.CleanupAll(context.Background()); err != nil {
		t.Errorf("second CleanupAll: %v", err)
	}
}

func TestAPanickingPluginBecomesAnInternalError(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	p := newFake("boom", log)
	p.panicInit = true
	_ = r.Register(p)
	err := r.InitializeAll(context.Background())
	if arsenal.CodeOf(err) != arsenal.Internal {
		t.Errorf("panic became %v: %v", arsenal.CodeOf(err), err)
	}
}
