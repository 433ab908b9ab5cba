package redis_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// Connect with the environment's settings (REDIS_URL, then VALKEY_URL,
// then localhost:6379), store a value with an expiry and read it back. A
// missing key is a NotFound error, never an empty string.
func Example() {
	ctx := context.Background()
	cfg, err := redis.DefaultConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	if err := c.SetEx(ctx, "example:greeting", "hello", time.Minute); err != nil {
		fmt.Println(err)
		return
	}
	v, err := c.Get(ctx, "example:greeting")
	fmt.Println(v, err)
	_, err = c.Get(ctx, "example:nothing")
	fmt.Println(redis.IsNotFound(err), arsenal.CodeOf(err))
	// Output:
	// hello <nil>
	// true NotFound
}

func ExampleParseURL() {
	cfg, err := redis.ParseURL("rediss://app:secret@cache.internal:6380/2?connect_timeout=3s&command_timeout=500ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Addrs, cfg.DB, cfg.TLS, cfg.Username, cfg.ConnectTimeout, cfg.CommandTimeout)
	fmt.Printf("%v\n", cfg.Password) // a security.Secret prints redacted
	_, err = redis.ParseURL("redis://app:secret@cache.internal:6380/?bogus=1")
	fmt.Println(err)
	// Output:
	// [cache.internal:6380] 2 true app 3s 500ms
	// [REDACTED]
	// redis: parse url: InvalidArgument: redis://app:xxxxx@cache.internal:6380/?bogus=1: unknown parameter "bogus"
}

// A cache in front of a database should not make requests wait while Redis
// is down: fail at once, and bound every call.
func ExampleConfig_failFastCache() {
	cfg, err := redis.ParseURL("redis://127.0.0.1:6379/0?offline_queue=false&command_timeout=100ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.DisableOfflineQueue, cfg.CommandTimeout, cfg.Validate())
	// The same in code:
	cfg = redis.Config{Addrs: []string{"127.0.0.1:6379"}, DisableOfflineQueue: true, CommandTimeout: 100 * time.Millisecond}
	fmt.Println(cfg.Validate())
	// Output:
	// true 100ms <nil>
	// <nil>
}

func ExampleClient_Pipeline() {
	ctx := context.Background()
	cfg, err := redis.DefaultConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	p := c.Pipeline()
	p.Set("example:counter", "1")
	n := p.IncrBy("example:counter", 41)
	p.Expire("example:counter", time.Minute)
	if err := p.Exec(ctx); err != nil { // one round trip
		fmt.Println(err)
		return
	}
	fmt.Println(n.Val())
	// Output: 42
}

// Bytes go in and out unchanged; TTLs below a second are sent as PSETEX.
func ExampleClient_SetExBytes() {
	ctx := context.Background()
	cfg, err := redis.DefaultConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.SetExBytes(ctx, "example:blob", []byte{0, 1, 0xff}, 200*time.Millisecond); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := c.GetBytes(ctx, "example:blob")
	fmt.Println(b)
	time.Sleep(300 * time.Millisecond)
	_, err = c.GetBytes(ctx, "example:blob")
	fmt.Println(redis.IsNotFound(err))
	// Output:
	// [0 1 255]
	// true
}

func ExampleClient_Subscribe() {
	ctx := context.Background()
	cfg, err := redis.DefaultConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	got := make(chan string, 1)
	sub, err := c.Subscribe(ctx, func(m redis.Message) { got <- m.Channel + ": " + m.Payload }, "example:news")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Unsubscribe(ctx)
	if _, err := c.Publish(ctx, "example:news", "hello"); err != nil {
		fmt.Println(err)
		return
	}
	select {
	case m := <-got:
		fmt.Println(m)
	case <-time.After(5 * time.Second):
		fmt.Println("no message")
	}
	// Output: example:news: hello
}

// WatchRetry is optimistic locking: read, decide, write in MULTI/EXEC, and
// try again if another client changed the key in between.
func ExampleClient_WatchRetry() {
	ctx := context.Background()
	cfg, err := redis.DefaultConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.Set(ctx, "example:stock", "3")
	err = c.WatchRetry(ctx, 5, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, "example:stock")
		if err != nil {
			return err
		}
		if v == "0" {
			return errors.New("sold out")
		}
		return tx.Exec(ctx, func(p *redis.Pipeline) error {
			p.IncrBy("example:stock", -1)
			return nil
		})
	}, "example:stock")
	v, _ := c.Get(ctx, "example:stock")
	fmt.Println(v, err)
	// Output: 2 <nil>
}

// Config.Security checks every command against a Policy before anything
// is sent: here the "app" principal may do anything but delete the
// protected keys, and a caller without a principal may do nothing. The
// refused calls never reach the server.
func ExampleConfig_security() {
	ctx := context.Background()
	policy, err := security.NewPolicy(
		security.Rule{Name: "keep-protected", Effect: security.Deny, Operation: "del,unlink", Resource: "example:protected:*"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := redis.DefaultConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.Security.Policy = policy
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	app := security.WithPrincipal(ctx, security.Principal{Name: "app"})
	fmt.Println(c.Set(app, "example:protected:config", "v"))
	_, err = c.Del(app, "example:protected:config")
	fmt.Println(err)
	_, err = c.Get(ctx, "example:protected:config")
	fmt.Println(arsenal.CodeOf(err))
	v, err := c.Get(app, "example:protected:config")
	fmt.Println(v, err)
	// Output:
	// <nil>
	// redis: del: PermissionDenied: app may not del "example:protected:config": denied by rule "keep-protected"
	// PermissionDenied
	// v <nil>
}
