package redis

import (
	"strings"
	"testing"
)

// BenchmarkRespGuard measures the guard on the reads a pipelined
// connection sees under load: 64 replies to SET, to GET of a short value,
// to HGETALL of a small hash, and one 16 KiB GET.
func BenchmarkRespGuard(b *testing.B) {
	cases := []struct{ name, reads string }{
		{"64xOK", strings.Repeat("+OK\r\n", 64)},
		{"64xInt", strings.Repeat(":1234\r\n", 64)},
		{"64xGET", strings.Repeat("$5\r\nvalue\r\n", 64)},
		{"64xHGETALL", strings.Repeat("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", 64)},
		{"16KiB", "$16384\r\n" + strings.Repeat("x", 16384) + "\r\n"},
	}
	for _, tc := range cases {
		p := []byte(tc.reads)
		b.Run(tc.name, func(b *testing.B) {
			g := newRespGuard(DefaultMaxReplyBytes)
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if err := g.check(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
