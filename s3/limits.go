package s3

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/infra-arsenal/arsenal"
)

// limitError is a response that went past one of the package's size
// limits (MaxResponseHeaderBytes, MaxListResponseBytes,
// MaxErrorResponseBytes, Config.MaxGetBytes). It classifies as
// ResourceExhausted and is never retried: the same server would send the
// same response again.
type limitError struct {
	what  string // "response headers", "listing body", ...
	limit int64
}

func (e *limitError) Error() string {
	return fmt.Sprintf("%s exceed the limit of %d bytes", e.what, e.limit)
}

// RetryableError tells the SDK's retryer not to send the request again.
func (e *limitError) RetryableError() bool { return false }

// limitTransport enforces the response limits for every request, the
// fast path's and the SDK's alike: net/http bounds the header block
// (Transport.MaxResponseHeaderBytes), and this wrapper gives that failure
// its type and caps the bodies that are read whole into memory.
type limitTransport struct{ rt http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		// net/http reports the header limit with a plain error (no type
		// or sentinel): "net/http: server response headers exceeded N
		// bytes; aborted".
		if strings.Contains(err.Error(), "server response headers exceeded") {
			return nil, &limitError{what: "response headers", limit: MaxResponseHeaderBytes}
		}
		return nil, err
	}
	var what string
	var limit int64
	switch {
	case resp.StatusCode/100 != 2:
		what, limit = "error response body", MaxErrorResponseBytes
	case listingRequest(req):
		what, limit = "listing response body", MaxListResponseBytes
	default:
		return resp, nil
	}
	if resp.ContentLength > limit {
		// Declared too long: nothing of it is read.
		resp.Body.Close()
		return nil, &limitError{what: what, limit: limit}
	}
	resp.Body = &cappedBody{rc: resp.Body, left: limit, what: what, limit: limit}
	return resp, nil
}

// listingRequest reports the requests whose response body is a listing
// document read whole: ListObjects(V2), ListObjectVersions,
// ListMultipartUploads and ListParts.
func listingRequest(req *http.Request) bool {
	if req.Method != http.MethodGet {
		return false
	}
	q := req.URL.RawQuery
	return q != "" && (strings.Contains(q, "list-type=") || strings.Contains(q, "uploads") ||
		strings.Contains(q, "uploadId=") || strings.Contains(q, "versions"))
}

// cappedBody fails a read that would take the body past its limit.
type cappedBody struct {
	rc    io.ReadCloser
	left  int64
	what  string
	limit int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, &limitError{what: b.what, limit: b.limit}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// asLimit returns the limit error inside err, if any.
func asLimit(err error) (*limitError, bool) {
	var le *limitError
	ok := errors.As(err, &le)
	return le, ok
}

// tooLarge is the error of a call stopped by a limit.
func tooLarge(op string, le *limitError) error {
	return arsenal.E(arsenal.ResourceExhausted, Kind, op, le)
}
