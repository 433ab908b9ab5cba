package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/infra-arsenal/arsenal"
	_ "github.com/infra-arsenal/arsenal/s3" // registers the "s3" classifier
)

// sdkError builds the error chain the SDK returns for an S3 error response.
func sdkError(op string, status int, code string) error {
	var inner error = &smithy.GenericAPIError{Code: code, Message: "test"}
	if code == "" {
		inner = errors.New("http response error")
	}
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status}}
	return &smithy.OperationError{ServiceID: "S3", OperationName: op, Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: resp, Err: inner}, RequestID: "REQ",
	}}
}

func TestSDKErrorsTranslateToArsenalCodes(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      arsenal.Code
		retryable bool
	}{
		{"NoSuchKey", sdkError("GetObject", 404, "NoSuchKey"), arsenal.NotFound, false},
		{"NoSuchBucket", sdkError("ListObjectsV2", 404, "NoSuchBucket"), arsenal.NotFound, false},
		{"NoSuchUpload", sdkError("UploadPart", 404, "NoSuchUpload"), arsenal.NotFound, false},
		{"bare 404 from HEAD", sdkError("HeadObject", 404, ""), arsenal.NotFound, false},
		{"AccessDenied", sdkError("PutObject", 403, "AccessDenied"), arsenal.PermissionDenied, false},
		{"bare 403 from HEAD", sdkError("HeadBucket", 403, ""), arsenal.PermissionDenied, false},
		{"InvalidAccessKeyId", sdkError("PutObject", 403, "InvalidAccessKeyId"), arsenal.Unauthenticated, false},
		{"SignatureDoesNotMatch", sdkError("PutObject", 403, "SignatureDoesNotMatch"), arsenal.Unauthenticated, false},
		{"ExpiredToken", sdkError("PutObject", 400, "ExpiredToken"), arsenal.Unauthenticated, false},
		{"SlowDown", sdkError("PutObject", 503, "SlowDown"), arsenal.Unavailable, true},
		{"ServiceUnavailable", sdkError("PutObject", 503, "ServiceUnavailable"), arsenal.Unavailable, true},
		{"InternalError", sdkError("PutObject", 500, "InternalError"), arsenal.Unavailable, true},
		{"bare 503", sdkError("HeadObject", 503, ""), arsenal.Unavailable, true},
		{"bare 500", sdkError("HeadObject", 500, ""), arsenal.Unavailable, true},
		{"unknown 5xx code", sdkError("PutObject", 507, "Whatever"), arsenal.Unavailable, true},
		{"PreconditionFailed", sdkError("PutObject", 412, "PreconditionFailed"), arsenal.FailedPrecondition, false},
		{"bare 412", sdkError("HeadObject", 412, ""), arsenal.FailedPrecondition, false},
		{"EntityTooLarge", sdkError("PutObject", 400, "EntityTooLarge"), arsenal.InvalidArgument, false},
		{"InvalidArgument", sdkError("PutObject", 400, "InvalidArgument"), arsenal.InvalidArgument, false},
		{"bare 400", sdkError("HeadObject", 400, ""), arsenal.InvalidArgument, false},
		{"BucketAlreadyOwnedByYou", sdkError("CreateBucket", 409, "BucketAlreadyOwnedByYou"), arsenal.AlreadyExists, false},
		{"BucketAlreadyExists", sdkError("CreateBucket", 409, "BucketAlreadyExists"), arsenal.AlreadyExists, false},
		{"BadDigest is data loss", sdkError("PutObject", 400, "BadDigest"), arsenal.DataLoss, false},
		{"NotImplemented", sdkError("PutObject", 501, "NotImplemented"), arsenal.Unimplemented, false},
		{"PermanentRedirect (wrong region)", sdkError("GetObject", 301, "PermanentRedirect"), arsenal.InvalidArgument, false},
		{"bare 301 from HEAD", sdkError("HeadObject", 301, ""), arsenal.InvalidArgument, false},
		{"a code wins over its status", sdkError("GetObject", 400, "NoSuchKey"), arsenal.NotFound, false},
		{"context canceled inside the SDK", &smithy.OperationError{Err: &smithy.CanceledError{Err: context.Canceled}}, arsenal.Canceled, false},
		{"connection refused", &smithy.OperationError{Err: fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}, arsenal.Unavailable, true},
		{"connection reset mid-body, operation unknown", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), arsenal.Unavailable, false},
		{"a socket deadline, operation unknown", &smithy.OperationError{Err: os.ErrDeadlineExceeded}, arsenal.DeadlineExceeded, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := arsenal.Classify(tc.err)
			if c.Code != tc.code {
				t.Errorf("code %v, want %v", c.Code, tc.code)
			}
			if c.Retryable != tc.retryable {
				t.Errorf("retryable %v, want %v", c.Retryable, tc.retryable)
			}
		})
	}
}
