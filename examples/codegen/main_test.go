package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCLIPrintsProgramAndReport(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStdout []string
		wantStderr []string
	}{
		{"a redis URL renders a Bun program", []string{"-url", "redis://:pw@127.0.0.1:6380/3", "-lang", "typescript", "-framework", "bun"},
			[]string{`import { RedisClient } from "bun";`, `url.pathname = "/3";`}, []string{"REDIS_PASSWORD (secret", "security:"}},
		{"an s3 URL renders a Go program", []string{"-url", "s3://photos/cats?endpoint=http://127.0.0.1:9000", "-complexity", "production"},
			[]string{"s3.Open(ctx, cfg)", `Prefix:   "cats/"`}, []string{"S3_BUCKET (default \"photos\")"}},
		{"a sqlite URL renders a Node program on better-sqlite3", []string{"-url", "sqlite:app.db?mode=rwc&strict=true&safe_integers=true", "-lang", "javascript", "-framework", "node", "-complexity", "advanced"},
			[]string{`import Database from "better-sqlite3";`, "db.defaultSafeIntegers(true);", "await db.backup(backupPath);"}, []string{"SQLITE_PATH (default \"app.db\")", "compatibility:"}},
		{"a websocket URL with credentials renders a Deno program", []string{"-url", "wss://bob:pw@feed.example.com/ws?subprotocols=v2,v1", "-lang", "typescript", "-framework", "deno", "-features", "subprotocols,headers"},
			[]string{`const protocols: string[] = ["v2", "v1"];`, `secret("WS_PASSWORD")`}, []string{"WS_PASSWORD (secret", "Deno extension"}},
		{"-path picks a sqlite file for Go", []string{"-component", "sqlite", "-path", "data/app.db", "-features", "transactions"},
			[]string{"sqlite.Open(ctx, cfg)", `env("SQLITE_PATH", "data/app.db")`, "db.Tx(ctx"}, []string{"WAL"}},
		{"flags choose the component and features", []string{"-component", "redis", "-addr", "10.0.0.5:6379", "-features", "hashes", "-lang", "javascript", "-framework", "node"},
			[]string{`import Redis from "ioredis";`, "hset("}, []string{"not encrypted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			require.NoError(t, err, "run: %v\n%s", err, errOut.String())
			for _, w := range tt.wantStdout {
				assert.Contains(t, out.String(), w, "stdout lacks")
			}
			for _, w := range tt.wantStderr {
				assert.Contains(t, errOut.String(), w, "stderr lacks")
			}
			assert.NotContains(t, out.String(), ":pw@", "the password leaked into the program")
			assert.NotContains(t, out.String(), `"pw"`, "the password leaked into the program")
		})
	}
}

func TestCLIReadsAJSONConfigAndPrintsJSON(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"Addrs":["127.0.0.1:7000"],"DB":4}`), 0o644))
	var out, errOut bytes.Buffer
	err := run([]string{"-component", "redis", "-config", file, "-json"}, &out, &errOut)
	require.NoError(t, err, "run: %v\n%s", err, errOut.String())
	var doc struct {
		Source string
		Report struct{ Syntax []struct{ Severity string } }
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc), "output is not JSON")
	assert.Contains(t, doc.Source, "DB:    4", "JSON output lacks the config or the report:\n%s", out.String())
	assert.NotEqual(t, 0, len(doc.Report.Syntax), "JSON output lacks the config or the report:\n%s", out.String())
}

func TestCLIRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no component", []string{}},
		{"invalid config", []string{"-component", "s3", "-bucket", "Bad_Bucket"}},
		{"unknown language", []string{"-component", "redis", "-lang", "cobol"}},
		{"unknown feature", []string{"-component", "redis", "-features", "teleport"}},
		{"unknown component", []string{"-component", "kafka"}},
		{"invalid websocket URL", []string{"-url", "ws://host/#fragment"}},
		{"unsupported feature", []string{"-url", "ws://127.0.0.1/x", "-lang", "typescript", "-framework", "deno", "-features", "compression"}},
		{"go for bun", []string{"-component", "redis", "-lang", "go", "-framework", "bun"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Error(t, run(tt.args, &out, &errOut), "run %v succeeded; want an error", tt.args)
		})
	}
}
