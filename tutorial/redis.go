package tutorial

import (
	"context"
	"strconv"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

func rc(env *Env) (*redis.Client, error) {
	return env.Redis, need(env.Redis != nil, "a Redis client (Env.Redis)")
}

// missing turns a NotFound reply into a "not done yet" error.
func missing(err error, what string) error {
	if redis.IsNotFound(err) {
		return notYet("%s does not exist yet", what)
	}
	return err
}

var _ = register(&Tutorial{
	Name:  "redis",
	Title: "Redis in six steps",
	Description: "Strings, expiry, hashes, counters, sorted sets and streams with Arsenal's Redis client. " +
		"Every key lives under Env.Prefix.",
	Steps: []Step{
		{
			Title:       "Store a string",
			Instruction: `Set the key "greeting" to the value "hello".`,
			Code:        `err := rc.Set(ctx, prefix+"greeting", "hello")`,
			Hint:        "Client.Set takes a context, a key and a value.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				v, err := c.Get(ctx, env.Key("greeting"))
				if err != nil {
					return missing(err, "the key greeting")
				}
				return same("greeting", v, "hello")
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				return c.Set(ctx, env.Key("greeting"), "hello")
			},
		},
		{
			Title:       "Make it expire",
			Instruction: `Give "greeting" a time to live of one minute.`,
			Code:        `ok, err := rc.Expire(ctx, prefix+"greeting", time.Minute)`,
			Hint:        "Expire sets a TTL on an existing key; TTL reads it back (-1 s means none).",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				ttl, err := c.TTL(ctx, env.Key("greeting"))
				if err != nil {
					return missing(err, "the key greeting")
				}
				if ttl <= 0 || ttl > time.Minute {
					return notYet("greeting's TTL is %v, want up to one minute", ttl)
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				_, err = c.Expire(ctx, env.Key("greeting"), time.Minute)
				return err
			},
		},
		{
			Title:       "Store a user in a hash",
			Instruction: `Create the hash "user:1" with the fields name = "Ada" and lang = "go".`,
			Code:        `n, err := rc.HSet(ctx, prefix+"user:1", "name", "Ada", "lang", "go")`,
			Hint:        "HSet takes field/value pairs after the key.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				h, err := c.HGetAll(ctx, env.Key("user:1"))
				if err != nil {
					return err
				}
				if len(h) == 0 {
					return notYet("the hash user:1 does not exist yet")
				}
				if err := same("user:1 field name", h["name"], "Ada"); err != nil {
					return err
				}
				return same("user:1 field lang", h["lang"], "go")
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				_, err = c.HSet(ctx, env.Key("user:1"), "name", "Ada", "lang", "go")
				return err
			},
		},
		{
			Title:       "Count page views",
			Instruction: `Add 3 to the counter "views" in one atomic command.`,
			Code:        `n, err := rc.IncrBy(ctx, prefix+"views", 3)`,
			Hint:        "IncrBy creates a missing counter at 0 before adding.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				v, err := c.Get(ctx, env.Key("views"))
				if err != nil {
					return missing(err, "the counter views")
				}
				n, err := strconv.Atoi(v)
				if err != nil {
					return notYet("views holds %q, not a number", v)
				}
				return same("views", n, 3)
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				_, err = c.IncrBy(ctx, env.Key("views"), 3)
				return err
			},
		},
		{
			Title:       "Rank players",
			Instruction: `Add ada with score 10 and bob with score 20 to the sorted set "scores".`,
			Code:        `n, err := rc.ZAdd(ctx, prefix+"scores", redis.Z{Member: "ada", Score: 10}, redis.Z{Member: "bob", Score: 20})`,
			Hint:        "ZAdd takes redis.Z values; ZRevRange(ctx, key, 0, 0) gives the leader.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				top, err := c.ZRevRange(ctx, env.Key("scores"), 0, -1)
				if err != nil {
					return err
				}
				if len(top) != 2 {
					return notYet("scores has %d members, want ada and bob", len(top))
				}
				if top[0] != "bob" || top[1] != "ada" {
					return notYet("scores ranks %v, want bob (20) above ada (10)", top)
				}
				s, err := c.ZScore(ctx, env.Key("scores"), "ada")
				if err != nil {
					return err
				}
				return same("ada's score", s, 10.0)
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				_, err = c.ZAdd(ctx, env.Key("scores"), redis.Z{Member: "ada", Score: 10}, redis.Z{Member: "bob", Score: 20})
				return err
			},
		},
		{
			Title:       "Append an event to a stream",
			Instruction: `Add an entry with the fields type = "signup" and user = "ada" to the stream "events".`,
			Code:        `id, err := rc.XAdd(ctx, redis.XAddArgs{Stream: prefix + "events", Values: []string{"type", "signup", "user", "ada"}})`,
			Hint:        "XAddArgs.Values holds field/value pairs; an empty ID lets the server assign one.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				last, err := c.XRevRange(ctx, env.Key("events"), "+", "-", 1)
				if err != nil {
					return err
				}
				if len(last) == 0 {
					return notYet("the stream events has no entry yet")
				}
				if err := same("the last event's type", last[0].Values["type"], "signup"); err != nil {
					return err
				}
				return same("the last event's user", last[0].Values["user"], "ada")
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := rc(env)
				if err != nil {
					return err
				}
				_, err = c.XAdd(ctx, redis.XAddArgs{Stream: env.Key("events"), Values: []string{"type", "signup", "user", "ada"}})
				return err
			},
		},
	},
})
