package codegen

import (
	"fmt"
	"strings"
)

// Severity grades a Finding.
type Severity string

// The severities, from least to most serious.
const (
	Info    Severity = "info"    // a fact worth knowing, nothing to do
	Warning Severity = "warning" // works, but something may surprise you
	Error   Severity = "error"   // the program is wrong and must not be used
)

// Finding is one line of a validation report.
type Finding struct {
	Severity Severity `json:"severity"`
	Field    string   `json:"field,omitempty"` // the Config field concerned, if any
	Message  string   `json:"message"`
}

func (f Finding) String() string {
	if f.Field != "" {
		return fmt.Sprintf("%s: %s: %s", f.Severity, f.Field, f.Message)
	}
	return fmt.Sprintf("%s: %s", f.Severity, f.Message)
}

// Report is the validation returned with every render, in four sections:
//
//   - Syntax: the program was parsed (Go by go/parser and formatted by
//     go/format; TypeScript and JavaScript by esbuild).
//   - Security: every config value was emitted as an escaped literal and
//     parsed back as that same literal; every secret the Config holds is
//     read from the environment, written as no literal and appears nowhere
//     in the source; transport warnings.
//   - Performance: suggestions drawn from the config and features.
//   - Compatibility: what the chosen framework lacks or does differently.
type Report struct {
	Syntax        []Finding `json:"syntax"`
	Security      []Finding `json:"security"`
	Performance   []Finding `json:"performance"`
	Compatibility []Finding `json:"compatibility"`
}

// OK reports whether no section holds an Error finding.
func (r Report) OK() bool { return r.count(Error) == 0 }

// Warnings counts the Warning findings of every section.
func (r Report) Warnings() int { return r.count(Warning) }

func (r Report) count(s Severity) int {
	n := 0
	for _, sec := range r.sections() {
		for _, f := range sec.findings {
			if f.Severity == s {
				n++
			}
		}
	}
	return n
}

type section struct {
	name     string
	findings []Finding
}

func (r Report) sections() []section {
	return []section{
		{"syntax", r.Syntax}, {"security", r.Security},
		{"performance", r.Performance}, {"compatibility", r.Compatibility},
	}
}

// String renders the report as indented text, one finding a line, with a
// "(none)" line for an empty section.
func (r Report) String() string {
	var b strings.Builder
	for _, s := range r.sections() {
		b.WriteString(s.name)
		b.WriteString(":\n")
		if len(s.findings) == 0 {
			b.WriteString("  (none)\n")
		}
		for _, f := range s.findings {
			b.WriteString("  ")
			b.WriteString(f.String())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func info(field, format string, args ...any) Finding {
	return Finding{Severity: Info, Field: field, Message: fmt.Sprintf(format, args...)}
}

func warn(field, format string, args ...any) Finding {
	return Finding{Severity: Warning, Field: field, Message: fmt.Sprintf(format, args...)}
}

func fail(field, format string, args ...any) Finding {
	return Finding{Severity: Error, Field: field, Message: fmt.Sprintf(format, args...)}
}
