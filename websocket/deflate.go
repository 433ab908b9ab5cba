package websocket

import (
	"compress/flate"
	"io"
	"strings"
	"sync"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
)

// Compression describes the permessage-deflate parameters (RFC 7692) a
// connection negotiated. Context takeover means a side keeps its LZ77
// window from one message to the next, which is what makes small, similar
// messages (JSON events) compress well.
type Compression struct {
	Enabled                 bool // permessage-deflate is in use
	ServerNoContextTakeover bool // the server resets its compressor after every message
	ClientNoContextTakeover bool // the client resets its compressor after every message
	ServerMaxWindowBits     int  // the server's LZ77 window, 8..15 (15 when not limited)
	ClientMaxWindowBits     int  // the client's LZ77 window, 8..15 (15 when not limited)
}

// String renders the parameters as the Sec-WebSocket-Extensions value.
func (c Compression) String() string {
	if !c.Enabled {
		return ""
	}
	var b strings.Builder
	b.WriteString(wsflate.ExtensionName)
	if c.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if c.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if c.ServerMaxWindowBits > 0 && c.ServerMaxWindowBits < 15 {
		b.WriteString("; server_max_window_bits=" + itoa(c.ServerMaxWindowBits))
	}
	if c.ClientMaxWindowBits > 0 && c.ClientMaxWindowBits < 15 {
		b.WriteString("; client_max_window_bits=" + itoa(c.ClientMaxWindowBits))
	}
	return b.String()
}

func itoa(n int) string {
	if n >= 10 {
		return string([]byte{byte('0' + n/10), byte('0' + n%10)})
	}
	return string([]byte{byte('0' + n)})
}

func compressionFrom(p wsflate.Parameters) Compression {
	c := Compression{
		Enabled:                 true,
		ServerNoContextTakeover: p.ServerNoContextTakeover,
		ClientNoContextTakeover: p.ClientNoContextTakeover,
		ServerMaxWindowBits:     int(p.ServerMaxWindowBits),
		ClientMaxWindowBits:     int(p.ClientMaxWindowBits),
	}
	if c.ServerMaxWindowBits < 8 {
		c.ServerMaxWindowBits = 15
	}
	if c.ClientMaxWindowBits < 8 {
		c.ClientMaxWindowBits = 15
	}
	return c
}

// negotiateServer picks the response to one client offer. Unlike
// wsflate.Extension it accepts a server_max_window_bits below 15: the
// server then compresses with Huffman coding only, which uses no window at
// all and so honours any limit. It keeps context takeover unless the
// client asks otherwise or noTakeover is set.
func negotiateServer(opt httphead.Option, noTakeover bool) (Compression, httphead.Option, bool) {
	var p wsflate.Parameters
	if err := p.Parse(opt); err != nil {
		return Compression{}, httphead.Option{}, false
	}
	resp := wsflate.Parameters{
		ServerNoContextTakeover: p.ServerNoContextTakeover || noTakeover,
		ClientNoContextTakeover: p.ClientNoContextTakeover,
	}
	if p.ServerMaxWindowBits.Defined() && p.ServerMaxWindowBits < 15 {
		resp.ServerMaxWindowBits = p.ServerMaxWindowBits
	}
	// client_max_window_bits in an offer (with or without a value) only says
	// the client can honour a limit; the server needs none since it
	// inflates with a full window.
	if p.ClientMaxWindowBits > 1 && p.ClientMaxWindowBits < 15 {
		resp.ClientMaxWindowBits = p.ClientMaxWindowBits
	}
	return compressionFrom(resp), resp.Option(), true
}

// deflater compresses one side's outgoing messages.
type deflater struct {
	level    int
	takeover bool
	fw       *flate.Writer // kept across messages only with context takeover
	sink     sliceWriter
}

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }

type pooledDeflater struct {
	fw   *flate.Writer
	sink sliceWriter
}

var deflaterPools [12]sync.Pool // by level+2 (HuffmanOnly is -2)

func newDeflater(level int, takeover, limitedWindow bool) *deflater {
	if limitedWindow {
		// Huffman-only output has no back references, so it fits any window.
		level = flate.HuffmanOnly
	}
	return &deflater{level: level, takeover: takeover}
}

var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// compress appends p's compressed form (without the 4-byte sync tail) to dst.
func (d *deflater) compress(dst, p []byte) []byte {
	if d.takeover {
		if d.fw == nil {
			d.fw, _ = flate.NewWriter(&d.sink, d.level) // the level was validated
		}
		d.sink.b = dst
		_, _ = d.fw.Write(p) // writing to a slice cannot fail
		_ = d.fw.Flush()
		out := d.sink.b
		d.sink.b = nil
		return trimTail(out, len(dst))
	}
	pool := &deflaterPools[d.level+2]
	pd, _ := pool.Get().(*pooledDeflater)
	if pd == nil {
		pd = &pooledDeflater{}
		pd.fw, _ = flate.NewWriter(&pd.sink, d.level)
	} else {
		pd.fw.Reset(&pd.sink)
	}
	pd.sink.b = dst
	_, _ = pd.fw.Write(p)
	_ = pd.fw.Flush()
	out := pd.sink.b
	pd.sink.b = nil
	pool.Put(pd)
	return trimTail(out, len(dst))
}

func trimTail(out []byte, start int) []byte {
	if len(out)-start >= 4 && string(out[len(out)-4:]) == string(deflateTail) {
		out = out[:len(out)-4]
	}
	if len(out) == start {
		// An empty message compresses to a single 0x00 (an empty stored
		// block without its length), as RFC 7692 section 7.2.3.6 shows.
		out = append(out, 0x00)
	}
	return out
}

// inflater keeps the receive side's state: with context takeover, the last
// 32 KiB of decompressed output, used as the dictionary for the next
// message (compress/flate cannot resume a stream after a sync flush).
type inflater struct {
	takeover bool
	dict     []byte
}

const maxWindow = 32 << 10

func (in *inflater) record(p []byte) {
	if !in.takeover || len(p) == 0 {
		return
	}
	if len(p) >= maxWindow {
		in.dict = append(in.dict[:0], p[len(p)-maxWindow:]...)
		return
	}
	if len(in.dict)+len(p) > 2*maxWindow {
		keep := maxWindow - len(p)
		n := copy(in.dict, in.dict[len(in.dict)-keep:])
		in.dict = in.dict[:n]
	}
	in.dict = append(in.dict, p...)
}

func (in *inflater) window() []byte {
	if !in.takeover {
		return nil
	}
	if len(in.dict) > maxWindow {
		return in.dict[len(in.dict)-maxWindow:]
	}
	return in.dict
}

var flateReaderPool sync.Pool

// finalTail ends the deflate stream of one message: the sync-flush tail
// the sender stripped, then an empty final stored block, so the
// decompressor reports io.EOF at the message's end.
const finalTail = "\x00\x00\xff\xff\x01\x00\x00\xff\xff"

func getFlateReader(src io.Reader, dict []byte) io.ReadCloser {
	if r, ok := flateReaderPool.Get().(io.ReadCloser); ok {
		_ = r.(flate.Resetter).Reset(src, dict)
		return r
	}
	return flate.NewReaderDict(src, dict)
}

func putFlateReader(r io.ReadCloser) { flateReaderPool.Put(r) }
