package codegen_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/websocket"
)

// A WebSocket URL's query token, a user-only token and secret-looking
// headers outside any fixed word list (X-Signature) are read from the
// environment, never written into the source, and the security report
// says so (issue 13 #9).
func TestWebSocketQueryTokensAndSignatureHeadersStayOutOfTheSource(t *testing.T) {
	cfgs := map[string]websocket.Config{
		"query token": {URL: "wss://example.com/feed?access_token=QTOKEN-4711&room=lobby",
			Options: websocket.Options{Header: http.Header{"X-Signature": {"SIGVALUE-4711"}, "X-Trace": {"plain-trace"}}}},
		"user-only token": {URL: "wss://USERTOKEN-4711@example.com/feed"},
	}
	secrets := []string{"QTOKEN-4711", "SIGVALUE-4711", "USERTOKEN-4711"}
	for name, cfg := range cfgs {
		for _, cb := range combinations() {
			if cb.C != codegen.WebSocket {
				continue
			}
			code, err := codegen.Render(cfg, cb.T)
			require.NoError(t, err, "%s %s", name, cb.T)
			for _, s := range secrets {
				assert.NotContains(t, code.Source, s, "%s %s", name, cb.T)
			}
			for _, e := range code.Env {
				if e.Secret {
					assert.Empty(t, e.Default, "%s %s: secret %s has a default", name, cb.T, e.Name)
				}
				for _, s := range secrets {
					assert.NotContains(t, e.Default, s, "%s %s: %s", name, cb.T, e.Name)
				}
			}
			report := ""
			for _, f := range code.Report.Security {
				report += f.String() + "\n"
				assert.NotEqual(t, codegen.Error, f.Severity, "%s %s: %s", name, cb.T, f)
			}
			if name == "query token" {
				assert.Contains(t, report, "access_token", "%s %s", name, cb.T)
				assert.Contains(t, report, "WS_URL", "%s %s", name, cb.T)
				assert.Contains(t, code.Source, "plain-trace", "%s %s: a plain header stays inline", name, cb.T)
				assert.True(t, strings.Contains(report, "X-Signature") || strings.Contains(report, "WS_HEADER_X_SIGNATURE"), "%s %s: %s", name, cb.T, report)
			} else {
				assert.Contains(t, report, "WS_USER", "%s %s", name, cb.T)
			}
		}
	}
}
