package redis

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/security"
)

func keysOf(args ...string) (string, []string) {
	op, extra, first, end, step := commandKeys(args, "")
	var keys []string
	if extra > 0 {
		keys = append(keys, args[extra])
	}
	for i := first; i < end; i += step {
		keys = append(keys, args[i])
	}
	return op, keys
}

func TestCommandKeys(t *testing.T) {
	for _, tc := range []struct {
		args []string
		op   string
		keys []string
	}{
		{[]string{"GET", "k"}, "get", []string{"k"}},
		{[]string{"get", "k"}, "get", []string{"k"}},
		{[]string{"SET", "k", "v", "EX", "10"}, "set", []string{"k"}},
		{[]string{"DEL", "a", "b", "c"}, "del", []string{"a", "b", "c"}},
		{[]string{"MSET", "a", "1", "b", "2"}, "mset", []string{"a", "b"}},
		{[]string{"BLPOP", "a", "b", "0"}, "blpop", []string{"a", "b"}},
		{[]string{"RENAME", "a", "b"}, "rename", []string{"a", "b"}},
		{[]string{"SMOVE", "a", "b", "member"}, "smove", []string{"a", "b"}},
		{[]string{"EVAL", "return 1", "2", "a", "b", "arg"}, "eval", []string{"a", "b"}},
		{[]string{"EVALSHA", "abc", "0", "arg"}, "evalsha", nil},
		{[]string{"EVAL", "s", "9", "a"}, "eval", []string{"a"}}, // a count past the end names what there is
		{[]string{"EVAL", "s", "-1", "a"}, "eval", nil},
		{[]string{"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}, "zunionstore", []string{"d", "a", "b"}},
		{[]string{"BLMPOP", "0", "2", "a", "b", "LEFT"}, "blmpop", []string{"a", "b"}},
		{[]string{"XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"}, "xread", []string{"s1", "s2"}},
		{[]string{"XREADGROUP", "GROUP", "g", "c", "streams", "s1", ">"}, "xreadgroup", []string{"s1"}},
		{[]string{"BITOP", "AND", "d", "a", "b"}, "bitop", []string{"d", "a", "b"}},
		{[]string{"OBJECT", "ENCODING", "k"}, "object encoding", []string{"k"}},
		{[]string{"SCRIPT", "LOAD", "return 1"}, "script load", nil},
		{[]string{"CONFIG", "SET", "maxmemory", "1"}, "config set", nil},
		{[]string{"FLUSHALL"}, "flushall", nil},
		{[]string{"KEYS", "*"}, "keys", nil},
		{[]string{"PING"}, "ping", nil},
		{[]string{"PUBLISH", "ch", "msg"}, "publish", []string{"ch"}},
		{[]string{"UNKNOWNCMD"}, "unknowncmd", nil},
		{[]string{"UNKNOWNCMD", "k", "x"}, "unknowncmd", []string{"k"}},
		{[]string{"MSET", "a"}, "mset", []string{"a"}},
		{[]string{"XREAD", "STREAMS"}, "xread", nil},
		{nil, "", nil},
	} {
		op, keys := keysOf(tc.args...)
		assert.Equal(t, tc.op, op, "%q", tc.args)
		assert.Equal(t, tc.keys, keys, "%q", tc.args)
		if len(tc.args) > 0 {
			known, _, _, _, _ := commandKeys(tc.args, tc.op)
			assert.Equal(t, tc.op, known, "%q with its known name", tc.args)
		}
	}
}

func TestAuditResource(t *testing.T) {
	assert.Equal(t, "k", auditResource([]string{"GET", "k"}, 0, 1, 2, 1))
	assert.Equal(t, "a b", auditResource([]string{"DEL", "a", "b"}, 0, 1, 3, 1))
	assert.Equal(t, "", auditResource([]string{"PING"}, 0, 0, 0, 1))
	op, _, _, _, _ := commandKeys([]string{"PSETEX", "k", "10", "v"}, "setex")
	assert.Equal(t, "psetex", op, "a known name that is another command is not used")
	long := make([]string, 0, 200)
	long = append(long, "DEL")
	for range 199 {
		long = append(long, "key-with-some-length")
	}
	r := auditResource(long, 0, 1, len(long), 1)
	assert.LessOrEqual(t, len(r), maxAuditResource+len("…"))
}

// BenchmarkSecureGET is the policy check alone of a GET (no I/O) under a
// ten-rule policy whose last rule allows it: what the policy adds to each
// call.
//
//	go test ./redis -run XXX -bench SecureGET -benchmem
func BenchmarkSecureGET(b *testing.B) {
	pol := benchPolicy(b)
	c := &Client{cfg: Config{Security: security.Options{Policy: pol}}}
	args := []string{"GET", "bench:authz:k"} // what cmd.Commands() returns
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})
	b.ReportAllocs()
	for b.Loop() {
		op, extra, first, end, step := commandKeys(args, "get")
		if err := c.authorizeKeys(ctx, op, args, extra, first, end, step); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPolicyOnly(b *testing.B) {
	c := &Client{cfg: Config{Security: security.Options{Policy: benchPolicy(b)}}}
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})
	for b.Loop() {
		if err := c.cfg.Security.Authorize(ctx, Kind, "get", "bench:authz:k"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPolicy is the ten-rule policy of BenchmarkAuthorization.
func benchPolicy(b *testing.B) *security.Policy {
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
	require.NoError(b, err)
	return pol
}
