package s3_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fault is what the proxy does to one request.
type fault int

const (
	pass            fault = iota
	slowDown              // answer 503 SlowDown without forwarding
	resetEarly            // forward, then reset the connection before any response byte
	resetMidway           // forward, send half the response, reset
	stallEarly            // forward nothing back: hold the connection silent
	stallMidway           // send half the response, then go silent
	resetInRequest        // read part of the request body, then reset
	deny                  // answer 403 AccessDenied without forwarding
	corruptResponse       // flip one byte of the response body
	corruptRequest        // flip one byte of the request body
	nFaults
)

var faultNames = [nFaults]string{"pass", "slowdown", "reset-early", "reset-midway", "stall-early", "stall-midway", "reset-in-request", "deny", "corrupt-response", "corrupt-request"}

// faultProxy is an HTTP-aware TCP proxy on loopback in front of the S3
// server that injects connection resets, stalls and 503 SlowDown
// responses, as decide says for each request.
type faultProxy struct {
	ln       net.Listener
	upstream string
	decide   func(r *http.Request) fault

	counts   [nFaults]atomic.Int64
	partsNow atomic.Int64 // UploadPart requests in flight
	partsMax atomic.Int64
	closed   chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

func startProxy(t testing.TB, upstream string, decide func(r *http.Request) fault) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, upstream: upstream, decide: decide, closed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *faultProxy) Endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *faultProxy) Close() {
	select {
	case <-p.closed:
		return
	default:
	}
	close(p.closed)
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *faultProxy) Count(f fault) int64 { return p.counts[f].Load() }

func (p *faultProxy) Summary() string {
	var parts []string
	for f := range nFaults {
		parts = append(parts, fmt.Sprintf("%s=%d", faultNames[f], p.counts[f].Load()))
	}
	return strings.Join(parts, " ")
}

func (p *faultProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.closed:
		c.Close()
		return false
	default:
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *faultProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *faultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.serve(c)
		}()
	}
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // close sends RST
	}
	c.Close()
}

// silent holds a connection without answering until the client gives up.
func silent(c net.Conn) { io.Copy(io.Discard, c) }

func s3Error(status int, code string) []byte {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test proxy</Message><RequestId>PROXY</RequestId></Error>`, code)
	return []byte(fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(body), body))
}

// forward writes resp to the client, applying f half way through its
// bytes (midway faults) or its body (corruptResponse), and reports whether
// the connection can carry another request. A large body of known length
// is streamed, so its headers reach the client as promptly as from the
// server itself (a buffered multi-MiB GET would otherwise outlast the
// client's response-header timeout under load); other responses are
// rewritten through a buffer as net/http serializes them.
func forward(client net.Conn, resp *http.Response, f fault) bool {
	var hdr bytes.Buffer
	var body io.Reader
	var bodyLen int64
	if resp.ContentLength > 1<<20 && len(resp.TransferEncoding) == 0 {
		fmt.Fprintf(&hdr, "HTTP/%d.%d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
		resp.Header.Write(&hdr) // Content-Length included: ReadResponse keeps it
		hdr.WriteString("\r\n")
		body, bodyLen = resp.Body, resp.ContentLength
	} else {
		if err := resp.Write(&hdr); err != nil {
			return false
		}
		raw := hdr.Bytes()
		i := bytes.Index(raw, []byte("\r\n\r\n")) + 4
		body, bodyLen = bytes.NewReader(raw[i:]), int64(len(raw)-i)
		hdr.Truncate(i)
	}
	switch f {
	case resetEarly:
		reset(client)
		return false
	case stallEarly:
		silent(client)
		return false
	case corruptResponse:
		body = &flipAt{r: body, at: bodyLen / 2}
	}
	h := hdr.Bytes()
	send := int64(len(h)) + bodyLen
	if f == resetMidway || f == stallMidway {
		send /= 2
	}
	var err error
	if send <= int64(len(h)) {
		_, err = client.Write(h[:send])
	} else if _, err = client.Write(h); err == nil {
		_, err = io.CopyN(client, body, send-int64(len(h)))
	}
	switch f {
	case resetMidway:
		reset(client)
		return false
	case stallMidway:
		silent(client)
		return false
	}
	return err == nil
}

// flipAt flips one bit of the byte at offset at of r.
type flipAt struct {
	r     io.Reader
	at, n int64
}

func (f *flipAt) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if i := f.at - f.n; i >= 0 && i < int64(n) {
		p[i] ^= 0x20
	}
	f.n += int64(n)
	return n, err
}

func (p *faultProxy) serve(client net.Conn) {
	br := bufio.NewReader(client)
	var up net.Conn
	var upbr *bufio.Reader
	defer func() {
		if up != nil {
			up.Close()
		}
	}()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		f := p.decide(req)
		p.counts[f].Add(1)
		isPart := req.Method == http.MethodPut && req.URL.Query().Has("partNumber")
		switch f {
		case slowDown, deny:
			io.Copy(io.Discard, req.Body)
			status, code := 503, "SlowDown"
			if f == deny {
				status, code = 403, "AccessDenied"
			}
			if _, err := client.Write(s3Error(status, code)); err != nil {
				return
			}
			continue
		case resetInRequest:
			io.CopyN(io.Discard, req.Body, 512)
			reset(client)
			return
		}
		if isPart {
			n := p.partsNow.Add(1)
			for {
				m := p.partsMax.Load()
				if n <= m || p.partsMax.CompareAndSwap(m, n) {
					break
				}
			}
		}
		if up == nil {
			if up, err = net.Dial("tcp", p.upstream); err != nil {
				return
			}
			upbr = bufio.NewReader(up)
		}
		if f == corruptRequest && req.ContentLength > 0 {
			body, _ := io.ReadAll(req.Body)
			body[len(body)/2] ^= 0x20
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		err = req.Write(up)
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(upbr, req)
		}
		if isPart {
			p.partsNow.Add(-1)
		}
		if err != nil {
			return
		}
		ok := forward(client, resp, f)
		resp.Body.Close()
		if !ok {
			return
		}
		if resp.Close || req.Close {
			return
		}
	}
}

// randomFaults injects each fault with the given probability, from a
// seeded source so runs are comparable.
func randomFaults(seed uint64, rates map[fault]float64) func(*http.Request) fault {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(*http.Request) fault {
		mu.Lock()
		x := rng.Float64()
		mu.Unlock()
		for f := fault(1); f < nFaults; f++ {
			if x < rates[f] {
				return f
			}
			x -= rates[f]
		}
		return pass
	}
}
