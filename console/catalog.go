package console

import (
	"net/http"
	"slices"
	"sort"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/examples/library"
)

// maxQueryParam bounds a search or filter value of the examples API.
const maxQueryParam = 200

// catalogList is what GET api/examples returns: the examples matching the
// query (without their source) and the values each filter can take.
type catalogList struct {
	Examples []catalogEntry `json:"examples"`
	Total    int            `json:"total"` // examples in the catalog
	Facets   catalogFacets  `json:"facets"`
}

type catalogEntry struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Complexity string   `json:"complexity"`
	Database   string   `json:"database"`
	Tags       []string `json:"tags"`
}

type catalogFacets struct {
	Tags         []string `json:"tags"`
	Databases    []string `json:"databases"`
	Complexities []string `json:"complexities"`
	Features     []string `json:"features"`
}

// catalogExample is what GET api/examples/{name} returns.
type catalogExample struct {
	library.Example
	Run   string       `json:"run"` // the command that runs it from the module root
	Files []sourceFile `json:"files"`
}

type sourceFile struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

func (c *Console) catalogRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/examples", c.apiExamples)
	m.HandleFunc("GET /api/examples/{name}", c.apiExample)
}

// facets lists every tag and feature used in the catalog, sorted.
func facets() catalogFacets {
	tags, feats := map[string]bool{}, map[string]bool{}
	for _, e := range library.All() {
		for _, t := range e.Tags {
			tags[t] = true
		}
		for _, f := range e.Features {
			feats[f] = true
		}
	}
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	return catalogFacets{Tags: keys(tags), Databases: slices.Clone(library.Databases),
		Complexities: slices.Clone(library.Complexities), Features: keys(feats)}
}

// apiExamples filters the catalog by the query parameters q (free text),
// tag, database, complexity and feature, as library.Filter does.
func (c *Console) apiExamples(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	var q library.Query
	for _, p := range []struct {
		name string
		dst  *string
	}{{"q", &q.Text}, {"tag", &q.Tag}, {"database", &q.Database}, {"complexity", &q.Complexity}, {"feature", &q.Feature}} {
		v := qs.Get(p.name)
		if len(v) > maxQueryParam {
			writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "examples", "%s is longer than %d bytes", p.name, maxQueryParam))
			return
		}
		*p.dst = v
	}
	out := catalogList{Examples: []catalogEntry{}, Total: len(library.All()), Facets: facets()}
	for _, e := range library.Filter(q) {
		out.Examples = append(out.Examples, catalogEntry{Name: e.Name, Title: e.Title, Complexity: e.Complexity, Database: e.Database, Tags: e.Tags})
	}
	writeJSON(w, out)
}

// apiExample returns one example with its metadata and source.
func (c *Console) apiExample(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e, ok := library.Get(name)
	if !ok {
		if len(name) > maxQueryParam {
			name = name[:maxQueryParam] + "…"
		}
		writeErr(w, arsenal.Errorf(arsenal.NotFound, Kind, "examples", "no example called %q (see api/examples)", name))
		return
	}
	src, err := library.Source(name)
	if err != nil {
		writeErr(w, arsenal.Wrap(Kind, "examples", err))
		return
	}
	out := catalogExample{Example: e, Run: "go run ./" + e.Path}
	for n, code := range src {
		out.Files = append(out.Files, sourceFile{Name: n, Code: code})
	}
	// main.go first, then the others by name.
	sort.Slice(out.Files, func(i, j int) bool {
		a, b := out.Files[i].Name, out.Files[j].Name
		if (a == "main.go") != (b == "main.go") {
			return a == "main.go"
		}
		return a < b
	})
	writeJSON(w, out)
}
