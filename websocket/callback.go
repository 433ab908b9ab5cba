package websocket

import (
	"reflect"
	"runtime"

	"github.com/infra-arsenal/arsenal"
)

// Callbacks run inside one of two marker functions, callOpen and
// callMessage, which are never inlined: their frame on a goroutine's
// stack is the explicit mark of "this goroutine is inside one of c's
// callbacks". selfWait looks for it with runtime.Callers (a public,
// portable API), only while a callback is running (inCallback), so
// ordinary calls pay one atomic load.

//go:noinline
func (c *Conn) callOpen(f func(*Conn)) {
	c.inCallback.Store(true)
	defer c.inCallback.Store(false)
	f(c)
}

//go:noinline
func (c *Conn) callMessage(f func(*Conn, MessageType, []byte), typ MessageType, data []byte) {
	c.inCallback.Store(true)
	f(c, typ, data)
	c.inCallback.Store(false)
}

var (
	markOpen    = reflect.ValueOf((*Conn).callOpen).Pointer()
	markMessage = reflect.ValueOf((*Conn).callMessage).Pointer()
)

// inCallbackFrame reports whether the calling goroutine is inside
// callOpen or callMessage. The frame does not say which connection's
// callback it is, so a callback of one connection that waits on another
// connection at the very moment that one runs a callback fails fast too.
func inCallbackFrame() bool {
	var pcs [32]uintptr
	for skip := 2; ; skip += len(pcs) {
		n := runtime.Callers(skip, pcs[:])
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			if f.Entry == markOpen || f.Entry == markMessage {
				return true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return false
		}
	}
}

// selfWait fails a call that would wait for what only the read loop
// delivers (a pong, a message) when it is made from one of c's
// callbacks, on the goroutine the read loop needs to deliver it: the call
// could only end with its context. A call from another goroutine while a
// callback runs has no marker frame on its stack and still waits.
func (c *Conn) selfWait(op, what string) error {
	if c.inCallback.Load() && inCallbackFrame() {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, op,
			"called from a callback (OnOpen, OnMessage), which would wait for %s that only the read loop delivers once the callback returns; call it from another goroutine", what)
	}
	return nil
}
