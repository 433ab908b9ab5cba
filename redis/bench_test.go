package redis_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal/redis"
)

// BenchmarkCommands runs SET, GET, HSET and LPUSH with 1 caller and with 64
// concurrent callers, through this package and through raw rueidis on the
// same server, so the overhead ratio reads off the same run:
//
//	go test ./redis -run XXX -bench Commands -benchtime 2s
func BenchmarkCommands(b *testing.B) {
	srv := testenvShared(b)
	ctx := context.Background()
	c := openAt(b, srv)
	// Raw rueidis runs with the same pipelining settings, so the ratio is
	// this package's own overhead.
	ps := c.PipelineSettings()
	raw, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr}, ClientSetInfo: rueidis.DisableClientSetInfo,
		PipelineMultiplex: ps.Multiplex, MaxFlushDelay: ps.MaxFlushDelay})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	key := "bench:" + strconv.Itoa(int(srvPort(srv.Addr)))
	_ = c.Set(ctx, key+":s", "value")

	type impl struct {
		name string
		ops  map[string]func(i int) error
	}
	impls := []impl{
		{"arsenal", map[string]func(int) error{
			"SET":   func(int) error { return c.Set(ctx, key+":s", "value") },
			"GET":   func(int) error { _, err := c.Get(ctx, key+":s"); return err },
			"HSET":  func(int) error { _, err := c.HSet(ctx, key+":h", "f", "v"); return err },
			"LPUSH": func(int) error { _, err := c.LPush(ctx, key+":l", "v"); return err },
		}},
		{"raw rueidis", map[string]func(int) error{
			"SET": func(int) error { return raw.Do(ctx, raw.B().Set().Key(key+":s").Value("value").Build()).Error() },
			"GET": func(int) error { return raw.Do(ctx, raw.B().Get().Key(key+":s").Build()).Error() },
			"HSET": func(int) error {
				return raw.Do(ctx, raw.B().Hset().Key(key+":h").FieldValue().FieldValue("f", "v").Build()).Error()
			},
			"LPUSH": func(int) error { return raw.Do(ctx, raw.B().Lpush().Key(key+":l").Element("v").Build()).Error() },
		}},
	}
	for _, op := range []string{"SET", "GET", "HSET", "LPUSH"} {
		for _, callers := range []int{1, 64} {
			for _, im := range impls {
				fn := im.ops[op]
				b.Run(op+"/callers="+strconv.Itoa(callers)+"/"+im.name, func(b *testing.B) {
					if callers == 1 {
						for i := 0; i < b.N; i++ {
							if err := fn(i); err != nil {
								b.Fatal(err)
							}
						}
						return
					}
					runCallers(b, callers, fn)
				})
			}
		}
	}
	_, _ = c.Del(ctx, key+":l")
}

// runCallers spreads b.N calls over n goroutines.
func runCallers(b *testing.B, n int, fn func(int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := fn(int(i)); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	_ = runtime.NumGoroutine
}

func srvPort(addr string) int {
	n, _ := strconv.Atoi(portOf(addr))
	return n
}

// The Opt type is comparable, so table tests can compare results directly.
var _ = redis.Opt[string]{} == redis.Opt[string]{}
