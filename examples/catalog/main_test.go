package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/examples/library"
)

func catalog(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

func TestTheCatalogListsEveryExample(t *testing.T) {
	out, _, code := catalog()
	require.Equal(t, 0, code)
	all := library.All()
	for _, e := range all {
		assert.Contains(t, out, e.Name)
		assert.Contains(t, out, e.Title)
	}
	assert.Contains(t, out, fmt.Sprintf("%d of %d examples", len(all), len(all)))
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), len(all)+1)
}

func names(t *testing.T, args ...string) []string {
	t.Helper()
	out, stderr, code := catalog(append(args, "-json")...)
	require.Equal(t, 0, code, stderr)
	var got []library.Example
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	var n []string
	for _, e := range got {
		n = append(n, e.Name)
	}
	return n
}

func TestTheCatalogFiltersByEachFlag(t *testing.T) {
	assert.Equal(t, []string{"redis-client-cache", "redis-job-queue", "redis-transfer-tx"}, names(t, "-db", "redis", "-complexity", "advanced"))
	assert.Equal(t, []string{"redis-job-queue"}, names(t, "-tag", "queue", "-db", "redis"))
	assert.Equal(t, []string{"redis-job-queue"}, names(t, "-feature", "xreadgroup"))
	assert.Equal(t, []string{"sqlite-backup-to-s3"}, names(t, "-q", "backup s3"))
	assert.Equal(t, []string{"ws-chat-room"}, names(t, "-q", "chat"))
	for _, db := range library.Databases {
		got := names(t, "-db", db)
		require.NotEmpty(t, got, db)
		for _, n := range got {
			e, ok := library.Get(n)
			require.True(t, ok)
			assert.Equal(t, db, e.Database)
		}
	}
	assert.Empty(t, names(t, "-q", "no-such-thing-anywhere"))
	out, _, code := catalog("-tag", "no-such-tag")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "no example matches")
}

func TestTheCatalogShowsOneExampleWithItsCode(t *testing.T) {
	out, _, code := catalog("-show", "redis-job-queue")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "redis-job-queue — Job queue on streams with consumer groups")
	assert.Contains(t, out, "complexity: advanced")
	assert.Contains(t, out, "run:        go run ./examples/library/redis-job-queue")
	assert.Contains(t, out, "// ---- examples/library/redis-job-queue/main.go ----")
	assert.Contains(t, out, "c.XReadGroup(ctx, group,")

	js, _, code := catalog("-show", "sqlite-fts5-search", "-json")
	require.Equal(t, 0, code)
	var one struct {
		library.Example
		Source map[string]string `json:"source"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &one))
	assert.Equal(t, "sqlite", one.Database)
	assert.Contains(t, one.Source["demo.go"], "USING fts5")

	_, stderr, code := catalog("-show", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no example called "nope"`)
}

func TestTheCatalogRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-db", "mongodb"}, {"-complexity", "expert"}, {"-bogus"}, {"extra"}} {
		_, stderr, code := catalog(args...)
		assert.Equal(t, 2, code, args)
		assert.NotEmpty(t, stderr, args)
	}
}

func TestTheCatalogCountsTagsAndFeatures(t *testing.T) {
	out, _, code := catalog("-tags", "-db", "s3")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "tags:")
	assert.Contains(t, out, "  multipart                2")
	assert.Contains(t, out, "features:")
}

func TestTheLibraryQueryMatchesCaseInsensitively(t *testing.T) {
	e, ok := library.Get("redis-leaderboard")
	require.True(t, ok)
	assert.True(t, library.Query{Tag: "Sorted-Sets", Database: "REDIS", Complexity: "Beginner", Feature: "zincr", Text: "LEADERBOARD rank"}.Match(e))
	assert.False(t, library.Query{Text: "leaderboard missingword"}.Match(e))
	_, err := library.Source("nope")
	assert.Error(t, err)
}

func TestTheLibraryReadmeIsTheGeneratedTable(t *testing.T) {
	out, _, code := catalog("-markdown")
	require.Equal(t, 0, code)
	b, err := os.ReadFile(filepath.Join("..", "library", "README.md"))
	require.NoError(t, err)
	assert.Equal(t, out, string(b), "regenerate it: go run ./examples/catalog -markdown > examples/library/README.md")
	for _, e := range library.All() {
		assert.Contains(t, out, "| ["+e.Name+"]("+e.Name+"/) |")
	}
}
