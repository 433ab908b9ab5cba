package security

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// Outcome is how an audited call ended.
type Outcome string

// The outcomes.
const (
	OutcomeOK     Outcome = "ok"     // the call succeeded
	OutcomeDenied Outcome = "denied" // the policy refused it before any I/O
	OutcomeError  Outcome = "error"  // it was attempted and failed
)

// Event is one audited call.
type Event struct {
	Time      time.Time     // when the call started; default: when it is recorded
	Principal string        // who made it ("" is anonymous)
	Component string        // "redis", "sqlite", "s3", "websocket" ...
	Operation string        // "get", "put", "publish" ...
	Resource  string        // the key, table, object or topic; URLs are redacted
	Outcome   Outcome       // default: from Code (OK → ok, PermissionDenied → denied, else error)
	Code      arsenal.Code  // the error's code; OK for success
	Latency   time.Duration // how long the call took
	Rule      string        // the policy rule that decided, if any
	// Attrs are extra fields. Secret values print as [REDACTED], and so
	// does any attribute whose key names a secret (password, secret,
	// token, authorization, credential, key ...).
	Attrs []slog.Attr
}

// EventFor builds the event of a finished call from its error: Code and
// Outcome from err, Latency from start.
func EventFor(principal, component, op, resource string, start time.Time, err error) Event {
	return Event{Time: start, Principal: principal, Component: component, Operation: op, Resource: resource,
		Code: arsenal.CodeOf(err), Latency: time.Since(start)}
}

func (e *Event) normalize() {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Outcome == "" {
		switch e.Code {
		case arsenal.OK:
			e.Outcome = OutcomeOK
		case arsenal.PermissionDenied:
			e.Outcome = OutcomeDenied
		default:
			e.Outcome = OutcomeError
		}
	}
	e.Resource = redactResource(e.Resource)
	for i, a := range e.Attrs {
		e.Attrs[i] = redactAttr(a)
	}
}

// redactResource removes credentials from a resource that is a URL.
func redactResource(r string) string {
	if strings.Contains(r, "://") {
		return arsenal.RedactURL(r)
	}
	return r
}

var secretWords = []string{"password", "passwd", "secret", "token", "authorization", "credential", "apikey", "api_key", "private", "cookie", "session"}

// SecretKey reports whether an attribute or field name names a secret.
func SecretKey(k string) bool {
	l := strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return l == "key" || strings.HasSuffix(l, "_key") || strings.HasSuffix(l, "-key") || strings.HasSuffix(l, "accesskey")
}

func redactAttr(a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindGroup {
		g := a.Value.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = redactAttr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	}
	if SecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	if v.Kind() == slog.KindString && strings.Contains(v.String(), "://") {
		return slog.String(a.Key, arsenal.RedactURL(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// Auditor records Events to a slog.Handler and, optionally, an
// AuditChain. A nil *Auditor records nothing. It is safe for concurrent
// use.
type Auditor struct {
	h     slog.Handler
	chain *AuditChain
}

// NewAuditor returns an Auditor writing to h (nil: none) and chain (nil:
// none).
func NewAuditor(h slog.Handler, chain *AuditChain) *Auditor {
	return &Auditor{h: h, chain: chain}
}

// Record writes e: to the handler as an "audit" record at Info (Warn
// when denied or failed), with the attributes time, principal,
// component, operation, resource, outcome, code, latency_ms, rule and
// e.Attrs; then to the chain. It returns the chain's write error, coded.
func (a *Auditor) Record(ctx context.Context, e Event) error {
	if a == nil {
		return nil
	}
	e.normalize()
	if a.h != nil {
		lvl := slog.LevelInfo
		if e.Outcome != OutcomeOK {
			lvl = slog.LevelWarn
		}
		if a.h.Enabled(ctx, lvl) {
			r := slog.NewRecord(e.Time, lvl, "audit", 0)
			r.AddAttrs(
				slog.String("principal", e.Principal),
				slog.String("component", e.Component),
				slog.String("operation", e.Operation),
				slog.String("resource", e.Resource),
				slog.String("outcome", string(e.Outcome)),
				slog.String("code", e.Code.String()),
				slog.Float64("latency_ms", float64(e.Latency)/float64(time.Millisecond)),
			)
			if e.Rule != "" {
				r.AddAttrs(slog.String("rule", e.Rule))
			}
			r.AddAttrs(e.Attrs...)
			_ = a.h.Handle(ctx, r)
		}
	}
	if a.chain != nil {
		return a.chain.Append(e)
	}
	return nil
}
