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

// The actions Classify recommends.
const (
	ActionNone           Action = iota // no error: nothing to do
	ActionRetry                        // retry the same call after a backoff
	ActionReconnect                    // drop the connection, reconnect, then retry
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
	// Retry, when set, overrides the retryability Classify derives from Code.
	Retry *bool
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
	Code      Code
	Retryable bool   // the same call may succeed if tried again
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
	name string
	fn   Classifier
}

// RegisterClassifier adds a domain's translation of native errors, consulted
// by Classify for errors that are not already *Error. Domains call it from
// init; a second registration under the same name panics.
func RegisterClassifier(name string, fn Classifier) {
	classifiersMu.Lock()
	defer classifiersMu.Unlock()
	for _, c := range classifiers {
		if c.name == name {
			panic("arsenal: RegisterClassifier called twice for " + name)
		}
	}
	classifiers = append(classifiers, namedClassifier{name, fn})
}

// CodeOf returns the code of err: OK for nil, the code of the outermost
// *Error in its chain, else the code Classify derives.
func CodeOf(err error) Code { return Classify(err).Code }

// IsCode reports whether err classifies as code.
func IsCode(err error, code Code) bool { return CodeOf(err) == code }

// Classify tells the code of err, whether retrying may succeed, and what to
// do. Context cancellation is never retryable. It looks for, in order: an
// *Error in the chain; context errors; the registered domain classifiers;
// OS, network, TLS and DNS errors. It never matches message text.
func Classify(err error) Classification {
	if err == nil {
		return Classification{Code: OK, Action: ActionNone}
	}
	var ae *Error
	if errors.As(err, &ae) {
		c := classifyCode(ae.Code, err)
		if ae.Retry != nil {
			c.Retryable = *ae.Retry
			if !c.Retryable && c.Action != ActionReauthenticate {
				c.Action = ActionFail
			} else if c.Retryable && c.Action == ActionFail {
				c.Action = ActionRetry
			}
		}
		return c
	}
	return classifyCode(codeOfNative(err), err)
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
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller's own context ended: retrying under it cannot succeed.
		c.Action = ActionFail
		return c
	}
	switch code {
	case OK:
		c.Action = ActionNone
	case Unavailable:
		c.Retryable, c.Action = true, ActionReconnect
	case ResourceExhausted, Aborted:
		c.Retryable, c.Action = true, ActionRetry
	case DeadlineExceeded:
		// A network or server timeout: a new attempt may succeed.
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
