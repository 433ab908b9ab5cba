package postgres_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/plugin/postgres"
	"github.com/infra-arsenal/arsenal/security"
)

func TestConfigNeverPrintsItsSecrets(t *testing.T) {
	cfgs := map[string]postgres.Config{
		"url password":       {URL: "postgres://app:hunter2@db.internal:5432/app?sslmode=disable"},
		"url query password": {URL: "postgres://app@db.internal/app?password=hunter2"},
		"key=value password": {URL: "host=db.internal user=app password=hunter2 dbname=app"},
		"quoted key=value":   {URL: "host=db.internal password='hun ter2' dbname=app"},
		"password field":     {URL: "postgres://app@db.internal/app", Password: security.NewSecret("hunter2")},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
				out := fmt.Sprintf(verb, cfg)
				assert.NotContains(t, out, "hunter2", verb)
				assert.NotContains(t, out, "ter2", verb)
			}
			// Held in another value, the Config still redacts.
			assert.NotContains(t, fmt.Sprintf("%+v", struct{ C postgres.Config }{cfg}), "hunter2")
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("open", "config", cfg)
			assert.NotContains(t, buf.String(), "hunter2")
			assert.Contains(t, buf.String(), "db.internal", "the host stays visible")
		})
	}
	assert.Contains(t, fmt.Sprint(cfgs["password field"]), security.Redacted)
	assert.Contains(t, fmt.Sprint(cfgs["key=value password"]), "password="+security.Redacted)
}

func TestAnInvalidConfigNamesEveryFieldWithoutTheSecret(t *testing.T) {
	err := postgres.Config{URL: "postgres://app:hunter2@db:notaport/app", MaxConns: -1}.Validate()
	require.Error(t, err)
	var ce *arsenal.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.Has("URL"))
	assert.True(t, ce.Has("MaxConns"))
	assert.NotContains(t, err.Error(), "hunter2")
}
