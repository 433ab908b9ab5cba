package codegen_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/websocket"
)

// A secret the Config holds in a URL query parameter or in a credential
// header outside the builder's word list is never written into a program
// that Render returns as good: either the program reads it from the
// environment, or Render refuses with Internal and a security Error
// finding naming the field.
func TestSecretsInURLsAndHeadersNeverReachAGoodProgram(t *testing.T) {
	const tok = "Qz7-query-token-9"
	const sig = "Hm4-signature-1"
	cfg := websocket.Config{URL: "wss://example.com/feed?access_token=" + tok + "&room=1",
		Options: websocket.Options{Header: http.Header{"X-Signature": {sig}}}}
	for _, cb := range combinations() {
		if cb.C != codegen.WebSocket {
			continue
		}
		code, err := codegen.Render(cfg, cb.T)
		if err == nil {
			assert.NotContains(t, code.Source, tok, "%s: the query token is in the source", cb.T)
			assert.NotContains(t, code.Source, sig, "%s: the signature header is in the source", cb.T)
			for _, e := range code.Env {
				assert.NotContains(t, e.Default, tok, "%s: %s defaults to the token", cb.T, e.Name)
			}
			continue
		}
		assert.Equal(t, arsenal.Internal, codeOf(err), "%s: %v", cb.T, err)
		var fails []string
		for _, f := range code.Report.Security {
			if f.Severity == codegen.Error {
				fails = append(fails, f.String())
			}
		}
		assert.NotEmpty(t, fails, "%s: refused without a security finding: %v", cb.T, err)
		joined := strings.Join(fails, "\n")
		assert.NotContains(t, joined, tok, "the report never shows the secret")
		assert.NotContains(t, err.Error(), tok, "the error never shows the secret")
	}
}
