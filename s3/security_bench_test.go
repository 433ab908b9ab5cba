package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// tenRules is a ten-rule policy of the usual shape: per-tenant allows,
// a few denies, the last rule the one that allows the benchmark's keys.
func tenRules(b testing.TB, bucket string) *security.Policy {
	var rules []security.Rule
	for i := range 6 {
		rules = append(rules, security.Rule{Effect: security.Allow, Principal: fmt.Sprintf("tenant-%d", i), Component: "s3",
			Operation: "put,get,stat,list", Resource: fmt.Sprintf("%s/tenants/%d/*", bucket, i)})
	}
	rules = append(rules,
		security.Rule{Name: "no secrets", Effect: security.Deny, Component: "s3", Resource: bucket + "/*/secret/*"},
		security.Rule{Name: "no bucket ops", Effect: security.Deny, Component: "s3", Operation: "create_bucket,delete_bucket"},
		security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Component: "s3", Operation: "get,stat,list"},
		security.Rule{Name: "app", Effect: security.Allow, Principal: "app", Component: "s3", Resource: bucket + "/get/*"},
	)
	p, err := security.NewPolicy(rules...)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkGetPolicy is a 1 KiB GetBytes against versitygw with no
// security options and with a ten-rule policy, side by side:
//
//	go test ./s3/ -run '^$' -bench GetPolicy -benchtime 2000x -count 3
func BenchmarkGetPolicy(b *testing.B) {
	for _, withPolicy := range []bool{false, true} {
		name := "none"
		if withPolicy {
			name = "ten-rules"
		}
		b.Run(name, func(b *testing.B) {
			c, _ := newClient(b, func(cfg *s3.Config) {
				if withPolicy {
					cfg.Security.Policy = tenRules(b, cfg.Bucket)
				}
			})
			ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})
			if _, err := c.Put(ctx, "get/k", bytes.Repeat([]byte("a"), 1024), nil); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.GetBytes(ctx, "get/k", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
