package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/infra-arsenal/arsenal"
)

// Line is one JSON line of a side-by-side comparison program's output
// (benchmarks): either a measurement,
//
//	{"domain":"redis","workload":"GET, 64 callers","impl":"arsenal","metric":"ops/s","value":412345.6,"better":"higher"}
//
// or a target check from a domain's issue,
//
//	{"domain":"redis","check":"64-caller GET >= 4x go-redis","pass":true,"detail":"5.1x"}
//
// Impl is "arsenal", "raw <driver>", a peer's name ("go-redis", "bun"), or
// "limit" for a practical limit such as redis-benchmark.
type Line struct {
	Domain   string  `json:"domain"`
	Workload string  `json:"workload,omitempty"`
	Impl     string  `json:"impl,omitempty"`
	Metric   string  `json:"metric,omitempty"`
	Value    float64 `json:"value"`
	Better   string  `json:"better,omitempty"` // "higher" or "lower"
	Check    string  `json:"check,omitempty"`
	Pass     bool    `json:"pass"`
	Detail   string  `json:"detail,omitempty"`
}

// IsCheck reports whether the line is a target check rather than a
// measurement.
func (l Line) IsCheck() bool { return l.Check != "" }

// MarshalJSON writes only the fields of the line's kind, so a measurement
// carries no "pass" and a check no "value".
func (l Line) MarshalJSON() ([]byte, error) {
	if l.IsCheck() {
		return marshal(struct {
			Domain string `json:"domain"`
			Check  string `json:"check"`
			Pass   bool   `json:"pass"`
			Detail string `json:"detail,omitempty"`
		}{l.Domain, l.Check, l.Pass, l.Detail})
	}
	return marshal(struct {
		Domain   string  `json:"domain"`
		Workload string  `json:"workload"`
		Impl     string  `json:"impl"`
		Metric   string  `json:"metric"`
		Value    float64 `json:"value"`
		Better   string  `json:"better,omitempty"`
	}{l.Domain, l.Workload, l.Impl, l.Metric, l.Value, l.Better})
}

// marshal is json.Marshal without HTML escaping, so "a >= b" stays readable.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Validate reports what is missing from a line as an InvalidArgument error.
func (l Line) Validate() error {
	v := arsenal.Validation{Component: "bench"}
	v.Check(l.Domain != "", "domain", "is required")
	if !l.IsCheck() {
		v.Check(l.Workload != "", "workload", "is required")
		v.Check(l.Impl != "", "impl", "is required")
		v.Check(l.Metric != "", "metric", "is required")
		v.Check(l.Better == "" || l.Better == "higher" || l.Better == "lower", "better", "must be higher or lower, got %q", l.Better)
	}
	return v.Err()
}

// HigherIsBetter reports whether a bigger value of the line's metric is
// better: its "better" field when set, otherwise guessed from the metric
// (rates such as ops/s and MB/s are higher-is-better; times, bytes and
// allocations are lower-is-better).
func (l Line) HigherIsBetter() bool {
	switch l.Better {
	case "higher":
		return true
	case "lower":
		return false
	}
	m := strings.ToLower(l.Metric)
	return strings.HasSuffix(m, "/s") || strings.Contains(m, "throughput") || strings.Contains(m, "ratio")
}

// ReadLines parses JSON lines. Blank lines and lines that do not start with
// "{" (stray human output) are skipped; a malformed or incomplete JSON
// object is an InvalidArgument error naming its line number. It returns the
// lines read before the first error along with it.
func ReadLines(r io.Reader) ([]Line, error) {
	var out []Line
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(text, "{") {
			continue
		}
		var l Line
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			return out, arsenal.E(arsenal.InvalidArgument, "bench", "read lines", fmt.Errorf("line %d: %w", n, err))
		}
		if err := l.Validate(); err != nil {
			return out, arsenal.E(arsenal.InvalidArgument, "bench", "read lines", fmt.Errorf("line %d: %w", n, err))
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return out, arsenal.E(arsenal.NativeCode(err), "bench", "read lines", err)
	}
	return out, nil
}

// LineWriter writes Lines as JSON lines. It is safe for concurrent use.
type LineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewLineWriter returns a LineWriter writing to w (usually os.Stdout).
func NewLineWriter(w io.Writer) *LineWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &LineWriter{enc: enc}
}

// Write writes one line.
func (w *LineWriter) Write(l Line) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.enc.Encode(l); err != nil {
		return arsenal.E(arsenal.NativeCode(err), "bench", "write line", err)
	}
	return nil
}

// Measurement writes a measurement line.
func (w *LineWriter) Measurement(domain, workload, impl, metric string, value float64, higherIsBetter bool) error {
	better := "lower"
	if higherIsBetter {
		better = "higher"
	}
	return w.Write(Line{Domain: domain, Workload: workload, Impl: impl, Metric: metric, Value: value, Better: better})
}

// Check writes a target check line.
func (w *LineWriter) Check(domain, check string, pass bool, detail string) error {
	return w.Write(Line{Domain: domain, Check: check, Pass: pass, Detail: detail})
}
