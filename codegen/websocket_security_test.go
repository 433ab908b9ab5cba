package codegen_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/websocket"
)

// tokenProvider keeps its token in a plain field, as a user's provider
// might.
type tokenProvider struct{ Token string }

func (p tokenProvider) Credentials(context.Context) (security.Credentials, error) {
	return security.Credentials{Secret: security.NewSecret(p.Token)}, nil
}

// A WebSocket Config's Security options (Go values) are not rendered: the
// program is still valid, holds no credential of the provider, and the
// security report says what to set in code.
func TestWebSocketSecurityOptionsAreReportedNotRendered(t *testing.T) {
	pol, err := security.NewPolicy(security.Rule{Effect: security.Allow, Component: "websocket"})
	require.NoError(t, err)
	cfg := websocket.Config{URL: "wss://example.com/feed", Options: websocket.Options{Security: security.Options{
		Policy: pol, Audit: security.NewAuditor(nil, nil),
		TLS:         &security.TLS{CAFiles: []string{"/etc/ssl/private-ca.pem"}, InsecureSkipVerify: true},
		Credentials: tokenProvider{Token: "PROVTOKEN-4711"},
	}}}
	n := 0
	for _, cb := range combinations() {
		if cb.C != codegen.WebSocket {
			continue
		}
		n++
		code, err := codegen.Render(cfg, cb.T)
		require.NoError(t, err, "%s", cb.T)
		assert.NotContains(t, code.Source, "PROVTOKEN-4711", "%s", cb.T)
		assert.NotContains(t, code.Source, "private-ca.pem", "%s: Security is not rendered", cb.T)
		report := ""
		for _, f := range code.Report.Security {
			report += f.String() + "\n"
		}
		assert.Contains(t, report, "Security", "%s", cb.T)
		assert.Contains(t, report, "Policy", "%s", cb.T)
		assert.Contains(t, report, "Credentials", "%s", cb.T)
		assert.Contains(t, report, "certificate is not verified", "%s", cb.T)
		for _, f := range code.Report.Compatibility {
			assert.NotContains(t, f.String(), "has no Go literal", "%s: %s", cb.T, f)
		}
		if cb.T.Language == codegen.Go {
			assert.Contains(t, report, "set Options.Security in the program", "%s", cb.T)
		}
	}
	require.NotZero(t, n)
}
