package security_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

func tenRules(t testing.TB) *security.Policy {
	p, err := security.NewPolicy(
		security.Rule{Name: "no-flush", Effect: security.Deny, Component: "redis", Operation: "flushall,flushdb"},
		security.Rule{Name: "no-secrets", Effect: security.Deny, Component: "redis", Resource: "secret:*"},
		security.Rule{Name: "readers-read", Effect: security.Allow, Role: "reader", Component: "redis", Operation: "get,mget,exists,ttl"},
		security.Rule{Name: "writers-cache", Effect: security.Allow, Role: "writer", Component: "redis", Resource: "cache:*"},
		security.Rule{Name: "admin", Effect: security.Allow, Principal: "root"},
		security.Rule{Name: "sqlite-read", Effect: security.Allow, Role: "reader", Component: "sqlite", Operation: "select"},
		security.Rule{Name: "sqlite-orders", Effect: security.Allow, Role: "writer", Component: "sqlite", Operation: "insert,update", Resource: "orders"},
		security.Rule{Name: "s3-uploads", Effect: security.Allow, Role: "writer", Component: "s3", Operation: "put,get", Resource: "uploads/????/*"},
		security.Rule{Name: "ws-public", Effect: security.Allow, Principal: "*", Component: "websocket", Operation: "subscribe", Resource: "public.*"},
		security.Rule{Name: "ws-no-admin-topic", Effect: security.Deny, Component: "websocket", Operation: "publish", Resource: "admin.*"},
	)
	require.NoError(t, err)
	return p
}

func TestPolicyAuthorize(t *testing.T) {
	ctx := context.Background()
	p := tenRules(t)
	reader := security.Principal{Name: "alice", Roles: []string{"reader"}}
	writer := security.Principal{Name: "bob", Roles: []string{"writer", "reader"}}
	root := security.Principal{Name: "root"}
	anon := security.Principal{}
	for _, tc := range []struct {
		who                     security.Principal
		component, op, resource string
		allowed                 bool
		rule                    string
	}{
		{reader, "redis", "GET", "user:1", true, "readers-read"},
		{reader, "redis", "set", "user:1", false, ""},
		{reader, "redis", "get", "secret:db", false, "no-secrets"},
		{writer, "redis", "set", "cache:x", true, "writers-cache"},
		{writer, "redis", "del", "cache:x", true, "writers-cache"},
		{writer, "redis", "set", "user:1", false, ""},
		{root, "redis", "set", "anything", true, "admin"},
		{root, "redis", "FLUSHALL", "", false, "no-flush"},
		{root, "redis", "get", "secret:x", false, "no-secrets"},
		{reader, "sqlite", "select", "users", true, "sqlite-read"},
		{reader, "sqlite", "insert", "orders", false, ""},
		{writer, "sqlite", "insert", "orders", true, "sqlite-orders"},
		{writer, "sqlite", "insert", "users", false, ""},
		{writer, "s3", "put", "uploads/2026/a.jpg", true, "s3-uploads"},
		{writer, "s3", "put", "uploads/26/a.jpg", false, ""},
		{writer, "s3", "put", "private/a.jpg", false, ""},
		{reader, "websocket", "subscribe", "public.news", true, "ws-public"},
		{anon, "websocket", "subscribe", "public.news", false, ""},
		{root, "websocket", "publish", "admin.cmd", false, "ws-no-admin-topic"},
		{root, "websocket", "publish", "public.news", true, "admin"},
	} {
		d := p.Decide(tc.who, tc.component, tc.op, tc.resource)
		assert.Equal(t, tc.allowed, d.Allowed, "%+v", tc)
		assert.Equal(t, tc.rule, d.Rule, "%+v", tc)
		err := p.Authorize(ctx, tc.who, tc.component, tc.op, tc.resource)
		if tc.allowed {
			assert.NoError(t, err)
			continue
		}
		require.Error(t, err)
		assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
		if tc.rule != "" {
			assert.Contains(t, err.Error(), `denied by rule "`+tc.rule+`"`)
		} else {
			assert.Contains(t, err.Error(), "no rule allows it")
		}
	}

	var none *security.Policy
	assert.NoError(t, none.Authorize(ctx, anon, "redis", "flushall", ""), "a nil policy allows everything")
	assert.NoError(t, none.AuthorizeContext(ctx, "redis", "flushall", ""))
}

func TestPolicyPrincipalInContext(t *testing.T) {
	p := tenRules(t)
	ctx := context.Background()
	_, ok := security.PrincipalFrom(ctx)
	assert.False(t, ok)
	err := p.AuthorizeContext(ctx, "redis", "get", "user:1")
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "anonymous")

	ctx = security.WithPrincipal(ctx, security.Principal{Name: "alice", Roles: []string{"reader"}})
	pr, ok := security.PrincipalFrom(ctx)
	require.True(t, ok)
	assert.Equal(t, "alice", pr.Name)
	assert.NoError(t, p.AuthorizeContext(ctx, "redis", "get", "user:1"))
	err = p.AuthorizeContext(ctx, "redis", "del", "user:1")
	assert.Equal(t, arsenal.PermissionDenied, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "alice")
}

func TestNewPolicyRefusesBadRules(t *testing.T) {
	_, err := security.NewPolicy(security.Rule{Name: "x"})
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	_, err = security.NewPolicy(security.Rule{Effect: security.Allow, Operation: "get,,set"})
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	p, err := security.NewPolicy(security.Rule{Effect: security.Deny})
	require.NoError(t, err)
	assert.Equal(t, "rule 1", p.Decide(security.Principal{}, "redis", "get", "k").Rule)
	assert.Equal(t, "deny", security.Deny.String())
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "anything/at:all", true},
		{"user:*", "user:1", true}, {"user:*", "users:1", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*.jpg", "a/b.jpg", true}, {"*.jpg", "a/b.png", false}, {"a*b*c", "aXXbYYc", true}, {"a*b*c", "aXXbYY", false},
		{"**", "x", true}, {"a*", "a", true}, {"*a", "ba", true}, {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	} {
		assert.Equal(t, tc.want, security.Glob(tc.pattern, tc.s), "%q %q", tc.pattern, tc.s)
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("user:*", "user:1")
	f.Add("a*b?c", "aXbYc")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if security.Glob(pattern, s) && len(pattern) > 0 && !containsWild(pattern) && pattern != s {
			t.Fatalf("literal pattern %q matched %q", pattern, s)
		}
		if !security.Glob("*", s) {
			t.Fatalf("* did not match %q", s)
		}
		if !containsWild(s) && !security.Glob(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

func containsWild(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}

// BenchmarkPolicyAuthorize measures a ten-rule policy: the allowed call
// matches the third rule after scanning all ten (deny rules first), the
// denied one matches a deny rule.
func BenchmarkPolicyAuthorize(b *testing.B) {
	p := tenRules(b)
	ctx := context.Background()
	reader := security.Principal{Name: "alice", Roles: []string{"reader"}}
	b.Run("allowed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Authorize(ctx, reader, "redis", "get", "user:12345"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("no-rule", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d := p.Decide(reader, "redis", "set", "user:12345"); d.Allowed {
				b.Fatal("allowed")
			}
		}
	})
	b.Run("context", func(b *testing.B) {
		cctx := security.WithPrincipal(ctx, reader)
		b.ReportAllocs()
		for b.Loop() {
			if err := p.AuthorizeContext(cctx, "redis", "get", "user:12345"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nil-policy", func(b *testing.B) {
		var none *security.Policy
		b.ReportAllocs()
		for b.Loop() {
			if err := none.AuthorizeContext(ctx, "redis", "get", "user:12345"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
