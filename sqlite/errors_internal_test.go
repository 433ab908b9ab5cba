package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	lib "modernc.org/sqlite/lib"
	"zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryResultCodeTranslatesOnce(t *testing.T) {
	tests := []struct {
		name string
		rc   sqlite.ResultCode
		want arsenal.Code
	}{
		{"busy", sqlite.ResultBusy, arsenal.Unavailable},
		{"busy snapshot", sqlite.ResultBusySnapshot, arsenal.Unavailable},
		{"locked", sqlite.ResultLocked, arsenal.Unavailable},
		{"locked shared cache", sqlite.ResultLockedSharedCache, arsenal.Unavailable},
		{"unique", sqlite.ResultConstraintUnique, arsenal.AlreadyExists},
		{"primary key", sqlite.ResultConstraintPrimaryKey, arsenal.AlreadyExists},
		{"rowid", sqlite.ResultConstraintRowID, arsenal.AlreadyExists},
		{"not null", sqlite.ResultConstraintNotNull, arsenal.InvalidArgument},
		{"check", sqlite.ResultConstraintCheck, arsenal.InvalidArgument},
		{"datatype", sqlite.ResultCode(lib.SQLITE_CONSTRAINT_DATATYPE), arsenal.InvalidArgument},
		{"foreign key", sqlite.ResultConstraintForeignKey, arsenal.FailedPrecondition},
		{"trigger", sqlite.ResultConstraintTrigger, arsenal.FailedPrecondition},
		{"plain constraint", sqlite.ResultConstraint, arsenal.FailedPrecondition},
		{"readonly", sqlite.ResultReadOnly, arsenal.FailedPrecondition},
		{"readonly db moved", sqlite.ResultReadOnlyDBMoved, arsenal.FailedPrecondition},
		{"perm", sqlite.ResultPerm, arsenal.PermissionDenied},
		{"auth", sqlite.ResultAuth, arsenal.PermissionDenied},
		{"cantopen", sqlite.ResultCantOpen, arsenal.NotFound},
		{"cantopen isdir", sqlite.ResultCantOpenIsDir, arsenal.InvalidArgument},
		{"corrupt", sqlite.ResultCorrupt, arsenal.DataLoss},
		{"corrupt index", sqlite.ResultCorruptVTab, arsenal.DataLoss},
		{"notadb", sqlite.ResultNotADB, arsenal.DataLoss},
		{"format", sqlite.ResultFormat, arsenal.DataLoss},
		{"interrupt", sqlite.ResultInterrupt, arsenal.Canceled},
		{"full", sqlite.ResultFull, arsenal.ResourceExhausted},
		{"nomem", sqlite.ResultNoMem, arsenal.ResourceExhausted},
		{"toobig", sqlite.ResultTooBig, arsenal.ResourceExhausted},
		{"ioerr nomem", sqlite.ResultIOErrNoMem, arsenal.ResourceExhausted},
		{"ioerr", sqlite.ResultIOErr, arsenal.Unavailable},
		{"ioerr read", sqlite.ResultIOErrRead, arsenal.Unavailable},
		{"ioerr corruptfs", sqlite.ResultCode(lib.SQLITE_IOERR_CORRUPTFS), arsenal.DataLoss},
		{"syntax and other errors", sqlite.ResultError, arsenal.InvalidArgument},
		{"range", sqlite.ResultRange, arsenal.InvalidArgument},
		{"mismatch", sqlite.ResultMismatch, arsenal.InvalidArgument},
		{"abort", sqlite.ResultAbort, arsenal.Aborted},
		{"schema", sqlite.ResultSchema, arsenal.Aborted},
		{"misuse", sqlite.ResultMisuse, arsenal.Internal},
		{"internal", sqlite.ResultInternal, arsenal.Internal},
		{"nolfs", sqlite.ResultNoLFS, arsenal.Unimplemented},
		{"notfound", sqlite.ResultNotFound, arsenal.NotFound},
		{"protocol", sqlite.ResultProtocol, arsenal.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, codeForResult(tt.rc), "codeForResult(%v)", tt.rc)
			// The registered classifier gives the same answer for the
			// native error, wrapped or not.
			native := fmt.Errorf("driver said: %w", tt.rc.ToError())
			assert.Equal(t, tt.want, arsenal.CodeOf(native), "arsenal.CodeOf(native %v)", tt.rc)
			w := wrapErr(context.Background(), "op", native)
			var ae *arsenal.Error
			require.ErrorAs(t, w, &ae, "wrapErr = %#v", w)
			assert.Equal(t, tt.want, ae.Code, "wrapErr = %#v", w)
			assert.Equal(t, Kind, ae.Component, "wrapErr = %#v", w)
			assert.Equal(t, "op", ae.Op, "wrapErr = %#v", w)
			assert.ErrorIs(t, w, native, "the cause is lost")
		})
	}
}

func TestBusyIsRetryableAndCancellationIsNot(t *testing.T) {
	busy := arsenal.Classify(wrapErr(context.Background(), "exec", sqlite.ResultBusy.ToError()))
	assert.True(t, busy.Retryable, "busy: %+v", busy)
	assert.Equal(t, arsenal.Unavailable, busy.Code, "busy: %+v", busy)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := arsenal.Classify(wrapErr(ctx, "exec", sqlite.ResultInterrupt.ToError()))
	assert.False(t, c.Retryable, "interrupt under a cancelled context: %+v", c)
	assert.Equal(t, arsenal.Canceled, c.Code, "interrupt under a cancelled context: %+v", c)
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	<-dctx.Done()
	assert.Equal(t, arsenal.DeadlineExceeded, arsenal.CodeOf(wrapErr(dctx, "exec", sqlite.ResultInterrupt.ToError())), "interrupt after a deadline")
	_, ok := resultCode(errors.New("plain"))
	assert.False(t, ok, "a plain error was taken for a SQLite error")
}
