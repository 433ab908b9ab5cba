// Package library is Arsenal's catalog of example programs: one small
// `package main` per directory below this one, each described in the
// embedded index.json (title, description, tags, complexity, database,
// features, path) and each embedded here with its source, so the catalog
// command and the console can list, filter and print them without the
// source tree.
//
//	for _, e := range library.Filter(library.Query{Database: "redis", Complexity: "advanced"}) {
//		fmt.Println(e.Name, e.Title)
//	}
//
// Every example takes its server address from a flag or an environment
// variable (REDIS_URL, S3_ENDPOINT and S3_BUCKET with S3_ACCESS_KEY_ID and
// S3_SECRET_ACCESS_KEY, a -db path for SQLite; the WebSocket examples run
// the library's own server on loopback), prints checkable output and exits
// non-zero on failure. The tests in examples/catalog build and run every
// one of them against real servers.
package library

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// The index and every example's source.
//
//go:embed index.json */*.go
var files embed.FS

// Complexity levels, from easiest to hardest.
var Complexities = []string{"beginner", "intermediate", "advanced"}

// Databases an example can be about; "hub" examples combine several
// components through an arsenal.Hub.
var Databases = []string{"sqlite", "redis", "websocket", "s3", "hub"}

// Example is one catalog entry.
type Example struct {
	Name        string   `json:"name"`        // the directory name below examples/library
	Title       string   `json:"title"`       // one line
	Description string   `json:"description"` // a paragraph
	Tags        []string `json:"tags"`
	Complexity  string   `json:"complexity"` // one of Complexities
	Database    string   `json:"database"`   // one of Databases
	Features    []string `json:"features"`   // library features it shows (API names)
	Path        string   `json:"path"`       // the program's directory in the module, examples/library/NAME
	Env         []string `json:"env"`        // environment variables it reads
	// Expect lists lines its output contains when it succeeds; the tests
	// check them against a real run.
	Expect []string `json:"expect"`
}

var index []Example

func init() {
	b, err := files.ReadFile("index.json")
	if err != nil {
		panic(err) // embedded at build time
	}
	if err := json.Unmarshal(b, &index); err != nil {
		panic(fmt.Sprintf("examples/library: index.json: %v", err)) // a test checks it
	}
}

// All returns every example, sorted by name. The slice is a copy.
func All() []Example {
	out := slices.Clone(index)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the example called name.
func Get(name string) (Example, bool) {
	for _, e := range index {
		if e.Name == name {
			return e, true
		}
	}
	return Example{}, false
}

// Query selects examples; empty fields match everything, and every set
// field must match (case-insensitively).
type Query struct {
	Tag        string // one of the example's tags
	Database   string
	Complexity string
	Feature    string // one of its features, or a substring of one
	Text       string // free text: every word must occur in name, title, description, tags or features
}

// Match reports whether e matches q.
func (q Query) Match(e Example) bool {
	eq := strings.EqualFold
	if q.Tag != "" && !slices.ContainsFunc(e.Tags, func(t string) bool { return eq(t, q.Tag) }) {
		return false
	}
	if q.Database != "" && !eq(e.Database, q.Database) {
		return false
	}
	if q.Complexity != "" && !eq(e.Complexity, q.Complexity) {
		return false
	}
	if q.Feature != "" {
		f := strings.ToLower(q.Feature)
		if !slices.ContainsFunc(e.Features, func(x string) bool { return strings.Contains(strings.ToLower(x), f) }) {
			return false
		}
	}
	if q.Text != "" {
		hay := strings.ToLower(strings.Join(append(append([]string{e.Name, e.Title, e.Description, e.Database}, e.Tags...), e.Features...), " "))
		for _, w := range strings.Fields(strings.ToLower(q.Text)) {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

// Filter returns the examples matching q, sorted by name.
func Filter(q Query) []Example {
	var out []Example
	for _, e := range All() {
		if q.Match(e) {
			out = append(out, e)
		}
	}
	return out
}

// Source returns the Go files of the example called name, file name to
// contents.
func Source(name string) (map[string]string, error) {
	if _, ok := Get(name); !ok {
		return nil, fmt.Errorf("no example called %q", name)
	}
	names, err := fs.Glob(files, name+"/*.go")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("example %q has no source", name)
	}
	out := map[string]string{}
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out[path.Base(n)] = string(b)
	}
	return out, nil
}

// Dirs returns the names of the example directories embedded with the
// package (those holding Go files), sorted; the tests check they are
// exactly the indexed examples.
func Dirs() []string {
	ents, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			if m, _ := fs.Glob(files, e.Name()+"/*.go"); len(m) > 0 {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

// Validate checks the index itself: unique names, known complexity and
// database, a title, a description, tags, features, the right path and at
// least one expected output line per example.
func Validate() error { return validate(index) }

func validate(entries []Example) error {
	var errs []string
	seen := map[string]bool{}
	for _, e := range entries {
		bad := func(f string, a ...any) { errs = append(errs, e.Name+": "+fmt.Sprintf(f, a...)) }
		if e.Name == "" || seen[e.Name] {
			bad("missing or duplicate name")
		}
		seen[e.Name] = true
		if !slices.Contains(Complexities, e.Complexity) {
			bad("complexity %q is not one of %v", e.Complexity, Complexities)
		}
		if !slices.Contains(Databases, e.Database) {
			bad("database %q is not one of %v", e.Database, Databases)
		}
		if e.Title == "" || e.Description == "" || len(e.Tags) == 0 || len(e.Features) == 0 || len(e.Expect) == 0 {
			bad("title, description, tags, features and expect are required")
		}
		if e.Path != "examples/library/"+e.Name {
			bad("path %q should be examples/library/%s", e.Path, e.Name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("examples/library: index.json: %s", strings.Join(errs, "; "))
	}
	return nil
}
