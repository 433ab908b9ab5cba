package codegen

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/security"
)

type innerCfg struct {
	Token security.Secret
	Note  string
}

type testCfg struct {
	Name     string
	Password string // a secret held in a plain string
	Key      security.Secret
	Inner    innerCfg
	Ptr      *innerCfg
	List     []security.Secret
	Header   http.Header
	URL      string
	Proxy    string
	hidden   security.Secret // unexported: not reachable, not reported
}

func TestConfigSecretsFindsEverySecretTheConfigHolds(t *testing.T) {
	cfg := testCfg{
		Name:     "app",
		Password: "plain-pw",
		Key:      security.NewSecret("key-value"),
		Inner:    innerCfg{Token: security.NewSecret("inner-token"), Note: "not secret"},
		Ptr:      &innerCfg{Token: security.NewSecret("ptr-token")},
		List:     []security.Secret{security.NewSecret("list-1"), {}},
		Header:   http.Header{"X-Signature": {"sig-value"}, "Authorization": {"Bearer abc"}, "X-Trace": {"plain"}},
		URL:      "wss://example.com/feed?access_token=query-token&room=1",
		Proxy:    "http://u:proxy-pw@127.0.0.1:3128",
		hidden:   security.NewSecret("hidden"),
	}
	got := map[string]string{}
	for _, s := range configSecrets(&cfg) {
		got[s.value] = s.field
	}
	assert.Equal(t, map[string]string{
		"plain-pw":    "Password",
		"key-value":   "Key",
		"inner-token": "Inner.Token",
		"ptr-token":   "Ptr.Token",
		"list-1":      "List",
		"sig-value":   "Header",
		"Bearer abc":  "Header",
		"query-token": "URL",
		"proxy-pw":    "Proxy",
	}, got)
}

func TestASecretWrittenAsALiteralFailsTheSecurityCheck(t *testing.T) {
	secrets := []configSecret{{field: "Key", value: "key-value"}, {field: "Token", value: "tok-123456"}}
	src := "package main\n\nfunc main() {\n\tprintln(env(\"WS_URL\", \"wss://h/?t=key-value\"))\n\tprintln(\"x tok-123456\")\n}\n"
	p, err := parseGo(src)
	require.NoError(t, err)
	g := &gen{c: WebSocket, t: Template{Language: Go, Framework: Arsenal}}
	g.lits = []litUse{{field: "URL", value: "wss://h/?t=key-value"}}
	f := g.secretFindings(p, secrets)
	require.Len(t, f, 2)
	assert.Equal(t, Error, f[0].Severity)
	assert.Equal(t, "URL", f[0].Field)
	assert.Contains(t, f[0].Message, "written as a literal")
	assert.Equal(t, Error, f[1].Severity)
	assert.Equal(t, "Token", f[1].Field)
	assert.Contains(t, f[1].Message, "appears in the generated source")

	// Read from the environment instead, the same secrets pass.
	p, err = parseGo("package main\n\nfunc main() { println(secret(\"K\"), secret(\"T\")) }\n")
	require.NoError(t, err)
	g = &gen{c: WebSocket, t: Template{Language: Go, Framework: Arsenal}}
	assert.Equal(t, `secret("K")`, g.secretValue("K", "Key", security.NewSecret("key-value")))
	assert.Empty(t, g.secretFindings(p, secrets))
	f = g.securityCheck(p)
	require.Len(t, f, 1)
	assert.Equal(t, Info, f[0].Severity)
	assert.Contains(t, f[0].Message, "read from the environment variable K")
}
