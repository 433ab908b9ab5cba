package sqlite

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
)

// TestRawHandlesAreAvailable fences handle.go and busy.go: they read
// zombiezen's unexported handles, and if an upgrade moves them, declared
// types, read-only deserialization, statement routing, interrupts and
// function errors degrade. Fail loudly instead, and on any version other
// than the ones the package doc says were checked.
func TestRawHandlesAreAvailable(t *testing.T) {
	require.True(t, rawOK, "raw SQLite handles unavailable: %s", rawCheckReason)
	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	for mod, want := range map[string]string{"zombiezen.com/go/sqlite": "v1.4.2", "modernc.org/sqlite": "v1.37.1"} {
		assert.Contains(t, string(gomod), "\t"+mod+" "+want+"\n",
			"go.mod does not require %s %s, the version handle.go and busy.go were checked against: review them, then update the package doc and this test", mod, want)
	}

	c, err := sqlite.OpenConn(":memory:", sqlite.OpenReadWrite|sqlite.OpenMemory)
	require.NoError(t, err)
	defer c.Close()
	s, _, err := c.PrepareTransient("SELECT 1")
	require.NoError(t, err)
	defer s.Finalize()
	assert.True(t, stmtReadOnly(s), "SELECT 1 is not read-only through the raw handle")
	assert.Equal(t, "SELECT 1", expandedSQL(s))

	ct, _, err := c.PrepareTransient("CREATE TABLE t(a VARCHAR(9))")
	require.NoError(t, err)
	_, err = ct.Step()
	require.NoError(t, err)
	require.NoError(t, ct.Finalize())
	sel, _, err := c.PrepareTransient("SELECT a, 1 FROM t")
	require.NoError(t, err)
	defer sel.Finalize()
	decl, ok, origin := columnMeta(sel, 0)
	assert.True(t, ok)
	assert.Equal(t, "VARCHAR(9)", decl)
	assert.Equal(t, "a", origin)
	_, ok, _ = columnMeta(sel, 1)
	assert.False(t, ok, "an expression has no declared type")

	// An interrupt through the raw handle, from another goroutine, stops
	// a statement in flight (one that would otherwise run for minutes).
	long, _, err := c.PrepareTransient("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 2000000000) SELECT count(*) FROM r")
	require.NoError(t, err)
	defer long.Finalize()
	fired := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() {
		interruptConn(c)
		close(fired)
	})
	_, err = long.Step()
	<-fired // the interrupt has returned before the connection closes
	require.Error(t, err)
	assert.Equal(t, sqlite.ResultInterrupt, sqlite.ErrCode(err), "err = %v", err)
}
