package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// workload is a named operation on a component. Prepare, called once,
// returns the function to measure (setting up keys, tables or objects it
// needs) or an error when the component cannot run it.
type workload struct {
	Name    string
	Kinds   []string // component kinds it applies to; empty means any Component
	About   string
	Prepare func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error)
}

// workloads is every workload the CLI knows, generic first.
var workloads = []workload{
	{Name: "health", About: "Health(ctx): the component's own liveness check (a PING, SELECT 1, HEAD bucket, ping frame)",
		Prepare: func(ctx context.Context, c arsenal.Component, _ int) (bench.Func, error) { return c.Health, nil }},
	{Name: "stats", About: "Stats(): the snapshot the dashboard reads once a second (no I/O)",
		Prepare: func(ctx context.Context, c arsenal.Component, _ int) (bench.Func, error) {
			return func(context.Context) error { _ = c.Stats(); return nil }, nil
		}},
	{Name: "get", Kinds: []string{"redis"}, About: "GET of one key holding -size bytes",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			r := c.(*redis.Client)
			key := "arsenal:bench:" + randomHex(6)
			if err := r.Set(ctx, key, strings.Repeat("x", size)); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { _, err := r.Get(ctx, key); return err }, nil
		}},
	{Name: "set", Kinds: []string{"redis"}, About: "SET of -size bytes over 1000 keys",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			r := c.(*redis.Client)
			prefix, value := "arsenal:bench:"+randomHex(6)+":", strings.Repeat("x", size)
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = fmt.Sprintf("%s%d", prefix, i)
			}
			var n atomic.Uint64
			return func(ctx context.Context) error { return r.Set(ctx, keys[n.Add(1)%1000], value) }, nil
		}},
	{Name: "ping", Kinds: []string{"redis"}, About: "PING",
		Prepare: func(ctx context.Context, c arsenal.Component, _ int) (bench.Func, error) {
			r := c.(*redis.Client)
			return func(ctx context.Context) error { _, err := r.Ping(ctx); return err }, nil
		}},
	{Name: "select", Kinds: []string{"sqlite"}, About: "a point SELECT by primary key from a 1000-row table",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			db := c.(*sqlite.DB)
			table, err := benchTable(ctx, db, size)
			if err != nil {
				return nil, err
			}
			var n atomic.Int64
			q := "SELECT v FROM " + table + " WHERE id = ?"
			return func(ctx context.Context) error {
				var v []byte
				return db.QueryRow(ctx, q, n.Add(1)%1000+1).Scan(&v)
			}, nil
		}},
	{Name: "insert", Kinds: []string{"sqlite"}, About: "an INSERT of -size bytes (autocommit)",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			db := c.(*sqlite.DB)
			table, err := benchTable(ctx, db, size)
			if err != nil {
				return nil, err
			}
			v := make([]byte, size)
			q := "INSERT INTO " + table + "(v) VALUES (?)"
			return func(ctx context.Context) error { _, err := db.Exec(ctx, q, v); return err }, nil
		}},
	{Name: "put", Kinds: []string{"s3"}, About: "PUT of a -size byte object over 100 keys",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			cl := c.(*s3.Client)
			prefix, data := "arsenal-bench/"+randomHex(6)+"/", make([]byte, size)
			var n atomic.Uint64
			return func(ctx context.Context) error {
				_, err := cl.Put(ctx, fmt.Sprintf("%s%d", prefix, n.Add(1)%100), data, nil)
				return err
			}, nil
		}},
	{Name: "download", Kinds: []string{"s3"}, About: "GET of a -size byte object, read to the end",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			cl := c.(*s3.Client)
			key := "arsenal-bench/" + randomHex(6)
			if _, err := cl.Put(ctx, key, make([]byte, size), nil); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error {
				r, err := cl.Get(ctx, key, nil)
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, r)
				return errorsJoin(err, r.Close())
			}, nil
		}},
	{Name: "stat", Kinds: []string{"s3"}, About: "HEAD of an object",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			cl := c.(*s3.Client)
			key := "arsenal-bench/" + randomHex(6)
			if _, err := cl.Put(ctx, key, make([]byte, size), nil); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { _, err := cl.Stat(ctx, key); return err }, nil
		}},
	{Name: "send", Kinds: []string{"websocket"}, About: "a -size byte binary message written (no reply awaited)",
		Prepare: func(ctx context.Context, c arsenal.Component, size int) (bench.Func, error) {
			conn := c.(*websocket.Conn)
			msg := make([]byte, size)
			return func(ctx context.Context) error { return conn.Write(ctx, websocket.Binary, msg) }, nil
		}},
}

// findWorkload returns the workload named name if it applies to c.
func findWorkload(name string, c arsenal.Component) (workload, error) {
	var names []string
	for _, w := range workloads {
		if len(w.Kinds) == 0 || slices.Contains(w.Kinds, c.Kind()) {
			if w.Name == name {
				return w, nil
			}
			names = append(names, w.Name)
		}
	}
	return workload{}, arsenal.Errorf(arsenal.InvalidArgument, "bench", "workload",
		"no workload %q for a %s component (available: %s)", name, c.Kind(), strings.Join(names, ", "))
}

// benchTable creates a fresh table with 1000 rows of size bytes.
func benchTable(ctx context.Context, db *sqlite.DB, size int) (string, error) {
	table := "arsenal_bench_" + randomHex(4)
	if _, err := db.Exec(ctx, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, v BLOB)"); err != nil {
		return "", err
	}
	v := make([]byte, size)
	err := db.Tx(ctx, func(tx *sqlite.Tx) error {
		for range 1000 {
			if _, err := tx.Exec(ctx, "INSERT INTO "+table+"(v) VALUES (?)", v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return table, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
