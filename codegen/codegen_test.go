package codegen_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

func codeOf(err error) arsenal.Code {
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return arsenal.Unknown
}

func TestUnsupportedCombinationsAreRefusedWithTheirReason(t *testing.T) {
	for _, u := range codegen.UnsupportedCombinations() {
		t.Run(u.String(), func(t *testing.T) {
			cfg, ok := trySampleConfig(u.Component)
			if !ok {
				t.Skipf("no sample config for %s", u.Component)
			}
			langs := []codegen.Language{u.Language}
			if u.Language == "" {
				langs = []codegen.Language{codegen.TypeScript, codegen.JavaScript}
			}
			for _, l := range langs {
				_, err := codegen.Render(cfg, codegen.Template{Language: l, Framework: u.Framework, Complexity: codegen.Advanced, Features: []codegen.Feature{u.Feature}})
				require.Error(t, err, "%s", l)
				assert.Equal(t, arsenal.Unimplemented, codeOf(err), "%s: %v", l, err)
				assert.Contains(t, err.Error(), u.Reason, "%s: the error names the reason", l)
			}
		})
	}
}

func TestRenderRejectsBadInputWithCodedErrors(t *testing.T) {
	good := redis.Config{Addrs: []string{"127.0.0.1:6379"}}
	tests := []struct {
		name   string
		config any
		tmpl   codegen.Template
		want   arsenal.Code
	}{
		{"nil config", nil, codegen.Template{}, arsenal.InvalidArgument},
		{"a config of another type", struct{ X int }{1}, codegen.Template{}, arsenal.InvalidArgument},
		{"an invalid config", redis.Config{Addrs: []string{"no-port"}}, codegen.Template{}, arsenal.InvalidArgument},
		{"an invalid s3 config", s3.Config{Bucket: "Bad_Bucket"}, codegen.Template{}, arsenal.InvalidArgument},
		{"an unknown language", good, codegen.Template{Language: "cobol"}, arsenal.InvalidArgument},
		{"an unknown framework", good, codegen.Template{Language: codegen.TypeScript, Framework: "rails"}, arsenal.InvalidArgument},
		{"Go for Bun", good, codegen.Template{Language: codegen.Go, Framework: codegen.Bun}, arsenal.Unimplemented},
		{"TypeScript for Arsenal", good, codegen.Template{Language: codegen.TypeScript, Framework: codegen.Arsenal}, arsenal.Unimplemented},
		{"an unknown complexity", good, codegen.Template{Complexity: "extreme"}, arsenal.InvalidArgument},
		{"a feature of another component", good, codegen.Template{Features: []codegen.Feature{codegen.S3Presign}}, arsenal.InvalidArgument},
		{"invalid UTF-8 for JavaScript", redis.Config{Addrs: []string{"127.0.0.1:6379"}, Username: "\xff"}, codegen.Template{Language: codegen.JavaScript, Framework: codegen.Node}, arsenal.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := codegen.Render(tt.config, tt.tmpl)
			assert.Equal(t, tt.want, codeOf(err), "Render: %v", err)
		})
	}
}

func TestSecretsAreReadFromTheEnvironmentAndNeverInlined(t *testing.T) {
	const pw = "Sup3r-Secret-Pa55"
	for _, cb := range combinations() {
		var cfg any
		switch cb.C {
		case codegen.Redis:
			cfg = redis.Config{Addrs: []string{"127.0.0.1:6379"}, Password: security.NewSecret(pw), SentinelPassword: security.NewSecret(pw + "2"), Mode: redis.ModeSentinel, SentinelMaster: "mymaster"}
		case codegen.S3:
			cfg = s3.Config{Bucket: "b-1", AccessKeyID: "AKIA" + pw, SecretAccessKey: security.NewSecret(pw), SessionToken: security.NewSecret(pw + "tok")}
		case codegen.WebSocket:
			cfg = websocket.Config{URL: "wss://user:" + pw + "@example.com/feed", Options: websocket.Options{
				Header: http.Header{"Cookie": {"sid=" + pw}, "X-Auth-Token": {pw + "t"}, "X-Trace": {"plain"}},
				Proxy:  "http://proxyuser:" + pw + "@127.0.0.1:3128",
			}}
		default:
			continue
		}
		code, err := codegen.Render(cfg, cb.T)
		require.NoError(t, err, "%s %s", cb.C, cb.T)
		assert.NotContains(t, code.Source, pw, "%s %s: a secret appears in the source", cb.C, cb.T)
		secrets := 0
		for _, e := range code.Env {
			if e.Secret {
				secrets++
				if e.Default != "" {
					t.Errorf("%s %s: secret %s has a default", cb.C, cb.T, e.Name)
				}
			}
		}
		if secrets == 0 {
			t.Errorf("%s %s: no secret is read from the environment", cb.C, cb.T)
		}
	}
}

func TestFeaturesDefaultByComplexityAndKeepCanonicalOrder(t *testing.T) {
	cfg := redis.Config{}
	basic, err := codegen.Render(cfg, codegen.Template{})
	require.NoError(t, err)
	assert.Empty(t, basic.Template.Features, "basic features")
	adv, err := codegen.Render(cfg, codegen.Template{Complexity: codegen.Advanced})
	require.NoError(t, err)
	assert.Len(t, adv.Template.Features, len(codegen.FeaturesOf(codegen.Redis)), "advanced has every feature")
	picked, err := codegen.Render(cfg, codegen.Template{Features: []codegen.Feature{codegen.RedisHashes, codegen.RedisPubSub, codegen.RedisHashes}})
	require.NoError(t, err)
	assert.Equal(t, "go/arsenal/basic+pubsub,hashes", picked.Template.String())
}

func TestReportFlagsPlaintextAndSuggestsFromTheConfig(t *testing.T) {
	code, err := codegen.Render(redis.Config{Addrs: []string{"10.1.2.3:6379"}, DisableAutoPipelining: true, Mode: redis.ModeCluster},
		codegen.Template{Language: codegen.TypeScript, Framework: codegen.Bun, Complexity: codegen.Advanced})
	require.NoError(t, err)
	text := code.Report.String()
	for _, want := range []string{"not encrypted", "auto-pipelining is off", "no cluster support", "no MULTI/EXEC API"} {
		assert.Contains(t, text, want)
	}
	assert.GreaterOrEqual(t, code.Report.Warnings(), 3, "warnings")
	assert.True(t, code.Report.OK(), "no errors")
	big, err := codegen.Render(s3.Config{Bucket: "b-1", Endpoint: "http://s3.example.com", Concurrency: 1, ACL: "public-read"},
		codegen.Template{Language: codegen.Go, Complexity: codegen.Advanced})
	require.NoError(t, err)
	text = big.Report.String()
	for _, want := range []string{"unencrypted", "readable by anyone", "multipart", "one part at a time"} {
		assert.Contains(t, text, want, "s3 report")
	}
}

func TestSQLiteAndWebSocketReportsDrawOnTheConfigAndFramework(t *testing.T) {
	tests := []struct {
		name   string
		config any
		tmpl   codegen.Template
		want   []string
	}{
		{"a file database without WAL gets the WAL suggestion",
			sqlite.Config{Path: "app.db", JournalMode: "delete", StatementCache: -1}, codegen.Template{Complexity: codegen.Advanced},
			[]string{"WAL runs readers beside the writer", "statement cache is off"}},
		{"Deno's node:sqlite loses readOnly on deserialize",
			sqlite.Config{Path: "app.db"}, codegen.Template{Language: codegen.TypeScript, Framework: codegen.Deno, Complexity: codegen.Advanced},
			[]string{"loses the readOnly option", "no transaction helper"}},
		{"Bun has no backup API",
			sqlite.Config{}, codegen.Template{Language: codegen.JavaScript, Framework: codegen.Bun, Features: []codegen.Feature{codegen.SQLiteBackup}},
			[]string{"no online backup API", "VACUUM INTO"}},
		{"a remote ws:// URL is flagged and compression suggested",
			websocket.Config{URL: "ws://10.1.2.3/feed", Options: websocket.Options{DisableCompression: true, PingInterval: -1}}, codegen.Template{Complexity: codegen.Advanced},
			[]string{"not encrypted", "permessage-deflate", "keepalive is off"}},
		{"Bun cannot turn compression off",
			websocket.Config{URL: "ws://127.0.0.1/feed", Options: websocket.Options{DisableCompression: true}}, codegen.Template{Language: codegen.TypeScript, Framework: codegen.Bun},
			[]string{"always offers permessage-deflate"}},
		{"Node's ws has no proxy without an agent",
			websocket.Config{URL: "wss://example.com/feed", Options: websocket.Options{Proxy: "http://127.0.0.1:3128"}}, codegen.Template{Language: codegen.JavaScript, Framework: codegen.Node},
			[]string{"connects directly"}},
		{"Deno sends no permessage-deflate and cannot skip certificate checks",
			websocket.Config{URL: "wss://example.com/feed", Options: websocket.Options{InsecureSkipVerify: true}}, codegen.Template{Language: codegen.TypeScript, Framework: codegen.Deno},
			[]string{"does not offer permessage-deflate", "--unsafely-ignore-certificate-errors", "not verified"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := codegen.Render(tt.config, tt.tmpl)
			require.NoError(t, err)
			text := code.Report.String()
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
		})
	}
}

func TestReadOnlySQLiteProgramsLeaveOutWritesInEveryLanguage(t *testing.T) {
	cfg := sqlite.Config{Path: "app.db", ReadOnly: true, BusyTimeout: 3 * time.Second}
	for _, cb := range combinations() {
		if cb.C != codegen.SQLite {
			continue
		}
		code, err := codegen.Render(cfg, cb.T)
		require.NoError(t, err, "%s", cb.T)
		assert.False(t, code.Template.Has(codegen.SQLiteTransactions), "%s: a read-only program keeps the transactions feature", cb.T)
		assert.NotContains(t, code.Source, "CREATE TABLE IF NOT EXISTS", "%s: a read-only program writes", cb.T)
		assert.NotContains(t, code.Source, "INSERT", "%s: a read-only program writes", cb.T)
		if cb.T.Complexity != codegen.Basic {
			assert.Contains(t, code.Report.String(), "transactions feature (which writes) is left out", "%s: the report does not say the transactions feature was left out", cb.T)
		}
	}
}
