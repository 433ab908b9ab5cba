package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
)

// TestBlankSQLAgreesWithSQLite checks blankSQL against SQLite itself: a
// text is blank exactly when sqlite3_prepare makes no statement of it
// (and does not fail).
func TestBlankSQLAgreesWithSQLite(t *testing.T) {
	require.True(t, rawOK, "raw handles unavailable: %s", rawCheckReason)
	c, err := sqlite.OpenConn(":memory:")
	require.NoError(t, err)
	defer c.Close()
	for _, q := range []string{
		"", " ", "\t\n\f\r", ";", ";;", " ; ; ", "-- c", "-- a\n-- b", "-- a\n", "/* c */", "/**/", "/*/", "/* unterminated",
		"/* c */;", "\x00", "\x00SELECT 1", " ;\x00junk",
		"; SELECT 1", ";; SELECT 1", "/* x */ ; -- y\n ; SELECT 1", "SELECT 1", "-- c\nSELECT 1", "/* c */ SELECT 1",
	} {
		s, _, err := c.PrepareTransient(q)
		require.NoError(t, err, "prepare %q", q)
		_, h := rawStmt(s)
		assert.Equal(t, h == 0, blankSQL(q), "blankSQL(%q); SQLite's statement handle %#x", q, h)
		s.Finalize()
	}
	// SQLite refuses these rather than skipping them: they are not blank.
	for _, q := range []string{"\v", "\u00a0", " \u2003 ", "- 1", "/ 1", "-", "/"} {
		_, _, err := c.PrepareTransient(q)
		assert.Error(t, err, "prepare %q", q)
		assert.False(t, blankSQL(q), "blankSQL(%q)", q)
	}
}
