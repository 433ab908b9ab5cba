package s3

import (
	"context"
	"errors"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/infra-arsenal/arsenal"
)

func init() {
	arsenal.RegisterClassifier(Kind, classifyNative)
	arsenal.RegisterRetryClassifier(Kind, nativeSafe)
}

// nativeSafe says whether a call that failed with err may be retried
// whatever its operation: the store answered with a throttle or a server
// error (5xx), which S3 documents as safe to retry.
func nativeSafe(err error) (safe, ok bool) {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling",
			"ThrottlingException", "RequestLimitExceeded", "TemporaryRedirect":
			return true, true
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		s := re.HTTPStatusCode()
		return (s >= 500 && s != 501) || s == 429 || s == 307, true
	}
	return false, false
}

// idempotentOps are the operations whose request may be sent again after
// a connection failure or a timeout, whether or not the store applied the
// first: reads, whole-object PUTs, deletes, copies and part uploads (a part
// number is overwritten). Creating a multipart upload is not (a second
// call makes a second upload), nor completing one (a second call after a
// success fails with NoSuchUpload).
var idempotentOps = map[string]bool{
	"put": true, "get": true, "stat": true, "delete": true, "delete_many": true, "copy": true,
	"list": true, "list_uploads": true, "health": true, "upload_part": true, "abort_upload": true, "read": true,
}

// apiCodes maps S3 error codes (the typed form of an S3 failure: the
// <Code> element of the error response) to Arsenal codes.
var apiCodes = map[string]arsenal.Code{
	"NoSuchKey":     arsenal.NotFound,
	"NoSuchBucket":  arsenal.NotFound,
	"NotFound":      arsenal.NotFound,
	"NoSuchUpload":  arsenal.NotFound,
	"NoSuchVersion": arsenal.NotFound,

	"AccessDenied":       arsenal.PermissionDenied,
	"AllAccessDisabled":  arsenal.PermissionDenied,
	"AccountProblem":     arsenal.PermissionDenied,
	"InvalidObjectState": arsenal.FailedPrecondition,

	"InvalidAccessKeyId":    arsenal.Unauthenticated,
	"SignatureDoesNotMatch": arsenal.Unauthenticated,
	"ExpiredToken":          arsenal.Unauthenticated,
	"InvalidToken":          arsenal.Unauthenticated,
	"TokenRefreshRequired":  arsenal.Unauthenticated,
	"InvalidSecurity":       arsenal.Unauthenticated,
	"MissingSecurityHeader": arsenal.Unauthenticated,
	"RequestTimeTooSkewed":  arsenal.Unauthenticated,

	"SlowDown":             arsenal.Unavailable,
	"ServiceUnavailable":   arsenal.Unavailable,
	"InternalError":        arsenal.Unavailable,
	"RequestTimeout":       arsenal.Unavailable,
	"Throttling":           arsenal.Unavailable,
	"ThrottlingException":  arsenal.Unavailable,
	"RequestLimitExceeded": arsenal.Unavailable,

	"PreconditionFailed":         arsenal.FailedPrecondition,
	"NotModified":                arsenal.FailedPrecondition,
	"BucketNotEmpty":             arsenal.FailedPrecondition,
	"MethodNotAllowed":           arsenal.FailedPrecondition,
	"ConditionalRequestConflict": arsenal.Aborted,
	"OperationAborted":           arsenal.Aborted,

	"EntityTooLarge":               arsenal.InvalidArgument,
	"EntityTooSmall":               arsenal.InvalidArgument,
	"InvalidArgument":              arsenal.InvalidArgument,
	"InvalidRequest":               arsenal.InvalidArgument,
	"InvalidPart":                  arsenal.InvalidArgument,
	"InvalidPartOrder":             arsenal.InvalidArgument,
	"InvalidBucketName":            arsenal.InvalidArgument,
	"InvalidRange":                 arsenal.InvalidArgument,
	"InvalidStorageClass":          arsenal.InvalidArgument,
	"KeyTooLongError":              arsenal.InvalidArgument,
	"MalformedXML":                 arsenal.InvalidArgument,
	"MetadataTooLarge":             arsenal.InvalidArgument,
	"AuthorizationHeaderMalformed": arsenal.InvalidArgument,
	"PermanentRedirect":            arsenal.InvalidArgument, // wrong region or endpoint for the bucket
	"TemporaryRedirect":            arsenal.Unavailable,
	"IncompleteBody":               arsenal.InvalidArgument,
	"MissingContentLength":         arsenal.InvalidArgument,

	"BadDigest":                   arsenal.DataLoss,
	"InvalidDigest":               arsenal.DataLoss,
	"XAmzContentSHA256Mismatch":   arsenal.DataLoss,
	"XAmzContentChecksumMismatch": arsenal.DataLoss,

	"BucketAlreadyOwnedByYou": arsenal.AlreadyExists,
	"BucketAlreadyExists":     arsenal.AlreadyExists,

	"TooManyBuckets": arsenal.ResourceExhausted,
	"QuotaExceeded":  arsenal.ResourceExhausted,
	"NotImplemented": arsenal.Unimplemented,
}

// statusCodes maps HTTP statuses to Arsenal codes for responses whose
// error code is missing or unknown (HEAD responses carry no body).
var statusCodes = map[int]arsenal.Code{
	301: arsenal.InvalidArgument, // PermanentRedirect: the bucket is in another region
	304: arsenal.FailedPrecondition,
	307: arsenal.Unavailable, // TemporaryRedirect: DNS for a new bucket still settling
	400: arsenal.InvalidArgument,
	401: arsenal.Unauthenticated,
	403: arsenal.PermissionDenied,
	404: arsenal.NotFound,
	405: arsenal.FailedPrecondition,
	409: arsenal.Aborted,
	411: arsenal.InvalidArgument,
	412: arsenal.FailedPrecondition,
	413: arsenal.InvalidArgument,
	416: arsenal.InvalidArgument,
	429: arsenal.Unavailable,
	500: arsenal.Unavailable,
	501: arsenal.Unimplemented,
	502: arsenal.Unavailable,
	503: arsenal.Unavailable,
	504: arsenal.Unavailable,
}

// classifyNative gives the Arsenal code of an SDK error: the S3 error code
// when the response had one the table knows, else the HTTP status. ok is
// false for errors that came from neither.
func classifyNative(err error) (arsenal.Code, bool) {
	var api smithy.APIError
	if errors.As(err, &api) {
		if c, ok := apiCodes[api.ErrorCode()]; ok {
			return c, true
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if c, ok := statusCodes[re.HTTPStatusCode()]; ok {
			return c, true
		}
		if s := re.HTTPStatusCode(); s >= 500 {
			return arsenal.Unavailable, true
		} else if s >= 400 {
			return arsenal.InvalidArgument, true
		}
	}
	var ce *credentialsError
	if errors.As(err, &ce) {
		return arsenal.Unauthenticated, true
	}
	if _, ok := asLimit(err); ok {
		return arsenal.ResourceExhausted, true
	}
	var at *attemptTimeoutError
	if errors.As(err, &at) {
		return arsenal.DeadlineExceeded, true
	}
	return arsenal.Unknown, false
}

// codeOf classifies err: context errors first (never retryable), then the
// S3 tables, then OS and network errors.
func codeOf(err error) arsenal.Code {
	switch {
	case errors.Is(err, context.Canceled):
		return arsenal.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return arsenal.DeadlineExceeded
	}
	if c, ok := classifyNative(err); ok {
		return c
	}
	return arsenal.NativeCode(err)
}

// wrapErr translates an SDK error once, at the boundary, into an
// *arsenal.Error of op. Errors that are already *arsenal.Error pass
// through. BadDigest (a body corrupted in transit, rejected by the server)
// is DataLoss but marked retryable: the next attempt resends the bytes.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *arsenal.Error
	if errors.As(err, &ae) {
		return arsenal.Wrap(Kind, op, err)
	}
	e := arsenal.E(codeOf(err), Kind, op, cleanSDKError(err))
	switch {
	case e.Code == arsenal.DataLoss:
		return e.WithRetry(true)
	case (e.Code == arsenal.Unavailable || e.Code == arsenal.DeadlineExceeded) && idempotentOps[op] &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		return e.WithRetry(true)
	}
	return e
}

// attemptTimeoutError is one request attempt that ran past AttemptTimeout
// while the caller's context was still live. It is retryable and a
// timeout, but deliberately not context.DeadlineExceeded, which would stop
// the SDK's retryer.
type attemptTimeoutError struct{ op string }

func (e *attemptTimeoutError) Error() string {
	return "attempt timed out (AttemptTimeout)"
}
func (e *attemptTimeoutError) Timeout() bool        { return true }
func (e *attemptTimeoutError) Temporary() bool      { return true }
func (e *attemptTimeoutError) RetryableError() bool { return true }

var _ net.Error = (*attemptTimeoutError)(nil)

func invalid(op, format string, args ...any) error {
	return arsenal.Errorf(arsenal.InvalidArgument, Kind, op, format, args...)
}
