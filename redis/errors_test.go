package redis_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// serverError builds the *rueidis.RedisError a server reply "-msg" gives,
// through rueidis's own (cache) decoding of a RESP error message.
func serverError(t *testing.T, msg string) error {
	t.Helper()
	buf := make([]byte, 7, 7+9+len(msg))
	buf = append(buf, '-')
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(msg)))
	buf = append(buf, msg...)
	var m rueidis.RedisMessage
	if err := m.CacheUnmarshalView(buf); err != nil {
		t.Fatal(err)
	}
	err := rueidis.NewResult(m, nil).Error()
	if _, ok := rueidis.IsRedisErr(err); !ok {
		t.Fatalf("%q did not decode to a RedisError: %v", msg, err)
	}
	return err
}

func TestErrorTranslationTable(t *testing.T) {
	tests := []struct {
		name      string
		err       func(t *testing.T) error
		code      arsenal.Code
		retryable bool
	}{
		{"nil reply is NotFound", func(*testing.T) error { return rueidis.Nil }, arsenal.NotFound, false},
		{"NOAUTH is Unauthenticated", func(t *testing.T) error { return serverError(t, "NOAUTH Authentication required.") }, arsenal.Unauthenticated, false},
		{"WRONGPASS is Unauthenticated", func(t *testing.T) error { return serverError(t, "WRONGPASS invalid username-password pair") }, arsenal.Unauthenticated, false},
		{"NOPERM is PermissionDenied", func(t *testing.T) error { return serverError(t, "NOPERM this user has no permissions") }, arsenal.PermissionDenied, false},
		{"WRONGTYPE is FailedPrecondition", func(t *testing.T) error { return serverError(t, "WRONGTYPE Operation against a key") }, arsenal.FailedPrecondition, false},
		{"READONLY is FailedPrecondition", func(t *testing.T) error {
			return serverError(t, "READONLY You can't write against a read only replica.")
		}, arsenal.FailedPrecondition, false},
		{"LOADING is retryable Unavailable", func(t *testing.T) error { return serverError(t, "LOADING Redis is loading the dataset in memory") }, arsenal.Unavailable, true},
		{"BUSY is retryable Unavailable", func(t *testing.T) error { return serverError(t, "BUSY Redis is busy running a script.") }, arsenal.Unavailable, true},
		{"TRYAGAIN is retryable Unavailable", func(t *testing.T) error { return serverError(t, "TRYAGAIN Multiple keys request during rehashing") }, arsenal.Unavailable, true},
		{"MASTERDOWN is retryable Unavailable", func(t *testing.T) error { return serverError(t, "MASTERDOWN Link with MASTER is down") }, arsenal.Unavailable, true},
		{"CLUSTERDOWN is retryable Unavailable", func(t *testing.T) error { return serverError(t, "CLUSTERDOWN The cluster is down") }, arsenal.Unavailable, true},
		{"OOM is ResourceExhausted", func(t *testing.T) error {
			return serverError(t, "OOM command not allowed when used memory > 'maxmemory'.")
		}, arsenal.ResourceExhausted, true},
		{"ERR syntax error is InvalidArgument", func(t *testing.T) error { return serverError(t, "ERR syntax error") }, arsenal.InvalidArgument, false},
		{"ERR arity is InvalidArgument", func(t *testing.T) error {
			return serverError(t, "ERR wrong number of arguments for 'get' command")
		}, arsenal.InvalidArgument, false},
		{"NOSCRIPT is NotFound", func(t *testing.T) error { return serverError(t, "NOSCRIPT No matching script.") }, arsenal.NotFound, false},
		{"BUSYGROUP is AlreadyExists", func(t *testing.T) error { return serverError(t, "BUSYGROUP Consumer Group name already exists") }, arsenal.AlreadyExists, false},
		{"EXECABORT is InvalidArgument", func(t *testing.T) error { return serverError(t, "EXECABORT Transaction discarded") }, arsenal.InvalidArgument, false},
		{"an unknown typed prefix is Unknown", func(t *testing.T) error { return serverError(t, "SOMETHINGNEW happened") }, arsenal.Unknown, false},
		{"connection refused is Unavailable", func(*testing.T) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}, arsenal.Unavailable, true},
		{"a reset mid-exchange is Unavailable, not safe to retry whatever the command", func(*testing.T) error {
			return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
		}, arsenal.Unavailable, false},
		{"EOF mid-reply is Unavailable, not safe to retry whatever the command", func(*testing.T) error { return io.EOF }, arsenal.Unavailable, false},
		{"an I/O timeout is DeadlineExceeded, not safe to retry whatever the command", func(*testing.T) error { return fmt.Errorf("read: %w", os.ErrDeadlineExceeded) }, arsenal.DeadlineExceeded, false},
		{"a call made while disconnected was never sent", func(*testing.T) error { return redis.ErrDisconnected }, arsenal.Unavailable, true},
		{"NOREPLICAS may follow an applied write", func(t *testing.T) error { return serverError(t, "NOREPLICAS Not enough good replicas to write.") }, arsenal.Unavailable, false},
		{"the caller's deadline is DeadlineExceeded, not retryable", func(*testing.T) error { return context.DeadlineExceeded }, arsenal.DeadlineExceeded, false},
		{"cancellation is Canceled", func(*testing.T) error { return context.Canceled }, arsenal.Canceled, false},
		{"rueidis closing is Unavailable", func(*testing.T) error { return rueidis.ErrClosing }, arsenal.Unavailable, false},
		{"a server without tracking is Unimplemented", func(*testing.T) error { return rueidis.ErrNoCache }, arsenal.Unimplemented, false},
		{"a transaction conflict is Aborted", func(*testing.T) error { return redis.ErrTxAborted }, arsenal.Aborted, true},
	}
	for _, tt := range tests {
		err := tt.err(t)
		// Classify consults the classifier the package registers.
		cl := arsenal.Classify(err)
		if cl.Code != tt.code {
			t.Errorf("%s: code %v, want %v", tt.name, cl.Code, tt.code)
		}
		if cl.Retryable != tt.retryable {
			t.Errorf("%s: retryable %v, want %v", tt.name, cl.Retryable, tt.retryable)
		}
		if errors.Is(err, context.Canceled) && cl.Retryable {
			t.Errorf("%s: a cancellation must never be retryable", tt.name)
		}
	}
}
