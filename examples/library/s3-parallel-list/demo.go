// Command s3-parallel-list lists a large bucket fast with ListParallel: it
// fans out over the common prefixes (tenant/date/...) and lists them
// concurrently, yielding every object once; the plain List iterator gives
// the same set in one sequential walk.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/s3-parallel-list
package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/infra-arsenal/arsenal/s3"
)

func demo(ctx context.Context, c *s3.Client) error {
	// 4 tenants × 3 days × 10 objects.
	var keys []string
	for t := range 4 {
		for d := range 3 {
			for i := range 10 {
				keys = append(keys, fmt.Sprintf("tenant-%d/2026-12-0%d/event-%02d.json", t, d+1, i))
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, 8)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.Put(ctx, k, []byte(`{"ok":true}`), &s3.PutOptions{ContentType: "application/json"}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	defer c.DeleteMany(context.Background(), keys)
	fmt.Println("uploaded:", len(keys))

	seen := map[string]int{}
	var bytes int64
	for o, err := range c.ListParallel(ctx, &s3.ParallelListOptions{Workers: 4}) {
		if err != nil {
			return err
		}
		seen[o.Key]++
		bytes += o.Size
	}
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	fmt.Printf("parallel listing: %d objects, %d bytes, %d duplicates\n", len(seen), bytes, dups)
	n := 0
	for _, err := range c.List(ctx, &s3.ListOptions{Prefix: "tenant-2/"}) {
		if err != nil {
			return err
		}
		n++
	}
	fmt.Println("sequential listing of tenant-2/:", n)
	return nil
}
