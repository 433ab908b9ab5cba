package arsenal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Code is the kind of failure an Arsenal error reports. The numbering is
// stable: codes are never renumbered, new codes are only appended.
type Code int

// The codes, after gRPC's and gocloud.dev's gcerrors. OK is the code of a nil
// error.
const (
	OK                 Code = 0  // no error
	Unknown            Code = 1  // the cause could not be classified
	InvalidArgument    Code = 2  // the caller gave bad input (config, query, parameter)
	NotFound           Code = 3  // a key, object, table or host does not exist
	AlreadyExists      Code = 4  // a create collided with something that exists
	PermissionDenied   Code = 5  // authenticated, but not allowed
	Unauthenticated    Code = 6  // credentials missing, wrong or expired
	ResourceExhausted  Code = 7  // out of memory, disk, quota, or a size limit hit
	FailedPrecondition Code = 8  // the system is not in the state the call needs (closed, read-only, wrong type)
	Aborted            Code = 9  // a concurrency conflict aborted the call (WATCH, transaction)
	Unavailable        Code = 10 // the server cannot be reached or is temporarily busy
	DeadlineExceeded   Code = 11 // the deadline passed before the call finished
	Canceled           Code = 12 // the caller cancelled the call
	DataLoss           Code = 13 // data is corrupt or unreadable
	Unimplemented      Code = 14 // the server or the library does not support the call
	Internal           Code = 15 // a broken invariant inside the library or the server
)

var codeNames = [...]string{
	OK: "OK", Unknown: "Unknown", InvalidArgument: "InvalidArgument", NotFound: "NotFound",
	AlreadyExists: "AlreadyExists", PermissionDenied: "PermissionDenied",
	Unauthenticated: "Unauthenticated", ResourceExhausted: "ResourceExhausted",
	FailedPrecondition: "FailedPrecondition", Aborted: "Aborted", Unavailable: "Unavailable",
	DeadlineExceeded: "DeadlineExceeded", Canceled: "Canceled", DataLoss: "DataLoss",
	Unimplemented: "Unimplemented", Internal: "Internal",
}

// String returns the code's name, such as "NotFound".
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Action is what a caller should do after an error.
type Action int

// The actions Classify recommends. A component that reconnects by itself
// (a redis.Client, an s3.Client, a sqlite.DB) never asks for
// ActionReconnect: its caller retries after a backoff, or fails. Only a
// component whose connection is gone for good, such as a websocket.Conn,
// asks the caller to open a new one.
const (
	ActionNone           Action = iota // no error: nothing to do
	ActionRetry                        // retry the same call after a backoff
	ActionReconnect                    // open a new connection (the old one is gone), then decide whether to resend
	ActionReauthenticate               // refresh credentials before trying again
	ActionFail                         // do not retry: report the error
)

// String returns the action's name, such as "retry".
func (a Action) String() string {
	switch a {
	case ActionNone:
		return "none"
	case ActionRetry:
		return "retry"
	case ActionReconnect:
		return "reconnect"
	case ActionReauthenticate:
		return "reauthenticate"
	case ActionFail:
		return "fail"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Error is the one error type Arsenal returns. It carries a Code, the
// component kind and operation that failed, and the underlying cause, to
// which errors.Is and errors.As see through.
type Error struct {
	Code      Code   // what kind of failure
	Component string // component kind, such as "redis"; may be empty
	Op        string // operation, such as "get" or "open"; may be empty
	Message   string // optional detail for the reader; never holds secrets
	Err       error  // the cause; may be nil
	// Retry, when set, says whether the call is safe to retry, overriding
	// what Classify derives from Code and the cause. A domain sets it when
	// it knows better: the operation is idempotent (a Redis GET, an S3 PUT
	// of a whole object), or the request provably never left the process.
	Retry *bool
	// Action, when not ActionNone, is the action Classify recommends,
	// overriding the one it derives.
	Action Action
}

// E builds an *Error. A nil cause with an empty message is allowed (the
// code then says everything).
func E(code Code, component, op string, err error) *Error {
	return &Error{Code: code, Component: component, Op: op, Err: err}
}

// Errorf builds an *Error whose message is formatted like fmt.Errorf; a %w
// verb in format sets the cause.
func Errorf(code Code, component, op, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	e := &Error{Code: code, Component: component, Op: op, Message: wrapped.Error()}
	if u := errors.Unwrap(wrapped); u != nil {
		e.Err = u
	}
	return e
}

// WithRetry returns a copy of e whose retryability is set explicitly.
func (e *Error) WithRetry(retry bool) *Error {
	c := *e
	c.Retry = &retry
	return &c
}

// Error renders "component: op: Code: message: cause".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Component != "" {
		b.WriteString(e.Component)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Code.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code (and, where the
// target names them, the same component and operation), so
// errors.Is(err, &arsenal.Error{Code: arsenal.NotFound}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Component == "" || t.Component == e.Component) && (t.Op == "" || t.Op == e.Op)
}

// ErrClosed is the cause of every call made on a component after Close. Its
// code is FailedPrecondition.
var ErrClosed = errors.New("arsenal: component is closed")

// Closed returns the coded error a closed component returns from op.
func Closed(component, op string) *Error {
	return &Error{Code: FailedPrecondition, Component: component, Op: op, Err: ErrClosed}
}

// FieldError names one bad configuration field and what is wrong with it.
type FieldError struct {
	Field   string // the Config field, such as "PartSize"
	Problem string // what is wrong, such as "must be at least 5 MiB"
}

func (f FieldError) String() string { return f.Field + ": " + f.Problem }

// ConfigError lists every bad field of a configuration. Validate methods
// return it wrapped in an *Error with code InvalidArgument.
type ConfigError struct {
	Component string
	Fields    []FieldError
}

func (c *ConfigError) Error() string {
	parts := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		parts[i] = f.String()
	}
	return "invalid " + c.Component + " config: " + strings.Join(parts, "; ")
}

// Has reports whether field is among the bad fields.
func (c *ConfigError) Has(field string) bool {
	return slices.ContainsFunc(c.Fields, func(f FieldError) bool { return f.Field == field })
}

// Validation collects field problems; its Err method returns nil when there
// are none. The zero value is ready to use.
type Validation struct {
	Component string
	fields    []FieldError
}

// Add records a problem with field; the problem is formatted like fmt.Sprintf.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// Check records problem for field when ok is false.
func (v *Validation) Check(ok bool, field, format string, args ...any) {
	if !ok {
		v.Add(field, format, args...)
	}
}

// Err returns nil, or an *Error with code InvalidArgument, op "validate",
// wrapping a *ConfigError that lists every problem.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	ce := &ConfigError{Component: v.Component, Fields: slices.Clone(v.fields)}
	return &Error{Code: InvalidArgument, Component: v.Component, Op: "validate", Err: ce}
}

// Classification is what Classify concludes about an error.
type Classification struct {
	Code Code
	// Retryable reports that the same call is safe to try again: the
	// request provably never left the process (a refused dial, a closed
	// pool), the server refused it without applying it (a conflict, a
	// throttle), or the operation is idempotent and its domain says so.
	// A connection lost mid-exchange is not retryable by itself: the
	// server may have applied the request (an INCR, an INSERT). This is
	// pgconn's SafeToRetry and database/sql's ErrBadConn rule.
	Retryable bool
	Action    Action // what the caller should do
}

// Classifier translates a domain's native errors. It returns ok=false for
// errors it does not recognise.
type Classifier func(err error) (code Code, ok bool)

var (
	classifiersMu sync.RWMutex
	classifiers   []namedClassifier
)

type namedClassifier struct {
	name  string
	fn    Classifier
	retry RetryClassifier
}

// RetryClassifier tells, for a native error its domain recognises, whether
// a call that failed with it is safe to retry even when the operation is
// not idempotent: true when the server refused the request without
// applying it (a Redis LOADING or TRYAGAIN reply, an S3 SlowDown, a
// SQLite lock not taken). It returns ok=false to leave the decision to
// Classify's default (safe only when the request never left the process).
type RetryClassifier func(err error) (safe, ok bool)

// RegisterRetryClassifier adds a domain's retry judgement of its native
// errors beside its Classifier (see RegisterClassifier, whose name it
// shares). Domains call it from init; a second registration panics.
func RegisterRetryClassifier(name string, fn RetryClassifier) {
	classifiersMu.Lock()
	defer classifiersMu.Unlock()
	for i, c := range classifiers {
		if c.name == name {
			if c.retry != nil {
				panic("arsenal: RegisterRetryClassifier called twice for " + name)
			}
			classifiers[i].retry = fn
			return
		}
	}
	classifiers = append(classifiers, namedClassifier{name: name, retry: fn})
}

// nativeSafe asks the registered retry classifiers about err.
func nativeSafe(err error) (safe, ok bool) {
	classifiersMu.RLock()
	cs := classifiers
	classifiersMu.RUnlock()
	for _, c := range cs {
		if c.retry == nil {
			continue
		}
		if safe, ok := c.retry(err); ok {
			return safe, true
		}
	}
	return false, false
}

// RegisterClassifier adds a domain's translation of native errors, consulted
// by Classify for errors that are not already *Error. Domains call it from
// init; a second registration under the same name panics.
func RegisterClassifier(name string, fn Classifier) {
	classifiersMu.Lock()
	defer classifiersMu.Unlock()
	for i, c := range classifiers {
		if c.name == name {
			if c.fn != nil {
				panic("arsenal: RegisterClassifier called twice for " + name)
			}
			classifiers[i].fn = fn
			return
		}
	}
	classifiers = append(classifiers, namedClassifier{name: name, fn: fn})
}

// CodeOf returns the code of err: OK for nil, the code of the outermost
// *Error in its chain, else the code Classify derives.
func CodeOf(err error) Code { return Classify(err).Code }

// IsCode reports whether err classifies as code.
func IsCode(err error, code Code) bool { return CodeOf(err) == code }

// Classify tells the code of err, whether it is safe to retry, and what to
// do. Context cancellation is never retryable. It looks for, in order: an
// *Error in the chain (whose Retry and Action, when set, decide); context
// errors; the registered domain classifiers; OS, network, TLS and DNS
// errors. It never matches message text.
func Classify(err error) Classification {
	if err == nil {
		return Classification{Code: OK, Action: ActionNone}
	}
	var ae *Error
	if errors.As(err, &ae) {
		c := classifyCode(ae.Code, err)
		if ae.Retry != nil && !isContextErr(err) {
			c.Retryable = *ae.Retry
			switch {
			case c.Retryable:
				c.Action = ActionRetry
			case c.Action != ActionReauthenticate:
				c.Action = ActionFail
			}
		}
		if ae.Action != ActionNone && !isContextErr(err) {
			c.Action = ae.Action
		}
		return c
	}
	return classifyCode(codeOfNative(err), err)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// NeverSent reports whether err shows that a request cannot have reached
// the server: the connection was never made (a dial that failed or was
// refused, a host that did not resolve). Domains use it to decide
// Retryable for operations that are not idempotent.
func NeverSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

func codeOfNative(err error) Code {
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return DeadlineExceeded
	}
	classifiersMu.RLock()
	cs := classifiers
	classifiersMu.RUnlock()
	for _, c := range cs {
		if c.fn == nil {
			continue
		}
		if code, ok := c.fn(err); ok {
			return code
		}
	}
	return NativeCode(err)
}

// NativeCode classifies OS, network, TLS and DNS errors without consulting
// domain classifiers. Domains use it as their fallback.
func NativeCode(err error) Code {
	if err == nil {
		return OK
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return DeadlineExceeded
	case errors.Is(err, ErrClosed), errors.Is(err, net.ErrClosed):
		return FailedPrecondition
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return NotFound
		}
		if dnsErr.IsTimeout {
			return DeadlineExceeded
		}
		return Unavailable
	}
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInvalid x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInvalid), errors.As(err, &verifyErr):
		return Unauthenticated
	case errors.As(err, &recordErr):
		return Unavailable
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
			syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ENETDOWN, syscall.EHOSTDOWN,
			syscall.ENOTCONN, syscall.ESHUTDOWN:
			return Unavailable
		case syscall.ETIMEDOUT:
			return DeadlineExceeded
		case syscall.EACCES, syscall.EPERM, syscall.EROFS:
			return PermissionDenied
		case syscall.ENOENT:
			return NotFound
		case syscall.EEXIST:
			return AlreadyExists
		case syscall.ENOSPC, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.EDQUOT:
			return ResourceExhausted
		case syscall.EINVAL:
			return InvalidArgument
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return DeadlineExceeded
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		// EOF in the middle of a request/response exchange: the peer went away.
		return Unavailable
	case errors.Is(err, os.ErrNotExist):
		return NotFound
	case errors.Is(err, os.ErrPermission):
		return PermissionDenied
	case errors.Is(err, os.ErrExist):
		return AlreadyExists
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return Unavailable
	}
	return Unknown
}

func classifyCode(code Code, err error) Classification {
	c := Classification{Code: code}
	if isContextErr(err) {
		// The caller's own context ended: retrying under it cannot succeed.
		c.Action = ActionFail
		return c
	}
	if safe, ok := nativeSafe(err); ok && code != OK {
		c.Retryable = safe
		switch {
		case safe:
			c.Action = ActionRetry
		case code == Unauthenticated:
			c.Action = ActionReauthenticate
		default:
			c.Action = ActionFail
		}
		return c
	}
	switch code {
	case OK:
		c.Action = ActionNone
	case Unavailable, DeadlineExceeded:
		// Safe only when the request never left: a reset or a timeout
		// mid-exchange may follow a request the server applied.
		if NeverSent(err) {
			c.Retryable, c.Action = true, ActionRetry
		} else {
			c.Action = ActionFail
		}
	case ResourceExhausted, Aborted:
		// Refused by the server (throttled, out of space, a conflict):
		// nothing was applied, and a later attempt may succeed.
		c.Retryable, c.Action = true, ActionRetry
	case Unauthenticated:
		c.Action = ActionReauthenticate
	default:
		c.Action = ActionFail
	}
	return c
}

// Wrap returns err as an *Error of component and op. An err that is already
// an *Error keeps its code (and gains component and op where empty); other
// errors are classified with Classify. A nil err gives nil.
func Wrap(component, op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		if ae.Component != "" && ae.Op != "" {
			return err
		}
		c := *ae
		if c.Component == "" {
			c.Component = component
		}
		if c.Op == "" {
			c.Op = op
		}
		return &c
	}
	return &Error{Code: Classify(err).Code, Component: component, Op: op, Err: err}
}
