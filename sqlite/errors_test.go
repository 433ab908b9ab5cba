package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRealFailuresCarryTheRightCode(t *testing.T) {
	db := openFile(t, sqlite.Config{Pragmas: []string{"foreign_keys=on"}})
	ctx := ctxT(t)
	mustExec(t, db, `CREATE TABLE p(id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, age INT CHECK (age >= 0));
		CREATE TABLE c(id INTEGER PRIMARY KEY, pid INT REFERENCES p(id));
		CREATE TABLE s(n INTEGER) STRICT;
		INSERT INTO p VALUES (1, 'a@x', 1)`)
	tests := []struct {
		name, sql string
		code      arsenal.Code
		msg       string
	}{
		{"unique", "INSERT INTO p VALUES (2, 'a@x', 1)", arsenal.AlreadyExists, "UNIQUE"},
		{"primary key", "INSERT INTO p VALUES (1, 'b@x', 1)", arsenal.AlreadyExists, ""},
		{"not null", "INSERT INTO p VALUES (3, NULL, 1)", arsenal.InvalidArgument, "NOT NULL"},
		{"check", "INSERT INTO p VALUES (4, 'c@x', -1)", arsenal.InvalidArgument, "CHECK"},
		{"strict datatype", "INSERT INTO s VALUES ('abc')", arsenal.InvalidArgument, ""},
		{"foreign key", "INSERT INTO c VALUES (1, 99)", arsenal.FailedPrecondition, "FOREIGN KEY"},
		{"syntax error keeps SQLite's message", "SELEKT 1", arsenal.InvalidArgument, `near "SELEKT": syntax error`},
		{"unknown table", "SELECT * FROM nope", arsenal.InvalidArgument, "no such table: nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Exec(ctx, tt.sql)
			wantCode(t, err, tt.code)
			assert.Contains(t, err.Error(), tt.msg, "message %q lacks", err)
		})
	}
}

func TestReadOnlyFileRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	rw := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, rw, "CREATE TABLE t(x); INSERT INTO t VALUES (1)")
	rw.Close()
	ro := openFile(t, sqlite.Config{Path: path, ReadOnly: true})
	_, err := ro.Exec(ctxT(t), "INSERT INTO t VALUES (2)")
	wantCode(t, err, arsenal.FailedPrecondition)
	n := count(t, ro, "SELECT count(*) FROM t")
	assert.Equal(t, 1, n, "%d rows", n)
}

func TestDiskFullIsResourceExhausted(t *testing.T) {
	db := openFile(t, sqlite.Config{Pragmas: []string{"max_page_count=20"}})
	mustExec(t, db, "CREATE TABLE t(b BLOB)")
	_, err := db.Exec(ctxT(t), "INSERT INTO t VALUES (zeroblob(1000000))")
	wantCode(t, err, arsenal.ResourceExhausted)
}

func TestAnotherProcessHoldingTheLockIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	a := openFile(t, sqlite.Config{Path: path, Create: true})
	mustExec(t, a, "CREATE TABLE t(x)")
	// A second DB on the same file stands in for another process.
	b := openFile(t, sqlite.Config{Path: path, BusyTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	hold := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.TxWith(ctx, sqlite.Immediate, func(tx *sqlite.Tx) error {
			tx.Exec(ctx, "INSERT INTO t VALUES (1)")
			<-hold
			return nil
		})
	}()
	// Wait until a holds the write lock.
	deadline := time.Now().Add(10 * time.Second)
	for a.DBStats().WriterAcquired == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	_, err := b.Exec(ctx, "INSERT INTO t VALUES (2)")
	close(hold)
	require.NoError(t, <-done)
	wantCode(t, err, arsenal.Unavailable)
	assert.True(t, arsenal.Classify(err).Retryable, "BUSY is not retryable")
	mustExec(t, b, "INSERT INTO t VALUES (2)") // and a retry succeeds
}

func TestCancellationAndDeadlinesInterruptStatements(t *testing.T) {
	db := openFile(t, sqlite.Config{})
	forever := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var n int
	start := time.Now()
	err := db.QueryRow(ctx, forever).Scan(&n)
	wantCode(t, err, arsenal.DeadlineExceeded)
	assert.LessOrEqual(t, time.Since(start), 10*time.Second, "deadline took %s to interrupt", time.Since(start))
	// Writes too, on the writer; the writer is usable afterwards.
	mustExec(t, db, "CREATE TABLE t(x)")
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	_, err = db.Exec(ctx2, "INSERT INTO t "+forever)
	wantCode(t, err, arsenal.Canceled)
	mustExec(t, db, "INSERT INTO t VALUES (1)")
	c := count(t, db, "SELECT count(*) FROM t")
	assert.Equal(t, 1, c, "%d rows after an interrupted insert", c)
}

func TestCorruptFileIsDataLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corrupt.db")
	db := openFile(t, sqlite.Config{Path: path, Create: true, JournalMode: "delete"})
	mustExec(t, db, "CREATE TABLE t(x TEXT); CREATE INDEX tx ON t(x)")
	for i := 0; i < 50; i++ {
		mustExec(t, db, "INSERT INTO t VALUES (?)", strings.Repeat("y", 500))
	}
	db.Close()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := 4096 * 2; i < len(b); i++ {
		b[i] ^= 0x5a
	}
	require.NoError(t, os.WriteFile(path, b, 0o644))
	db2, err := sqlite.Open(ctxT(t), sqlite.Config{Path: path, JournalMode: "delete"})
	if err == nil {
		defer db2.Close()
		err = db2.IntegrityCheck(ctxT(t))
		if err == nil {
			_, err = db2.Values(ctxT(t), "SELECT * FROM t")
		}
	}
	wantCode(t, err, arsenal.DataLoss)
}
