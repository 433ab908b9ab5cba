package s3

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"
)

// h1Pool is a minimal HTTP/1.1 client for the fast path on plain-HTTP
// endpoints (the local S3-compatible servers where the client's CPU
// bounds small-object throughput). The caller's goroutine writes the
// request and reads the response on a pooled keep-alive connection:
// net/http hands each request to a per-connection writer goroutine and
// each response back from a reader goroutine, two goroutine wake-ups per
// call that cost more CPU than the rest of a 1 KiB PUT or GET. TLS
// endpoints and proxies stay on net/http.
type h1Pool struct {
	addr          string
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	headerTimeout time.Duration // bounds the wait for response headers
	maxIdle       int
	maxConns      int // 0, or the most connections open at once (MaxConnsPerHost)

	mu      sync.Mutex
	idle    []*h1Conn
	open    int            // connections open or being dialled
	waiters []chan *h1Conn // callers waiting for a connection, oldest first
	closed  bool
}

type h1Conn struct {
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool
}

var aLongTimeAgo = time.Unix(1, 0)

// get returns an idle connection, dials a new one, or, at maxConns,
// waits for one: a connection handed back goes straight to the oldest
// waiter, and a closed one lets the oldest waiter dial in its place.
func (p *h1Pool) get(ctx context.Context) (*h1Conn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		pc := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		pc.reused = true
		return pc, nil
	}
	if p.maxConns > 0 && p.open >= p.maxConns {
		w := make(chan *h1Conn, 1)
		p.waiters = append(p.waiters, w)
		p.mu.Unlock()
		select {
		case pc := <-w:
			if pc != nil {
				pc.reused = true
				return pc, nil
			}
			// A connection closed: its place is ours (open was not lowered).
		case <-ctx.Done():
			p.mu.Lock()
			if i := slices.Index(p.waiters, w); i >= 0 {
				p.waiters = slices.Delete(p.waiters, i, i+1)
				p.mu.Unlock()
				return nil, ctx.Err()
			}
			p.mu.Unlock()
			// Handed something as we gave up: pass it on.
			if pc := <-w; pc != nil {
				p.put(pc)
			} else {
				p.release()
			}
			return nil, ctx.Err()
		}
	} else {
		p.open++
		p.mu.Unlock()
	}
	nc, err := p.dial(ctx, "tcp", p.addr)
	if err != nil {
		p.release()
		return nil, err
	}
	nc = withRawIO(nc)
	return &h1Conn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 16<<10)}, nil
}

// release gives up one open connection's place: to the oldest waiter
// (who dials), or back to the count.
func (p *h1Pool) release() {
	p.mu.Lock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w <- nil
		return
	}
	p.open--
	p.mu.Unlock()
}

// put returns a connection whose last response was read completely.
func (p *h1Pool) put(pc *h1Conn) {
	pc.nc.SetDeadline(time.Time{})
	p.mu.Lock()
	if len(p.waiters) > 0 && !p.closed {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w <- pc
		return
	}
	if !p.closed && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, pc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.discard(pc)
}

func (p *h1Pool) discard(pc *h1Conn) {
	pc.nc.Close()
	p.release()
}

func (p *h1Pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, pc := range idle {
		p.discard(pc)
	}
}

// do sends req (whose body, if any, can be rebuilt with GetBody) and
// returns its response. The response body must be read to EOF or closed;
// either returns the connection to the pool when it can be reused. A
// reused connection the server closed while idle is replaced once, as
// net/http does. A positive attempt bounds the whole exchange, response
// body included, through the connection's deadline (an error wrapping
// os.ErrDeadlineExceeded when it passes): the same bound as a per-attempt
// context.WithTimeout without its timer and context per call.
func (p *h1Pool) do(req *http.Request, attempt time.Duration) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err // nothing is sent for a context that is already done
	}
	var until time.Time
	if attempt > 0 {
		until = time.Now().Add(attempt)
	}
	if d, ok := ctx.Deadline(); ok && (until.IsZero() || d.Before(until)) {
		until = d
	}
	for try := 0; ; try++ {
		pc, err := p.get(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := p.roundTrip(ctx, pc, req, until)
		if err == nil {
			return resp, nil
		}
		p.discard(pc)
		if try > 0 || !pc.reused || ctx.Err() != nil || !staleConn(err) {
			return nil, err
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
			if req.ContentLength == 0 {
				req.Body = http.NoBody
			}
		}
	}
}

// staleConn reports errors a keep-alive connection closed by the server
// gives on its next use.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// A cancellation interrupts the connection by moving its deadline into
// the past from the context's AfterFunc, which runs on its own goroutine.
// Every later SetDeadline of ours could undo that, so each is followed by
// a check of ctx.Err(): the context is either done before the check (and
// the check sees it) or after it (and the AfterFunc's deadline comes last).
// until (zero for none) bounds the whole exchange; headerTimeout bounds
// the wait for the response headers as well.
func (p *h1Pool) roundTrip(ctx context.Context, pc *h1Conn, req *http.Request, until time.Time) (*http.Response, error) {
	stop := neverStopped
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { pc.nc.SetDeadline(aLongTimeAgo) })
	}
	deadline := until
	if p.headerTimeout > 0 {
		if d := time.Now().Add(p.headerTimeout); deadline.IsZero() || d.Before(deadline) {
			deadline = d
		}
	}
	fail := func(err error) (*http.Response, error) {
		if !stop() || ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	pc.nc.SetDeadline(deadline)
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := writeRequest(pc.bw, req); err != nil {
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(err)
	}
	resp, err := readResponse(pc.br, req)
	if err != nil {
		return fail(err)
	}
	pc.nc.SetDeadline(until) // the body is bounded by the context (as with net/http) and the attempt
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	b := &h1Body{ctx: ctx, p: p, pc: pc, body: resp.Body, stop: stop, keep: !resp.Close}
	resp.Body = b
	if resp.ContentLength == 0 || req.Method == http.MethodHead {
		b.finish(true)
	}
	return resp, nil
}

// neverStopped stands for the AfterFunc of a context that cannot end.
func neverStopped() bool { return true }

// h1Body hands its connection back once the response is read.
type h1Body struct {
	ctx  context.Context
	p    *h1Pool
	pc   *h1Conn
	body io.ReadCloser
	stop func() bool
	keep bool       // the server did not ask to close the connection
	mu   sync.Mutex // held by Read
	done bool

	cmu         sync.Mutex // guards the hand-back against a concurrent Close
	released    bool
	interrupted bool
}

func (b *h1Body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.finish(true)
	} else if err != nil {
		b.finish(false)
		if b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
	}
	return n, err
}

// ready reports whether the next Read returns without waiting on the
// network: the body is done or bytes of it are already buffered.
func (b *h1Body) ready() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return true
	}
	cb, ok := b.body.(*clBody)
	return ok && (cb.n <= 0 || cb.r.Buffered() > 0)
}

// finish releases the connection: to the pool when the body ended
// cleanly, closed otherwise.
func (b *h1Body) finish(clean bool) {
	if b.done {
		return
	}
	b.done = true
	b.cmu.Lock()
	b.released = true
	interrupted := b.interrupted
	b.cmu.Unlock()
	canceled := !b.stop()
	if clean && b.keep && !canceled && !interrupted {
		b.p.put(b.pc)
	} else {
		b.p.discard(b.pc)
	}
}

// Close may run while a Read is blocked (a stall watchdog): it then
// fails that Read through the connection's deadline, and the connection
// is closed rather than reused.
func (b *h1Body) Close() error {
	if !b.mu.TryLock() {
		b.cmu.Lock()
		if !b.released {
			b.interrupted = true
			b.pc.nc.SetDeadline(aLongTimeAgo)
		}
		b.cmu.Unlock()
		b.mu.Lock()
	}
	defer b.mu.Unlock()
	if !b.done {
		// A small unread rest that arrives promptly is drained to keep
		// the connection; anything else closes it.
		b.pc.nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := io.CopyN(io.Discard, b.body, 4<<10)
		b.finish(err == io.EOF)
	}
	return nil
}
