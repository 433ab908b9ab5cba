package websocket

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Writes bounded by a context: the context alone decides when a write
// gives up, nothing written leaves the connection usable, and frames a
// failed write took along from the send queue are not lost. These run
// over net.Pipe, whose unread end blocks a writer as a stalled peer does.

func pipeSettings() *connSettings {
	return &connSettings{server: true, readLimit: 1 << 20, bpLimit: 1 << 20, closeTimeout: 200 * time.Millisecond}
}

// readFrames reads unmasked small frames from r and sends their payloads.
func readFrames(r io.Reader) <-chan string {
	got := make(chan string, 16)
	go func() {
		defer close(got)
		for {
			var h [2]byte
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return
			}
			p := make([]byte, h[1]&0x7f)
			if _, err := io.ReadFull(r, p); err != nil {
				return
			}
			got <- string(p)
		}
	}()
	return got
}

// TestAWriteTimingOutWithNothingSentKeepsTheConnection: the socket's own
// timer once bounded the write and could fire before the context's, so
// the timeout passed for a failed socket and the connection was closed.
func TestAWriteTimingOutWithNothingSentKeepsTheConnection(t *testing.T) {
	for i := range 40 {
		a, b := net.Pipe()
		c := newConn(a, nil, pipeSettings(), "", Compression{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		err := c.Write(ctx, Binary, []byte("x"))
		cancel()
		if err == nil {
			t.Fatal("a write nobody reads succeeded")
		}
		if c.closeSent.Load() || c.Err() != nil {
			t.Fatalf("run %d: a write that sent nothing and timed out marked the connection failed (%v)", i, c.Err())
		}
		got := readFrames(b)
		if err := c.Write(context.Background(), Binary, []byte("after")); err != nil {
			t.Fatalf("run %d: the next write: %v", i, err)
		}
		if s := <-got; s != "after" {
			t.Fatalf("run %d: peer read %q", i, s)
		}
		a.Close()
		b.Close()
	}
}

// TestCancellingAWriteWithADeadlineStopsIt: a context with a deadline
// was honoured only through the deadline; a cancel was ignored.
func TestCancellingAWriteWithADeadlineStopsIt(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newConn(a, nil, pipeSettings(), "", Compression{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := c.Write(ctx, Binary, []byte("hello"))
	if err == nil {
		t.Fatal("a write nobody reads succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Write returned %v after %v, long after its context was cancelled at 100 ms", err, d)
	}
}

// slowDeadlineConn runs a past write deadline late (as the scheduling of
// a context's AfterFunc goroutine can) and fails writes while one is set.
type slowDeadlineConn struct {
	net.Conn
	mu      sync.Mutex
	onWrite func()
	past    bool
}

func (p *slowDeadlineConn) Write(b []byte) (int, error) {
	p.mu.Lock()
	f := p.onWrite
	p.onWrite = nil
	p.mu.Unlock()
	if f != nil {
		f()
	}
	p.mu.Lock()
	past := p.past
	p.mu.Unlock()
	if past {
		return 0, &net.OpError{Op: "write", Err: errTimeout{}}
	}
	return len(b), nil
}

func (p *slowDeadlineConn) SetWriteDeadline(t time.Time) error {
	if !t.IsZero() && t.Before(time.Now()) {
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	p.past = !t.IsZero() && t.Before(time.Now())
	p.mu.Unlock()
	return nil
}

type errTimeout struct{}

func (errTimeout) Error() string   { return "i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }

// TestALateCancelDoesNotPoisonLaterWrites: a context cancelled while its
// write completes must not leave the past deadline its AfterFunc sets
// (late) on the socket, failing every later write.
func TestALateCancelDoesNotPoisonLaterWrites(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	pc := &slowDeadlineConn{Conn: a}
	c := newConn(pc, nil, pipeSettings(), "", Compression{})
	ctx, cancel := context.WithCancel(context.Background())
	pc.onWrite = cancel // cancelled while the bytes are handed off
	_ = c.Write(ctx, Binary, []byte("a"))
	time.Sleep(50 * time.Millisecond)
	if err := c.Write(context.Background(), Binary, []byte("b")); err != nil {
		t.Fatalf("a later write with no deadline fails: %v", err)
	}
}

// TestAFailedWriteKeepsTheFramesItTookFromTheQueue: Write sends what
// Send queued before its own message; when its context ends before
// anything reaches the socket, those frames stay queued, in order.
func TestAFailedWriteKeepsTheFramesItTookFromTheQueue(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newConn(a, nil, pipeSettings(), "", Compression{})
	w, err := c.Writer(context.Background(), Binary) // holds the writer lock
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(Binary, []byte("X")); err != nil { // queued behind the lock
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	werr := make(chan error, 1)
	go func() { werr <- c.Write(ctx, Binary, []byte("Y")) }()
	time.Sleep(50 * time.Millisecond) // Write waits for the lock
	go func() {
		var h [2]byte
		io.ReadFull(b, h[:]) // let only the streamed message's final (empty) frame through
	}()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := <-werr; err == nil {
		t.Fatal("the write nobody read succeeded")
	}
	got := readFrames(b)
	if err := c.Write(context.Background(), Binary, []byte("Z")); err != nil {
		t.Fatalf("later write: %v", err)
	}
	var seen []string
	for s := range got {
		seen = append(seen, s)
		if s == "Z" {
			break
		}
	}
	if len(seen) != 2 || seen[0] != "X" || seen[1] != "Z" {
		t.Fatalf("peer read %q, want Send's X then Z (the cancelled Y never sent)", seen)
	}
}

// TestAStreamedMessageCutShortEndsTheConnection: once part of a streamed
// message is on the wire, a write that fails leaves a fragment no later
// frame may follow, so the connection ends instead of sending a new
// message into the middle of the old one.
func TestAStreamedMessageCutShortEndsTheConnection(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newConn(a, nil, pipeSettings(), "", Compression{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := c.Writer(ctx, Binary)
	if err != nil {
		t.Fatal(err)
	}
	// The peer reads the first (32 KiB) frame only, then stalls.
	first := make(chan error, 1)
	go func() {
		var h [4]byte // 126-length form: 2 bytes + 16-bit length
		_, err := io.ReadFull(b, h[:])
		if err == nil {
			_, err = io.CopyN(io.Discard, b, int64(h[2])<<8|int64(h[3]))
		}
		first <- err
	}()
	if _, err := w.Write(make([]byte, streamFrameSize)); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := w.Write(make([]byte, streamFrameSize)); err == nil {
		t.Fatal("a frame nobody read was written")
	}
	w.Close()
	next, cancelNext := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelNext()
	err = c.Write(next, Binary, []byte("next"))
	if err == nil || next.Err() != nil {
		t.Fatalf("a write after a cut-short fragment: %v; want it refused at once (connection closed)", err)
	}
}

// TestADeclaredLengthIsNotAllocatedBeforeTheBytesArrive: a header alone
// declaring an 8 MiB message, followed by 10 bytes, costs the reader well
// under a megabyte; the whole message still arrives intact when sent.
func TestADeclaredLengthIsNotAllocatedBeforeTheBytesArrive(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	got := make(chan []byte, 1)
	set := pipeSettings()
	set.readLimit = 16 << 20
	set.onMessage = func(_ *Conn, _ MessageType, p []byte) { got <- p }
	c := newConn(a, nil, set, "", Compression{})
	const size = 8 << 20
	// A masked (client to server) binary frame with a 64-bit length and
	// an all-zero mask key, so the payload goes as is.
	hdr := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, size >> 16, 0, 0, 0, 0, 0, 0}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	go c.readLoop()
	if _, err := b.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the reader waits for the rest
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("%d KiB allocated for 10 bytes of an 8 MiB message", d>>10)
	}
	payload := make([]byte, size-10)
	for i := range payload {
		payload[i] = byte(i)
	}
	if _, err := b.Write(payload); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if len(p) != size || p[0] != 0 || p[10] != 0 || p[size-1] != byte((size-11)&0xff) {
			t.Errorf("message of %d bytes arrived altered", len(p))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the message never arrived")
	}
}
