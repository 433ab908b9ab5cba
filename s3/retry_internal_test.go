package s3

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/infra-arsenal/arsenal"
)

func TestConnectionFailuresAreSafeToRetryOnlyForIdempotentOperations(t *testing.T) {
	reset := fmt.Errorf("read: %w", io.ErrUnexpectedEOF)
	timeout := fmt.Errorf("read: %w", os.ErrDeadlineExceeded)
	tests := []struct {
		op   string
		err  error
		safe bool
	}{
		{"get", reset, true},
		{"put", reset, true},
		{"stat", timeout, true},
		{"delete", reset, true},
		{"upload_part", reset, true},
		{"create_upload", reset, false},
		{"complete_upload", timeout, false},
		{"get", context.Canceled, false},
		{"get", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.op, tt.err), func(t *testing.T) {
			if got := arsenal.Classify(wrapErr(tt.op, tt.err)).Retryable; got != tt.safe {
				t.Errorf("retryable %v, want %v", got, tt.safe)
			}
		})
	}
}
