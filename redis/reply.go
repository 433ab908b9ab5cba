package redis

import (
	"strconv"
	"strings"

	"github.com/redis/rueidis"
)

// opID indexes the per-command latency recorders.
type opID int

var (
	opNames []string
	opIndex = map[string]opID{}
)

func newOp(name string) opID {
	if id, ok := opIndex[name]; ok {
		return id
	}
	opNames = append(opNames, name)
	id := opID(len(opNames) - 1)
	opIndex[name] = id
	return id
}

// opFor returns the recorder id of a command name seen by Do: the
// command's own name when it is a known one, else "do".
func opFor(name string) opID {
	if id, ok := opIndex[strings.ToLower(name)]; ok {
		return id
	}
	return opDo
}

var (
	opDo       = newOp("do")
	opPing     = newOp("ping")
	opPipeline = newOp("pipeline")
	opTx       = newOp("tx")
	opWatch    = newOp("watch")
)

// Opt is a value that may be missing: an element of MGET, HMGET or
// ZMSCORE whose key or member does not exist has OK false.
type Opt[T any] struct {
	V  T
	OK bool
}

// Reply is the reply to Do: any RESP value. Its accessors convert it; a nil
// reply converts to a NotFound error.
type Reply struct{ m rueidis.RedisMessage }

// IsNil reports whether the server replied nil.
func (r Reply) IsNil() bool { return r.m.IsNil() }

// String returns a string or number reply as a string.
func (r Reply) String() (string, error) {
	if r.m.IsInt64() {
		v, _ := r.m.AsInt64()
		return strconv.FormatInt(v, 10), nil
	}
	return conv(r.m.ToString())
}

// Int64 returns an integer reply, or a string reply parsed as an integer.
func (r Reply) Int64() (int64, error) { return conv(r.m.AsInt64()) }

// Float64 returns a float reply, or a string reply parsed as a float.
func (r Reply) Float64() (float64, error) { return conv(r.m.AsFloat64()) }

// Bool returns 1/0, OK, or a RESP3 boolean as a bool.
func (r Reply) Bool() (bool, error) { return conv(r.m.AsBool()) }

// Strings returns an array reply as strings.
func (r Reply) Strings() ([]string, error) { return conv(r.m.AsStrSlice()) }

// StringMap returns a map reply (or a flat key/value array) as strings.
func (r Reply) StringMap() (map[string]string, error) { return conv(r.m.AsStrMap()) }

// Values returns an array reply as Replies.
func (r Reply) Values() ([]Reply, error) {
	arr, err := r.m.ToArray()
	if err != nil {
		return nil, wrapErr("reply", err)
	}
	out := make([]Reply, len(arr))
	for i := range arr {
		out[i] = Reply{arr[i]}
	}
	return out, nil
}

// Any returns the reply as Go values: string, int64, float64, bool, nil,
// []any, or map[string]any.
func (r Reply) Any() (any, error) {
	if r.m.IsNil() {
		return nil, nil
	}
	return conv(r.m.ToAny())
}

func conv[T any](v T, err error) (T, error) {
	if err != nil {
		return v, wrapErr("reply", err)
	}
	return v, nil
}

// Parsers from a RESP message to Go values, shared by Client methods,
// pipelines and transactions. A nil reply gives rueidis.Nil, which the
// caller translates to NotFound.

func asReply(m rueidis.RedisMessage) (Reply, error) { return Reply{m}, nil }

func asString(m rueidis.RedisMessage) (string, error) { return m.ToString() }

func asInt(m rueidis.RedisMessage) (int64, error) { return m.AsInt64() }

func asFloat(m rueidis.RedisMessage) (float64, error) { return m.AsFloat64() }

func asBool(m rueidis.RedisMessage) (bool, error) { return m.AsBool() }

func asOK(m rueidis.RedisMessage) (struct{}, error) { return struct{}{}, m.Error() }

func asStrings(m rueidis.RedisMessage) ([]string, error) {
	if m.IsNil() {
		return nil, nil
	}
	return m.AsStrSlice()
}

func asStrMap(m rueidis.RedisMessage) (map[string]string, error) { return m.AsStrMap() }

// asOptStrings reads an array whose elements may be nil (MGET, HMGET).
func asOptStrings(m rueidis.RedisMessage) ([]Opt[string], error) {
	arr, err := m.ToArray()
	if err != nil {
		return nil, err
	}
	out := make([]Opt[string], len(arr))
	for i := range arr {
		if arr[i].IsNil() {
			continue
		}
		s, err := arr[i].ToString()
		if err != nil {
			return nil, err
		}
		out[i] = Opt[string]{s, true}
	}
	return out, nil
}

// asOptFloats reads an array of floats that may be nil (ZMSCORE).
func asOptFloats(m rueidis.RedisMessage) ([]Opt[float64], error) {
	arr, err := m.ToArray()
	if err != nil {
		return nil, err
	}
	out := make([]Opt[float64], len(arr))
	for i := range arr {
		if arr[i].IsNil() {
			continue
		}
		f, err := arr[i].AsFloat64()
		if err != nil {
			return nil, err
		}
		out[i] = Opt[float64]{f, true}
	}
	return out, nil
}

// asNilableString is for replies where nil is a normal answer (SET ... GET
// of a key that did not exist): ok is false for nil.
func asOptString(m rueidis.RedisMessage) (Opt[string], error) {
	if m.IsNil() {
		return Opt[string]{}, nil
	}
	s, err := m.ToString()
	return Opt[string]{s, err == nil}, err
}

// asNilableBool: nil is false (SET NX that did not set).
func asSetResult(m rueidis.RedisMessage) (bool, error) {
	if m.IsNil() {
		return false, nil
	}
	return true, m.Error()
}

// Z is a sorted-set member with its score.
type Z struct {
	Member string
	Score  float64
}

func asZs(m rueidis.RedisMessage) ([]Z, error) {
	zs, err := m.AsZScores()
	if err != nil {
		return nil, err
	}
	out := make([]Z, len(zs))
	for i, z := range zs {
		out[i] = Z{z.Member, z.Score}
	}
	return out, nil
}

// asOptZ reads a single member with score, or nil (ZPOPMIN of an empty set
// gives an empty array).
func asZsOrEmpty(m rueidis.RedisMessage) ([]Z, error) {
	if m.IsNil() {
		return nil, nil
	}
	arr, err := m.ToArray()
	if err != nil {
		return nil, err
	}
	if len(arr) == 0 {
		return nil, nil
	}
	// RESP2 flat [member score member score]; RESP3 may be nested pairs.
	if arr[0].IsArray() {
		return asZs(m)
	}
	out := make([]Z, 0, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		mem, err := arr[i].ToString()
		if err != nil {
			return nil, err
		}
		sc, err := arr[i+1].AsFloat64()
		if err != nil {
			return nil, err
		}
		out = append(out, Z{mem, sc})
	}
	return out, nil
}

// ScanPage is one page of a SCAN-family cursor.
type ScanPage struct {
	Cursor uint64   // 0 when the iteration is complete
	Items  []string // keys, or alternating field/value or member/score
}

func asScan(m rueidis.RedisMessage) (ScanPage, error) {
	e, err := m.AsScanEntry()
	return ScanPage{Cursor: e.Cursor, Items: e.Elements}, err
}
