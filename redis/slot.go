package redis

import (
	"context"
	"time"

	"github.com/redis/rueidis"
)

// crc16tab is CRC16-XMODEM, the hash Redis Cluster uses for key slots.
var crc16tab = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^s[i]]
	}
	return crc
}

// KeySlot returns the Redis Cluster hash slot of key (0-16383), honouring
// {hash tags}: keys sharing a tag share a slot.
func KeySlot(key string) uint16 {
	if s := indexByte(key, '{'); s >= 0 {
		if e := indexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	return crc16(key) & 16383
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// crossSlot reports whether keys span more than one slot on a cluster.
func (c *Client) crossSlot(keys ...string) bool {
	if len(keys) < 2 || c.rc.Mode() != rueidis.ClientModeCluster {
		return false
	}
	s := KeySlot(keys[0])
	for _, k := range keys[1:] {
		if KeySlot(k) != s {
			return true
		}
	}
	return false
}

// sameSlot fails with InvalidArgument (CROSSSLOT) before any I/O when a
// multi-key command's keys span slots on a cluster.
func (c *Client) sameSlot(op string, keys ...string) error {
	if c.crossSlot(keys...) {
		return invalid(op, "CROSSSLOT: keys %q hash to different cluster slots; use a {hash tag}", keys)
	}
	return nil
}

// noSlot marks a transaction not bound to one cluster slot.
const noSlot = -1

// txSameSlot fails with InvalidArgument (CROSSSLOT) before any I/O when,
// on a cluster, the keyed commands of a transaction hash to different
// slots, or to another slot than slot (when it is not noSlot). rueidis
// would panic on such a MULTI/EXEC batch or dedicated connection.
func (c *Client) txSameSlot(op string, cmds rueidis.Commands, slot int) error {
	if c.rc.Mode() != rueidis.ClientModeCluster {
		return nil
	}
	for _, cmd := range cmds {
		s := cmd.Slot()
		if s == rueidisInitSlot || s&rueidisNoSlot != 0 {
			continue // no key: runs on any node
		}
		if slot == noSlot {
			slot = int(s)
			continue
		}
		if int(s) != slot {
			return invalid(op, "CROSSSLOT: the batch's commands hash to different cluster slots (%d and %d); use a {hash tag}", slot, s)
		}
	}
	return nil
}

// pipelineSameSlot guards a plain Pipeline: rueidis splits keyed commands
// by slot, but panics when a batch mixing slots also holds a command with
// no key (Do("PING")), so that case fails with InvalidArgument instead.
func (c *Client) pipelineSameSlot(cmds rueidis.Commands) error {
	if c.rc.Mode() != rueidis.ClientModeCluster {
		return nil
	}
	for _, cmd := range cmds {
		if cmd.Slot() == rueidisInitSlot {
			return c.txSameSlot("pipeline", cmds, noSlot)
		}
	}
	return nil
}

// rueidis's slot markers (internal/cmds InitSlot and NoSlot).
const (
	rueidisInitSlot = uint16(1 << 14)
	rueidisNoSlot   = uint16(1 << 15)
)

type slotGroup struct {
	keys []string
	idx  []int // positions in the caller's key list
}

// groupBySlot groups keys by slot, keeping first-seen order.
func groupBySlot(keys []string) []slotGroup {
	pos := map[uint16]int{}
	var groups []slotGroup
	for i, k := range keys {
		s := KeySlot(k)
		gi, ok := pos[s]
		if !ok {
			gi = len(groups)
			pos[s] = gi
			groups = append(groups, slotGroup{})
		}
		groups[gi].keys = append(groups[gi].keys, k)
		groups[gi].idx = append(groups[gi].idx, i)
	}
	return groups
}

// execMulti sends cmds as one pipeline (rueidis routes each to its node)
// and records one latency for op. It returns the raw results; a network
// failure of any is returned as the error.
func (c *Client) execMulti(ctx context.Context, id opID, cmds rueidis.Commands) ([]rueidis.RedisResult, error) {
	var ss []secured
	if c.sec {
		var err error
		if ss, err = c.secureAll(ctx, cmds); err != nil {
			return nil, c.refuse(ctx, id, err)
		}
	}
	if err := c.gate(ctx, id); err != nil {
		c.recordAll(ctx, ss, nil, err)
		return nil, err
	}
	ctx, cancel := c.bound(ctx, false)
	if cancel != nil {
		defer cancel()
	}
	var h hooked
	if c.hooks {
		ctx, h = c.hookStart(ctx, id, nil)
	}
	start := time.Now()
	res := c.rc.DoMulti(ctx, cmds...)
	var err error
	for _, r := range res {
		if e := r.NonRedisError(); e != nil {
			err = c.failed(opNames[id], e)
			break
		}
	}
	c.op(id).Record(time.Since(start), err)
	if c.hooks {
		c.hookEnd(ctx, id, h, err)
	}
	if ss != nil {
		c.recordAll(ctx, ss, res, err)
	}
	return res, err
}
