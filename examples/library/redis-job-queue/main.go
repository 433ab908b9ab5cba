// Command redis-job-queue is a job queue on a Redis stream with a consumer
// group: a producer adds jobs with XADD, two workers share them with
// XREADGROUP and acknowledge each with XACK, and a job a crashed worker left
// pending is claimed by another with XCLAIM.
//
//	REDIS_URL=redis://localhost:6379/0 go run ./examples/library/redis-job-queue
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal/redis"
)

func main() {
	url := flag.String("redis", envOr("REDIS_URL", "redis://localhost:6379/0"), "Redis URL")
	jobs := flag.Int("jobs", 10, "jobs to enqueue")
	flag.Parse()
	if err := run(*url, *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

const (
	stream = "example:jobs"
	group  = "workers"
)

func run(url string, jobs int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	if _, err := c.Del(ctx, stream); err != nil {
		return err
	}
	if err := c.XGroupCreate(ctx, stream, group, "$", true); err != nil {
		return err
	}
	for i := 1; i <= jobs; i++ {
		if _, err := c.XAdd(ctx, redis.XAddArgs{Stream: stream, Values: []string{"job", strconv.Itoa(i), "task", "resize-image"}}); err != nil {
			return err
		}
	}
	fmt.Println("enqueued:", jobs)

	// A worker that takes one job and crashes before acknowledging it.
	got, err := c.XReadGroup(ctx, group, "crashy", redis.XReadArgs{Streams: []string{stream}, IDs: []string{">"}, Count: 1})
	if err != nil {
		return err
	}
	lost := got[0].Messages[0].ID
	fmt.Println("crashed worker left pending:", 1)

	var mu sync.Mutex
	done := map[string][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, name := range []string{"worker-a", "worker-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				res, err := c.XReadGroup(ctx, group, name, redis.XReadArgs{Streams: []string{stream}, IDs: []string{">"}, Count: 2, Block: 200 * time.Millisecond})
				if redis.IsNotFound(err) || (err == nil && len(res) == 0) {
					return // the stream is drained
				}
				if err != nil {
					errs <- err
					return
				}
				for _, m := range res[0].Messages {
					mu.Lock()
					done[name] = append(done[name], m.Values["job"])
					mu.Unlock()
					if _, err := c.XAck(ctx, stream, group, m.ID); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}

	// Recover the crashed worker's job: claim what has been idle.
	claimed, err := c.XClaim(ctx, stream, group, "worker-a", 0, lost)
	if err != nil {
		return err
	}
	for _, m := range claimed {
		done["worker-a"] = append(done["worker-a"], m.Values["job"])
		if _, err := c.XAck(ctx, stream, group, m.ID); err != nil {
			return err
		}
	}
	total := 0
	names := make([]string, 0, len(done))
	for n, js := range done {
		total += len(js)
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("%s processed %d job(s)\n", n, len(done[n]))
	}
	p, err := c.XPending(ctx, stream, group)
	if err != nil {
		return err
	}
	fmt.Printf("processed=%d pending=%d\n", total, p.Count)
	if total != jobs || p.Count != 0 {
		return fmt.Errorf("processed %d of %d jobs, %d pending", total, jobs, p.Count)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
