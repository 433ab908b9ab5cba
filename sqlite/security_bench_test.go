package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// tenRules is a ten-rule policy in which the caller's allow is the last
// rule: every check walks all ten.
func tenRules(tb testing.TB) *security.Policy {
	tb.Helper()
	var rules []security.Rule
	for i := range 8 {
		rules = append(rules, security.Rule{Effect: security.Allow, Role: fmt.Sprintf("team-%d", i), Component: "sqlite", Operation: "select,insert", Resource: fmt.Sprintf("t%d_*", i)})
	}
	rules = append(rules,
		security.Rule{Name: "no audit rows", Effect: security.Deny, Component: "sqlite", Resource: "audit_*"},
		security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Component: "sqlite", Operation: "select", Resource: "bench"},
	)
	p, err := security.NewPolicy(rules...)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkPointSelectPolicy is the point select with no policy and with
// a ten-rule policy, side by side on the same file in one run (issue 15:
// authorization overhead ≤ 2%).
func BenchmarkPointSelectPolicy(b *testing.B) {
	_, path := benchDB(b)
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "ana", Roles: []string{"reader"}})
	for _, c := range []struct {
		name string
		sec  security.Options
	}{
		{"policy=none", security.Options{}},
		{"policy=ten-rules", security.Options{Policy: tenRules(b)}},
	} {
		db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Readers: 8, Security: c.sec})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			var id int64
			var name string
			var score float64
			for i := 0; b.Loop(); i++ {
				if err := db.QueryRow(ctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score); err != nil {
					b.Fatal(err)
				}
			}
		})
		db.Close()
	}
}

// The benchmark's policy allows its caller and refuses others, so the
// figures measure a policy that is really checked.
func TestTenRulePolicyIsEnforced(t *testing.T) {
	db, path := benchDB(t)
	require.NoError(t, db.Close())
	sdb := openFile(t, sqlite.Config{Path: path, Security: security.Options{Policy: tenRules(t)}})
	var id int64
	var name string
	var score float64
	ana := security.WithPrincipal(ctxT(t), security.Principal{Name: "ana", Roles: []string{"reader"}})
	require.NoError(t, sdb.QueryRow(ana, pointSelect, 7).Scan(&id, &name, &score))
	assert.Equal(t, "name-7", name)
	err := sdb.QueryRow(ctxT(t), pointSelect, 7).Scan(&id, &name, &score)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "err: %v", err)
	bo := security.WithPrincipal(ctxT(t), security.Principal{Name: "bo", Roles: []string{"team-3"}})
	err = sdb.QueryRow(bo, pointSelect, 7).Scan(&id, &name, &score)
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err), "err: %v", err)
}

// BenchmarkPointSelectPolicyPaired measures the policy's overhead the way
// a loaded machine still allows: blocks of 2,000 point selects on a DB
// without a policy and on one with the ten-rule policy (the same file)
// alternate, and the median of the per-pair time ratios is reported as
// policy/none.
func BenchmarkPointSelectPolicyPaired(b *testing.B) {
	const block = 2000
	_, path := benchDB(b)
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "ana", Roles: []string{"reader"}})
	plain, err := sqlite.Open(ctx, sqlite.Config{Path: path, Readers: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	secured, err := sqlite.Open(ctx, sqlite.Config{Path: path, Readers: 8, Security: security.Options{Policy: tenRules(b)}})
	if err != nil {
		b.Fatal(err)
	}
	defer secured.Close()
	var id int64
	var name string
	var score float64
	run := func(db *sqlite.DB) time.Duration {
		t0 := time.Now()
		for i := range block {
			if err := db.QueryRow(ctx, pointSelect, i%benchRows+1).Scan(&id, &name, &score); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	run(plain)
	run(secured)
	var ratios []float64
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		// Alternate which goes first, so neither always runs on a warm
		// or a cold core.
		var tp, ts time.Duration
		if n%2 == 0 {
			tp, ts = run(plain), run(secured)
		} else {
			ts, tp = run(secured), run(plain)
		}
		ratios = append(ratios, float64(ts)/float64(tp))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "policy/none")
	b.ReportMetric(ratios[len(ratios)/4], "q1")
	b.ReportMetric(ratios[3*len(ratios)/4], "q3")
}
