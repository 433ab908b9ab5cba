package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/infra-arsenal/arsenal/s3"
)

// Run with: go test ./s3/ -run '^$' -bench . -benchmem
// The figures include the local versitygw's own work; benchmarks/s3
// compares them with other clients.

func BenchmarkPut1KiB(b *testing.B) {
	c, _ := newClient(b)
	body := bytes.Repeat([]byte("a"), 1024)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(4) // 4 × GOMAXPROCS callers
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Put(ctx, "put/"+strconv.FormatInt(n.Add(1), 10), body, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGet1KiB(b *testing.B) {
	c, _ := newClient(b)
	body := bytes.Repeat([]byte("a"), 1024)
	ctx := context.Background()
	for i := range 100 {
		if _, err := c.Put(ctx, fmt.Sprintf("get/%d", i), body, nil); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(4)
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetBytes(ctx, "get/"+strconv.FormatInt(n.Add(1)%100, 10), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkList1000(b *testing.B) {
	c, _ := newClient(b)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("l/%04d", i)
	}
	fill(b, c, keys)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, err := range c.List(ctx, &s3.ListOptions{Prefix: "l/"}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != len(keys) {
			b.Fatalf("listed %d", n)
		}
	}
}

func BenchmarkUpload64MiB(b *testing.B) {
	c, _ := newClient(b)
	data := randomBytes(64 << 20)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Upload(ctx, "big", unknownLength{bytes.NewReader(data)}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
