package codegen_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// A sqlite.Config with an access policy renders for every target: the
// policy is not written into the program (it is a live value), and the
// security report says the program must set it in code.
func TestSQLiteSecurityIsReportedNotRendered(t *testing.T) {
	pol, err := security.NewPolicy(security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Operation: "select"})
	require.NoError(t, err)
	cfg := sqlite.Config{Path: "app.db", Create: true, Security: security.Options{Policy: pol, Audit: security.NewAuditor(nil, nil)}}
	n := 0
	for _, cb := range combinations() {
		if cb.C != codegen.SQLite {
			continue
		}
		n++
		code, err := codegen.Render(cfg, cb.T)
		require.NoError(t, err, cb.T)
		assert.True(t, code.Report.OK(), "%s: %s", cb.T, code.Report)
		assert.NotContains(t, code.Source, "Security", cb.T)
		assert.NotContains(t, code.Source, "readers", cb.T)
		found := false
		for _, f := range code.Report.Security {
			if f.Field == "Security" && strings.Contains(f.Message, "runs every statement unchecked") {
				found = true
			}
		}
		assert.True(t, found, "%s: %s", cb.T, code.Report)
	}
	require.NotZero(t, n)
}
