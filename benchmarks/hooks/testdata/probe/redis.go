package main

import (
	"context"

	after "arsenal.test/after/redis"
	before "arsenal.test/before/redis"
)

func workloads(ctx context.Context) ([]workload, func(), error) {
	b, err := before.Open(ctx, before.Config{Addrs: []string{*addr}})
	if err != nil {
		return nil, nil, err
	}
	a, err := after.Open(ctx, after.Config{Addrs: []string{*addr}})
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	closeAll := func() { a.Close(); b.Close() }
	if err := b.Set(ctx, *key, "value"); err != nil {
		closeAll()
		return nil, nil, err
	}
	return []workload{
		{name: "get", n: 10, sub: 100,
			before: func(int) error { _, err := b.Get(ctx, *key); return err },
			after:  func(int) error { _, err := a.Get(ctx, *key); return err }},
		{name: "set", n: 10, sub: 100,
			before: func(int) error { return b.Set(ctx, *key, "value") },
			after:  func(int) error { return a.Set(ctx, *key, "value") }},
	}, closeAll, nil
}
