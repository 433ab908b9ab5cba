//go:build linux && (amd64 || arm64)

package s3

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// sysConn reads and writes a TCP connection's non-blocking socket with
// raw system calls through its syscall.RawConn, waiting for readiness
// (and honouring deadlines and Close) exactly as net.Conn does. The
// difference is the calls themselves: the runtime wraps each net.Conn
// read and write in entersyscall/exitsyscall, and on a client that goes
// idle between responses every such call wakes the runtime's monitor
// thread (sysmon), a futex wake and a run of 20 µs sleeps: two context
// switches per small request, a sizeable share of the client's CPU. A
// non-blocking read or write returns at once, so it needs no scheduler
// hand-off; reads and writes are kept to rawIOMax bytes per call (larger
// writes go through net.Conn) so that no call holds its thread for long.
type sysConn struct {
	net.Conn
	rc syscall.RawConn
}

// withRawIO returns nc reading and writing through sysConn when it is a
// TCP connection, nc itself otherwise.
func withRawIO(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	return &sysConn{Conn: nc, rc: rc}
}

// rawIOMax bounds the bytes one raw system call copies.
const rawIOMax = 64 << 10

func (c *sysConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	p = p[:min(len(p), rawIOMax)]
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait for the socket to be readable
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *sysConn) Write(p []byte) (int, error) {
	if len(p) > rawIOMax {
		return c.Conn.Write(p)
	}
	written := 0
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for written < len(p) {
			// send with MSG_NOSIGNAL: a peer that closed gives EPIPE, no SIGPIPE.
			r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written),
				syscall.MSG_NOSIGNAL, 0, 0)
			switch e {
			case 0:
				written += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait for room in the socket's buffer
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return written, c.opError("write", err)
	case errno != 0:
		return written, c.opError("write", errno)
	}
	return written, nil
}

// opError wraps err as net.Conn's methods do.
func (c *sysConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
