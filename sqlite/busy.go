package sqlite

import (
	"sync"
	"time"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// SQLite's own busy_timeout handler sleeps until the timeout whatever
// happens: sqlite3_interrupt does not stop it, so a statement waiting on
// another process's (or another handle's) lock ignored its context's
// deadline for up to Config.BusyTimeout. busyHandler is the same wait
// (the same back-off, the same total) that also ends as soon as the
// context of the running statement is done, or the connection is
// interrupted (Close); the statement then fails with SQLITE_BUSY, which
// wrapErr reports as the context's error.

// busyConns maps a connection's sqlite3* to its *conn for busyCallback.
var busyConns sync.Map

// busyDelays is SQLite's back-off (sqliteDefaultBusyCallback), and
// busyTotals the time slept before each of its steps.
var (
	busyDelays = [...]time.Duration{1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100}
	busyTotals = [...]time.Duration{0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228}
)

// busyCallbackPtr is busyCallback as a C function pointer (the layout
// zombiezen.com/go/sqlite relies on too: a func value is a pointer to its
// code pointer).
var busyCallbackPtr = func() uintptr {
	f := busyCallback
	return *(*uintptr)(unsafe.Pointer(&struct {
		f func(*libc.TLS, uintptr, int32) int32
	}{f}))
}()

func busyCallback(tls *libc.TLS, pArg uintptr, count int32) int32 {
	v, _ := busyConns.Load(pArg)
	cn, _ := v.(*conn)
	if cn == nil || !cn.busyWait(tls, int(count)) {
		return 0
	}
	return 1
}

// installBusy sets cn's busy handler (BusyTimeout, cut short by the
// statement's context).
func (cn *conn) installBusy() {
	if !rawOK {
		cn.c.SetBusyTimeout(cn.db.cfg.BusyTimeout)
		return
	}
	tls, p := rawConn(cn.c)
	cn.cptr = p
	busyConns.Store(p, cn)
	lib.Xsqlite3_busy_handler(tls, p, busyCallbackPtr, p)
}

// uninstallBusy forgets cn once its connection has closed. The address
// may already serve a new connection, whose entry stays.
func (cn *conn) uninstallBusy() {
	if cn.cptr != 0 {
		busyConns.CompareAndDelete(cn.cptr, cn)
		cn.cptr = 0
	}
}

// busyWait sleeps before retry number count+1 of a lock and reports
// whether to retry. It runs on the goroutine stepping the statement, the
// one holding cn, so it reads cn.busyDone without a lock.
func (cn *conn) busyWait(tls *libc.TLS, count int) bool {
	timeout := cn.db.cfg.BusyTimeout
	var prior, delay time.Duration
	if n := len(busyDelays); count < n {
		delay, prior = busyDelays[count]*time.Millisecond, busyTotals[count]*time.Millisecond
	} else {
		delay = busyDelays[n-1] * time.Millisecond
		prior = (busyTotals[n-1]+busyDelays[n-1])*time.Millisecond + delay*time.Duration(count-n)
	}
	if prior >= timeout {
		return false
	}
	if prior+delay > timeout {
		delay = timeout - prior
	}
	if lib.Xsqlite3_is_interrupted(tls, cn.cptr) != 0 {
		return false
	}
	done := cn.busyDone
	if done == nil {
		time.Sleep(delay)
		return true
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}
