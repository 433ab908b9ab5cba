package main

import (
	"context"

	after "arsenal.test/after/sqlite"
	before "arsenal.test/before/sqlite"
)

const pointSelect = "SELECT id, name, score FROM bench WHERE id = ?"

func workloads(ctx context.Context) ([]workload, func(), error) {
	b, err := before.Open(ctx, before.Config{Path: *db, Readers: 8})
	if err != nil {
		return nil, nil, err
	}
	a, err := after.Open(ctx, after.Config{Path: *db, Readers: 8})
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	var id int64
	var name string
	var score float64
	return []workload{
		{name: "point", n: 100, sub: 40,
			before: func(i int) error {
				return b.QueryRow(ctx, pointSelect, i%10000+1).Scan(&id, &name, &score)
			},
			after: func(i int) error {
				return a.QueryRow(ctx, pointSelect, i%10000+1).Scan(&id, &name, &score)
			}},
	}, func() { a.Close(); b.Close() }, nil
}
