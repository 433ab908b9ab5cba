package redis_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// tenRules is a ten-rule policy of the usual shape: denials of
// administrative commands and of protected key spaces, then allows by
// role and principal. The benchmark's principal is allowed by the last
// rule, so every rule is evaluated on every call.
func tenRules(tb testing.TB) *security.Policy {
	tb.Helper()
	pol, err := security.NewPolicy(
		security.Rule{Name: "no-flush", Effect: security.Deny, Component: "redis", Operation: "flushall,flushdb"},
		security.Rule{Name: "no-config", Effect: security.Deny, Component: "redis", Operation: "config set,config rewrite"},
		security.Rule{Name: "no-scripts", Effect: security.Deny, Component: "redis", Operation: "eval,evalsha,script load"},
		security.Rule{Name: "no-keys", Effect: security.Deny, Component: "redis", Operation: "keys"},
		security.Rule{Name: "no-admin-keys", Effect: security.Deny, Component: "redis", Resource: "admin:*"},
		security.Rule{Name: "no-session-del", Effect: security.Deny, Component: "redis", Operation: "del,unlink", Resource: "session:*"},
		security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Operation: "get,mget,exists"},
		security.Rule{Name: "writers", Effect: security.Allow, Role: "writer", Resource: "cache:*"},
		security.Rule{Name: "ops", Effect: security.Allow, Principal: "ops", Component: "redis"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app", Component: "redis", Resource: "bench:*"},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return pol
}

// BenchmarkAuthorization runs GET and SET (1 caller) on a client without
// a policy and on one with tenRules, against the same server in the same
// run, interleaved, so the overhead ratio reads off one run:
//
//	go test ./redis -run XXX -bench Authorization -benchtime 20000x -count 6
func BenchmarkAuthorization(b *testing.B) {
	srv := testenvShared(b)
	none := openAt(b, srv)
	ruled := openAt(b, srv, func(c *redis.Config) { c.Security.Policy = tenRules(b) })
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})
	key := "bench:authz:" + strconv.Itoa(srvPort(srv.Addr))
	if err := none.Set(ctx, key, "value"); err != nil {
		b.Fatal(err)
	}
	for _, op := range []string{"GET", "SET"} {
		for _, im := range []struct {
			name string
			c    *redis.Client
		}{{"policy=none", none}, {"policy=10rules", ruled}} {
			c := im.c
			b.Run(op+"/"+im.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var err error
					if op == "GET" {
						_, err = c.Get(ctx, key)
					} else {
						err = c.Set(ctx, key, "value")
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
