// Command catalog lists, filters and prints Arsenal's example programs (the
// directories of examples/library, described in its embedded index).
//
//	go run ./examples/catalog                          # every example
//	go run ./examples/catalog -db redis -complexity advanced
//	go run ./examples/catalog -tag queue -feature XReadGroup
//	go run ./examples/catalog -q "backup s3"           # free text
//	go run ./examples/catalog -show redis-job-queue    # its description and code
//	go run ./examples/catalog -json                    # the selection as JSON
//
// Run an example with `go run ./examples/library/NAME`; each says in its
// package comment which flags and environment variables it reads.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/infra-arsenal/arsenal/examples/library"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var q library.Query
	fs.StringVar(&q.Tag, "tag", "", "only examples with this tag")
	fs.StringVar(&q.Database, "db", "", "only examples about this database: "+strings.Join(library.Databases, ", "))
	fs.StringVar(&q.Complexity, "complexity", "", "only examples of this level: "+strings.Join(library.Complexities, ", "))
	fs.StringVar(&q.Feature, "feature", "", "only examples showing this feature (substring of a feature name)")
	fs.StringVar(&q.Text, "q", "", "free text: every word must occur in the example's name, title, description, tags or features")
	show := fs.String("show", "", "print the example called NAME with its code")
	asJSON := fs.Bool("json", false, "print the selection as JSON")
	tags := fs.Bool("tags", false, "list the tags and features in use, with counts")
	markdown := fs.Bool("markdown", false, "print the selection as a Markdown table (examples/library/README.md is this output)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "catalog: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if q.Database != "" && !contains(library.Databases, q.Database) {
		fmt.Fprintf(stderr, "catalog: -db %q is not one of %s\n", q.Database, strings.Join(library.Databases, ", "))
		return 2
	}
	if q.Complexity != "" && !contains(library.Complexities, q.Complexity) {
		fmt.Fprintf(stderr, "catalog: -complexity %q is not one of %s\n", q.Complexity, strings.Join(library.Complexities, ", "))
		return 2
	}
	if *show != "" {
		return showOne(*show, *asJSON, stdout, stderr)
	}
	sel := library.Filter(q)
	if *tags {
		printTags(sel, stdout)
		return 0
	}
	if *markdown {
		writeMarkdown(stdout, sel)
		return 0
	}
	if *asJSON {
		if sel == nil {
			sel = []library.Example{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sel); err != nil {
			fmt.Fprintln(stderr, "catalog:", err)
			return 1
		}
		return 0
	}
	if len(sel) == 0 {
		fmt.Fprintln(stdout, "no example matches")
		return 1
	}
	for _, e := range sel {
		fmt.Fprintf(stdout, "%-26s %-9s %-12s %s\n", e.Name, e.Database, e.Complexity, e.Title)
	}
	fmt.Fprintf(stdout, "%d of %d examples; -show NAME prints one with its code\n", len(sel), len(library.All()))
	return 0
}

func showOne(name string, asJSON bool, stdout, stderr io.Writer) int {
	e, ok := library.Get(name)
	if !ok {
		fmt.Fprintf(stderr, "catalog: no example called %q (run without flags to list them)\n", name)
		return 1
	}
	src, err := library.Source(name)
	if err != nil {
		fmt.Fprintln(stderr, "catalog:", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			library.Example
			Source map[string]string `json:"source"`
		}{e, src}); err != nil {
			fmt.Fprintln(stderr, "catalog:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "%s — %s\n\n%s\n\n", e.Name, e.Title, e.Description)
	fmt.Fprintf(stdout, "database:   %s\ncomplexity: %s\ntags:       %s\nfeatures:   %s\n", e.Database, e.Complexity, strings.Join(e.Tags, ", "), strings.Join(e.Features, ", "))
	if len(e.Env) > 0 {
		fmt.Fprintf(stdout, "reads:      %s\n", strings.Join(e.Env, ", "))
	}
	fmt.Fprintf(stdout, "run:        go run ./%s\n", e.Path)
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(stdout, "\n// ---- %s/%s ----\n%s", e.Path, n, src[n])
	}
	return 0
}

// writeMarkdown writes the examples as the table of examples/library/README.md.
func writeMarkdown(w io.Writer, sel []library.Example) {
	fmt.Fprintf(w, "# Arsenal example library\n\n")
	fmt.Fprintf(w, "%d example programs, each a small `package main` in its own directory. "+
		"List, filter and print them with `go run ./examples/catalog` (`-db`, `-tag`, `-complexity`, `-feature`, `-q`, `-show NAME`); "+
		"run one with `go run ./examples/library/NAME`. The Redis examples read `REDIS_URL`, the S3 ones `S3_ENDPOINT`, `S3_BUCKET`, "+
		"`S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY`, the SQLite ones `-db` or `SQLITE_PATH` (default: a temporary file), and the "+
		"WebSocket ones run the library's own server on loopback. The tests in examples/catalog run every one against real servers.\n\n", len(sel))
	fmt.Fprintln(w, "This file is generated: `go run ./examples/catalog -markdown > examples/library/README.md`.")
	fmt.Fprintln(w)
	for _, db := range library.Databases {
		var rows []library.Example
		for _, e := range sel {
			if e.Database == db {
				rows = append(rows, e)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "## %s\n\n| Example | Level | What it shows |\n|---|---|---|\n", db)
		for _, e := range rows {
			fmt.Fprintf(w, "| [%s](%s/) | %s | **%s.** %s |\n", e.Name, e.Name, e.Complexity, e.Title, e.Description)
		}
		fmt.Fprintln(w)
	}
}

func printTags(sel []library.Example, w io.Writer) {
	count := func(get func(library.Example) []string) {
		m := map[string]int{}
		for _, e := range sel {
			for _, t := range get(e) {
				m[t]++
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-24s %d\n", k, m[k])
		}
	}
	fmt.Fprintln(w, "tags:")
	count(func(e library.Example) []string { return e.Tags })
	fmt.Fprintln(w, "features:")
	count(func(e library.Example) []string { return e.Features })
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
