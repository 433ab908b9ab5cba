package wsredis

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
)

func (b *Bridge) presenceKey(topic string) string { return b.cfg.Prefix + ":presence:" + topic }

// presenceLoop writes changed counts soon after a change and rewrites
// every count each PresenceTTL/3.
func (b *Bridge) presenceLoop() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.PresenceTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.kick:
			b.flushPresence(false)
		case <-t.C:
			b.flushPresence(true)
		}
	}
}

func (b *Bridge) flushPresence(all bool) {
	b.mu.Lock()
	todo := make(map[string]int, len(b.dirty))
	for t := range b.dirty {
		todo[t] = b.local[t]
		if b.local[t] == 0 {
			delete(b.local, t)
		}
	}
	clear(b.dirty)
	if all {
		for t, n := range b.local {
			todo[t] = n
		}
	}
	b.mu.Unlock()
	exp := strconv.FormatInt(time.Now().Add(b.cfg.PresenceTTL).UnixMilli(), 10)
	for topic, n := range todo {
		if b.ctx.Err() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.PublishTimeout)
		var err error
		key := b.presenceKey(topic)
		if n == 0 {
			_, err = b.c.HDel(ctx, key, b.cfg.NodeID)
		} else {
			p := b.c.Pipeline()
			p.HSet(key, b.cfg.NodeID, strconv.Itoa(n)+":"+exp)
			p.Expire(key, 2*b.cfg.PresenceTTL)
			err = p.Exec(ctx)
		}
		cancel()
		if err != nil && b.ctx.Err() == nil {
			b.presenceErrs.Add(1)
			b.setErr(err)
			b.mu.Lock()
			b.dirty[topic] = struct{}{} // retried on the next round
			b.mu.Unlock()
		}
	}
}

func (b *Bridge) clearPresence(ctx context.Context) {
	b.mu.Lock()
	topics := make([]string, 0, len(b.local))
	for t := range b.local {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	for _, t := range topics {
		_, _ = b.c.HDel(ctx, b.presenceKey(t), b.cfg.NodeID)
	}
}

// SubscriberCount counts topic's subscribers on every server: this
// node's exact count plus the other nodes' unexpired presence fields (see
// the package doc, Presence: eventually consistent).
func (b *Bridge) SubscriberCount(ctx context.Context, topic string) (int, error) {
	if b.cfg.Observer == nil {
		start := time.Now()
		n, err := b.count(ctx, topic)
		b.opCount.Record(time.Since(start), err)
		return n, err
	}
	st := arsenal.OpStart{Component: Kind, Op: "subscriber_count", Target: b.c.Describe(), Resource: topic, Time: time.Now()}
	octx := b.cfg.Observer.OpStart(ctx, st)
	n, err := b.count(octx, topic)
	d := time.Since(st.Time)
	b.opCount.Record(d, err)
	b.cfg.Observer.OpEnd(octx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d})
	return n, err
}

func (b *Bridge) count(ctx context.Context, topic string) (int, error) {
	if b.closed.Load() {
		return 0, arsenal.Closed(Kind, "subscriber_count")
	}
	fields, err := b.c.HGetAll(ctx, b.presenceKey(topic))
	if err != nil {
		return 0, arsenal.Wrap(Kind, "subscriber_count", err)
	}
	now := time.Now().UnixMilli()
	total := 0
	for node, v := range fields {
		if node == b.cfg.NodeID {
			continue
		}
		cnt, exp, ok := strings.Cut(v, ":")
		if !ok {
			continue
		}
		n, err1 := strconv.Atoi(cnt)
		e, err2 := strconv.ParseInt(exp, 10, 64)
		if err1 != nil || err2 != nil || n < 0 || e < now {
			continue
		}
		total += n
	}
	b.mu.Lock()
	total += b.local[topic]
	b.mu.Unlock()
	return total, nil
}
