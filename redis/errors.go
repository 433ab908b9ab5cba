package redis

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

// ErrNil is the cause of the NotFound error a typed method returns when the
// server replies nil where the method promises a value (GET of a missing
// key, HGET of a missing field, LPOP of an empty list ...). Test with
// IsNotFound, errors.Is(err, ErrNil) or arsenal.IsCode(err, arsenal.NotFound).
var ErrNil = errors.New("redis: nil reply (no such key or field)")

// ErrTxAborted is the cause of the Aborted error a transaction returns when
// a WATCHed key changed before EXEC.
var ErrTxAborted = errors.New("redis: transaction aborted: a watched key changed")

// ErrDisconnected is the cause of the Unavailable error calls return while
// the client is disconnected and cannot wait (offline queue off, automatic
// reconnection off, or MaxRetries reconnect attempts failed).
var ErrDisconnected = errors.New("redis: not connected")

// errCommandTimeout is the cause of the context a call without a deadline
// runs under (Config.CommandTimeout).
var errCommandTimeout = errors.New("redis: Config.CommandTimeout passed")

// IsNotFound reports whether err says a key or field does not exist.
func IsNotFound(err error) bool { return arsenal.IsCode(err, arsenal.NotFound) }

// serverErrorCodes maps the first word of a Redis error reply (its typed
// prefix, as the Redis protocol defines it) to a code.
var serverErrorCodes = map[string]arsenal.Code{
	"ERR":          arsenal.InvalidArgument, // syntax, arity, bad values
	"WRONGTYPE":    arsenal.FailedPrecondition,
	"NOAUTH":       arsenal.Unauthenticated,
	"WRONGPASS":    arsenal.Unauthenticated,
	"NOPERM":       arsenal.PermissionDenied,
	"LOADING":      arsenal.Unavailable,
	"BUSY":         arsenal.Unavailable,
	"TRYAGAIN":     arsenal.Unavailable,
	"MASTERDOWN":   arsenal.Unavailable,
	"CLUSTERDOWN":  arsenal.Unavailable,
	"NOREPLICAS":   arsenal.Unavailable,
	"MISCONF":      arsenal.Unavailable,
	"MOVED":        arsenal.Unavailable,
	"ASK":          arsenal.Unavailable,
	"OOM":          arsenal.ResourceExhausted,
	"READONLY":     arsenal.FailedPrecondition,
	"NOSCRIPT":     arsenal.NotFound,
	"NOGROUP":      arsenal.NotFound,
	"BUSYGROUP":    arsenal.AlreadyExists,
	"BUSYKEY":      arsenal.AlreadyExists,
	"EXECABORT":    arsenal.InvalidArgument, // a queued command was invalid
	"CROSSSLOT":    arsenal.InvalidArgument,
	"NOTBUSY":      arsenal.FailedPrecondition,
	"UNBLOCKED":    arsenal.Aborted,
	"UNKILLABLE":   arsenal.FailedPrecondition,
	"NOPROTO":      arsenal.Unimplemented,
	"NOTREADONLY":  arsenal.FailedPrecondition,
	"NOMASTERLINK": arsenal.Unavailable,
}

// genericReply marks a server error reply of the generic ERR type. rueidis
// removes the "ERR " prefix from the error's text, so that "ERR DB index is
// out of range" reads "DB index is out of range" and could not otherwise be
// told apart from a typed error such as WRONGTYPE; the reply itself still
// holds the whole text, and replyErr reads it there.
type genericReply struct{ err error }

func (g *genericReply) Error() string { return g.err.Error() }
func (g *genericReply) Unwrap() error { return g.err }

// replyErr returns err, the error of reply msg, marked as a generic ERR
// reply when the server's text began with "ERR".
func replyErr(msg *rueidis.RedisMessage, err error) error {
	if _, ok := err.(*rueidis.RedisError); !ok {
		return err
	}
	if s, _ := msg.ToString(); s == "ERR" || strings.HasPrefix(s, "ERR ") {
		return &genericReply{err}
	}
	return err
}

// serverErrorPrefix returns the typed prefix of a Redis error reply.
func serverErrorPrefix(re *rueidis.RedisError) string {
	msg := re.Error()
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// isTypedPrefix reports whether the first word of an error reply is a
// Redis error code (an upper-case word such as WRONGTYPE) rather than text.
func isTypedPrefix(w string) bool {
	if len(w) < 2 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if (w[i] < 'A' || w[i] > 'Z') && w[i] != '_' && w[i] != '-' {
			return false
		}
	}
	return true
}

// nativeCode translates rueidis and Redis errors; ok is false for errors it
// does not know.
func nativeCode(err error) (arsenal.Code, bool) {
	if rueidis.IsRedisNil(err) || errors.Is(err, ErrNil) {
		return arsenal.NotFound, true
	}
	var g *genericReply
	if errors.As(err, &g) {
		return arsenal.InvalidArgument, true
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		if re.IsNil() {
			return arsenal.NotFound, true
		}
		prefix := serverErrorPrefix(re)
		if code, ok := serverErrorCodes[prefix]; ok {
			return code, true
		}
		if !isTypedPrefix(prefix) {
			// rueidis strips the generic "ERR " prefix (syntax, arity,
			// bad values, unknown command): the caller's input was wrong.
			return arsenal.InvalidArgument, true
		}
		return arsenal.Unknown, true
	}
	switch {
	case errors.Is(err, rueidis.ErrClosing), errors.Is(err, rueidis.ErrNoAddr), errors.Is(err, rueidis.ErrNoSlot),
		errors.Is(err, ErrDisconnected):
		return arsenal.Unavailable, true
	case errors.Is(err, rueidis.ErrNoCache):
		return arsenal.Unimplemented, true
	case errors.Is(err, rueidis.ErrDoCacheAborted), errors.Is(err, ErrTxAborted):
		return arsenal.Aborted, true
	case errors.Is(err, rueidis.ErrRESP2PubSubMixed), errors.Is(err, rueidis.ErrBlockingPubSubMixed),
		errors.Is(err, rueidis.ErrMSetNXNotSet), errors.Is(err, rueidis.ErrWrongPipelineMultiplex),
		errors.Is(err, rueidis.ErrReplicaOnlyNotSupported), errors.Is(err, rueidis.ErrNoSendToReplicas),
		errors.Is(err, rueidis.ErrReplicaOnlyConflict), errors.Is(err, rueidis.ErrInvalidTopologyRefreshInterval):
		return arsenal.InvalidArgument, true
	case errors.Is(err, rueidis.ErrDedicatedClientRecycled):
		return arsenal.FailedPrecondition, true
	case rueidis.IsParseErr(err):
		return arsenal.DataLoss, true
	}
	return 0, false
}

// codeOf is the code of any error the package meets: context errors first
// (never retryable), then rueidis and Redis errors, then OS and network
// errors via arsenal.NativeCode.
func codeOf(err error) arsenal.Code {
	switch {
	case errors.Is(err, context.Canceled):
		return arsenal.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return arsenal.DeadlineExceeded
	}
	if code, ok := nativeCode(err); ok {
		return code
	}
	code := arsenal.NativeCode(err)
	if code == arsenal.Unknown {
		// A connection error rueidis did not wrap in a typed error (its
		// own io errors): the link is gone.
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) {
			return arsenal.Unavailable
		}
	}
	return code
}

// wrapErr translates err once, at the package boundary, into an
// *arsenal.Error of op. It returns nil for nil and leaves *arsenal.Error
// values alone.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		return arsenal.Wrap(Kind, op, err)
	}
	if rueidis.IsRedisNil(err) {
		err = ErrNil
	}
	return arsenal.E(codeOf(err), Kind, op, err)
}

// isNetworkError reports whether err says the connection (not the server's
// answer, not the caller's context) failed.
func isNetworkError(err error) bool {
	if err == nil || rueidis.IsRedisNil(err) {
		return false
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return codeOf(err) == arsenal.Unavailable
}

// refusedPrefixes are the error replies of a server that refused a
// command without running it: a retry after a backoff is safe.
var refusedPrefixes = map[string]bool{
	"LOADING": true, "BUSY": true, "TRYAGAIN": true, "MASTERDOWN": true, "CLUSTERDOWN": true,
	"MISCONF": true, "MOVED": true, "ASK": true, "OOM": true, "NOMASTERLINK": true,
}

// nativeSafe says whether a call that failed with err may be retried
// whatever its command: a refusal by the server, or a call the client
// never sent (disconnected, no node for the slot).
func nativeSafe(err error) (safe, ok bool) {
	var re *rueidis.RedisError
	if errors.As(err, &re) && !re.IsNil() {
		return refusedPrefixes[serverErrorPrefix(re)], true
	}
	switch {
	case errors.Is(err, ErrDisconnected), errors.Is(err, rueidis.ErrNoAddr), errors.Is(err, rueidis.ErrNoSlot):
		return true, true
	case errors.Is(err, ErrTxAborted), errors.Is(err, rueidis.ErrDoCacheAborted):
		return true, true
	}
	return false, false
}

func init() {
	arsenal.RegisterClassifier(Kind, nativeCode)
	arsenal.RegisterRetryClassifier(Kind, nativeSafe)
}
