package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

func TestValidateNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name string
		cfg  sqlite.Config
		bad  []string
	}{
		{"zero value is an in-memory database", sqlite.Config{}, nil},
		{"a full valid file config", sqlite.Config{Path: "a.db", Create: true, Strict: true, SafeIntegers: true, Readers: 8, BusyTimeout: time.Second, JournalMode: "WAL", Synchronous: "full", Pragmas: []string{"foreign_keys=on", "cache_size = -2000", "trusted_schema"}, StatementCache: -1}, nil},
		{"read-only and create conflict", sqlite.Config{Path: "a.db", ReadOnly: true, Create: true}, []string{"Create"}},
		{"read-only memory is useless", sqlite.Config{ReadOnly: true}, []string{"ReadOnly"}},
		{"numbers out of range", sqlite.Config{Readers: 1000, BusyTimeout: -1, StatementCache: -2}, []string{"Readers", "BusyTimeout", "StatementCache"}},
		{"unknown modes", sqlite.Config{JournalMode: "fast", Synchronous: "sometimes"}, []string{"JournalMode", "Synchronous"}},
		{"pragma injection", sqlite.Config{Pragmas: []string{"foreign_keys=on; DROP TABLE t"}}, []string{"Pragmas"}},
		{"NUL in path", sqlite.Config{Path: "a\x00b"}, []string{"Path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.bad) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantCode(t, err, arsenal.InvalidArgument)
			var ce *arsenal.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("no ConfigError in %v", err)
			}
			for _, f := range tt.bad {
				if !ce.Has(f) {
					t.Errorf("ConfigError does not name %s: %v", f, ce)
				}
			}
			if len(ce.Fields) != len(tt.bad) {
				t.Errorf("ConfigError names %d fields, want %d: %v", len(ce.Fields), len(tt.bad), ce)
			}
		})
	}
}

func TestParseURLReadsEveryParameter(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want sqlite.Config
	}{
		{"relative path", "sqlite:app.db", sqlite.Config{Path: "app.db", Create: true}},
		{"existing file only", "sqlite:app.db?mode=rw", sqlite.Config{Path: "app.db"}},
		{"absolute path", "sqlite:///var/lib/app.db?mode=rwc", sqlite.Config{Path: "/var/lib/app.db", Create: true}},
		{"memory", "sqlite::memory:", sqlite.Config{Path: ":memory:"}},
		{"empty is memory", "sqlite:", sqlite.Config{Path: ":memory:"}},
		{"file uri read-only", "file:data.db?mode=ro", sqlite.Config{Path: "data.db", ReadOnly: true}},
		{"file uri memory mode", "file:x?mode=memory", sqlite.Config{Path: ":memory:"}},
		{"every option", "sqlite:a.db?create=true&strict=1&safe_integers=true&readers=8&busy_timeout=250&journal_mode=DELETE&synchronous=full&stmt_cache=10&pragma=foreign_keys%3Don&pragma=cache_size%3D-4000",
			sqlite.Config{Path: "a.db", Create: true, Strict: true, SafeIntegers: true, Readers: 8, BusyTimeout: 250 * time.Millisecond, JournalMode: "delete", Synchronous: "full", StatementCache: 10, Pragmas: []string{"foreign_keys=on", "cache_size=-4000"}}},
		{"bun spelling and duration", "sqlite:a.db?safeIntegers&busy_timeout=2s", sqlite.Config{Path: "a.db", Create: true, SafeIntegers: true, BusyTimeout: 2 * time.Second}},
		{"escaped path", "sqlite:my%20data.db", sqlite.Config{Path: "my data.db", Create: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqlite.ParseURL(tt.url)
			require.NoError(t, err, tt.url)
			assert.True(t, equalConfig(got, tt.want), "ParseURL(%q) = %+v, want %+v", tt.url, got, tt.want)
		})
	}
}

func equalConfig(a, b sqlite.Config) bool {
	if len(a.Pragmas) != len(b.Pragmas) {
		return false
	}
	for i := range a.Pragmas {
		if a.Pragmas[i] != b.Pragmas[i] {
			return false
		}
	}
	a.Pragmas, b.Pragmas = nil, nil
	return a.Path == b.Path && a.ReadOnly == b.ReadOnly && a.Create == b.Create && a.Strict == b.Strict &&
		a.SafeIntegers == b.SafeIntegers && a.Readers == b.Readers && a.BusyTimeout == b.BusyTimeout &&
		a.JournalMode == b.JournalMode && a.Synchronous == b.Synchronous && a.StatementCache == b.StatementCache
}

func TestParseURLRejectsBadInputWithoutEchoingSecrets(t *testing.T) {
	tests := []struct{ name, url string }{
		{"wrong scheme", "redis://localhost"},
		{"unknown parameter", "sqlite:a.db?password=hunter2&colour=red"},
		{"bad boolean", "sqlite:a.db?strict=perhaps&token=hunter2"},
		{"bad number", "sqlite:a.db?readers=many"},
		{"bad mode", "file:a.db?mode=rx"},
		{"bad timeout", "sqlite:a.db?busy_timeout=soon"},
		{"unparseable", "sqlite://user:hunter2@[::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sqlite.ParseURL(tt.url)
			wantCode(t, err, arsenal.InvalidArgument)
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a secret: %v", err)
			}
		})
	}
}

func TestArsenalOpenUsesTheRegisteredSchemes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reg.db")
	for _, u := range []string{"sqlite:" + path + "?mode=rwc", "file:" + path, "sqlite::memory:"} {
		c, err := arsenal.Open(ctx, u)
		require.NoError(t, err, u)
		assert.Equal(t, sqlite.Kind, c.Kind())
		assert.NoError(t, c.Health(ctx), u)
		assert.NoError(t, c.Close(), u)
	}
	_, err := arsenal.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "missing.db")+"?mode=rw")
	wantCode(t, err, arsenal.NotFound)
}

func TestOpenReportsMissingFilesDirectoriesAndNonDatabases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "text.db")
	if err := writeFile(notDB, strings.Repeat("this is not a database file. ", 200)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  sqlite.Config
		code arsenal.Code
	}{
		{"missing file without Create", sqlite.Config{Path: filepath.Join(dir, "missing.db")}, arsenal.NotFound},
		{"missing directory", sqlite.Config{Path: filepath.Join(dir, "nope", "x.db"), Create: true}, arsenal.NotFound},
		{"a directory", sqlite.Config{Path: dir}, arsenal.InvalidArgument},
		{"a text file", sqlite.Config{Path: notDB}, arsenal.DataLoss},
		{"read-only missing file", sqlite.Config{Path: filepath.Join(dir, "missing.db"), ReadOnly: true}, arsenal.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqlite.Open(ctx, tt.cfg)
			if err == nil {
				db.Close()
			}
			wantCode(t, err, tt.code)
		})
	}
}
