package codegen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// An s3.Config carrying security options renders without them (they are
// program values: a policy, an audit, a provider) and the report says so;
// the provider's secret appears nowhere.
func TestS3SecurityOptionsAreReportedNotRendered(t *testing.T) {
	policy, err := security.NewPolicy(security.Rule{Effect: security.Allow, Component: "s3", Resource: "b-1/app/*"})
	require.NoError(t, err)
	cfg := s3.Config{Bucket: "b-1", Security: security.Options{
		Policy:      policy,
		TLS:         &security.TLS{ServerName: "s3.internal"},
		Credentials: security.Static(security.Credentials{User: "AKIAPROVIDED", Secret: security.NewSecret("PROVIDEDSECRET")}),
	}}
	for _, lang := range []codegen.Language{codegen.Go, codegen.TypeScript} {
		code, err := codegen.Render(cfg, codegen.Template{Language: lang})
		require.NoError(t, err, lang)
		assert.True(t, code.Report.OK(), "%s: %s", lang, code.Report)
		assert.Contains(t, code.Report.String(), "Security: security options", lang)
		assert.NotContains(t, code.Source, "Security", lang)
		assert.NotContains(t, code.Source, "PROVIDEDSECRET", lang)
		assert.NotContains(t, code.Source, "s3.internal", lang)
	}
}
