package arsenal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
)

type ctxKey string

type recObserver struct {
	name   string
	log    *[]string
	events []arsenal.ConnEvent
}

func (r *recObserver) OpStart(ctx context.Context, op arsenal.OpStart) context.Context {
	*r.log = append(*r.log, r.name+" start "+op.Op)
	return context.WithValue(ctx, ctxKey(r.name), op.Op)
}

func (r *recObserver) OpEnd(ctx context.Context, op arsenal.OpStart, end arsenal.OpEnd) {
	v, _ := ctx.Value(ctxKey(r.name)).(string)
	*r.log = append(*r.log, r.name+" end "+op.Op+" "+end.Code.String()+" ctx="+v)
}

func (r *recObserver) ConnEvent(ctx context.Context, ev arsenal.ConnEvent) {
	r.events = append(r.events, ev)
}

type opOnly struct{ n *int }

func (o opOnly) OpStart(ctx context.Context, _ arsenal.OpStart) context.Context { *o.n++; return ctx }
func (o opOnly) OpEnd(context.Context, arsenal.OpStart, arsenal.OpEnd)          { *o.n++ }

func TestObserversNestStartsInOrderAndEndsInReverseEachWithItsOwnContext(t *testing.T) {
	var log []string
	a, b := &recObserver{name: "a", log: &log}, &recObserver{name: "b", log: &log}
	n := 0
	obs := arsenal.Observers(a, nil, b, opOnly{&n})
	op := arsenal.OpStart{Component: "redis", Op: "get", Resource: "k"}
	ctx := obs.OpStart(context.Background(), op)
	assert.Equal(t, "get", ctx.Value(ctxKey("a")), "the operation runs under every observer's context")
	assert.Equal(t, "get", ctx.Value(ctxKey("b")))
	obs.OpEnd(ctx, op, arsenal.OpEnd{Err: errors.New("x"), Code: arsenal.Unavailable})
	assert.Equal(t, []string{"a start get", "b start get", "b end get Unavailable ctx=get", "a end get Unavailable ctx=get"}, log)
	assert.Equal(t, 2, n)

	arsenal.NotifyConn(context.Background(), obs, arsenal.ConnEvent{Component: "redis", Kind: arsenal.ConnReconnect})
	require.Len(t, a.events, 1)
	require.Len(t, b.events, 1)
	assert.Equal(t, "reconnect", a.events[0].Kind.String())
	assert.False(t, a.events[0].Time.IsZero(), "NotifyConn stamps the time")
}

func TestObserversOfNothingIsNilAndOfOneIsThatOne(t *testing.T) {
	assert.Nil(t, arsenal.Observers())
	assert.Nil(t, arsenal.Observers(nil, nil))
	n := 0
	one := opOnly{&n}
	assert.Equal(t, arsenal.Observer(one), arsenal.Observers(nil, one))
	arsenal.NotifyConn(context.Background(), nil, arsenal.ConnEvent{}) // no observer: nothing to call
	arsenal.NotifyConn(context.Background(), one, arsenal.ConnEvent{}) // not a ConnObserver: skipped
	assert.Equal(t, 0, n)
	assert.Equal(t, "unknown", arsenal.ConnEventKind(0).String())
	assert.Equal(t, "dial_error", arsenal.ConnDialError.String())
}
