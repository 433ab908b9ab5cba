package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/infra-arsenal/arsenal/plugin"
)

// cache is a plugin with the required core (Name, Version, Databases) and
// two optional abilities: Provision and Cleanup.
type cache struct{ ready bool }

func (c *cache) Name() string        { return "cache" }
func (c *cache) Version() string     { return "1.0.0" }
func (c *cache) Databases() []string { return []string{"memcached"} }

func (c *cache) Provision(ctx context.Context) error { c.ready = true; return nil }
func (c *cache) Cleanup(ctx context.Context) error   { c.ready = false; return nil }

// search has a Validate that fails: InitializeAll cleans up what that
// call provisioned (in reverse order) and leaves plugins initialized by an
// earlier call alone.
type search struct{}

func (search) Name() string        { return "search" }
func (search) Version() string     { return "0.3.1" }
func (search) Databases() []string { return []string{"opensearch"} }
func (search) Validate() error     { return errors.New("no index configured") }

func ExampleRegistry() {
	ctx := context.Background()
	reg := plugin.NewRegistry()
	c := &cache{}
	if err := reg.Register(c); err != nil {
		log.Fatal(err)
	}
	if err := reg.InitializeAll(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("cache ready:", c.ready)

	if err := reg.Register(search{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("initialize:", reg.InitializeAll(ctx) != nil)
	for _, i := range reg.List() {
		fmt.Println(i.Name, i.Version, i.State)
	}
	if err := reg.CleanupAll(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("cache ready:", c.ready)
	// Output:
	// cache ready: true
	// initialize: true
	// cache 1.0.0 initialized
	// search 0.3.1 failed
	// cache ready: false
}
