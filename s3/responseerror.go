package s3

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ResponseError is a request the store answered with an error status.
// It is the cause inside the *arsenal.Error a Client returns, so
// errors.As finds it:
//
//	var re *s3.ResponseError
//	if errors.As(err, &re) { log.Println(re.RequestID) }
//
// Its message names the operation, the status and S3's error code and
// message once; the request and host ids are fields, left out of the
// text. It unwraps to the SDK's error (smithy.APIError,
// *awshttp.ResponseError).
type ResponseError struct {
	Operation  string // the S3 API operation, such as "PutObject"
	StatusCode int    // the HTTP status
	Code       string // S3's error code, such as "NoSuchKey"; for a HEAD (no body) the status text
	Message    string // S3's message, when the response had one
	RequestID  string // x-amz-request-id, for the store's support
	HostID     string // x-amz-id-2, for the store's support
	Attempts   int    // requests sent, when the call was retried
	err        error
}

func (e *ResponseError) Error() string {
	msg := e.Operation + ": " + strconv.Itoa(e.StatusCode) + " " + e.Code
	if e.Message != "" && e.Message != http.StatusText(e.StatusCode) {
		msg += ": " + e.Message
	}
	if e.Attempts > 1 {
		msg += " (after " + strconv.Itoa(e.Attempts) + " attempts)"
	}
	return msg
}

// Unwrap returns the SDK's error.
func (e *ResponseError) Unwrap() error { return e.err }

// requestError is a request that got no response (a refused connection,
// a reset, a timeout): the operation and the cause, without the SDK's
// layers of prefixes. It unwraps to the SDK's error.
type requestError struct {
	operation string
	attempts  int
	cause     error
	err       error
}

func (e *requestError) Error() string {
	msg := e.operation + ": " + e.cause.Error()
	if e.attempts > 1 {
		msg += " (after " + strconv.Itoa(e.attempts) + " attempts)"
	}
	return msg
}

func (e *requestError) Unwrap() error { return e.err }

// cleanSDKError restates an SDK error (smithy.OperationError and the
// layers inside it) as one short chain: a *ResponseError when the store
// answered, a requestError otherwise. Other errors pass unchanged.
func cleanSDKError(err error) error {
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return err
	}
	attempts := 0
	var mae *retry.MaxAttemptsError
	if errors.As(err, &mae) {
		attempts = mae.Attempt
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		out := &ResponseError{Operation: oe.Operation(), StatusCode: re.HTTPStatusCode(), RequestID: re.ServiceRequestID(),
			Attempts: attempts, err: err}
		var hid interface{ ServiceHostID() string }
		if errors.As(err, &hid) {
			out.HostID = hid.ServiceHostID()
		}
		if out.HostID == "" && re.Response != nil {
			out.HostID = re.Response.Header.Get("X-Amz-Id-2")
		}
		var api smithy.APIError
		if errors.As(err, &api) {
			out.Code, out.Message = api.ErrorCode(), api.ErrorMessage()
		}
		if out.Code == "" {
			out.Code = http.StatusText(out.StatusCode)
		}
		return out
	}
	// No response: the innermost cause below the SDK's wrappers.
	cause := oe.Err
	for {
		switch e := cause.(type) {
		case *retry.MaxAttemptsError:
			cause = e.Err
			continue
		case *smithyhttp.RequestSendError:
			cause = e.Err
			continue
		case *smithy.CanceledError:
			cause = e.Err
			continue
		}
		break
	}
	if cause == nil {
		return err
	}
	return &requestError{operation: oe.Operation(), attempts: attempts, cause: cause, err: err}
}
