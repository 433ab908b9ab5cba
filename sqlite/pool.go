package sqlite

import (
	"context"
	"sync/atomic"

	"github.com/jackc/puddle/v2"
)

// pool is a puddle pool with a one-connection lock-free front slot. puddle
// manages the connections (creation, limits, waiting with context,
// destruction); the slot keeps the most recently released connection so
// that an uncontended acquire/release pair skips puddle's mutexes and
// clock reads, which cost about as much as a point select's own work.
//
// A connection is parked in the slot only while nobody waits inside
// puddle, and a parked connection is handed back to puddle as soon as
// someone starts waiting (Dekker-style: each side publishes, then checks
// the other), so no waiter starves while a connection idles in the slot.
type pool struct {
	p       *puddle.Pool[*conn]
	slot    atomic.Pointer[puddle.Resource[*conn]]
	waiting atomic.Int32
	closed  atomic.Bool
}

func newPool(cfg *puddle.Config[*conn]) (*pool, error) {
	p, err := puddle.NewPool(cfg)
	if err != nil {
		return nil, err
	}
	return &pool{p: p}, nil
}

func (p *pool) acquire(ctx context.Context) (*puddle.Resource[*conn], error) {
	if r := p.slot.Swap(nil); r != nil {
		return r, nil
	}
	p.waiting.Add(1)
	if r := p.slot.Swap(nil); r != nil {
		p.waiting.Add(-1)
		return r, nil
	}
	r, err := p.p.Acquire(ctx)
	p.waiting.Add(-1)
	return r, err
}

func (p *pool) release(r *puddle.Resource[*conn]) {
	if p.waiting.Load() == 0 && !p.closed.Load() && p.slot.CompareAndSwap(nil, r) {
		if p.waiting.Load() > 0 || p.closed.Load() {
			if back := p.slot.Swap(nil); back != nil {
				back.Release()
			}
		}
		return
	}
	r.Release()
}

// parked reports whether a connection sits in the slot (acquired as far
// as puddle knows, idle in fact).
func (p *pool) parked() int32 {
	if p.slot.Load() != nil {
		return 1
	}
	return 0
}

func (p *pool) close() {
	p.closed.Store(true)
	if r := p.slot.Swap(nil); r != nil {
		r.Release()
	}
	p.p.Close()
}
