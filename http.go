package arsenal

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// HTTPStatus maps a code to the HTTP status a web service answers with
// when an operation fails with it, after gRPC's HTTP mapping: NotFound is
// 404, InvalidArgument 400, Unavailable 503, and so on. OK is 200 and an
// unknown code 500.
func HTTPStatus(code Code) int {
	switch code {
	case OK:
		return http.StatusOK
	case InvalidArgument:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case AlreadyExists, Aborted:
		return http.StatusConflict
	case PermissionDenied:
		return http.StatusForbidden
	case Unauthenticated:
		return http.StatusUnauthorized
	case ResourceExhausted:
		return http.StatusTooManyRequests
	case FailedPrecondition:
		return http.StatusPreconditionFailed
	case Unavailable:
		return http.StatusServiceUnavailable
	case DeadlineExceeded:
		return http.StatusGatewayTimeout
	case Canceled:
		return 499 // client closed request, as nginx and gRPC gateways answer
	case Unimplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// HealthJSON is the body the health handlers answer with when asked for
// JSON.
type HealthJSON struct {
	Status     string                `json:"status"` // "ok" or "failed"
	Components []ComponentHealthJSON `json:"components,omitempty"`
}

// ComponentHealthJSON is one component's entry in a HealthJSON.
type ComponentHealthJSON struct {
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Healthy   bool    `json:"healthy"`
	Code      string  `json:"code,omitempty"`  // the error's Code, when unhealthy
	Error     string  `json:"error,omitempty"` // the coded error's text, when unhealthy (never holds secrets)
	LatencyMS float64 `json:"latency_ms"`
}

// Handler serves the hub's health over HTTP, following Kubernetes'
// conventions:
//
//   - GET /livez answers 200 "ok" while the hub is open and 503 once it is
//     closed. It checks no component: a dependency that is down makes the
//     service unready, not dead, and restarting it would not help.
//   - GET /readyz runs Health (each component under its own timeout, see
//     SetHealthTimeout) and answers 200 when every component is healthy,
//     503 otherwise. ?verbose lists each check as "[+]name ok" or
//     "[-]name failed: Code"; ?exclude=name (repeatable) leaves a component
//     out; ?format=json or an Accept header of application/json answers
//     with a HealthJSON carrying each component's code, error and latency.
//   - GET /metrics serves every component's stats in the Prometheus text
//     format (MetricsHandler).
//
// Mount it where the service likes, for instance
// mux.Handle("/healthz/", http.StripPrefix("/healthz", hub.Handler())).
// Other paths are 404, and methods other than GET and HEAD 405.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/livez", h.serveLive)
	mux.HandleFunc("/readyz", h.serveReady)
	mux.Handle("/metrics", h.MetricsHandler())
	return mux
}

// HealthHandler is the /readyz handler of Handler on its own, answering
// JSON by default: 200 with every component healthy, 503 otherwise.
func (h *Hub) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ready(w, r, true)
	})
}

func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

func wantsJSON(r *http.Request) bool {
	if r.URL.Query().Get("format") == "json" {
		return true
	}
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func (h *Hub) serveLive(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	status, text := http.StatusOK, "ok"
	if closed {
		status, text = http.StatusServiceUnavailable, "failed"
	}
	if wantsJSON(r) {
		writeJSON(w, status, HealthJSON{Status: text})
		return
	}
	writeText(w, status, "livez "+text+"\n")
}

func (h *Hub) serveReady(w http.ResponseWriter, r *http.Request) {
	h.ready(w, r, wantsJSON(r))
}

func (h *Hub) ready(w http.ResponseWriter, r *http.Request, asJSON bool) {
	if !getOnly(w, r) {
		return
	}
	exclude := r.URL.Query()["exclude"]
	report := h.health(r.Context(), func(name string) bool { return !slices.Contains(exclude, name) })
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	status, text := http.StatusOK, "ok"
	if closed || !report.Healthy() {
		status, text = http.StatusServiceUnavailable, "failed"
	}
	if asJSON {
		body := HealthJSON{Status: text, Components: make([]ComponentHealthJSON, 0, len(report.Components))}
		for _, c := range report.Components {
			e := ComponentHealthJSON{Name: c.Name, Kind: c.Kind, Healthy: c.Healthy(), LatencyMS: float64(c.Latency.Microseconds()) / 1000}
			if c.Err != nil {
				e.Code = CodeOf(c.Err).String()
				e.Error = c.Err.Error()
			}
			body.Components = append(body.Components, e)
		}
		writeJSON(w, status, body)
		return
	}
	var b strings.Builder
	if _, verbose := r.URL.Query()["verbose"]; verbose || status != http.StatusOK {
		for _, c := range report.Components {
			if c.Err == nil {
				b.WriteString("[+]" + c.Name + " ok\n")
			} else {
				b.WriteString("[-]" + c.Name + " failed: " + CodeOf(c.Err).String() + "\n")
			}
		}
		if closed {
			b.WriteString("[-]hub failed: closed\n")
		}
	}
	b.WriteString("readyz " + text + "\n")
	writeText(w, status, b.String())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(s))
}

// ErrorStatus is HTTPStatus of err's code; nil gives 200.
func ErrorStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var ae *Error
	if errors.As(err, &ae) {
		return HTTPStatus(ae.Code)
	}
	return HTTPStatus(CodeOf(err))
}
