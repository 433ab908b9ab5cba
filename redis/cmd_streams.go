package redis

import (
	"context"
	"time"

	"github.com/redis/rueidis"
)

// Streams. Blocking reads (Block > 0) use a connection of the blocking
// pool, never the shared pipeline.

var (
	opXAdd, opXRead, opXReadGroup, opXRange = newOp("xadd"), newOp("xread"), newOp("xreadgroup"), newOp("xrange")
	opXRevRange, opXLen, opXAck, opXGroup   = newOp("xrevrange"), newOp("xlen"), newOp("xack"), newOp("xgroup")
	opXTrim, opXDel, opXPending, opXClaim   = newOp("xtrim"), newOp("xdel"), newOp("xpending"), newOp("xclaim")
)

// XMessage is one stream entry.
type XMessage struct {
	ID     string
	Values map[string]string
}

// XStream is the entries read from one stream.
type XStream struct {
	Stream   string
	Messages []XMessage
}

func toXMessages(es []rueidis.XRangeEntry) []XMessage {
	out := make([]XMessage, len(es))
	for i, e := range es {
		out[i] = XMessage{ID: e.ID, Values: e.FieldValues}
	}
	return out
}

func asXMessages(m rueidis.RedisMessage) ([]XMessage, error) {
	if m.IsNil() {
		return nil, nil
	}
	es, err := m.AsXRange()
	return toXMessages(es), err
}

func asXStreams(order []string) func(m rueidis.RedisMessage) ([]XStream, error) {
	return func(m rueidis.RedisMessage) ([]XStream, error) {
		if m.IsNil() {
			return nil, nil // a blocking read timed out: no entries
		}
		r, err := m.AsXRead()
		if err != nil {
			return nil, err
		}
		var out []XStream
		for _, s := range order {
			if es, ok := r[s]; ok {
				out = append(out, XStream{Stream: s, Messages: toXMessages(es)})
			}
		}
		return out, nil
	}
}

// XAddArgs describe an XADD.
type XAddArgs struct {
	Stream     string
	ID         string   // entry ID; "" means "*" (server-assigned)
	Values     []string // field/value pairs
	MaxLen     int64    // trim to this length (0: no MAXLEN)
	MinID      string   // trim entries older than this ID
	Approx     bool     // "~" trimming (faster, approximate)
	NoMkStream bool     // do not create a missing stream
}

// XAdd appends an entry and returns its ID. With NoMkStream, a missing
// stream is NotFound.
func (c *Client) XAdd(ctx context.Context, a XAddArgs) (string, error) {
	return do(c, ctx, c.k.xadd(a))
}

func trimArgs(maxLen int64, minID string, approx bool) []string {
	var args []string
	switch {
	case maxLen > 0:
		args = append(args, "MAXLEN")
	case minID != "":
		args = append(args, "MINID")
	default:
		return nil
	}
	if approx {
		args = append(args, "~")
	}
	if maxLen > 0 {
		return append(args, itoa(maxLen))
	}
	return append(args, minID)
}

// XReadArgs describe an XREAD or XREADGROUP.
type XReadArgs struct {
	Streams []string      // stream keys
	IDs     []string      // one per stream: read entries after it ("$": new only; ">" for groups)
	Count   int64         // at most this many entries per stream (0: no limit)
	Block   time.Duration // wait up to this long for entries (0: do not block)
	NoAck   bool          // XREADGROUP only: do not add to the pending list
}

func (a XReadArgs) build(c *Client, cmd string, prefix ...string) (rueidis.Completed, error) {
	if len(a.Streams) == 0 || len(a.Streams) != len(a.IDs) {
		return rueidis.Completed{}, invalid(cmd, "needs one ID per stream (%d streams, %d IDs)", len(a.Streams), len(a.IDs))
	}
	if err := c.sameSlot(cmd, a.Streams...); err != nil {
		return rueidis.Completed{}, err
	}
	b := c.bld.Arbitrary(cmd).Args(prefix...)
	if a.Count > 0 {
		b = b.Args("COUNT", itoa(a.Count))
	}
	if a.Block > 0 {
		b = b.Args("BLOCK", itoa(max(1, a.Block.Milliseconds())))
	}
	if a.NoAck {
		b = b.Args("NOACK")
	}
	b = b.Args("STREAMS").Keys(a.Streams...).Args(a.IDs...)
	if a.Block > 0 {
		return b.Blocking(), nil
	}
	if cmd == "XREAD" {
		return b.ReadOnly(), nil
	}
	return b.Build(), nil
}

// XRead reads entries after the given IDs. When Block passes with no
// entries it returns an empty result, not an error.
func (c *Client) XRead(ctx context.Context, a XReadArgs) ([]XStream, error) {
	if a.NoAck {
		return nil, c.refuse(ctx, opXRead, invalid("xread", "NoAck applies to XReadGroup only"))
	}
	cmd, err := a.build(c, "XREAD")
	if err != nil {
		return nil, c.refuse(ctx, opXRead, err)
	}
	return run(c, ctx, opXRead, cmd, asXStreams(a.Streams))
}

// XReadGroup reads entries as consumer of group (use ID ">" for new ones).
func (c *Client) XReadGroup(ctx context.Context, group, consumer string, a XReadArgs) ([]XStream, error) {
	cmd, err := a.build(c, "XREADGROUP", "GROUP", group, consumer)
	if err != nil {
		return nil, c.refuse(ctx, opXReadGroup, err)
	}
	return run(c, ctx, opXReadGroup, cmd, asXStreams(a.Streams))
}

// XRange returns entries with IDs from start to end ("-" and "+" for the
// ends); count 0 means all.
func (c *Client) XRange(ctx context.Context, stream, start, end string, count int64) ([]XMessage, error) {
	b := c.bld.Arbitrary("XRANGE").Keys(stream).Args(start, end)
	if count > 0 {
		b = b.Args("COUNT", itoa(count))
	}
	return run(c, ctx, opXRange, b.ReadOnly(), asXMessages)
}

// XRevRange is XRange from end down to start.
func (c *Client) XRevRange(ctx context.Context, stream, end, start string, count int64) ([]XMessage, error) {
	b := c.bld.Arbitrary("XREVRANGE").Keys(stream).Args(end, start)
	if count > 0 {
		b = b.Args("COUNT", itoa(count))
	}
	return run(c, ctx, opXRevRange, b.ReadOnly(), asXMessages)
}

// XLen returns the number of entries.
func (c *Client) XLen(ctx context.Context, stream string) (int64, error) {
	return run(c, ctx, opXLen, c.bld.Xlen().Key(stream).Build(), asInt)
}

// XAck acknowledges entries of group and returns how many were pending.
func (c *Client) XAck(ctx context.Context, stream, group string, ids ...string) (int64, error) {
	return run(c, ctx, opXAck, c.bld.Xack().Key(stream).Group(group).Id(ids...).Build(), asInt)
}

// XGroupCreate creates a consumer group starting after id ("$": new
// entries only, "0": all); mkStream creates a missing stream. An existing
// group is AlreadyExists.
func (c *Client) XGroupCreate(ctx context.Context, stream, group, id string, mkStream bool) error {
	b := c.bld.Arbitrary("XGROUP", "CREATE").Keys(stream).Args(group, id)
	if mkStream {
		b = b.Args("MKSTREAM")
	}
	_, err := run(c, ctx, opXGroup, b.Build(), asOK)
	return err
}

// XGroupDestroy deletes a consumer group; it reports whether it existed.
func (c *Client) XGroupDestroy(ctx context.Context, stream, group string) (bool, error) {
	return run(c, ctx, opXGroup, c.bld.Arbitrary("XGROUP", "DESTROY").Keys(stream).Args(group).Build(), asBool)
}

// XGroupSetID moves the group's last-delivered ID.
func (c *Client) XGroupSetID(ctx context.Context, stream, group, id string) error {
	_, err := run(c, ctx, opXGroup, c.bld.Arbitrary("XGROUP", "SETID").Keys(stream).Args(group, id).Build(), asOK)
	return err
}

// XGroupCreateConsumer adds a consumer; it reports whether it was new.
func (c *Client) XGroupCreateConsumer(ctx context.Context, stream, group, consumer string) (bool, error) {
	return run(c, ctx, opXGroup, c.bld.Arbitrary("XGROUP", "CREATECONSUMER").Keys(stream).Args(group, consumer).Build(), asBool)
}

// XGroupDelConsumer deletes a consumer and returns how many entries it had pending.
func (c *Client) XGroupDelConsumer(ctx context.Context, stream, group, consumer string) (int64, error) {
	return run(c, ctx, opXGroup, c.bld.Arbitrary("XGROUP", "DELCONSUMER").Keys(stream).Args(group, consumer).Build(), asInt)
}

// XTrim trims the stream to maxLen entries (or to entries from minID) and
// returns how many it removed.
func (c *Client) XTrim(ctx context.Context, stream string, maxLen int64, minID string, approx bool) (int64, error) {
	args := trimArgs(maxLen, minID, approx)
	if args == nil || (maxLen > 0 && minID != "") {
		return 0, c.refuse(ctx, opXTrim, invalid("xtrim", "needs exactly one of maxLen and minID"))
	}
	return run(c, ctx, opXTrim, c.bld.Arbitrary("XTRIM").Keys(stream).Args(args...).Build(), asInt)
}

// XDel deletes entries and returns how many existed.
func (c *Client) XDel(ctx context.Context, stream string, ids ...string) (int64, error) {
	return run(c, ctx, opXDel, c.bld.Xdel().Key(stream).Id(ids...).Build(), asInt)
}

// XPendingSummary is XPENDING's summary form.
type XPendingSummary struct {
	Count     int64
	Lowest    string
	Highest   string
	Consumers map[string]int64
}

// XPending summarises the group's pending entries.
func (c *Client) XPending(ctx context.Context, stream, group string) (XPendingSummary, error) {
	return run(c, ctx, opXPending, c.bld.Xpending().Key(stream).Group(group).Build(), func(m rueidis.RedisMessage) (XPendingSummary, error) {
		arr, err := m.ToArray()
		if err != nil || len(arr) < 4 {
			return XPendingSummary{}, err
		}
		var s XPendingSummary
		s.Count, _ = arr[0].AsInt64()
		s.Lowest, _ = arr[1].ToString()
		s.Highest, _ = arr[2].ToString()
		s.Consumers = map[string]int64{}
		cs, _ := arr[3].ToArray()
		for _, pair := range cs {
			p, _ := pair.ToArray()
			if len(p) == 2 {
				name, _ := p[0].ToString()
				n, _ := p[1].AsInt64()
				s.Consumers[name] = n
			}
		}
		return s, nil
	})
}

// XPendingEntry is one pending entry.
type XPendingEntry struct {
	ID         string
	Consumer   string
	Idle       time.Duration
	Deliveries int64
}

// XPendingRange lists pending entries between start and end (consumer ""
// means all consumers).
func (c *Client) XPendingRange(ctx context.Context, stream, group, start, end string, count int64, consumer string) ([]XPendingEntry, error) {
	b := c.bld.Arbitrary("XPENDING").Keys(stream).Args(group, start, end, itoa(count))
	if consumer != "" {
		b = b.Args(consumer)
	}
	return run(c, ctx, opXPending, b.Build(), func(m rueidis.RedisMessage) ([]XPendingEntry, error) {
		arr, err := m.ToArray()
		if err != nil {
			return nil, err
		}
		out := make([]XPendingEntry, 0, len(arr))
		for _, e := range arr {
			f, err := e.ToArray()
			if err != nil || len(f) < 4 {
				return nil, err
			}
			var p XPendingEntry
			p.ID, _ = f[0].ToString()
			p.Consumer, _ = f[1].ToString()
			idle, _ := f[2].AsInt64()
			p.Idle = time.Duration(idle) * time.Millisecond
			p.Deliveries, _ = f[3].AsInt64()
			out = append(out, p)
		}
		return out, nil
	})
}

// XClaim transfers pending entries idle for at least minIdle to consumer
// and returns them.
func (c *Client) XClaim(ctx context.Context, stream, group, consumer string, minIdle time.Duration, ids ...string) ([]XMessage, error) {
	if len(ids) == 0 {
		return nil, c.refuse(ctx, opXClaim, invalid("xclaim", "needs at least one ID"))
	}
	return run(c, ctx, opXClaim, c.bld.Arbitrary("XCLAIM").Keys(stream).Args(group, consumer, ms(minIdle)).Args(ids...).Build(), asXMessages)
}
