package arsenal

import (
	"context"
	"time"
)

// Observer receives a component's operation events, in the manner of
// pgx's tracers: OpStart before an operation does any I/O, OpEnd when it
// returns. OpStart returns the context the operation continues under, so
// an Observer can start a span that the caller's context parents and that
// OpEnd ends (see the nested otel module).
//
// Each domain's Config has an Observer field; with none set (nil, the
// default) the components make no calls and build no events, so the hot
// paths pay nothing for the hooks. benchmarks/hooks measures it: the same
// program, built against the library at the commit before each domain's
// hooks and at the commit that added them, times Redis GET and SET and a
// SQLite point select in both builds side by side (BENCHMARKS.md, section
// hooks). An Observer must be safe for concurrent use and fast: it runs
// on the operation's goroutine.
type Observer interface {
	OpStart(ctx context.Context, op OpStart) context.Context
	OpEnd(ctx context.Context, op OpStart, end OpEnd)
}

// ConnObserver is an optional Observer ability: connection events (see
// ConnEventKind).
type ConnObserver interface {
	ConnEvent(ctx context.Context, ev ConnEvent)
}

// OpStart describes an operation as it begins. Its fields never hold
// values or secrets: keys, object names, topics and statement text (with
// its placeholders, never its arguments) only.
type OpStart struct {
	Component string    // the component's Kind: "sqlite", "redis", "websocket", "s3", "postgres"
	Op        string    // the operation as Stats names it: "get", "exec", "publish", "put"
	Target    string    // where the component points, redacted: host:port, a file path, a bucket
	Namespace string    // the database number, file name, bucket or topic space, when there is one
	Resource  string    // what the operation touches: a key, a table, an object key, a topic
	Statement string    // SQL text with placeholders (sqlite, postgres), or the command name (redis)
	Time      time.Time // when it started
}

// OpEnd describes how an operation ended.
type OpEnd struct {
	Err      error         // nil on success; a coded *Error otherwise
	Code     Code          // CodeOf(Err)
	Duration time.Duration // how long it took
	BytesIn  int64         // payload bytes received (an object body, a message), when known
	BytesOut int64         // payload bytes sent, when known
	Rows     int64         // rows returned or affected (sqlite, postgres), when known
	Messages int64         // messages delivered (a topic publish's fan-out), when known
}

// ConnEventKind says what happened to a component's connection.
type ConnEventKind int

// The connection events components report.
const (
	ConnConnect     ConnEventKind = iota + 1 // a connection was established
	ConnDisconnect                           // a connection was lost
	ConnReconnect                            // a lost connection was re-established
	ConnFailover                             // the server role moved (a Sentinel failover, a cluster slot move)
	ConnPoolAcquire                          // a pooled connection was acquired (Wait says how long it took)
	ConnDialError                            // a dial failed
)

var connEventNames = [...]string{
	ConnConnect: "connect", ConnDisconnect: "disconnect", ConnReconnect: "reconnect",
	ConnFailover: "failover", ConnPoolAcquire: "pool_acquire", ConnDialError: "dial_error",
}

// String returns the event's name, such as "reconnect".
func (k ConnEventKind) String() string {
	if k > 0 && int(k) < len(connEventNames) {
		return connEventNames[k]
	}
	return "unknown"
}

// ConnEvent is one connection event.
type ConnEvent struct {
	Component string        // the component's Kind
	Kind      ConnEventKind // what happened
	Target    string        // the server it concerns, redacted
	Err       error         // the cause of a disconnect or dial error, coded; nil otherwise
	Wait      time.Duration // for ConnPoolAcquire, how long the acquire waited
	Time      time.Time
}

// Observers combines observers into one that calls each in turn (OpStart
// in order, OpEnd in reverse, as nested spans close); nil entries are
// skipped, and none gives nil.
func Observers(obs ...Observer) Observer {
	var list []Observer
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return multiObserver(list)
}

type multiObserver []Observer

type multiCtxKey struct{}

func (m multiObserver) OpStart(ctx context.Context, op OpStart) context.Context {
	ctxs := make([]context.Context, len(m))
	for i, o := range m {
		ctx = o.OpStart(ctx, op)
		ctxs[i] = ctx
	}
	return context.WithValue(ctx, multiCtxKey{}, ctxs)
}

func (m multiObserver) OpEnd(ctx context.Context, op OpStart, end OpEnd) {
	ctxs, _ := ctx.Value(multiCtxKey{}).([]context.Context)
	for i := len(m) - 1; i >= 0; i-- {
		c := ctx
		if i < len(ctxs) {
			c = ctxs[i]
		}
		m[i].OpEnd(c, op, end)
	}
}

func (m multiObserver) ConnEvent(ctx context.Context, ev ConnEvent) {
	for _, o := range m {
		if co, ok := o.(ConnObserver); ok {
			co.ConnEvent(ctx, ev)
		}
	}
}

// NotifyConn sends ev to obs when obs is a ConnObserver; a nil obs costs
// nothing. Domains call it for their connection events.
func NotifyConn(ctx context.Context, obs Observer, ev ConnEvent) {
	if obs == nil {
		return
	}
	if co, ok := obs.(ConnObserver); ok {
		if ev.Time.IsZero() {
			ev.Time = time.Now()
		}
		co.ConnEvent(ctx, ev)
	}
}

var (
	_ Observer     = multiObserver(nil)
	_ ConnObserver = multiObserver(nil)
)
