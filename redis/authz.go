package redis

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// Authorization and audit (Config.Security). Every call is checked
// against the Policy before any I/O, command by command: the operation
// is the command's name in lower case ("get", "del", "flushall"; "script
// load", "config set" for container commands), the resource each key it
// names (a call naming three keys is allowed only when all three are),
// or "" for commands without keys. Publish and the subscriptions name
// their channels or patterns in place of keys. With no Policy and no
// Audit (c.sec false) a call pays one predictable branch.

// keyKind says where a command's keys are.
type keyKind uint8

const (
	keysFirst     keyKind = iota // the first argument (the default)
	keysNone                     // no keys
	keysFrom                     // every argument from n on
	keysRange                    // n arguments from the first on
	keysPairs                    // every other argument from the first on (MSET)
	keysButLast                  // every argument but the last (BLPOP key... timeout)
	keysNum                      // the count at argument n, then that many keys
	keysDestNum                  // a destination, then the count and keys (ZUNIONSTORE)
	keysStreams                  // the first half of the arguments after STREAMS
	keysSub                      // a container command whose key follows the subcommand
	keysSubNone                  // a container command without keys
	keysNumAfterN                // keysNum, for commands with one more argument first (BLMPOP timeout n ...)
)

type keySpec struct {
	kind keyKind
	n    int
}

// keySpecs are the commands whose keys are not just the first argument,
// by upper-case name. Every other command is keysFirst: what Redis's
// own key specs say of almost every data command.
var keySpecs = map[string]keySpec{
	"PING": {keysNone, 0}, "ECHO": {keysNone, 0}, "INFO": {keysNone, 0}, "DBSIZE": {keysNone, 0},
	"FLUSHALL": {keysNone, 0}, "FLUSHDB": {keysNone, 0}, "RANDOMKEY": {keysNone, 0}, "KEYS": {keysNone, 0},
	"SCAN": {keysNone, 0}, "TIME": {keysNone, 0}, "LASTSAVE": {keysNone, 0}, "SAVE": {keysNone, 0},
	"BGSAVE": {keysNone, 0}, "BGREWRITEAOF": {keysNone, 0}, "WAIT": {keysNone, 0}, "WAITAOF": {keysNone, 0},
	"SWAPDB": {keysNone, 0}, "ROLE": {keysNone, 0}, "REPLICAOF": {keysNone, 0}, "SLAVEOF": {keysNone, 0},
	"SHUTDOWN": {keysNone, 0}, "LOLWUT": {keysNone, 0}, "READONLY": {keysNone, 0}, "READWRITE": {keysNone, 0},
	"FAILOVER": {keysNone, 0}, "SELECT": {keysNone, 0}, "MULTI": {keysNone, 0}, "EXEC": {keysNone, 0},
	"DISCARD": {keysNone, 0}, "UNWATCH": {keysNone, 0},

	"SCRIPT": {keysSubNone, 0}, "CONFIG": {keysSubNone, 0}, "CLIENT": {keysSubNone, 0},
	"CLUSTER": {keysSubNone, 0}, "COMMAND": {keysSubNone, 0}, "ACL": {keysSubNone, 0},
	"SLOWLOG": {keysSubNone, 0}, "LATENCY": {keysSubNone, 0}, "MODULE": {keysSubNone, 0},
	"FUNCTION": {keysSubNone, 0}, "PUBSUB": {keysSubNone, 0}, "DEBUG": {keysSubNone, 0},
	"OBJECT": {keysSub, 0}, "MEMORY": {keysSub, 0}, "XINFO": {keysSub, 0}, "XGROUP": {keysSub, 0},

	"DEL": {keysFrom, 1}, "UNLINK": {keysFrom, 1}, "EXISTS": {keysFrom, 1}, "TOUCH": {keysFrom, 1},
	"MGET": {keysFrom, 1}, "WATCH": {keysFrom, 1}, "SINTER": {keysFrom, 1}, "SUNION": {keysFrom, 1},
	"SDIFF": {keysFrom, 1}, "SINTERSTORE": {keysFrom, 1}, "SUNIONSTORE": {keysFrom, 1},
	"SDIFFSTORE": {keysFrom, 1}, "PFCOUNT": {keysFrom, 1}, "PFMERGE": {keysFrom, 1}, "BITOP": {keysFrom, 2},

	"RENAME": {keysRange, 2}, "RENAMENX": {keysRange, 2}, "SMOVE": {keysRange, 2}, "LMOVE": {keysRange, 2},
	"BLMOVE": {keysRange, 2}, "RPOPLPUSH": {keysRange, 2}, "BRPOPLPUSH": {keysRange, 2}, "COPY": {keysRange, 2},
	"ZRANGESTORE": {keysRange, 2}, "GEOSEARCHSTORE": {keysRange, 2}, "LCS": {keysRange, 2},

	"MSET": {keysPairs, 0}, "MSETNX": {keysPairs, 0},

	"BLPOP": {keysButLast, 0}, "BRPOP": {keysButLast, 0}, "BZPOPMIN": {keysButLast, 0}, "BZPOPMAX": {keysButLast, 0},

	"EVAL": {keysNum, 2}, "EVALSHA": {keysNum, 2}, "EVAL_RO": {keysNum, 2}, "EVALSHA_RO": {keysNum, 2},
	"FCALL": {keysNum, 2}, "FCALL_RO": {keysNum, 2},
	"SINTERCARD": {keysNum, 1}, "ZINTERCARD": {keysNum, 1}, "ZUNION": {keysNum, 1}, "ZINTER": {keysNum, 1},
	"ZDIFF": {keysNum, 1}, "LMPOP": {keysNum, 1}, "ZMPOP": {keysNum, 1},
	"BLMPOP": {keysNum, 2}, "BZMPOP": {keysNum, 2},

	"ZUNIONSTORE": {keysDestNum, 0}, "ZINTERSTORE": {keysDestNum, 0}, "ZDIFFSTORE": {keysDestNum, 0},

	"XREAD": {keysStreams, 0}, "XREADGROUP": {keysStreams, 0},
}

// commandKeys returns the policy operation of the command args (args[0]
// is its name, in any case; known, when it is the same name in lower
// case, spares converting it) and where its keys are: the argument at
// extra (when extra > 0), then those from first up to (not including)
// end, every step. Indexes are bounded by len(args): a malformed command
// (a key count larger than its arguments) names the keys it has.
func commandKeys(args []string, known string) (op string, extra, first, end, step int) {
	if len(args) == 0 {
		return "", 0, 0, 0, 1
	}
	name := args[0]
	spec, ok := keySpecs[name]
	if !ok {
		if up := strings.ToUpper(name); up != name {
			spec = keySpecs[up]
		}
	}
	if len(known) == len(name) && strings.EqualFold(known, name) {
		op = known
	} else {
		op = strings.ToLower(name)
	}
	n := len(args)
	step = 1
	num := func(at int) int {
		if at >= n {
			return 0
		}
		k, err := strconv.Atoi(args[at])
		if err != nil || k < 0 {
			return 0
		}
		return min(k, n-at-1)
	}
	switch spec.kind {
	case keysFirst:
		first, end = 1, min(2, n)
	case keysNone:
	case keysFrom:
		first, end = spec.n, n
	case keysRange:
		first, end = 1, min(1+spec.n, n)
	case keysPairs:
		first, end, step = 1, n, 2
	case keysButLast:
		first, end = 1, n-1
	case keysNum:
		first = spec.n + 1
		end = first + num(spec.n)
	case keysDestNum:
		extra, first = 1, 3
		end = first + num(2)
	case keysStreams:
		for i := 1; i < n; i++ {
			if strings.EqualFold(args[i], "STREAMS") {
				first = i + 1
				end = first + (n-first)/2
				break
			}
		}
	case keysSub, keysSubNone:
		if n > 1 {
			op += " " + strings.ToLower(args[1])
		}
		if spec.kind == keysSub {
			first, end = 2, min(3, n)
		}
	}
	if extra >= n {
		extra = 0
	}
	if first >= end {
		first, end = 0, 0
	}
	return op, extra, first, end, step
}

// authorizeKeys checks the Policy for op on every key of args (see
// commandKeys), before any I/O: nil when all are allowed, else the first
// PermissionDenied (already audited by Options.Authorize).
func (c *Client) authorizeKeys(ctx context.Context, op string, args []string, extra, first, end, step int) error {
	sec := &c.cfg.Security
	if sec.Policy == nil {
		return nil
	}
	if extra > 0 {
		if err := sec.Authorize(ctx, Kind, op, args[extra]); err != nil {
			return err
		}
	}
	if extra == 0 && first >= end {
		return sec.Authorize(ctx, Kind, op, "")
	}
	for i := first; i < end; i += step {
		if err := sec.Authorize(ctx, Kind, op, args[i]); err != nil {
			return err
		}
	}
	return nil
}

// auditResource is the audit event's resource: the key, or the keys
// separated by spaces (at most maxAuditResource bytes), or "".
func auditResource(args []string, extra, first, end, step int) string {
	if extra == 0 && end-first == 1 {
		return args[first]
	}
	var b strings.Builder
	add := func(k string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
	}
	if extra > 0 {
		add(args[extra])
	}
	for i := first; i < end && b.Len() < maxAuditResource; i += step {
		add(args[i])
	}
	s := b.String()
	if len(s) > maxAuditResource {
		s = s[:maxAuditResource] + "…"
	}
	return s
}

const maxAuditResource = 256

// secured is a checked call of one command in progress, for its audit.
type secured struct {
	op, resource string
	start        time.Time
}

// secure authorizes cmd, a command of id (opID 0 when unknown), and,
// when there is an audit, returns what its Record needs.
func (c *Client) secure(ctx context.Context, id opID, cmd *rueidis.Completed) (secured, error) {
	args := cmd.Commands()
	op, extra, first, end, step := commandKeys(args, opNames[id])
	if err := c.authorizeKeys(ctx, op, args, extra, first, end, step); err != nil {
		return secured{}, err
	}
	s := secured{op: op}
	if c.cfg.Security.Audit != nil {
		s.resource, s.start = auditResource(args, extra, first, end, step), time.Now()
	}
	return s, nil
}

// record audits a secured call that ended with err.
func (c *Client) record(ctx context.Context, s secured, err error) {
	if c.cfg.Security.Audit != nil {
		c.cfg.Security.Record(ctx, Kind, s.op, s.resource, s.start, err)
	}
}

// secureAll authorizes every command of a pipeline or transaction,
// before any of them is sent.
func (c *Client) secureAll(ctx context.Context, cmds rueidis.Commands) ([]secured, error) {
	out := make([]secured, len(cmds))
	for i := range cmds {
		s, err := c.secure(ctx, opDo, &cmds[i])
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// recordAll audits the commands of a pipeline from their results, or
// all with err when there are none (a transaction's shared outcome).
func (c *Client) recordAll(ctx context.Context, ss []secured, res []rueidis.RedisResult, err error) {
	if c.cfg.Security.Audit == nil {
		return
	}
	for i, s := range ss {
		e := err
		if i < len(res) {
			if m, re := res[i].ToMessage(); re != nil && !rueidis.IsRedisNil(re) {
				e = wrapErr(s.op, replyErr(&m, re))
			} else if res[i].NonRedisError() == nil {
				e = nil
			}
		}
		c.record(ctx, s, e)
	}
}

// secureNames authorizes op on each channel or pattern of a
// subscription (resource "" when there are none).
func (c *Client) secureNames(ctx context.Context, op string, names []string) (secured, error) {
	if err := c.authorizeKeys(ctx, op, names, 0, 0, len(names), 1); err != nil {
		return secured{}, err
	}
	s := secured{op: op}
	if c.cfg.Security.Audit != nil && len(names) > 0 {
		s.resource, s.start = auditResource(names, 0, 0, len(names), 1), time.Now()
	}
	return s, nil
}
