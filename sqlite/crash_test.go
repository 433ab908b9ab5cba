package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const childEnv = "ARSENAL_SQLITE_CRASH_CHILD"

// runCrashChild is the child process of TestKilledMidTransactionKeepsCommittedRows:
// it commits batches and reports each on stdout, then is killed during
// one. It never returns.
func runCrashChild() {
	path := os.Getenv(childEnv)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for batch := 1; ; batch++ {
		err := db.Tx(ctx, func(tx *sqlite.Tx) error {
			for i := 0; i < 40; i++ {
				// Large rows overflow the page cache, so the open
				// transaction spills uncommitted pages into the WAL.
				if _, err := tx.Exec(ctx, "INSERT INTO rows(batch, i, pad) VALUES (?, ?, zeroblob(?))", batch, i, 20000+batch%7*1000); err != nil {
					return err
				}
				if i == 10 {
					fmt.Fprintf(out, "begin %d\n", batch)
					out.Flush()
				}
				if batch > 20 {
					time.Sleep(2 * time.Millisecond)
				}
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(2)
		}
		fmt.Fprintf(out, "commit %d\n", batch)
		out.Flush()
	}
}

func TestKilledMidTransactionKeepsCommittedRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	db := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, db, "CREATE TABLE rows(batch INT NOT NULL, i INT NOT NULL, pad BLOB, PRIMARY KEY(batch, i))")
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	lastCommit, inFlight := 0, 0
	timeout := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timeout.Stop()
	for lines.Scan() {
		var n int
		switch line := lines.Text(); {
		case strings.HasPrefix(line, "commit "):
			fmt.Sscanf(line, "commit %d", &n)
			lastCommit = n
		case strings.HasPrefix(line, "begin "):
			fmt.Sscanf(line, "begin %d", &n)
			inFlight = n
		default:
			t.Fatalf("child: %s", line)
		}
		if lastCommit >= 25 && inFlight == lastCommit+1 {
			// The child is inside batch inFlight, rows written, not committed.
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	cmd.Wait()
	require.GreaterOrEqual(t, lastCommit, 25, "child stopped after %d commits", lastCommit)

	db2, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	require.NoError(t, err, "reopen after SIGKILL")
	defer db2.Close()
	require.NoError(t, db2.IntegrityCheck(ctxT(t)))
	// Every batch the child reported committed is whole; the batch it was
	// killed in is absent or (if the kill landed after COMMIT but before
	// the report) whole, never partial.
	type agg struct{ Batch, N int }
	got, err := sqlite.AllAs[agg](ctxT(t), db2, "SELECT batch, count(*) AS n FROM rows GROUP BY batch ORDER BY batch")
	require.NoError(t, err)
	for _, a := range got {
		assert.Equal(t, 40, a.N, "batch %d has %d of 40 rows", a.Batch, a.N)
	}
	assert.GreaterOrEqual(t, len(got), lastCommit, "%d batches survive, %d were committed", len(got), lastCommit)
	for i := 1; i <= lastCommit && i <= len(got); i++ {
		if got[i-1].Batch != i {
			t.Errorf("batch %d missing", i)
			break
		}
	}
	t.Logf("killed in batch %d after %d commits; %d whole batches on disk", inFlight, lastCommit, len(got))
}
