package s3

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection, the client
// end wrapped by withRawIO.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	client = withRawIO(nc)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// The raw-I/O connection keeps net.Conn's contract: bytes both ways
// (small writes raw, large ones through net.Conn, reads capped per call),
// io.EOF at the peer's close, os.ErrDeadlineExceeded for a passed
// deadline (also one set while a Read waits), an error after Close, and
// ECONNRESET or EPIPE from a peer that reset the connection.
func TestRawIOKeepsTheNetConnContract(t *testing.T) {
	c, s := tcpPair(t)
	if _, raw := c.(*sysConn); !raw && runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		t.Fatalf("withRawIO returned %T, want *sysConn", c)
	}

	t.Run("bytes both ways", func(t *testing.T) {
		small := []byte("GET /k HTTP/1.1\r\n\r\n")
		big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16) // past rawIOMax: net.Conn's path
		go func() {
			c.Write(small)
			c.Write(big)
		}()
		got := make([]byte, len(small)+len(big))
		if _, err := io.ReadFull(s, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:len(small)], small) || !bytes.Equal(got[len(small):], big) {
			t.Fatal("the peer received other bytes than were written")
		}
		go s.Write(big)
		back := make([]byte, len(big))
		n, err := c.Read(back) // one call copies at most rawIOMax
		if err != nil || n == 0 || n > 64<<10 {
			t.Fatalf("first Read: %d bytes, %v", n, err)
		}
		if _, err := io.ReadFull(c, back[n:]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, big) {
			t.Fatal("read other bytes than the peer wrote")
		}
	})

	t.Run("deadline", func(t *testing.T) {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(make([]byte, 10))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read past its deadline: %v, want os.ErrDeadlineExceeded", err)
		}
		c.SetReadDeadline(time.Time{})
		done := make(chan error, 1)
		go func() {
			_, err := c.Read(make([]byte, 10))
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		c.SetDeadline(aLongTimeAgo) // as a cancelled context does
		select {
		case err := <-done:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("waiting Read after the deadline moved: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a waiting Read ignored the deadline")
		}
		c.SetDeadline(time.Time{})
	})

	t.Run("peer close is EOF", func(t *testing.T) {
		c, s := tcpPair(t)
		s.Close()
		if _, err := c.Read(make([]byte, 10)); err != io.EOF {
			t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
		}
	})

	t.Run("reset", func(t *testing.T) {
		c, s := tcpPair(t)
		s.(*net.TCPConn).SetLinger(0)
		s.Close() // RST
		time.Sleep(50 * time.Millisecond)
		_, rerr := c.Read(make([]byte, 10))
		_, werr := c.Write([]byte("x"))
		if !errors.Is(rerr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) && !errors.Is(werr, syscall.ECONNRESET) {
			t.Fatalf("after a reset: Read %v, Write %v; want ECONNRESET or EPIPE", rerr, werr)
		}
		if !staleConn(rerr) {
			t.Errorf("staleConn(%v) = false: a reused connection's reset would not be retried", rerr)
		}
	})

	t.Run("closed", func(t *testing.T) {
		c, _ := tcpPair(t)
		c.Close()
		if _, err := c.Read(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
		}
	})
}
