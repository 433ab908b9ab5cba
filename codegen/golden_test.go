package codegen_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/codegen"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenName is the file a combination's golden source is kept in.
func goldenName(c codegen.Component, t codegen.Template) string {
	ext := map[codegen.Language]string{codegen.Go: "go", codegen.TypeScript: "ts", codegen.JavaScript: "js"}[t.Language]
	return filepath.Join("testdata", "golden", string(c), string(t.Framework)+"-"+string(t.Complexity)+"."+ext+".golden")
}

// combinations lists every supported component × language × framework ×
// complexity with the default features.
func combinations() []struct {
	C codegen.Component
	T codegen.Template
} {
	var out []struct {
		C codegen.Component
		T codegen.Template
	}
	for _, c := range codegen.Components() {
		for _, l := range codegen.Languages() {
			for _, f := range codegen.Frameworks(l) {
				for _, x := range codegen.Complexities() {
					out = append(out, struct {
						C codegen.Component
						T codegen.Template
					}{c, codegen.Template{Language: l, Framework: f, Complexity: x}})
				}
			}
		}
	}
	return out
}

func TestGoldenFilesMatchEveryCombination(t *testing.T) {
	for _, cb := range combinations() {
		name := string(cb.C) + "/" + cb.T.String()
		t.Run(name, func(t *testing.T) {
			code, err := codegen.Render(sampleConfig(t, cb.C), cb.T)
			require.NoError(t, err, "Render\n%s", code.Source)
			got := code.Source + "\n/* validation report\n" + code.Report.String() + "*/\n"
			path := goldenName(cb.C, cb.T)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./codegen -run TestGolden -update to create it")
			if got != string(want) {
				t.Errorf("%s differs from the golden file %s (rerun with -update after checking the change):\n%s", name, path, firstDiff(string(want), got))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs)"
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
