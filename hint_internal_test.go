package arsenal

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The root package's external tests import sqlite (for the Examples), so
// an unregistered sqlite: scheme can only be checked here, on the hint
// Open's error carries.
func TestImportHintNamesTheSQLitePackage(t *testing.T) {
	for _, scheme := range []string{"sqlite", "sqlite3", "file"} {
		assert.Contains(t, importHint(scheme), "arsenal/sqlite", scheme)
	}
	for scheme, pkg := range map[string]string{"redis": "arsenal/redis", "rediss": "arsenal/redis", "valkey": "arsenal/redis",
		"ws": "arsenal/websocket", "wss": "arsenal/websocket", "s3": "arsenal/s3", "postgres": "arsenal/plugin/postgres"} {
		assert.Contains(t, importHint(scheme), pkg, scheme)
	}
	assert.Equal(t, "import the package that registers it", importHint("gopher"))
}
