package redis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/componenttest"
	"github.com/infra-arsenal/arsenal/internal/fanout"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// TestMain points REDIS_URL at a real redis-server started for this test
// binary: the Example functions read it, as a program would
// (redis.DefaultConfig), so they run as written against a real server.
func TestMain(m *testing.M) {
	srv, err := testenv.LaunchRedis()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	os.Setenv("REDIS_URL", srv.URL())
	os.Unsetenv("VALKEY_URL")
	code := m.Run()
	srv.Stop()
	testenv.StopAll()
	os.Exit(code)
}

// open connects to the shared real server and closes the client at the end.
func open(t testing.TB, mutate ...func(*redis.Config)) (*redis.Client, *testenv.Redis) {
	t.Helper()
	srv := testenv.SharedRedis(t)
	return openAt(t, srv, mutate...), srv
}

func openAt(t testing.TB, srv *testenv.Redis, mutate ...func(*redis.Config)) *redis.Client {
	t.Helper()
	cfg := redis.Config{Addrs: []string{srv.Addr}}
	for _, m := range mutate {
		m(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// prefix returns a key prefix unique to the test.
func prefix(t testing.TB) string { return t.Name() + ":" + testenv.RandomHex(4) + ":" }

func TestConformance(t *testing.T) {
	srv := testenv.SharedRedis(t)
	key := prefix(t) + "k"
	componenttest.Run(t, componenttest.Harness{
		Kind: "redis",
		Open: func(ctx context.Context) (arsenal.Component, error) {
			return redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}})
		},
		OpenInvalid: func(ctx context.Context) error {
			_, err := redis.Open(ctx, redis.Config{Addrs: []string{"nocolon"}, DB: -1, PipelineConns: 3, Mode: "ring"})
			return err
		},
		InvalidFields: []string{"Addrs", "DB", "PipelineConns", "Mode"},
		Unreachable: func(ctx context.Context) error {
			port, err := testenv.FreePort()
			if err != nil {
				return err
			}
			c, err := redis.Open(ctx, redis.Config{Addrs: []string{"127.0.0.1:" + itoa(port)}, ConnectTimeout: 3 * time.Second})
			if err == nil {
				c.Close()
			}
			return err
		},
		UnreachableTimeout: 3 * time.Second,
		Exercise: func(ctx context.Context, c arsenal.Component) error {
			return c.(*redis.Client).Set(ctx, key, "v")
		},
		Blocking: func(ctx context.Context, c arsenal.Component) error {
			_, err := c.(*redis.Client).BLPop(ctx, 0, prefix(t)+"never")
			return err
		},
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestMissingKeyIsNotFoundNotEmptyString(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	if err := c.Set(ctx, p+"empty", ""); err != nil {
		t.Fatal(err)
	}
	v, err := c.Get(ctx, p+"empty")
	if err != nil || v != "" {
		t.Fatalf("Get of an empty value = %q, %v; want \"\", nil", v, err)
	}
	_, err = c.Get(ctx, p+"missing")
	if !redis.IsNotFound(err) || !errors.Is(err, redis.ErrNil) {
		t.Fatalf("Get of a missing key: %v; want NotFound wrapping ErrNil", err)
	}
	if cl := arsenal.Classify(err); cl.Retryable {
		t.Errorf("NotFound classified retryable: %+v", cl)
	}
}

func TestTypedCommandsReturnGoValues(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		run  func() (any, error)
		want any
	}{
		{"Set then Get returns the value", func() (any, error) { must(c.Set(ctx, p+"s", "v1")); return c.Get(ctx, p+"s") }, "v1"},
		{"Incr counts from zero", func() (any, error) { return c.Incr(ctx, p+"n") }, int64(1)},
		{"IncrBy adds", func() (any, error) { return c.IncrBy(ctx, p+"n", 41) }, int64(42)},
		{"DecrBy subtracts", func() (any, error) { return c.DecrBy(ctx, p+"n", 2) }, int64(40)},
		{"IncrByFloat adds a float", func() (any, error) { return c.IncrByFloat(ctx, p+"f", 1.5) }, 1.5},
		{"Append returns the new length", func() (any, error) { return c.Append(ctx, p+"s", "23") }, int64(4)},
		{"StrLen measures", func() (any, error) { return c.StrLen(ctx, p+"s") }, int64(4)},
		{"GetRange slices", func() (any, error) { return c.GetRange(ctx, p+"s", 1, 2) }, "12"},
		{"SetNX refuses an existing key", func() (any, error) { return c.SetNX(ctx, p+"s", "x") }, false},
		{"Exists counts keys", func() (any, error) { return c.Exists(ctx, p+"s", p+"n", p+"nope") }, int64(2)},
		{"Type names the type", func() (any, error) { return c.Type(ctx, p+"s") }, "string"},
		{"TTL of a persistent key is NoExpiry", func() (any, error) { return c.TTL(ctx, p+"s") }, redis.NoExpiry},
		{"Expire sets a TTL", func() (any, error) { return c.Expire(ctx, p+"s", time.Hour) }, true},
		{"TTL reports it", func() (any, error) { return c.TTL(ctx, p+"s") }, time.Hour},
		{"Persist removes it", func() (any, error) { return c.Persist(ctx, p+"s") }, true},
		{"GetSet returns the old value", func() (any, error) { return c.GetSet(ctx, p+"s", "new") }, redis.Opt[string]{V: "v123", OK: true}},
		{"GetDel returns and deletes", func() (any, error) { return c.GetDel(ctx, p+"s") }, "new"},
		{"MSet then MGet keeps order and marks missing keys", func() (any, error) {
			must(c.MSet(ctx, p+"a", "1", p+"b", "2"))
			return c.MGet(ctx, p+"a", p+"missing", p+"b")
		}, []redis.Opt[string]{{V: "1", OK: true}, {}, {V: "2", OK: true}}},
		{"Rename moves", func() (any, error) { must(c.Rename(ctx, p+"a", p+"a2")); return c.Get(ctx, p+"a2") }, "1"},
		{"Copy copies", func() (any, error) { return c.Copy(ctx, p+"a2", p+"a3", false) }, true},
		{"SetBit returns the old bit", func() (any, error) { return c.SetBit(ctx, p+"bits", 7, 1) }, int64(0)},
		{"GetBit reads it", func() (any, error) { return c.GetBit(ctx, p+"bits", 7) }, int64(1)},
		{"BitCount counts", func() (any, error) { return c.BitCount(ctx, p+"bits") }, int64(1)},
		{"Del counts deleted keys", func() (any, error) { return c.Del(ctx, p+"a2", p+"a3", p+"none") }, int64(2)},
		{"HSet counts new fields", func() (any, error) { return c.HSet(ctx, p+"h", "f1", "v1", "f2", "v2") }, int64(2)},
		{"HGet reads a field", func() (any, error) { return c.HGet(ctx, p+"h", "f1") }, "v1"},
		{"HGetAll reads all", func() (any, error) { return c.HGetAll(ctx, p+"h") }, map[string]string{"f1": "v1", "f2": "v2"}},
		{"HMGet marks missing fields", func() (any, error) { return c.HMGet(ctx, p+"h", "f2", "zz") }, []redis.Opt[string]{{V: "v2", OK: true}, {}}},
		{"HIncrBy adds", func() (any, error) { return c.HIncrBy(ctx, p+"h", "n", 5) }, int64(5)},
		{"HLen counts", func() (any, error) { return c.HLen(ctx, p+"h") }, int64(3)},
		{"HExists finds", func() (any, error) { return c.HExists(ctx, p+"h", "f1") }, true},
		{"HDel deletes", func() (any, error) { return c.HDel(ctx, p+"h", "f1", "zz") }, int64(1)},
		{"SAdd counts new members", func() (any, error) { return c.SAdd(ctx, p+"set", "a", "b", "a") }, int64(2)},
		{"SIsMember finds", func() (any, error) { return c.SIsMember(ctx, p+"set", "b") }, true},
		{"SCard counts", func() (any, error) { return c.SCard(ctx, p+"set") }, int64(2)},
		{"SMembers lists", func() (any, error) {
			m, err := c.SMembers(ctx, p+"set")
			slices.Sort(m)
			return m, err
		}, []string{"a", "b"}},
		{"SMove moves", func() (any, error) { return c.SMove(ctx, p+"set", p+"set2", "a") }, true},
		{"RPush appends", func() (any, error) { return c.RPush(ctx, p+"l", "x", "y") }, int64(2)},
		{"LPush prepends", func() (any, error) { return c.LPush(ctx, p+"l", "w") }, int64(3)},
		{"LRange reads", func() (any, error) { return c.LRange(ctx, p+"l", 0, -1) }, []string{"w", "x", "y"}},
		{"LPop pops the head", func() (any, error) { return c.LPop(ctx, p+"l") }, "w"},
		{"RPop pops the tail", func() (any, error) { return c.RPop(ctx, p+"l") }, "y"},
		{"LLen counts", func() (any, error) { return c.LLen(ctx, p+"l") }, int64(1)},
		{"LPushX ignores a missing list", func() (any, error) { return c.LPushX(ctx, p+"nolist", "a") }, int64(0)},
		{"ZAdd adds", func() (any, error) {
			return c.ZAdd(ctx, p+"z", redis.Z{Member: "a", Score: 1}, redis.Z{Member: "b", Score: 2}, redis.Z{Member: "c", Score: 3})
		}, int64(3)},
		{"ZScore reads", func() (any, error) { return c.ZScore(ctx, p+"z", "b") }, 2.0},
		{"ZRank ranks", func() (any, error) { return c.ZRank(ctx, p+"z", "c") }, int64(2)},
		{"ZRevRank ranks backwards", func() (any, error) { return c.ZRevRank(ctx, p+"z", "c") }, int64(0)},
		{"ZRange lists by rank", func() (any, error) { return c.ZRange(ctx, p+"z", 0, -1) }, []string{"a", "b", "c"}},
		{"ZRevRange lists backwards", func() (any, error) { return c.ZRevRange(ctx, p+"z", 0, 0) }, []string{"c"}},
		{"ZRangeByScore filters", func() (any, error) { return c.ZRangeByScore(ctx, p+"z", "(1", "+inf", redis.Limit{}) }, []string{"b", "c"}},
		{"ZRangeWithScores pairs", func() (any, error) { return c.ZRangeWithScores(ctx, p+"z", 0, 0) }, []redis.Z{{Member: "a", Score: 1}}},
		{"ZCount counts", func() (any, error) { return c.ZCount(ctx, p+"z", "2", "3") }, int64(2)},
		{"ZIncrBy adds", func() (any, error) { return c.ZIncrBy(ctx, p+"z", 10, "a") }, 11.0},
		{"ZMScore marks missing members", func() (any, error) { return c.ZMScore(ctx, p+"z", "a", "zz") }, []redis.Opt[float64]{{V: 11, OK: true}, {}}},
		{"ZPopMin pops the lowest", func() (any, error) { return c.ZPopMin(ctx, p+"z", 1) }, []redis.Z{{Member: "b", Score: 2}}},
		{"ZRem removes", func() (any, error) { return c.ZRem(ctx, p+"z", "c", "zz") }, int64(1)},
		{"ZCard counts", func() (any, error) { return c.ZCard(ctx, p+"z") }, int64(1)},
		{"PFAdd changes the estimate", func() (any, error) { return c.PFAdd(ctx, p+"hll", "a", "b", "c") }, true},
		{"PFCount estimates", func() (any, error) { return c.PFCount(ctx, p+"hll") }, int64(3)},
		{"Ping answers PONG", func() (any, error) { return c.Ping(ctx) }, "PONG"},
		{"Do runs any command", func() (any, error) {
			r, err := c.Do(ctx, "ECHO", "hi")
			if err != nil {
				return nil, err
			}
			return r.String()
		}, "hi"},
		{"Do reports a nil reply with IsNil", func() (any, error) {
			r, err := c.Do(ctx, "GET", p+"missing")
			return r.IsNil(), err
		}, true},
	}
	for _, tt := range tests {
		got, err := tt.run()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !equal(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, got, tt.want)
		}
	}
}

func equal(a, b any) bool {
	switch av := a.(type) {
	case []string:
		return slices.Equal(av, b.([]string))
	case []redis.Opt[string]:
		return slices.Equal(av, b.([]redis.Opt[string]))
	case []redis.Opt[float64]:
		return slices.Equal(av, b.([]redis.Opt[float64]))
	case []redis.Z:
		return slices.Equal(av, b.([]redis.Z))
	case map[string]string:
		bm := b.(map[string]string)
		if len(av) != len(bm) {
			return false
		}
		for k, v := range av {
			if bm[k] != v {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestTypedMethodsReportNilAsNotFound(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	if _, err := c.HSet(ctx, p+"h", "f", "v"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
	}{
		{"Get of a missing key", func() error { _, err := c.Get(ctx, p+"none"); return err }},
		{"HGet of a missing field", func() error { _, err := c.HGet(ctx, p+"h", "none"); return err }},
		{"LPop of a missing list", func() error { _, err := c.LPop(ctx, p+"none"); return err }},
		{"SPop of a missing set", func() error { _, err := c.SPop(ctx, p+"none"); return err }},
		{"ZScore of a missing member", func() error { _, err := c.ZScore(ctx, p+"none", "m"); return err }},
		{"ZRank of a missing member", func() error { _, err := c.ZRank(ctx, p+"none", "m"); return err }},
		{"TTL of a missing key", func() error { _, err := c.TTL(ctx, p+"none"); return err }},
		{"LIndex out of range", func() error { _, err := c.LIndex(ctx, p+"none", 3); return err }},
		{"GetDel of a missing key", func() error { _, err := c.GetDel(ctx, p+"none"); return err }},
	}
	for _, tt := range tests {
		if err := tt.run(); !redis.IsNotFound(err) {
			t.Errorf("%s: %v; want NotFound", tt.name, err)
		}
	}
	// Stats do not count a miss as an error.
	if o := c.Stats().Ops["get"]; o.Errors != 0 || o.Count == 0 {
		t.Errorf("get stats after a miss: %+v; want counted, no errors", o)
	}
}

func TestSetWithOptions(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	tests := []struct {
		name string
		key  string
		val  string
		opt  redis.SetOptions
		want redis.SetResult
	}{
		{"NX sets a new key", "k", "1", redis.SetOptions{NX: true}, redis.SetResult{Set: true}},
		{"NX refuses an existing key", "k", "2", redis.SetOptions{NX: true}, redis.SetResult{Set: false}},
		{"XX updates an existing key", "k", "3", redis.SetOptions{XX: true}, redis.SetResult{Set: true}},
		{"XX refuses a missing key", "nokey", "3", redis.SetOptions{XX: true}, redis.SetResult{Set: false}},
		{"GET returns the old value", "k", "4", redis.SetOptions{Get: true, EX: time.Minute}, redis.SetResult{Set: true, Old: redis.Opt[string]{V: "3", OK: true}}},
		{"KEEPTTL keeps the TTL", "k", "5", redis.SetOptions{KeepTTL: true}, redis.SetResult{Set: true}},
		{"NX with GET on a missing key sets it", "k2", "a", redis.SetOptions{NX: true, Get: true, PX: 5 * time.Second}, redis.SetResult{Set: true}},
		{"PXAT sets an absolute expiry", "k3", "a", redis.SetOptions{PXAT: time.Now().Add(time.Hour)}, redis.SetResult{Set: true}},
		{"EXAT sets an absolute expiry", "k4", "a", redis.SetOptions{EXAT: time.Now().Add(time.Hour)}, redis.SetResult{Set: true}},
	}
	for _, tt := range tests {
		got, err := c.SetWith(ctx, p+tt.key, tt.val, tt.opt)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if d, err := c.TTL(ctx, p+"k"); err != nil || d <= 0 || d > time.Minute {
		t.Errorf("KEEPTTL lost the TTL: %v, %v", d, err)
	}
	bad := []struct {
		name string
		opt  redis.SetOptions
	}{
		{"NX with XX", redis.SetOptions{NX: true, XX: true}},
		{"EX with PX", redis.SetOptions{EX: time.Second, PX: time.Second}},
		{"EX below a second", redis.SetOptions{EX: time.Millisecond}},
		{"KEEPTTL with EX", redis.SetOptions{KeepTTL: true, EX: time.Second}},
	}
	for _, tt := range bad {
		if _, err := c.SetWith(ctx, p+"bad", "x", tt.opt); !arsenal.IsCode(err, arsenal.InvalidArgument) {
			t.Errorf("%s: %v; want InvalidArgument", tt.name, err)
		}
	}
}

func TestServerErrorsAreCoded(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	if err := c.Set(ctx, p+"str", "x"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want arsenal.Code
	}{
		{"WRONGTYPE is FailedPrecondition", func() error { _, err := c.LPush(ctx, p+"str", "a"); return err }, arsenal.FailedPrecondition},
		{"a non-integer INCR is InvalidArgument", func() error { _, err := c.Incr(ctx, p+"str"); return err }, arsenal.InvalidArgument},
		{"an unknown command is InvalidArgument", func() error { _, err := c.Do(ctx, "NOSUCHCOMMAND"); return err }, arsenal.InvalidArgument},
		{"a wrong arity is InvalidArgument", func() error { _, err := c.Do(ctx, "GET"); return err }, arsenal.InvalidArgument},
		{"an unknown script SHA is NotFound", func() error {
			_, err := c.EvalSha(ctx, strings.Repeat("0", 40), nil)
			return err
		}, arsenal.NotFound},
		{"SUBSCRIBE through Do is InvalidArgument", func() error { _, err := c.Do(ctx, "subscribe", "x"); return err }, arsenal.InvalidArgument},
		{"an unsupported Do argument is InvalidArgument", func() error { _, err := c.Do(ctx, "ECHO", struct{}{}); return err }, arsenal.InvalidArgument},
		{"an empty Do is InvalidArgument", func() error { _, err := c.Do(ctx); return err }, arsenal.InvalidArgument},
		{"odd HSet pairs are InvalidArgument", func() error { _, err := c.HSet(ctx, p+"h", "f"); return err }, arsenal.InvalidArgument},
		{"an existing stream group is AlreadyExists", func() error {
			_ = c.XGroupCreate(ctx, p+"st", "g", "$", true)
			return c.XGroupCreate(ctx, p+"st", "g", "$", true)
		}, arsenal.AlreadyExists},
	}
	for _, tt := range tests {
		err := tt.run()
		var ae *arsenal.Error
		if !errors.As(err, &ae) {
			t.Errorf("%s: %v is not an *arsenal.Error", tt.name, err)
			continue
		}
		if ae.Code != tt.want {
			t.Errorf("%s: code %v, want %v (%v)", tt.name, ae.Code, tt.want, err)
		}
	}
}

func TestWrongPasswordIsUnauthenticated(t *testing.T) {
	srv := testenv.StartRedis(t)
	// testenv pings without AUTH while starting, so the password is set after.
	r, err := testenv.RedisCommand(srv.Addr, "CONFIG SET requirepass s3cret")
	require.NoError(t, err)
	require.Equal(t, "+OK", r, "CONFIG SET requirepass")
	ctx := ctxT(t)
	_, err = redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}, Password: security.NewSecret("wrong")})
	require.True(t, arsenal.IsCode(err, arsenal.Unauthenticated), "Open with a wrong password: %v; want Unauthenticated", err)
	assert.False(t, strings.Contains(err.Error(), "wrong") && strings.Contains(err.Error(), "Password"), "error may echo the password: %v", err)
	c, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}, Password: security.NewSecret("s3cret")})
	require.NoError(t, err, "Open with the right password")
	defer c.Close()
	require.NoError(t, c.Health(ctx))
}

func TestPipelineSendsABatchAndFillsFutures(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	pl := c.Pipeline()
	set := pl.Set(p+"a", "1")
	incr := pl.Incr(p + "n")
	get := pl.Get(p + "a")
	miss := pl.Get(p + "missing")
	hset := pl.HSet(p+"h", "f", "v")
	lp := pl.LPush(p+"l", "x", "y")
	do := pl.Do("ECHO", "e")
	if _, err := get.Result(); !arsenal.IsCode(err, arsenal.FailedPrecondition) {
		t.Errorf("Future before Exec: %v; want FailedPrecondition", err)
	}
	if err := pl.Exec(ctx); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if set.Err() != nil || incr.Val() != 1 || get.Val() != "1" || hset.Val() != 1 || lp.Val() != 2 {
		t.Errorf("futures: set=%v incr=%d get=%q hset=%d lpush=%d", set.Err(), incr.Val(), get.Val(), hset.Val(), lp.Val())
	}
	if !redis.IsNotFound(miss.Err()) {
		t.Errorf("missing key in a pipeline: %v; want NotFound", miss.Err())
	}
	if s, _ := do.Val().String(); s != "e" {
		t.Errorf("Do in a pipeline: %q", s)
	}
	if err := pl.Exec(ctx); !arsenal.IsCode(err, arsenal.FailedPrecondition) {
		t.Errorf("second Exec: %v; want FailedPrecondition", err)
	}
	if c.Stats().Ops["pipeline"].Count != 1 {
		t.Errorf("pipeline not recorded in Stats: %+v", c.Stats().Ops["pipeline"])
	}
}

func TestTransactionsRunAtomicallyAndWatchDetectsConflicts(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	var incr *redis.Future[int64]
	err := c.TxPipelined(ctx, func(pl *redis.Pipeline) error {
		pl.Set(p+"a", "1")
		incr = pl.IncrBy(p+"n", 5)
		return nil
	})
	if err != nil || incr.Val() != 5 {
		t.Fatalf("TxPipelined: %v, incr=%d", err, incr.Val())
	}
	// A conflicting write between WATCH and EXEC aborts the transaction.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, p+"a")
		if err != nil {
			return err
		}
		if err := c.Set(ctx, p+"a", "changed-by-someone-else"); err != nil {
			return err
		}
		return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Set(p+"a", v+"-mine"); return nil })
	}, p+"a")
	if !arsenal.IsCode(err, arsenal.Aborted) || !errors.Is(err, redis.ErrTxAborted) {
		t.Fatalf("conflicting Watch: %v; want Aborted", err)
	}
	if v, _ := c.Get(ctx, p+"a"); v != "changed-by-someone-else" {
		t.Errorf("aborted transaction wrote: %q", v)
	}
	// Optimistic increments from many goroutines never lose an update.
	if err := c.Set(ctx, p+"ctr", "0"); err != nil {
		t.Fatal(err)
	}
	const n = 8
	for _, err := range fanout.Run(n, func(int) error {
		return c.WatchRetry(ctx, 100, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, p+"ctr")
			if err != nil {
				return err
			}
			return tx.Exec(ctx, func(pl *redis.Pipeline) error { pl.Set(p+"ctr", itoa(atoiT(t, v)+1)); return nil })
		}, p+"ctr")
	}) {
		t.Errorf("WatchRetry: %v", err)
	}
	if v, _ := c.Get(ctx, p+"ctr"); v != itoa(n) {
		t.Errorf("counter = %s after %d optimistic increments", v, n)
	}
}

func atoiT(t *testing.T, s string) int {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			t.Errorf("not a number: %q", s)
			return 0
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

func TestScriptsRunBySHAAndReloadAfterFlush(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	s := redis.NewScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
	if _, err := c.ScriptLoad(ctx, "return 1"); err != nil {
		t.Fatal(err)
	}
	if err := c.ScriptFlush(ctx); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{3, 6} {
		r, err := s.Run(ctx, c, []string{p + "k"}, "3")
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if n, _ := r.Int64(); n != want {
			t.Errorf("run %d = %d, want %d", i, n, want)
		}
	}
	ok, err := c.ScriptExists(ctx, s.SHA1())
	if err != nil || len(ok) != 1 || !ok[0] {
		t.Errorf("script not cached after Run: %v %v", ok, err)
	}
	if c.Stats().Ops["evalsha"].Count < 2 {
		t.Errorf("EVALSHA not used: %+v", c.Stats().Ops)
	}
}

func TestStreamsAppendReadAndAcknowledge(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	st := prefix(t) + "stream"
	if err := c.XGroupCreate(ctx, st, "g", "$", true); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		id, err := c.XAdd(ctx, redis.XAddArgs{Stream: st, Values: []string{"n", itoa(i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if n, _ := c.XLen(ctx, st); n != 3 {
		t.Errorf("XLen = %d", n)
	}
	r, err := c.XRange(ctx, st, "-", "+", 0)
	if err != nil || len(r) != 3 || r[2].Values["n"] != "2" {
		t.Fatalf("XRange: %+v %v", r, err)
	}
	rr, err := c.XRevRange(ctx, st, "+", "-", 1)
	if err != nil || len(rr) != 1 || rr[0].ID != ids[2] {
		t.Errorf("XRevRange: %+v %v", rr, err)
	}
	got, err := c.XReadGroup(ctx, "g", "alice", redis.XReadArgs{Streams: []string{st}, IDs: []string{">"}, Count: 2})
	if err != nil || len(got) != 1 || len(got[0].Messages) != 2 {
		t.Fatalf("XReadGroup: %+v %v", got, err)
	}
	pend, err := c.XPending(ctx, st, "g")
	if err != nil || pend.Count != 2 || pend.Consumers["alice"] != 2 {
		t.Errorf("XPending: %+v %v", pend, err)
	}
	claimed, err := c.XClaim(ctx, st, "g", "bob", 0, ids[0])
	if err != nil || len(claimed) != 1 {
		t.Errorf("XClaim: %+v %v", claimed, err)
	}
	entries, err := c.XPendingRange(ctx, st, "g", "-", "+", 10, "bob")
	if err != nil || len(entries) != 1 || entries[0].ID != ids[0] {
		t.Errorf("XPendingRange: %+v %v", entries, err)
	}
	if n, err := c.XAck(ctx, st, "g", ids[0], ids[1]); err != nil || n != 2 {
		t.Errorf("XAck = %d, %v", n, err)
	}
	start := time.Now()
	empty, err := c.XRead(ctx, redis.XReadArgs{Streams: []string{st}, IDs: []string{"$"}, Block: 100 * time.Millisecond})
	if err != nil || len(empty) != 0 {
		t.Errorf("blocking XRead with no new entries: %+v %v", empty, err)
	}
	if time.Since(start) < 90*time.Millisecond {
		t.Errorf("XRead with Block returned after %s", time.Since(start))
	}
	if n, err := c.XDel(ctx, st, ids[2]); err != nil || n != 1 {
		t.Errorf("XDel = %d %v", n, err)
	}
	if n, err := c.XTrim(ctx, st, 1, "", false); err != nil || n != 1 {
		t.Errorf("XTrim = %d %v", n, err)
	}
	if _, err := c.XAdd(ctx, redis.XAddArgs{Stream: prefix(t) + "none", NoMkStream: true, Values: []string{"a", "b"}}); !redis.IsNotFound(err) {
		t.Errorf("XAdd NOMKSTREAM to a missing stream: %v; want NotFound", err)
	}
}

func TestScanAllVisitsEveryKey(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	p := prefix(t)
	want := map[string]bool{}
	for i := 0; i < 50; i++ {
		k := p + itoa(i)
		want[k] = true
		if err := c.Set(ctx, k, "x"); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for k, err := range c.ScanAll(ctx, redis.ScanOptions{Match: p + "*", Count: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[k] = true
	}
	if len(seen) != len(want) {
		t.Errorf("ScanAll saw %d keys, want %d", len(seen), len(want))
	}
}

func TestCallsHonourTheirDeadlineEvenWhenTheServerStalls(t *testing.T) {
	srv := testenv.StartRedis(t)
	c := openAt(t, srv)
	if _, err := testenv.RedisCommand(srv.Addr, "CLIENT PAUSE 3000 ALL"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Publish", func(ctx context.Context) error { _, err := c.Publish(ctx, "ch", "m"); return err }},
		{"Set", func(ctx context.Context) error { return c.Set(ctx, "k", "v") }},
		{"Get", func(ctx context.Context) error { _, err := c.Get(ctx, "k"); return err }},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		err := tt.call(ctx)
		elapsed := time.Since(start)
		cancel()
		if !arsenal.IsCode(err, arsenal.DeadlineExceeded) {
			t.Errorf("%s during CLIENT PAUSE: %v; want DeadlineExceeded", tt.name, err)
		}
		if elapsed > 1500*time.Millisecond {
			t.Errorf("%s returned %s after its 200ms deadline", tt.name, elapsed)
		}
	}
}

func TestSelectOpensAClientOnAnotherDatabase(t *testing.T) {
	c, _ := open(t)
	ctx := ctxT(t)
	k := prefix(t) + "k"
	db1, err := c.Select(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	if err := db1.Set(ctx, k, "in-db1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, k); !redis.IsNotFound(err) {
		t.Errorf("db 0 sees db 1's key: %v", err)
	}
	if v, _ := db1.Get(ctx, k); v != "in-db1" {
		t.Errorf("db1 Get = %q", v)
	}
}

func testenvShared(t testing.TB) *testenv.Redis { return testenv.SharedRedis(t) }

type testenvRedis = testenv.Redis

// startReal starts a dedicated real redis-server (these tests kill and
// restart it, which no stand-in can do meaningfully).
func startReal(t *testing.T, args ...string) *testenv.Redis {
	t.Helper()
	return testenv.RequireRealRedis(t, args...)
}
