package codegen_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"time"

	"github.com/infra-arsenal/arsenal/codegen"
)

// moduleRoot is the working tree of this module, found from this file's
// location so the generated programs build against the code under test.
func moduleRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the source tree")
	}
	root := filepath.Dir(filepath.Dir(file))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// TestGeneratedGoCompilesAndRuns renders every Go combination into one
// temporary module that replaces this module with the working tree, builds
// them all with one go build, and runs each against real servers; the
// programs check their own results and must exit 0.
func TestGeneratedGoCompilesAndRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	root := moduleRoot(t)
	mod := t.TempDir()
	gomod := "module arsenal.example/generated\n\ngo 1.26\n\nrequire github.com/infra-arsenal/arsenal v0.0.0\n\nreplace github.com/infra-arsenal/arsenal => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644))
	type program struct {
		name string
		c    codegen.Component
		env  func(t *testing.T) []string
	}
	type job struct {
		c    codegen.Component
		cfg  any
		t    codegen.Template
		name string
		env  func(t *testing.T) []string
	}
	var jobs []job
	for _, cb := range combinations() {
		if cb.T.Language != codegen.Go {
			continue
		}
		cfg, ok := trySampleConfig(cb.C)
		if !ok {
			continue
		}
		jobs = append(jobs, job{cb.C, cfg, cb.T, string(cb.C) + "-" + string(cb.T.Complexity), nil})
	}
	// A read-only database: the program leaves out every write.
	jobs = append(jobs, job{codegen.SQLite, readOnlySQLite, codegen.Template{Complexity: codegen.Production}, "sqlite-readonly-production", readOnlyDB})
	var progs []program
	for _, j := range jobs {
		code, err := codegen.Render(j.cfg, j.t)
		require.NoError(t, err, "Render %s %s", j.c, j.t)
		name := j.name
		dir := filepath.Join(mod, "cmd", name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, code.Filename), []byte(code.Source), 0o644))
		progs = append(progs, program{name, j.c, j.env})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goBin, "build", "-o", filepath.Join(mod, "bin")+string(filepath.Separator), "./...")
	build.Dir = mod
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the generated programs: %v\n%s", err, out)
	}
	for _, p := range progs {
		t.Run(p.name, func(t *testing.T) {
			var env []string
			if p.env != nil {
				env = p.env(t)
			} else {
				env = serverEnv(t, p.c)
			}
			t.Parallel()
			runSlots <- struct{}{}
			defer func() { <-runSlots }()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(mod, "bin", p.name))
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				src, _ := os.ReadFile(filepath.Join(mod, "cmd", p.name, "main.go"))
				t.Fatalf("%s: %v\n--- stdout\n%s--- stderr\n%s--- source\n%s", p.name, err, stdout.String(), stderr.String(), numbered(string(src)))
			}
			t.Logf("%s:\n%s", p.name, stdout.String())
		})
	}
}
