package websocket

import (
	"bytes"
	"compress/flate"
	"io"
	"net"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzFrames feeds raw bytes to a connection's read loop over an in-memory
// pipe and checks it ends (no panic, no hang) with every message it
// delivered being valid (text is UTF-8, sizes within the limit).
func fuzzFrames(t *testing.T, data []byte, server bool, comp Compression) {
	local, remote := net.Pipe()
	set := &connSettings{server: server, readLimit: 1 << 16, compressMin: 1, compressLevel: 1,
		bpLimit: 1 << 20, closeTimeout: 100 * time.Millisecond}
	var bad string
	set.onMessage = func(_ *Conn, typ MessageType, p []byte) {
		if typ == Text && !utf8.Valid(p) {
			bad = "delivered invalid UTF-8"
		}
		if len(p) > 1<<16 {
			bad = "delivered a message over the read limit"
		}
	}
	c := newConn(local, nil, set, "", comp)
	go func() { _, _ = io.Copy(io.Discard, remote) }()
	go func() {
		_, _ = remote.Write(data)
		_ = remote.Close()
	}()
	done := make(chan struct{})
	go func() { c.readLoop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "read loop did not end")
	}
	require.Empty(t, bad)
}

func fuzzSeeds(f *testing.F, masked bool) {
	frame := func(b0 byte, p []byte) []byte {
		out := []byte{b0}
		m := byte(0)
		if masked {
			m = 0x80
		}
		switch {
		case len(p) < 126:
			out = append(out, m|byte(len(p)))
		default:
			out = append(out, m|126, byte(len(p)>>8), byte(len(p)))
		}
		if masked {
			out = append(out, 1, 2, 3, 4)
			for i, c := range p {
				out = append(out, c^byte(i%4+1))
			}
			return out
		}
		return append(out, p...)
	}
	f.Add(frame(0x81, []byte("hello")))
	f.Add(append(frame(0x01, []byte("he")), frame(0x80, []byte("llo"))...))
	f.Add(append(frame(0x01, []byte{0xe2}), append(frame(0x89, []byte("p")), frame(0x80, []byte{0x82, 0xac})...)...))
	f.Add(frame(0xc1, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}))
	f.Add(frame(0x82, bytes.Repeat([]byte{0}, 300)))
	f.Add(frame(0x88, []byte{0x03, 0xe8, 'b', 'y', 'e'}))
	f.Add([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x82, 0x7f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0xf1, 0x00})
	// Issue 13 shapes. A ping flood:
	f.Add(bytes.Repeat(frame(0x89, bytes.Repeat([]byte{'p'}, 125)), 64))
	// a non-final frame declaring 1 MiB, followed by a trickle:
	big := []byte{0x02, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0}
	if masked {
		big[1] |= 0x80
		big = append(big, 1, 2, 3, 4)
	}
	f.Add(append(big, 'x', 'y'))
	// a compressed frame whose deflate stream ends (BFINAL) before its
	// payload, the rest being a smuggled frame:
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestSpeed)
	_, _ = zw.Write([]byte("hello"))
	_ = zw.Close()
	f.Add(frame(0xc1, append(z.Bytes(), frame(0x81, []byte("smuggled"))...)))
	// the same split across a continuation frame:
	f.Add(append(frame(0x41, z.Bytes()), frame(0x80, []byte("tail"))...))
}

func FuzzServerFrameReader(f *testing.F) {
	fuzzSeeds(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFrames(t, data, true, Compression{})
		fuzzFrames(t, data, true, Compression{Enabled: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15})
	})
}

func FuzzClientFrameReader(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFrames(t, data, false, Compression{})
		fuzzFrames(t, data, false, Compression{Enabled: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15, ServerNoContextTakeover: true})
	})
}

func TestUTF8ValidatorAgreesWithTheStandardLibraryAtEverySplit(t *testing.T) {
	inputs := [][]byte{
		[]byte("plain ascii"), []byte("€uro £ 𝄞 clef"), {0xe2, 0x82}, {0xed, 0xa0, 0x80}, {0xf4, 0x90, 0x80, 0x80},
		{0xc0, 0x80}, {0xf0, 0x9d, 0x84, 0x9e, 0xff}, {0x80}, []byte("ok\xce\xbaá½¹ÏÎ¼Îµ"), {0xf5}, {0xe0, 0x80, 0x80},
	}
	for _, in := range inputs {
		want := utf8.Valid(in)
		for i := 0; i <= len(in); i++ {
			for j := i; j <= len(in); j++ {
				var v utf8Validator
				ok := v.write(in[:i]) && v.write(in[i:j]) && v.write(in[j:]) && v.done()
				assert.Equal(t, want, ok, "%x split at %d,%d", in, i, j)
			}
		}
	}
}

func FuzzUTF8Validator(f *testing.F) {
	f.Add([]byte("€𝄞"), 1, 3)
	f.Fuzz(func(t *testing.T, in []byte, i, j int) {
		if len(in) == 0 {
			return
		}
		i, j = int(uint(i)%uint(len(in)+1)), int(uint(j)%uint(len(in)+1))
		if i > j {
			i, j = j, i
		}
		var v utf8Validator
		ok := v.write(in[:i]) && v.write(in[i:j]) && v.write(in[j:]) && v.done()
		require.Equal(t, utf8.Valid(in), ok, "%x split at %d,%d", in, i, j)
	})
}
