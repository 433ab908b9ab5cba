package library

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheEmbeddedIndexIsValid(t *testing.T) {
	require.NoError(t, Validate())
	all := All()
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }))
	var names []string
	for _, e := range all {
		names = append(names, e.Name)
	}
	assert.Equal(t, names, Dirs(), "every indexed example is embedded, and nothing else")
	all[0].Name = "changed"
	assert.NotEqual(t, "changed", All()[0].Name, "All returns a copy")
}

func TestValidateNamesEveryBadEntry(t *testing.T) {
	good := Example{Name: "a", Title: "t", Description: "d", Tags: []string{"x"}, Complexity: "beginner",
		Database: "redis", Features: []string{"Get"}, Path: "examples/library/a", Expect: []string{"ok"}}
	require.NoError(t, validate([]Example{good}))
	cases := []struct {
		name  string
		edit  func(e *Example)
		error string
	}{
		{"unknown complexity", func(e *Example) { e.Complexity = "expert" }, `complexity "expert" is not one of`},
		{"unknown database", func(e *Example) { e.Database = "mongodb" }, `database "mongodb" is not one of`},
		{"no title", func(e *Example) { e.Title = "" }, "title, description, tags, features and expect are required"},
		{"no expected output", func(e *Example) { e.Expect = nil }, "title, description, tags, features and expect are required"},
		{"wrong path", func(e *Example) { e.Path = "examples/a" }, `path "examples/a" should be examples/library/a`},
		{"no name", func(e *Example) { e.Name = ""; e.Path = "examples/library/" }, "missing or duplicate name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := good
			c.edit(&e)
			assert.ErrorContains(t, validate([]Example{e}), c.error)
		})
	}
	assert.ErrorContains(t, validate([]Example{good, good}), "a: missing or duplicate name")
}

func TestQueriesSelectByEveryField(t *testing.T) {
	e, ok := Get("redis-job-queue")
	require.True(t, ok)
	for _, q := range []Query{{}, {Tag: "STREAMS"}, {Database: "redis"}, {Complexity: "advanced"}, {Feature: "xclaim"}, {Text: "consumer groups"}} {
		assert.True(t, q.Match(e), "%+v", q)
	}
	for _, q := range []Query{{Tag: "cache"}, {Database: "s3"}, {Complexity: "beginner"}, {Feature: "Presign"}, {Text: "consumer presign"}} {
		assert.False(t, q.Match(e), "%+v", q)
	}
	for _, r := range Filter(Query{Database: "websocket"}) {
		assert.Equal(t, "websocket", r.Database)
	}
	_, ok = Get("nope")
	assert.False(t, ok)
	src, err := Source("ws-echo")
	require.NoError(t, err)
	assert.Contains(t, src["main.go"], "package main")
	_, err = Source("nope")
	assert.ErrorContains(t, err, `no example called "nope"`)
}
