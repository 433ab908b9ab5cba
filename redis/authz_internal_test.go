package redis

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func keysOf(args ...string) (string, []string) {
	op, extra, first, end, step := commandKeys(args)
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
	}
}

func TestAuditResource(t *testing.T) {
	assert.Equal(t, "k", auditResource([]string{"GET", "k"}, 0, 1, 2, 1))
	assert.Equal(t, "a b", auditResource([]string{"DEL", "a", "b"}, 0, 1, 3, 1))
	assert.Equal(t, "", auditResource([]string{"PING"}, 0, 0, 0, 1))
	long := make([]string, 0, 200)
	long = append(long, "DEL")
	for range 199 {
		long = append(long, "key-with-some-length")
	}
	r := auditResource(long, 0, 1, len(long), 1)
	assert.LessOrEqual(t, len(r), maxAuditResource+len("…"))
}
