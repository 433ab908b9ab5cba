package qa

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the report as aligned text: one line per check, then a
// summary line and the clean-up.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tKIND\tCATEGORY\tCHECK\tSTATUS\tTIME\tDETAIL")
	for _, c := range r.Checks {
		detail := c.Detail
		if c.Code != "" {
			detail += " [" + c.Code + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Target, c.Kind, c.Category, c.Name,
			strings.ToUpper(string(c.Status)), c.Duration.Round(time.Microsecond), detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", r.Summary())
	for _, name := range sortedKeys(r.Cleaned) {
		fmt.Fprintf(w, "cleaned up %s: %d item(s) under %s\n", name, r.Cleaned[name], r.Prefix)
	}
	for _, name := range sortedKeys(r.CleanupErrors) {
		fmt.Fprintf(w, "CLEAN-UP FAILED for %s: %s\n", name, r.CleanupErrors[name])
	}
	return nil
}

// Summary is one line: the counts and the verdict.
func (r *Report) Summary() string {
	verdict := "PASS"
	switch {
	case r.Interrupted:
		verdict = "INTERRUPTED"
	case !r.Passed():
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %d checks, %d passed, %d warnings, %d failed, %d skipped in %s",
		verdict, len(r.Checks), r.Count(Pass), r.Count(Warn), r.Count(Fail), r.Count(Skip),
		r.Finished.Sub(r.Started).Round(time.Millisecond))
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		Passed   bool   `json:"passed"`
		ExitCode int    `json:"exit_code"`
		Summary  string `json:"summary"`
	}{r, r.Passed(), r.ExitCode(), r.Summary()})
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": func(s Status) string { return strings.ToUpper(string(s)) },
	"dur":   func(d time.Duration) string { return d.Round(time.Microsecond).String() },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Arsenal QA report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
td.detail{word-break:break-word}.pass{color:#116329}.warn{color:#9a6700}.fail{color:#cf222e;font-weight:600}.skip{color:#57606a}
.summary{font-weight:600;margin:1rem 0}
</style></head><body>
<h1>Arsenal QA report</h1>
<p class="summary">{{.Report.Summary}}</p>
<p>Started {{.Report.Started.Format "2006-01-02 15:04:05 MST"}}; scratch prefix <code>{{.Report.Prefix}}</code>.</p>
<table><thead><tr><th>Target</th><th>Kind</th><th>Category</th><th>Check</th><th>Status</th><th>Time</th><th>Detail</th></tr></thead><tbody>
{{range .Report.Checks}}<tr><td>{{.Target}}</td><td>{{.Kind}}</td><td>{{.Category}}</td><td>{{.Name}}</td><td class="{{.Status}}">{{upper .Status}}</td><td>{{dur .Duration}}</td><td class="detail">{{.Detail}}{{if .Code}} [{{.Code}}]{{end}}</td></tr>
{{end}}</tbody></table>
<h2>Clean-up</h2><ul>
{{range $name, $n := .Report.Cleaned}}<li>{{$name}}: {{$n}} item(s) removed</li>{{end}}
{{range $name, $e := .Report.CleanupErrors}}<li class="fail">{{$name}}: {{$e}}</li>{{end}}
</ul></body></html>
`))

// WriteHTML writes the report as a standalone HTML page (no script, every
// value escaped).
func (r *Report) WriteHTML(w io.Writer) error {
	return htmlReport.Execute(w, struct{ Report *Report }{r})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
