package websocket

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/gobwas/ws"
)

func (c *Conn) setTerm(err error) {
	c.termMu.Lock()
	if c.term == nil {
		c.term = err
	}
	c.termMu.Unlock()
}

// fail ends the connection because of err: a protocol violation sends its
// close code first. It returns the coded error to report.
func (c *Conn) fail(err error) error {
	var pe *protocolError
	if errors.As(err, &pe) {
		c.setTerm(&CloseError{Code: pe.code, Reason: pe.reason})
		if c.closeSent.CompareAndSwap(false, true) {
			c.writeControlNow(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(pe.code), truncateReason(pe.reason)), time.Second)
		}
		c.lingerClose()
		return translate("read", c.termErr())
	}
	if err == errPeerClosed {
		return translate("read", c.termErr())
	}
	c.setTerm(err)
	_ = c.nc.Close()
	return translate("read", c.termErr())
}

// lingerClose half-closes the socket and drains what the peer is still
// sending (for up to a second), so the close frame just written is not
// destroyed by a TCP reset answering unread data.
func (c *Conn) lingerClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		_ = c.nc.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.CopyN(io.Discard, c.nc, 64<<20)
	}
	_ = c.nc.Close()
}

func (c *Conn) termErr() error {
	c.termMu.Lock()
	defer c.termMu.Unlock()
	return c.term
}

func (c *Conn) finish() {
	_ = c.nc.Close()
	c.setTerm(&CloseError{Code: StatusAbnormalClosure, Remote: true})
	c.closingOne.Do(func() { close(c.closing) })
	if c.srv != nil {
		// Leave the server (and its topics) before done is closed, so
		// that one who waits for Done sees the server's counts without it.
		c.srv.remove(c)
	}
	// The disconnect event and log come before done, so that one who
	// waited for Close or Done has seen them.
	c.ended()
	close(c.done)
	if c.inbox != nil {
		close(c.inbox)
	}
	c.pongMu.Lock()
	for k, ch := range c.pongWait {
		close(ch)
		delete(c.pongWait, k)
	}
	c.pongMu.Unlock()
	c.qmu.Lock()
	c.queue, c.queued = nil, 0
	c.qmu.Unlock()
	if c.set.onClose != nil {
		code, reason := StatusAbnormalClosure, ""
		var ce *CloseError
		if errors.As(c.termErr(), &ce) {
			code, reason = ce.Code, ce.Reason
		}
		c.set.onClose(c, code, reason)
	}
}

// Close closes the connection with 1000 (normal closure); see CloseWith.
func (c *Conn) Close() error { return c.CloseWith(StatusNormalClosure, "") }

// CloseWith runs the closing handshake: it sends a close frame with code
// and reason (at most 123 bytes), waits up to the close timeout for the
// peer's close frame, then closes the socket. It is idempotent; every
// later call on the connection fails with FailedPrecondition.
func (c *Conn) CloseWith(code StatusCode, reason string) error {
	if c.set.obs != nil {
		ctx, st := c.opBegin(context.Background(), "close", "")
		c.closeWith(code, reason)
		c.opFinish(ctx, st, nil, 0, 0)
		return nil
	}
	c.closeWith(code, reason)
	return nil
}

func (c *Conn) closeWith(code StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.userClosed.Store(true)
		if code != StatusNoStatus && !validWireCode(code) {
			code = StatusNormalClosure
		}
		select {
		case <-c.done:
		default:
			c.setTerm(&CloseError{Code: code, Reason: reason})
			if c.closeSent.CompareAndSwap(false, true) {
				var body []byte
				if code != StatusNoStatus {
					body = ws.NewCloseFrameBody(ws.StatusCode(code), truncateReason(reason))
				}
				c.writeControlNow(ws.OpClose, body, c.set.closeTimeout)
			}
			c.closingOne.Do(func() { close(c.closing) })
			if c.inCallback.Load() {
				// Called from a callback on the read loop, which must go
				// on to read the peer's close frame: do not wait for it.
				time.AfterFunc(c.set.closeTimeout, func() { _ = c.nc.Close() })
				return
			}
			t := time.NewTimer(c.set.closeTimeout)
			select {
			case <-c.done:
			case <-t.C:
			}
			t.Stop()
			_ = c.nc.Close()
		}
		if !c.inCallback.Load() {
			<-c.done
		}
	})
}
