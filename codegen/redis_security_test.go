package codegen_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/security"
)

// A redis.Config with Security set renders: the Options are not written
// (no literal, no secret), TLS stays on, and the report says what was
// left out.
func TestRedisSecurityOptionsAreReportedNotRendered(t *testing.T) {
	const pw = "Sec-provider-pw-42"
	pol, err := security.NewPolicy(security.Rule{Effect: security.Allow})
	require.NoError(t, err)
	cfg := redis.Config{Addrs: []string{"10.0.0.5:6379"}, Security: security.Options{
		Policy: pol, Credentials: security.StaticUser("app", pw),
		TLS: &security.TLS{ServerName: "redis.internal"},
	}}
	for _, cb := range combinations() {
		if cb.C != codegen.Redis {
			continue
		}
		code, err := codegen.Render(cfg, cb.T)
		require.NoError(t, err, "%s", cb.T)
		assert.NotContains(t, code.Source, pw, "%s", cb.T)
		assert.NotContains(t, code.Source, "Security", "%s: Options have no literal", cb.T)
		var notes []string
		for _, f := range append(code.Report.Compatibility, code.Report.Security...) {
			notes = append(notes, f.String())
		}
		assert.Contains(t, strings.Join(notes, "\n"), "Security", "%s: the report names the field left out", cb.T)
		for _, f := range code.Report.Security {
			assert.NotContains(t, f.Message, "not encrypted", "%s: Security.TLS turns TLS on", cb.T)
		}
		if cb.T.Language == codegen.Go {
			assert.Regexp(t, `TLS:\s+true`, code.Source, "%s", cb.T)
		} else {
			assert.Contains(t, strings.ToLower(code.Source), "tls", "%s", cb.T)
		}
	}
}
