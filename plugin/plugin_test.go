package plugin_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/plugin"
)

// corePlugin has only the required core.
type corePlugin struct{ name string }

func (c corePlugin) Name() string        { return c.name }
func (c corePlugin) Version() string     { return "0.1.0" }
func (c corePlugin) Databases() []string { return []string{"kv"} }

// fakePlugin has every optional ability but Validate.
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
func (f *fakePlugin) Provision(ctx context.Context) error {
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
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	for _, f := range []string{"Name", "Version", "Databases"} {
		assert.True(t, ce.Has(f), "error does not name %s: %v", f, err)
	}
	require.NoError(t, r.Register(newFake("pg", log)))
	assert.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(r.Register(newFake("pg", log))), "duplicate")
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(r.Register(nil)), "nil plugin")
	got := r.ForDatabase("PGDB")
	require.Len(t, got, 1)
	assert.Equal(t, "pg", got[0].Name())
}

func TestACoreOnlyPluginNeedsNoOptionalInterface(t *testing.T) {
	r := plugin.NewRegistry()
	require.NoError(t, r.Register(corePlugin{name: "core"}))
	require.NoError(t, r.InitializeAll(context.Background()))
	l := r.List()
	require.Len(t, l, 1)
	assert.Equal(t, plugin.Initialized, l[0].State)
	assert.Nil(t, l[0].Components, "a plugin without ComponentLister lists no components")
	require.NoError(t, r.CleanupAll(context.Background()))
	assert.Equal(t, plugin.CleanedUp, r.List()[0].State)

	// The optional abilities are found by type assertion.
	log := &events{}
	var p arsenal.Plugin = newFake("full", log)
	_, isProv := p.(plugin.Provisioner)
	_, isClean := p.(plugin.CleanerUpper)
	_, isVal := p.(plugin.Validator)
	assert.True(t, isProv)
	assert.True(t, isClean)
	assert.False(t, isVal)
	require.NoError(t, r.Register(p))
	assert.Equal(t, []string{"client"}, r.List()[1].Components)
}

func TestInitializeAllCleansUpEarlierPluginsWhenOneFails(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	a, b := newFake("a", log), newFake("b", log)
	c := validatingPlugin{newFake("c", log)}
	c.validateErr = errors.New("c misconfigured")
	for _, p := range []arsenal.Plugin{a, b, c} {
		require.NoError(t, r.Register(p))
	}
	err := r.InitializeAll(context.Background())
	require.ErrorIs(t, err, c.validateErr)
	assert.Equal(t, "init a,init b,init c,validate c,cleanup c,cleanup b,cleanup a", log.String(), "lifecycle")
	states := map[string]plugin.State{}
	for _, i := range r.List() {
		states[i.Name] = i.State
	}
	assert.Equal(t, plugin.CleanedUp, states["a"])
	assert.Equal(t, plugin.Failed, states["c"])
}

func TestAFailedProvisionKeepsItsCode(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	p := newFake("down", log)
	p.initErr = arsenal.Errorf(arsenal.Unavailable, "down", "connect", "server down")
	require.NoError(t, r.Register(p))
	err := r.InitializeAll(context.Background())
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err), "%v", err)
	assert.ErrorIs(t, err, p.initErr)
	assert.Equal(t, "init down,cleanup down", log.String())
}

func TestInitializeThenCleanupRunsInReverseOrder(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	a, b := newFake("a", log), newFake("b", log)
	b.cleanupErr = errors.New("b cleanup failed")
	require.NoError(t, r.Register(a))
	require.NoError(t, r.Register(b))
	require.NoError(t, r.InitializeAll(context.Background()))
	for _, i := range r.List() {
		assert.Equal(t, plugin.Initialized, i.State, i.Name)
	}
	assert.ErrorIs(t, r.CleanupAll(context.Background()), b.cleanupErr)
	assert.Equal(t, "init a,init b,cleanup b,cleanup a", log.String(), "lifecycle")
	assert.NoError(t, r.CleanupAll(context.Background()), "second CleanupAll")
}

func TestAPanickingPluginBecomesAnInternalError(t *testing.T) {
	r := plugin.NewRegistry()
	log := &events{}
	p := newFake("boom", log)
	p.panicInit = true
	require.NoError(t, r.Register(p))
	err := r.InitializeAll(context.Background())
	assert.Equal(t, arsenal.Internal, arsenal.CodeOf(err), "%v", err)
}

func TestTheDefaultRegistryIsEmptyAtImport(t *testing.T) {
	// Importing plugin/postgres (as other tests of the module do) adds
	// nothing to Default: a program registers its plugins itself.
	assert.Empty(t, plugin.List())
	_, ok := plugin.Get("postgres")
	assert.False(t, ok)
}
