package redis

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validReplies are well-formed RESP2/RESP3 streams, as Redis 7 sends them.
var validReplies = []string{
	"+OK\r\n",
	"-ERR unknown command 'x'\r\n",
	":42\r\n:-7\r\n",
	"$3\r\nfoo\r\n$0\r\n\r\n$-1\r\n",
	"*-1\r\n*0\r\n*2\r\n$1\r\na\r\n:1\r\n",
	"%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n$1\r\nx\r\n",
	"~2\r\n+a\r\n+b\r\n",
	">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n",
	"_\r\n#t\r\n#f\r\n,3.14\r\n(3492890328409238509324850943850943825024385\r\n",
	"!21\r\nSYNTAX invalid syntax\r\n=15\r\ntxt:Some string\r\n",
	"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
	"*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n",
	"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n",
	"*?\r\n:1\r\n:2\r\n:3\r\n.\r\n",
	"%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n",
	"*3\r\n*?\r\n:1\r\n.\r\n$2\r\nab\r\n*0\r\n",
	"$5\r\n\r\n\r\n\r\r\n", // a body holding CRLF bytes
}

func TestTheGuardAcceptsWellFormedRepliesSplitAnywhere(t *testing.T) {
	all := strings.Join(validReplies, "")
	for cut := 0; cut <= len(all); cut++ {
		g := newRespGuard(DefaultMaxReplyBytes)
		require.NoError(t, g.check([]byte(all[:cut])), "cut %d", cut)
		require.NoError(t, g.check([]byte(all[cut:])), "cut %d", cut)
		assert.Equal(t, gType, g.st, "cut %d: the guard did not end between replies", cut)
		assert.Empty(t, g.stack, "cut %d", cut)
	}
	g := newRespGuard(DefaultMaxReplyBytes)
	for i := 0; i < len(all); i++ {
		require.NoError(t, g.check([]byte{all[i]}), "byte %d", i)
	}
}

func TestTheGuardBudgetIsPerReply(t *testing.T) {
	g := newRespGuard(100)
	for range 10 {
		require.NoError(t, g.check([]byte("$60\r\n"+strings.Repeat("x", 60)+"\r\n")))
	}
	err := g.check([]byte("*2\r\n$60\r\n" + strings.Repeat("x", 60) + "\r\n$60\r\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MaxReplyBytes")
}

func FuzzRespGuard(f *testing.F) {
	for _, r := range validReplies {
		f.Add([]byte(r))
	}
	for _, r := range []string{"$-2\r\n", "*-3\r\n", "*4611686018427387904\r\n", "$2000000000\r\n", "%-1\r\n", "$?\r\n;-5\r\n", "#tXY\r\n"} {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g := newRespGuard(1 << 20)
		_ = g.check(b) // must not panic
		if len(g.stack) > maxReplyDepth {
			t.Fatalf("stack %d deeper than %d", len(g.stack), maxReplyDepth)
		}
		if g.used > 1<<20 {
			t.Fatalf("budget %d over the limit", g.used)
		}
	})
}

func TestTheGuardAllocatesNothingOnWellFormedReplies(t *testing.T) {
	all := []byte(strings.Join(validReplies, ""))
	g := newRespGuard(DefaultMaxReplyBytes)
	require.NoError(t, g.check(all)) // grows the aggregate stack once
	allocs := testing.AllocsPerRun(100, func() {
		if err := g.check(all); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "allocations per pass over the valid replies")
}
