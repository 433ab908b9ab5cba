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
			if got.Code != tt.code || got.Retryable != tt.retryable || got.Action != tt.action {
				t.Errorf("Classify(%v) = {%v retryable=%v %v}, want {%v retryable=%v %v}",
					tt.err, got.Code, got.Retryable, got.Action, tt.code, tt.retryable, tt.action)
			}
		})
	}
}

func TestErrorUnwrapsToItsCauseAndMatchesByCode(t *testing.T) {
	cause := opErr(syscall.ECONNREFUSED)
	err := fmt.Errorf("outer: %w", arsenal.E(arsenal.Unavailable, "redis", "get", cause))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Error("errors.Is does not reach the errno through *arsenal.Error")
	}
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Error("errors.As does not reach *net.OpError through *arsenal.Error")
	}
	if !errors.Is(err, &arsenal.Error{Code: arsenal.Unavailable}) {
		t.Error("errors.Is with a code-only target does not match")
	}
	if errors.Is(err, &arsenal.Error{Code: arsenal.NotFound}) {
		t.Error("errors.Is matched a different code")
	}
	if !errors.Is(err, &arsenal.Error{Code: arsenal.Unavailable, Component: "redis", Op: "get"}) {
		t.Error("errors.Is with component and op does not match")
	}
	if errors.Is(err, &arsenal.Error{Code: arsenal.Unavailable, Component: "s3"}) {
		t.Error("errors.Is matched a different component")
	}
	want := "redis: get: Unavailable: " + cause.Error()
	if got := errors.Unwrap(err).Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorfSetsTheCauseFromPercentW(t *testing.T) {
	err := arsenal.Errorf(arsenal.InvalidArgument, "sqlite", "bind", "parameter %q: %w", ":id", io.ErrShortBuffer)
	if !errors.Is(err, io.ErrShortBuffer) {
		t.Error("Errorf lost the %w cause")
	}
	if got, want := err.Error(), `sqlite: bind: InvalidArgument: parameter ":id": short buffer`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWrapKeepsCodesAndFillsComponentAndOp(t *testing.T) {
	if arsenal.Wrap("x", "y", nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
	w := arsenal.Wrap("redis", "get", opErr(syscall.ECONNRESET))
	var ae *arsenal.Error
	if !errors.As(w, &ae) || ae.Code != arsenal.Unavailable || ae.Component != "redis" || ae.Op != "get" {
		t.Errorf("Wrap of a reset = %#v", w)
	}
	inner := arsenal.E(arsenal.NotFound, "", "", nil)
	w = arsenal.Wrap("s3", "stat", inner)
	if !errors.As(w, &ae) || ae.Code != arsenal.NotFound || ae.Component != "s3" || ae.Op != "stat" {
		t.Errorf("Wrap of a coded error = %#v", w)
	}
	if inner.Component != "" {
		t.Error("Wrap modified the original error")
	}
}

func TestValidationListsEveryBadField(t *testing.T) {
	v := arsenal.Validation{Component: "s3"}
	if v.Err() != nil {
		t.Fatal("empty validation is an error")
	}
	v.Check(false, "PartSize", "must be at least %d MiB", 5)
	v.Check(true, "Region", "never")
	v.Add("Bucket", "is required")
	err := v.Err()
	if arsenal.CodeOf(err) != arsenal.InvalidArgument {
		t.Errorf("code = %v", arsenal.CodeOf(err))
	}
	var ce *arsenal.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("no ConfigError in %v", err)
	}
	if !ce.Has("PartSize") || !ce.Has("Bucket") || ce.Has("Region") || len(ce.Fields) != 2 {
		t.Errorf("fields = %v", ce.Fields)
	}
	if got, want := err.Error(), "s3: validate: InvalidArgument: invalid s3 config: PartSize: must be at least 5 MiB; Bucket: is required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
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
	if got := arsenal.CodeOf(fmt.Errorf("x: %w", fakeNative{503})); got != arsenal.Unavailable {
		t.Errorf("registered classifier not used: %v", got)
	}
	if got := arsenal.CodeOf(fakeNative{404}); got != arsenal.Unknown {
		t.Errorf("classifier claimed an error it should not: %v", got)
	}
	// Context errors win over any classifier.
	if got := arsenal.CodeOf(fmt.Errorf("%w %w", fakeNative{503}, context.Canceled)); got != arsenal.Canceled {
		t.Errorf("context error not first: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second RegisterClassifier with the same name did not panic")
		}
	}()
	arsenal.RegisterClassifier("test-fake", func(error) (arsenal.Code, bool) { return 0, false })
}

func TestCodeNamesAreStable(t *testing.T) {
	// Codes are never renumbered: this pins every value.
	want := map[arsenal.Code]string{0: "OK", 1: "Unknown", 2: "InvalidArgument", 3: "NotFound", 4: "AlreadyExists",
		5: "PermissionDenied", 6: "Unauthenticated", 7: "ResourceExhausted", 8: "FailedPrecondition", 9: "Aborted",
		10: "Unavailable", 11: "DeadlineExceeded", 12: "Canceled", 13: "DataLoss", 14: "Unimplemented", 15: "Internal"}
	for c, name := range want {
		if c.String() != name {
			t.Errorf("Code(%d).String() = %q, want %q", int(c), c.String(), name)
		}
	}
	if got := arsenal.Code(99).String(); got != "Code(99)" {
		t.Errorf("out of range code = %q", got)
	}
}
