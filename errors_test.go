package arsenal_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func opErr(errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}
}

func readErr(errno syscall.Errno) error {
	return &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: errno}}
}

func TestClassifyMapsOSAndNetworkErrorsToCodesAndActions(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      arsenal.Code
		retryable bool
		action    arsenal.Action
	}{
		{"nil is OK", nil, arsenal.OK, false, arsenal.ActionNone},
		{"a refused dial is safe to retry", opErr(syscall.ECONNREFUSED), arsenal.Unavailable, true, arsenal.ActionRetry},
		{"a reset dial is safe to retry", opErr(syscall.ECONNRESET), arsenal.Unavailable, true, arsenal.ActionRetry},
		{"a reset mid-exchange is not safe to retry", readErr(syscall.ECONNRESET), arsenal.Unavailable, false, arsenal.ActionFail},
		{"EPIPE on a write is not safe to retry", fmt.Errorf("write: %w", syscall.EPIPE), arsenal.Unavailable, false, arsenal.ActionFail},
		{"unexpected EOF mid-stream is not safe to retry", fmt.Errorf("read reply: %w", io.ErrUnexpectedEOF), arsenal.Unavailable, false, arsenal.ActionFail},
		{"EOF mid-stream is not safe to retry", fmt.Errorf("read reply: %w", io.EOF), arsenal.Unavailable, false, arsenal.ActionFail},
		{"a dial timeout is safe to retry", opErr(syscall.ETIMEDOUT), arsenal.DeadlineExceeded, true, arsenal.ActionRetry},
		{"a read timeout is not safe to retry", &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, arsenal.DeadlineExceeded, false, arsenal.ActionFail},
		{"os.ErrDeadlineExceeded mid-exchange is not safe to retry", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), arsenal.DeadlineExceeded, false, arsenal.ActionFail},
		{"context.DeadlineExceeded is never retried", fmt.Errorf("get: %w", context.DeadlineExceeded), arsenal.DeadlineExceeded, false, arsenal.ActionFail},
		{"context.Canceled is never retried", fmt.Errorf("get: %w", context.Canceled), arsenal.Canceled, false, arsenal.ActionFail},
		{"EACCES is permission denied", &os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, arsenal.PermissionDenied, false, arsenal.ActionFail},
		{"EPERM is permission denied", fmt.Errorf("bind: %w", syscall.EPERM), arsenal.PermissionDenied, false, arsenal.ActionFail},
		{"ENOENT is not found", &os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, arsenal.NotFound, false, arsenal.ActionFail},
		{"ENOSPC is resource exhausted", fmt.Errorf("write: %w", syscall.ENOSPC), arsenal.ResourceExhausted, true, arsenal.ActionRetry},
		{"DNS not found is not found", &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, arsenal.NotFound, false, arsenal.ActionFail},
		{"DNS temporary failure is unavailable and safe to retry", &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, arsenal.Unavailable, true, arsenal.ActionRetry},
		{"DNS timeout is a deadline", &net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, arsenal.DeadlineExceeded, true, arsenal.ActionRetry},
		{"unknown certificate authority is unauthenticated", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, arsenal.Unauthenticated, false, arsenal.ActionReauthenticate},
		{"hostname mismatch is unauthenticated", fmt.Errorf("tls: %w", x509.HostnameError{Host: "x"}), arsenal.Unauthenticated, false, arsenal.ActionReauthenticate},
		{"expired certificate is unauthenticated", x509.CertificateInvalidError{Reason: x509.Expired}, arsenal.Unauthenticated, false, arsenal.ActionReauthenticate},
		{"closed component is a failed precondition", arsenal.Closed("redis", "get"), arsenal.FailedPrecondition, false, arsenal.ActionFail},
		{"net.ErrClosed is a failed precondition", fmt.Errorf("read: %w", net.ErrClosed), arsenal.FailedPrecondition, false, arsenal.ActionFail},
		{"an unrecognised error is Unknown and not retried", errors.New("something odd"), arsenal.Unknown, false, arsenal.ActionFail},
		{"a coded error keeps its code", arsenal.E(arsenal.Aborted, "redis", "exec", nil), arsenal.Aborted, true, arsenal.ActionRetry},
		{"a wrapped coded error keeps its code", fmt.Errorf("outer: %w", arsenal.E(arsenal.NotFound, "s3", "get", nil)), arsenal.NotFound, false, arsenal.ActionFail},
		{"a coded error wrapping cancellation is never retried", arsenal.E(arsenal.Canceled, "sqlite", "query", context.Canceled), arsenal.Canceled, false, arsenal.ActionFail},
		{"an explicit retry override wins", arsenal.E(arsenal.Unknown, "x", "y", nil).WithRetry(true), arsenal.Unknown, true, arsenal.ActionRetry},
		{"an explicit no-retry override wins", arsenal.E(arsenal.Unavailable, "x", "y", opErr(syscall.ECONNREFUSED)).WithRetry(false), arsenal.Unavailable, false, arsenal.ActionFail},
		{"an idempotent operation lost mid-exchange is safe to retry when its domain says so", arsenal.E(arsenal.Unavailable, "redis", "get", io.ErrUnexpectedEOF).WithRetry(true), arsenal.Unavailable, true, arsenal.ActionRetry},
		{"an explicit action wins", &arsenal.Error{Code: arsenal.Unavailable, Component: "websocket", Op: "write", Err: io.EOF, Action: arsenal.ActionReconnect}, arsenal.Unavailable, false, arsenal.ActionReconnect},
		{"a retry override does not retry a cancelled call", arsenal.E(arsenal.Canceled, "redis", "get", context.Canceled).WithRetry(true), arsenal.Canceled, false, arsenal.ActionFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := arsenal.Classify(tt.err)
			assert.Equal(t, arsenal.Classification{Code: tt.code, Retryable: tt.retryable, Action: tt.action}, got, "Classify(%v)", tt.err)
		})
	}
}

func TestErrorUnwrapsToItsCauseAndMatchesByCode(t *testing.T) {
	cause := opErr(syscall.ECONNREFUSED)
	err := fmt.Errorf("outer: %w", arsenal.E(arsenal.Unavailable, "redis", "get", cause))
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "errors.Is does not reach the errno through *arsenal.Error")
	var oe *net.OpError
	assert.ErrorAs(t, err, &oe, "errors.As does not reach *net.OpError through *arsenal.Error")
	assert.ErrorIs(t, err, &arsenal.Error{Code: arsenal.Unavailable}, "errors.Is with a code-only target does not match")
	assert.NotErrorIs(t, err, &arsenal.Error{Code: arsenal.NotFound}, "errors.Is matched a different code")
	assert.ErrorIs(t, err, &arsenal.Error{Code: arsenal.Unavailable, Component: "redis", Op: "get"}, "errors.Is with component and op does not match")
	assert.NotErrorIs(t, err, &arsenal.Error{Code: arsenal.Unavailable, Component: "s3"}, "errors.Is matched a different component")
	assert.EqualError(t, errors.Unwrap(err), "redis: get: Unavailable: "+cause.Error())
}

func TestErrorfSetsTheCauseFromPercentW(t *testing.T) {
	err := arsenal.Errorf(arsenal.InvalidArgument, "sqlite", "bind", "parameter %q: %w", ":id", io.ErrShortBuffer)
	assert.ErrorIs(t, err, io.ErrShortBuffer, "Errorf lost the %w cause")
	assert.EqualError(t, err, `sqlite: bind: InvalidArgument: parameter ":id": short buffer`)
}

func TestWrapKeepsCodesAndFillsComponentAndOp(t *testing.T) {
	require.NoError(t, arsenal.Wrap("x", "y", nil), "Wrap(nil) is not nil")
	w := arsenal.Wrap("redis", "get", opErr(syscall.ECONNRESET))
	var ae *arsenal.Error
	require.ErrorAs(t, w, &ae)
	assert.Equal(t, arsenal.Unavailable, ae.Code, "Wrap of a reset = %#v", w)
	assert.Equal(t, "redis", ae.Component)
	assert.Equal(t, "get", ae.Op)
	inner := arsenal.E(arsenal.NotFound, "", "", nil)
	w = arsenal.Wrap("s3", "stat", inner)
	require.ErrorAs(t, w, &ae)
	assert.Equal(t, arsenal.NotFound, ae.Code, "Wrap of a coded error = %#v", w)
	assert.Equal(t, "s3", ae.Component)
	assert.Equal(t, "stat", ae.Op)
	assert.Empty(t, inner.Component, "Wrap modified the original error")
}

func TestValidationListsEveryBadField(t *testing.T) {
	v := arsenal.Validation{Component: "s3"}
	require.NoError(t, v.Err(), "empty validation is an error")
	v.Check(false, "PartSize", "must be at least %d MiB", 5)
	v.Check(true, "Region", "never")
	v.Add("Bucket", "is required")
	err := v.Err()
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))
	var ce *arsenal.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.Has("PartSize"))
	assert.True(t, ce.Has("Bucket"))
	assert.False(t, ce.Has("Region"))
	assert.Len(t, ce.Fields, 2)
	assert.EqualError(t, err, "s3: validate: InvalidArgument: invalid s3 config: PartSize: must be at least 5 MiB; Bucket: is required")
}

type fakeNative struct{ status int }

func (f fakeNative) Error() string { return fmt.Sprintf("status %d", f.status) }

func TestRegisteredClassifiersTranslateNativeErrors(t *testing.T) {
	arsenal.RegisterClassifier("test-fake", func(err error) (arsenal.Code, bool) {
		var f fakeNative
		if errors.As(err, &f) && f.status == 503 {
			return arsenal.Unavailable, true
		}
		return 0, false
	})
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(fmt.Errorf("x: %w", fakeNative{503})), "registered classifier not used")
	assert.Equal(t, arsenal.Unknown, arsenal.CodeOf(fakeNative{404}), "classifier claimed an error it should not")
	// Context errors win over any classifier.
	assert.Equal(t, arsenal.Canceled, arsenal.CodeOf(fmt.Errorf("%w %w", fakeNative{503}, context.Canceled)), "context error not first")
	assert.Panics(t, func() {
		arsenal.RegisterClassifier("test-fake", func(error) (arsenal.Code, bool) { return 0, false })
	}, "a second RegisterClassifier with the same name did not panic")
}

func TestCodeNamesAreStable(t *testing.T) {
	// Codes are never renumbered: this pins every value.
	want := map[arsenal.Code]string{0: "OK", 1: "Unknown", 2: "InvalidArgument", 3: "NotFound", 4: "AlreadyExists",
		5: "PermissionDenied", 6: "Unauthenticated", 7: "ResourceExhausted", 8: "FailedPrecondition", 9: "Aborted",
		10: "Unavailable", 11: "DeadlineExceeded", 12: "Canceled", 13: "DataLoss", 14: "Unimplemented", 15: "Internal"}
	for c, name := range want {
		assert.Equal(t, name, c.String(), "Code(%d)", int(c))
	}
	assert.Equal(t, "Code(99)", arsenal.Code(99).String(), "out of range code")
}
