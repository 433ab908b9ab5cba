package qa

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTransportIsJudgedByTLSVerificationAndWhereTheServerIs(t *testing.T) {
	tests := []struct {
		host          string
		tls, verified bool
		want          Status
	}{
		{"cache.internal", true, true, Pass},
		{"cache.internal", true, false, Fail},
		{"127.0.0.1", true, false, Fail},
		{"127.0.0.1", false, false, Warn},
		{"::1", false, false, Warn},
		{"localhost", false, false, Warn},
		{"db.localhost", false, false, Warn},
		{"10.0.0.5", false, false, Fail},
		{"cache.internal", false, false, Fail},
	}
	for _, tt := range tests {
		got := transport(tt.host, tt.tls, tt.verified, "server")
		assert.Equal(t, tt.want, got.Status, "%s tls=%v verified=%v: %s", tt.host, tt.tls, tt.verified, got.Detail)
	}
}

func TestSecretsOfFindsPasswordsTokensAndSecretQueryValues(t *testing.T) {
	for raw, want := range map[string][]string{
		"redis://:pw123@h:6379/0":                       {"pw123"},
		"redis://user:pw123@h:6379/0":                   {"pw123"},
		"wss://TOKEN0123@h/socket":                      {"TOKEN0123"},
		"wss://h/socket?access_token=abc123&room=lobby": {"abc123"},
		"s3://bucket?endpoint=http://h":                 nil,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.ElementsMatch(t, want, secretsOf(u), raw)
	}
	s := secretsOf(mustURL(t, "redis://:hunter2@h"))
	assert.True(t, leaks("dial h: hunter2 refused", s))
	assert.Equal(t, "dial h: xxxxx refused", scrub("dial h: hunter2 refused", s))
	assert.False(t, leaks("nothing here", s))
}

func TestPrefixesAreLettersDigitsDashUnderscoreAndSlash(t *testing.T) {
	for p, ok := range map[string]bool{"qa-": true, "a/b_c-1": true, "": false, "1abc": false, "a*": false, "a b": false,
		"a" + string(make([]byte, 64)): false} {
		assert.Equal(t, ok, validPrefix(p), "%q", p)
	}
	assert.Equal(t, "qa_x_", sqlIdent("qa-x/"))
	assert.Equal(t, `a\*b\?c\[d\]`, escapeGlob("a*b?c[d]"))
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
