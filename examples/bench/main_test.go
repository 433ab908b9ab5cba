package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunMeasuresAComponentAndWritesEveryOutput(t *testing.T) {
	dir := t.TempDir()
	html, js := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	peers := filepath.Join(dir, "all.jsonl")
	require.NoError(t, os.WriteFile(peers, []byte(`{"domain":"redis","workload":"GET","impl":"arsenal","metric":"ops/s","value":200}
{"domain":"redis","workload":"GET","impl":"go-redis","metric":"ops/s","value":100}
{"domain":"redis","check":"GET >= 1.5x go-redis","pass":true,"detail":"2.0x"}
`), 0o644))
	code, out, errOut := cli(t, "run", "-url", "sqlite::memory:", "-workload", "select", "-c", "1,2", "-n", "300",
		"-warmup", "10ms", "-html", html, "-json", js, "-peers", peers)
	require.Equal(t, 0, code, "exit: %s", errOut)
	for _, want := range []string{"callers", "ops/s", "p99", "sqlite::memory:", "efficiency"} {
		assert.Contains(t, out, want, "table lacks")
	}
	var series []Series
	b, err := os.ReadFile(js)
	require.NoError(t, err, "JSON results: %v, %d series", err, len(series))
	require.NoError(t, json.Unmarshal(b, &series), "JSON results: %v, %d series", err, len(series))
	require.Equal(t, 1, len(series), "JSON results: %v, %d series", err, len(series))
	lv := series[0].Result.Levels
	require.Equal(t, 2, len(lv), "levels = %+v", lv)
	assert.Equal(t, uint64(300), lv[0].Ops, "levels = %+v", lv)
	assert.Equal(t, 2, lv[1].Concurrency, "levels = %+v", lv)
	assert.Equal(t, uint64(0), lv[1].Errors, "levels = %+v", lv)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	p := string(page)
	// Three run charts and one peers chart, embedded as SVG.
	n := strings.Count(p, `src="data:image/svg`)
	assert.Equal(t, 4, n, "HTML embeds %d SVG charts, want 4", n)
	for _, want := range []string{"Side by side with peers", "GET &gt;= 1.5x go-redis", "2.00x", "sqlite select"} {
		assert.Contains(t, p, want, "HTML lacks")
	}
}

func TestRunExplainsBadArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "no command", args: nil, wantCode: 2, want: "usage"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, want: "unknown command"},
		{name: "run without a URL", args: []string{"run"}, wantCode: 2, want: "at least one -url"},
		{name: "a bad level", args: []string{"run", "-url", "sqlite::memory:", "-c", "1,zero"}, wantCode: 2, want: `"zero" is not a positive integer`},
		{name: "an unknown scheme", args: []string{"run", "-url", "nosuch://x", "-n", "10", "-quiet"}, wantCode: 1, want: "unknown URL scheme"},
		{name: "a workload for another kind", args: []string{"run", "-url", "sqlite::memory:", "-workload", "get", "-n", "10", "-quiet"}, wantCode: 1, want: "available: health, stats, select, insert"},
		{name: "compare with one file", args: []string{"compare", "a.txt"}, wantCode: 2, want: "two benchmark files"},
		{name: "compare with a missing file", args: []string{"compare", "nosuch-a.txt", "nosuch-b.txt"}, wantCode: 1, want: "NotFound"},
		{name: "report with nothing", args: []string{"report"}, wantCode: 2, want: "needs -results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, tt.args...)
			assert.Equal(t, tt.wantCode, code, "exit %d, output %q; want exit %d mentioning %q", code, out+errOut, tt.wantCode, tt.want)
			assert.Contains(t, out+errOut, tt.want, "exit %d, output %q; want exit %d mentioning %q", code, out+errOut, tt.wantCode, tt.want)
		})
	}
}

func TestCompareExitsNonZeroOnARegression(t *testing.T) {
	old, nw := "../../bench/testdata/recorded-old.txt", "../../bench/testdata/recorded-new.txt"
	html := filepath.Join(t.TempDir(), "c.html")
	code, out, errOut := cli(t, "compare", old, nw, "-html", html)
	assert.Equal(t, 1, code, "exit %d, output:\n%s%s", code, out, errOut)
	assert.Contains(t, out, "Hash-2", "exit %d, output:\n%s%s", code, out, errOut)
	assert.Contains(t, out, "1 regression(s)", "exit %d, output:\n%s%s", code, out, errOut)
	page, err := os.ReadFile(html)
	require.NoError(t, err, "compare HTML: %v", err)
	assert.Contains(t, string(page), "Regression check", "compare HTML: %v", err)
	assert.Contains(t, string(page), "data:image/svg", "compare HTML: %v", err)
	code, out, _ = cli(t, "compare", old, old)
	assert.Equal(t, 0, code, "a file against itself: exit %d\n%s", code, out)
	assert.Contains(t, out, "0 regression(s)", "a file against itself: exit %d\n%s", code, out)
}

func TestReportRendersSavedResults(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	code, _, errOut := cli(t, "run", "-url", "sqlite::memory:", "-workload", "stats", "-c", "1,4", "-n", "200", "-warmup", "-1ns", "-quiet", "-json", js)
	require.Equal(t, 0, code, "run: %s", errOut)
	html := filepath.Join(dir, "r.html")
	code, _, errOut = cli(t, "report", "-results", js, "-html", html)
	require.Equal(t, 0, code, "report: %s", errOut)
	page, _ := os.ReadFile(html)
	assert.Contains(t, string(page), "Throughput and latency", "report lacks the charts section")
}

func TestWorkloadsListsGenericAndDomainWorkloads(t *testing.T) {
	code, out, _ := cli(t, "workloads")
	for _, want := range []string{"health", "any", "get", "redis", "select", "sqlite", "put", "s3", "send", "websocket"} {
		assert.Equal(t, 0, code, "workloads output lacks %q:\n%s", want, out)
		assert.Contains(t, out, want, "workloads output lacks %q:\n%s", want, out)
	}
}
