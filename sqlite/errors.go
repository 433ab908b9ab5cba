package sqlite

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"

	lib "modernc.org/sqlite/lib"
	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal"
)

// Kind is the component kind of every DB, and the Component field of every
// error this package returns.
const Kind = "sqlite"

func init() {
	arsenal.RegisterClassifier(Kind, func(err error) (arsenal.Code, bool) {
		rc, ok := resultCode(err)
		if !ok {
			return arsenal.Unknown, false
		}
		return codeForResult(rc), true
	})
}

// sqliteErrType is the type of zombiezen's (unexported) result-code error,
// found once so resultCode can ask errors.As for it.
var sqliteErrType = reflect.TypeOf(sqlite.ResultError.ToError())

// resultCode extracts SQLite's extended result code from err. ok is false
// when err carries none (sqlite.ErrCode alone cannot tell a generic
// SQLITE_ERROR from an error that is not SQLite's).
func resultCode(err error) (sqlite.ResultCode, bool) {
	if err == nil {
		return sqlite.ResultOK, false
	}
	if rc := sqlite.ErrCode(err); rc != sqlite.ResultError {
		return rc, true
	}
	target := reflect.New(sqliteErrType)
	if errors.As(err, target.Interface()) {
		return sqlite.ResultError, true
	}
	return sqlite.ResultOK, false
}

// codeForResult is the one translation of SQLite result codes to Arsenal
// codes. Extended codes are matched first, then primary codes.
func codeForResult(rc sqlite.ResultCode) arsenal.Code {
	switch rc {
	case sqlite.ResultConstraintUnique, sqlite.ResultConstraintPrimaryKey, sqlite.ResultConstraintRowID:
		return arsenal.AlreadyExists
	case sqlite.ResultConstraintNotNull, sqlite.ResultConstraintCheck, sqlite.ResultCode(lib.SQLITE_CONSTRAINT_DATATYPE):
		return arsenal.InvalidArgument
	case sqlite.ResultIOErrNoMem:
		return arsenal.ResourceExhausted
	case sqlite.ResultCode(lib.SQLITE_IOERR_CORRUPTFS):
		return arsenal.DataLoss
	case sqlite.ResultCantOpenIsDir:
		return arsenal.InvalidArgument
	}
	switch rc.ToPrimary() {
	case sqlite.ResultOK, sqlite.ResultRow, sqlite.ResultDone:
		return arsenal.OK
	case sqlite.ResultBusy, sqlite.ResultLocked, sqlite.ResultProtocol:
		return arsenal.Unavailable
	case sqlite.ResultConstraint:
		// FOREIGNKEY, TRIGGER, FUNCTION, VTAB, COMMITHOOK, PINNED: the
		// database is not in a state that allows the change.
		return arsenal.FailedPrecondition
	case sqlite.ResultReadOnly:
		return arsenal.FailedPrecondition
	case sqlite.ResultPerm, sqlite.ResultAuth:
		return arsenal.PermissionDenied
	case sqlite.ResultCantOpen:
		return arsenal.NotFound
	case sqlite.ResultCorrupt, sqlite.ResultNotADB, sqlite.ResultFormat:
		return arsenal.DataLoss
	case sqlite.ResultInterrupt:
		return arsenal.Canceled
	case sqlite.ResultFull, sqlite.ResultNoMem, sqlite.ResultTooBig:
		return arsenal.ResourceExhausted
	case sqlite.ResultError, sqlite.ResultRange, sqlite.ResultMismatch:
		// Syntax errors, unknown tables and columns, bad bindings.
		return arsenal.InvalidArgument
	case sqlite.ResultAbort, sqlite.ResultSchema:
		return arsenal.Aborted
	case sqlite.ResultIOErr:
		return arsenal.Unavailable
	case sqlite.ResultNotFound:
		return arsenal.NotFound
	case sqlite.ResultNoLFS:
		return arsenal.Unimplemented
	case sqlite.ResultMisuse, sqlite.ResultInternal, sqlite.ResultEmpty:
		return arsenal.Internal
	}
	return arsenal.Unknown
}

// wrapErr translates err from op once, at the package boundary. A context
// that has ended wins over SQLITE_INTERRUPT so a deadline reads as
// DeadlineExceeded. Errors that already are *arsenal.Error keep their code.
func wrapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		return arsenal.Wrap(Kind, op, err)
	}
	if rc, ok := resultCode(err); ok {
		code := codeForResult(rc)
		// A lock wait cut short by the context (busy.go) is the
		// context's error too.
		if (code == arsenal.Canceled || rc.ToPrimary() == sqlite.ResultBusy) && ctx != nil {
			if cerr := ctx.Err(); cerr != nil {
				return &arsenal.Error{Code: arsenal.CodeOf(cerr), Component: Kind, Op: op, Message: cleanMessage(err, rc), Err: cerr}
			}
		}
		e := &arsenal.Error{Code: code, Component: Kind, Op: op, Message: cleanMessage(err, rc), Err: err}
		if p := rc.ToPrimary(); p == sqlite.ResultBusy || p == sqlite.ResultLocked {
			// The statement could not take its lock and changed nothing:
			// safe to run again, whatever it is.
			e = e.WithRetry(true)
		}
		return e
	}
	if ctx != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return arsenal.E(arsenal.CodeOf(ctx.Err()), Kind, op, err)
	}
	return arsenal.E(arsenal.NativeCode(err), Kind, op, err)
}

// invalid builds an InvalidArgument error for bad input the caller gave.
func invalid(op, format string, args ...any) error {
	return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, format, args...)
}

// driverPrefix matches the "sqlite: step: " style prefixes zombiezen puts
// before its errors (also "sqlite: prepare \"...\": " with the query).
var driverPrefix = regexp.MustCompile(`sqlite: [a-z][a-z ]*(?: "(?:[^"\\]|\\.)*")?: `)

// cleanMessage is the text of a SQLite error for arsenal.Error's Message:
// the chain err carries without zombiezen's "sqlite: step: " prefixes (the
// component and operation are the arsenal.Error's own) and without the
// result code's generic text where SQLite's message says more ("constraint
// failed: UNIQUE constraint failed: users.email" becomes "UNIQUE
// constraint failed: users.email"), so each error reads as one chain
// with its code once.
func cleanMessage(err error, rc sqlite.ResultCode) string {
	msg := driverPrefix.ReplaceAllString(err.Error(), "")
	for _, generic := range []string{rc.Message(), rc.ToPrimary().Message()} {
		if generic == "" {
			continue
		}
		if i := strings.Index(msg, generic+": "); i >= 0 {
			msg = msg[:i] + msg[i+len(generic)+2:]
			break
		}
	}
	return msg
}
