package codegen

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/infra-arsenal/arsenal"
)

//go:embed templates
var templateFS embed.FS

// gen carries one render: the normalised template, and everything the
// view builders record while turning config values into code.
type gen struct {
	c    Component
	t    Template
	lits []litUse    // config values emitted as string literals
	sec  []secretUse // secrets read from the environment
	env  []EnvVar
	deps []string
	errs []error

	perf, compat, security []Finding
}

type litUse struct {
	field, value string
}

type secretUse struct {
	field, env, value string
}

func (g *gen) js() bool { return g.t.Language != Go }

// str returns the literal of value in the target language and records it
// for the round-trip check.
func (g *gen) str(field, value string) string {
	g.lits = append(g.lits, litUse{field, value})
	if !g.js() {
		return GoString(value)
	}
	s, err := JSString(value)
	if err != nil {
		g.errs = append(g.errs, fmt.Errorf("%s: %w", field, err))
		return `""`
	}
	return s
}

// int returns an integer literal (checked against JavaScript's safe range).
func (g *gen) int(field string, n int64) string {
	if !g.js() {
		return fmt.Sprint(n)
	}
	s, err := JSInt(n)
	if err != nil {
		g.errs = append(g.errs, fmt.Errorf("%s: %w", field, err))
		return "0"
	}
	return s
}

// envVar returns an expression reading environment variable name, falling
// back to the configured value def (emitted as a literal). The program
// defines the env helper (see the common templates).
func (g *gen) envVar(name, field, def string) string {
	g.addEnv(EnvVar{Name: name, Field: field, Default: def})
	return "env(" + g.name(name) + ", " + g.str(field, def) + ")"
}

// secret returns an expression reading the secret from environment
// variable name. value is the configured secret: it is never emitted, and
// the security check proves it does not appear in the output.
func (g *gen) secret(name, field, value string) string {
	g.addEnv(EnvVar{Name: name, Field: field, Secret: true})
	g.sec = append(g.sec, secretUse{field: field, env: name, value: value})
	return "secret(" + g.name(name) + ")"
}

// name quotes a constant of codegen itself (an environment variable name).
func (g *gen) name(s string) string {
	if !g.js() {
		return GoString(s)
	}
	q, _ := JSString(s)
	return q
}

func (g *gen) addEnv(e EnvVar) {
	for _, x := range g.env {
		if x.Name == e.Name {
			return
		}
	}
	g.env = append(g.env, e)
}

func (g *gen) dep(d string) {
	if !slices.Contains(g.deps, d) {
		g.deps = append(g.deps, d)
	}
}

// data is what the templates see.
type data struct {
	Component Component
	Template  Template
	TS        bool // TypeScript: emit type annotations
	Bun       bool
	Node      bool
	Deno      bool
	Advanced  bool // Advanced or Production
	Prod      bool // Production
	V         any  // the component's view, every value already a literal or expression
	// Header is the program's opening comment (names only, no values).
	Header string
	// UsesSecrets is set when the program reads a secret.
	UsesSecrets bool
}

// Has reports whether the template includes feature f.
func (d data) Has(f string) bool { return d.Template.Has(Feature(f)) }

// T returns s for TypeScript and "" for JavaScript: type annotations.
func (d data) T(s string) string {
	if d.TS {
		return s
	}
	return ""
}

// Begin opens a step named name: in Production a call of the program's
// step helper (timeout, retries, logging) around the code up to End; in
// Basic and Advanced nothing, so the code reads straight through.
func (d data) Begin(name string) string {
	if !d.Prod {
		return dropLine
	}
	q := GoString(name) // step names are codegen's own constants, plain ASCII
	if d.Template.Language == Go {
		return "if err := step(ctx, " + q + ", func(ctx context.Context) error {" + indentIn
	}
	return "await step(" + q + ", async () => {" + indentIn
}

// Markers tidy turns into indentation. They are private-use runes, which
// no literal can carry: every literal is escaped to ASCII.
const (
	indentIn  = "\ue000"
	indentOut = "\ue001"
	dropLine  = "\ue002" // the line holding it is dropped when otherwise blank
)

// End closes the step Begin opened.
func (d data) End() string {
	if !d.Prod {
		return dropLine
	}
	if d.Template.Language == Go {
		return indentOut + "return nil\n}); err != nil {\nreturn err\n}"
	}
	return indentOut + "});"
}

var (
	parseOnce sync.Once
	goTmpl    *template.Template
	jsTmpl    *template.Template
	parseErr  error
)

func parseTemplates() {
	goTmpl, parseErr = template.New("go").Option("missingkey=error").ParseFS(templateFS, "templates/go/*.tmpl")
	if parseErr != nil {
		return
	}
	jsTmpl, parseErr = template.New("js").Option("missingkey=error").ParseFS(templateFS, "templates/js/*.tmpl")
}

// execute renders the component's template for g.t with view v.
func (g *gen) execute(v any) (string, error) {
	parseOnce.Do(parseTemplates)
	if parseErr != nil {
		return "", parseErr
	}
	tmpl, name := goTmpl, string(g.c)
	if g.t.Language != Go {
		tmpl, name = jsTmpl, string(g.c)+"."+string(g.t.Framework)
	}
	d := data{
		Component: g.c, Template: g.t, TS: g.t.Language == TypeScript,
		Bun: g.t.Framework == Bun, Node: g.t.Framework == Node, Deno: g.t.Framework == Deno,
		Advanced: g.t.Complexity != Basic, Prod: g.t.Complexity == Production, V: v,
		Header: g.header(), UsesSecrets: len(g.sec) > 0,
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		return "", err
	}
	return tidy(buf.String()), nil
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// tidy trims trailing blanks from every line and squeezes runs of blank
// lines. No line of a generated program continues a string literal (every
// literal is single-line), so this never touches a value.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	depth := 0
	kept := lines[:0]
	for _, l := range lines {
		if strings.Contains(l, dropLine) {
			l = strings.ReplaceAll(l, dropLine, "")
			if strings.TrimSpace(l) == "" {
				continue
			}
		}
		if strings.Contains(l, indentOut) {
			depth = max(depth-1, 0)
			l = strings.ReplaceAll(l, indentOut, "")
		}
		open := strings.Contains(l, indentIn)
		l = strings.ReplaceAll(l, indentIn, "")
		l = strings.TrimRight(l, " \t")
		if l != "" {
			l = strings.Repeat("  ", depth) + l
		}
		kept = append(kept, l)
		if open {
			depth++
		}
	}
	lines = kept
	s = strings.Join(lines, "\n")
	s = blankRuns.ReplaceAllString(s, "\n\n")
	return strings.TrimLeft(strings.TrimRight(s, "\n"), "\n") + "\n"
}

// builder turns one component's Config into a template view, recording
// literals, secrets and advice in g.
type builder func(g *gen, config any) (view any, err error)

// builders maps a component to its view builder; each component file
// registers itself in init.
var builders = map[Component]builder{}

// componentOf returns the component a config value belongs to, and the
// value dereferenced. Each component file registers a matcher.
var matchers []func(config any) (Component, any, bool)

// Render writes a program that does what config configures, in the
// language and framework t chooses, and validates it. config is a domain
// package's own Config value (or pointer): sqlite.Config, redis.Config,
// websocket.Config or s3.Config.
//
// The config is validated first (its Validate method); an invalid config,
// an unknown template name or a value the target language cannot hold is
// an InvalidArgument error, an unsupported combination Unimplemented. A
// program that fails its own syntax or security check is an Internal error
// (a bug in codegen) returned together with the Code and its Report.
//
// Render does no I/O. It costs a template execution and a parse of the
// output (go/parser and go/format, or esbuild): about a millisecond.
func Render(config any, t Template) (Code, error) {
	if config == nil {
		return Code{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "render", "config is nil")
	}
	var comp Component
	var cfg any
	for _, m := range matchers {
		if c, v, ok := m(config); ok {
			comp, cfg = c, v
			break
		}
	}
	if comp == "" {
		return Code{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "render", "unsupported config type %T (want sqlite.Config, redis.Config, websocket.Config or s3.Config)", config)
	}
	t, err := normalize(comp, t)
	if err != nil {
		return Code{}, err
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return Code{}, arsenal.E(arsenal.InvalidArgument, Kind, "render", err)
		}
	}
	secrets := configSecrets(cfg)
	g := &gen{c: comp, t: t}
	view, err := builders[comp](g, cfg)
	if err != nil {
		return Code{}, err
	}
	if len(g.errs) > 0 {
		return Code{}, arsenal.E(arsenal.InvalidArgument, Kind, "render", errors.Join(g.errs...))
	}
	src, err := g.execute(view)
	if err != nil {
		return Code{}, arsenal.E(arsenal.Internal, Kind, "render", fmt.Errorf("template for %s: %w", describe(comp, t), err))
	}
	code := Code{
		Component: comp, Template: g.t, Source: src, Env: g.env, Dependencies: g.deps,
		Report: Report{Performance: g.perf, Compatibility: g.compat},
	}
	code.Filename, code.Run = runInfo(t)
	if code.Env == nil {
		code.Env = []EnvVar{}
	}
	if code.Dependencies == nil {
		code.Dependencies = []string{}
	}
	var p parsed
	if t.Language == Go {
		p, err = parseGo(src)
	} else {
		p, err = parseJS(src, t.Language == TypeScript)
	}
	if err != nil {
		code.Report.Syntax = append(code.Report.Syntax, fail("", "the generated program does not parse: %v", err))
		return code, arsenal.E(arsenal.Internal, Kind, "render", fmt.Errorf("generated %s does not parse: %w", describe(comp, t), err))
	}
	code.Source = p.source
	code.Report.Syntax = append(code.Report.Syntax, syntaxFinding(t))
	code.Report.Security = append(g.securityCheck(p), g.secretFindings(p, secrets)...)
	code.Report.Security = append(code.Report.Security, g.security...)
	if !code.Report.OK() {
		return code, arsenal.Errorf(arsenal.Internal, Kind, "render", "generated %s fails its own checks:\n%s", describe(comp, t), code.Report)
	}
	return code, nil
}

func syntaxFinding(t Template) Finding {
	switch t.Language {
	case Go:
		return info("", "parsed by go/parser and formatted by go/format")
	case TypeScript:
		return info("", "parsed as TypeScript by esbuild")
	}
	return info("", "parsed as JavaScript (ES module) by esbuild")
}

// securityCheck proves, on the parsed program, that every config value
// came out as one whole string literal and that no secret the view builder
// read from the environment appears. secretFindings (secrets.go) then
// checks every secret the Config itself holds.
func (g *gen) securityCheck(p parsed) []Finding {
	var out []Finding
	have := map[string]bool{}
	for _, s := range p.strings {
		have[s] = true
	}
	missing := 0
	for _, l := range g.lits {
		if !have[l.value] {
			missing++
			out = append(out, fail(l.field, "the value did not parse back as one string literal"))
		}
	}
	if missing == 0 && len(g.lits) > 0 {
		out = append(out, info("", "%d config values emitted as escaped literals; each parsed back unchanged", len(g.lits)))
	}
	for _, s := range g.sec {
		if leaks(p, s.value) {
			out = append(out, fail(s.field, "the secret appears in the generated source"))
			continue
		}
		out = append(out, info(s.field, "read from the environment variable %s, never written into the source", s.env))
	}
	return out
}

// runInfo returns the file name and run command for t.
func runInfo(t Template) (file, run string) {
	ext := ".ts"
	if t.Language == JavaScript {
		ext = ".mjs"
	}
	switch t.Framework {
	case Arsenal:
		return "main.go", "go run ."
	case Bun:
		return "main" + ext, "bun run main" + ext
	case Node:
		if t.Language == TypeScript {
			// Node 22.6+ strips types itself; older versions need a build step.
			return "main.ts", "node --experimental-strip-types main.ts"
		}
		return "main.mjs", "node main.mjs"
	}
	return "main" + ext, "deno run --allow-net --allow-env --allow-read --allow-write main" + ext
}

var componentTitles = map[Component]string{SQLite: "SQLite", Redis: "Redis", WebSocket: "WebSocket", S3: "S3"}

var frameworkTitles = map[Framework]string{Arsenal: "Arsenal", Bun: "Bun", Node: "Node.js", Deno: "Deno"}

var languageTitles = map[Language]string{Go: "Go", TypeScript: "TypeScript", JavaScript: "JavaScript"}

// header is the program's opening comment. It names the template and the
// environment variables; it never holds a config value (a comment is no
// place for arbitrary text).
func (g *gen) header() string {
	_, run := runInfo(g.t)
	lines := []string{
		fmt.Sprintf("// %s client for %s (%s, %s), generated by arsenal codegen.", componentTitles[g.c], frameworkTitles[g.t.Framework], languageTitles[g.t.Language], g.t.Complexity),
	}
	if len(g.t.Features) > 0 {
		lines = append(lines, "// Features: "+joinNames(g.t.Features)+".")
	}
	lines = append(lines, "//", "// Run: "+run)
	if len(g.env) > 0 {
		var names []string
		for _, e := range g.env {
			n := e.Name
			if e.Secret {
				n += " (secret)"
			}
			names = append(names, n)
		}
		lines = append(lines, "// Environment: "+strings.Join(names, ", ")+".")
	}
	return strings.Join(lines, "\n")
}
