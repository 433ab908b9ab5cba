package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/infra-arsenal/arsenal"
)

// The fast path: single-request object calls (PutObject, GetObject,
// HeadObject) are built, signed (SigV4) and retried here instead of going
// through the SDK's generic middleware stack, which costs ~500
// allocations and tens of microseconds per call: on small objects the
// client's CPU, not the network, bounds throughput. Errors are shaped
// exactly as the SDK shapes them (an awshttp.ResponseError wrapping a
// smithy.GenericAPIError), so one translation table serves both paths.
// Everything else (listing, multipart, copy, delete, presigning) uses the
// SDK.

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// fastPath holds what signing a request needs.
type fastPath struct {
	signer httpSigner
	creds  aws.CredentialsProvider // nil for anonymous
	scheme string
	host   string // bucket host (virtual) or endpoint host (path)
	base   string // path before the key: "/bucket/" (path) or "/" (virtual), with any endpoint path
	region string
	keys   sigCache
}

func newFastPath(cfg Config, pathStyle bool, creds aws.CredentialsProvider) *fastPath {
	f := &fastPath{
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		creds:  creds, scheme: "https", host: "s3." + cfg.Region + ".amazonaws.com", base: "/", region: cfg.Region,
	}
	if _, anon := creds.(aws.AnonymousCredentials); anon {
		f.creds = nil
	}
	if cfg.Endpoint != "" {
		u, _ := url.Parse(cfg.Endpoint) // validated
		f.scheme, f.host = u.Scheme, u.Host
		f.base = strings.TrimSuffix(u.EscapedPath(), "/") + "/"
	}
	if pathStyle {
		f.base += cfg.Bucket + "/"
	} else {
		f.host = cfg.Bucket + "." + f.host
	}
	return f
}

// s3Escape percent-encodes a key as S3's SigV4 canonical URI wants it:
// everything but unreserved characters and '/'.
func s3Escape(key string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key) + 8)
	for i := 0; i < len(key); i++ {
		ch := key[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[ch>>4])
		b.WriteByte(hexd[ch&15])
	}
	return b.String()
}

// newRequest builds an unsigned request for key.
func (f *fastPath) newRequest(ctx context.Context, method, key string, body []byte) *http.Request {
	path := f.base + s3Escape(key)
	u := &url.URL{Scheme: f.scheme, Host: f.host, Opaque: path}
	// WithContext copies the request: the template stays on the stack.
	tmpl := http.Request{
		Method: method, URL: u, Host: f.host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, 8),
	}
	if body != nil {
		tmpl.ContentLength = int64(len(body))
		if len(body) == 0 {
			tmpl.Body = http.NoBody
		} else {
			bb := &bytesBody{b: body}
			tmpl.Body, tmpl.GetBody = bb, bb.reopen
		}
	}
	return tmpl.WithContext(ctx)
}

// bytesBody is a request body over a byte slice; the fast path's writer
// writes the slice directly instead of copying it through a reader.
type bytesBody struct {
	b   []byte
	off int
}

func (r *bytesBody) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *bytesBody) Close() error { return nil }

// reopen is the request's GetBody: the same bytes from the start.
func (r *bytesBody) reopen() (io.ReadCloser, error) { return &bytesBody{b: r.b}, nil }

// sign signs req in place with the current credentials.
func (f *fastPath) sign(ctx context.Context, req *http.Request, payloadHash string) error {
	if f.creds == nil {
		req.Header["X-Amz-Content-Sha256"] = []string{payloadHash}
		return nil
	}
	creds, err := f.creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return arsenal.E(arsenal.Unauthenticated, Kind, "credentials", err)
	}
	if req.URL.RawQuery != "" {
		req.Header["X-Amz-Content-Sha256"] = []string{payloadHash}
		return f.signer.SignHTTP(ctx, creds, req, payloadHash, "s3", f.region, time.Now().UTC())
	}
	f.signV4(req, creds, payloadHash, time.Now().UTC())
	return nil
}

// do sends a request built by build (called again for every attempt),
// retrying transient failures like the SDK's standard retryer. A non-2xx
// response comes back as an error shaped like the SDK's. When keepBody is
// false the response body is drained and closed.
func (c *Client) do(ctx context.Context, opName string, build func(ctx context.Context) (*http.Request, error), timeout bool) (*http.Response, error) {
	var lastErr error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			if err := c.backoff(ctx, attempt, lastErr); err != nil {
				return nil, err
			}
		}
		c.attempts.Add(1)
		actx, cancel := ctx, context.CancelFunc(func() {})
		if timeout {
			actx, cancel = context.WithTimeout(ctx, c.cfg.AttemptTimeout)
		}
		req, err := build(actx)
		if err != nil {
			cancel()
			return nil, err
		}
		// Straight to the transport: http.Client adds only redirect
		// handling (refused here anyway) at the cost of a copy of every
		// request's headers.
		resp, err := c.httpClient.Transport.RoundTrip(req)
		if err == nil && resp.StatusCode/100 == 2 {
			if actx != ctx {
				// The caller reads the (small) body before cancel runs.
				resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			} else {
				cancel()
			}
			return resp, nil
		}
		if err != nil {
			// Read before cancel, which would make every attempt look timed out.
			timedOut := actx.Err() != nil
			cancel()
			if ctx.Err() != nil {
				return nil, &smithy.OperationError{ServiceID: "S3", OperationName: opName, Err: &smithy.CanceledError{Err: ctx.Err()}}
			}
			if le, ok := asLimit(err); ok {
				return nil, le
			}
			if timedOut {
				err = &attemptTimeoutError{op: opName}
			}
			lastErr = &smithy.OperationError{ServiceID: "S3", OperationName: opName, Err: &smithyhttp.RequestSendError{Err: err}}
			continue
		}
		lastErr = responseError(opName, resp)
		cancel()
		if !retryableStatus(resp.StatusCode, lastErr) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func retryableStatus(status int, err error) bool {
	switch status {
	case 500, 502, 503, 504, 429:
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException", "RequestTimeTooSkewed", "BadDigest", "XAmzContentSHA256Mismatch":
			return true
		}
	}
	return false
}

// backoff sleeps a jittered exponential delay before attempt, capped by
// RetryMaxBackoff (throttling starts from a larger base, as in the SDK).
func (c *Client) backoff(ctx context.Context, attempt int, lastErr error) error {
	base := 50 * time.Millisecond
	c.retries.Add(1)
	var api smithy.APIError
	if errors.As(lastErr, &api) && (api.ErrorCode() == "SlowDown" || api.ErrorCode() == "Throttling") {
		base = 500 * time.Millisecond
		c.slowDowns.Add(1)
	}
	d := min(base<<min(attempt-1, 10), c.cfg.RetryMaxBackoff)
	d = time.Duration(rand.Int64N(int64(d) + 1))
	c.log.Debug("s3: retrying", "attempt", attempt, "after", d, "err", lastErr)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return &smithy.OperationError{ServiceID: "S3", Err: &smithy.CanceledError{Err: ctx.Err()}}
	case <-t.C:
		return nil
	}
}

// responseError reads an S3 error response into the SDK's error shape and
// closes the body.
func responseError(opName string, resp *http.Response) error {
	defer resp.Body.Close()
	var body struct {
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
		RequestID string `xml:"RequestId"`
	}
	if resp.Request == nil || resp.Request.Method != http.MethodHead {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = xml.Unmarshal(raw, &body)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	var inner error
	if body.Code != "" {
		inner = &smithy.GenericAPIError{Code: body.Code, Message: body.Message}
	} else {
		code := strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
		if resp.StatusCode == 404 {
			code = "NotFound"
		}
		inner = &smithy.GenericAPIError{Code: code, Message: http.StatusText(resp.StatusCode)}
	}
	reqID := body.RequestID
	if reqID == "" {
		reqID = resp.Header.Get("X-Amz-Request-Id")
	}
	return &smithy.OperationError{ServiceID: "S3", OperationName: opName, Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: inner},
		RequestID:     reqID,
	}}
}

// fastPut is PutObject on the fast path.
func (c *Client) fastPut(ctx context.Context, full string, data []byte, o *PutOptions) (PutResult, error) {
	sc, acl := c.classOf(o)
	var md5sum string
	if c.cfg.Checksum == ChecksumMD5 {
		md5sum = *md5b64(data)
	}
	// With Content-MD5 the server checks the body, and the MD5 header is
	// itself signed: the payload need not be hashed again for the
	// signature (UNSIGNED-PAYLOAD, as Bun sends), which spares both sides
	// a SHA-256 pass. Without MD5 the signed payload hash is the check.
	payloadHash := "UNSIGNED-PAYLOAD"
	if md5sum == "" {
		sum := sha256.Sum256(data)
		payloadHash = hex.EncodeToString(sum[:])
	}
	resp, err := c.do(ctx, "PutObject", func(actx context.Context) (*http.Request, error) {
		req := c.fast.newRequest(actx, http.MethodPut, full, data)
		h := req.Header
		if md5sum != "" {
			h.Set("Content-Md5", md5sum)
		}
		if sc != "" {
			h.Set("X-Amz-Storage-Class", string(sc))
		}
		if acl != "" {
			h.Set("X-Amz-Acl", string(acl))
		}
		if o != nil {
			setIf(h, "Content-Type", o.ContentType)
			setIf(h, "Content-Disposition", o.ContentDisposition)
			setIf(h, "Content-Encoding", o.ContentEncoding)
			setIf(h, "Content-Language", o.ContentLanguage)
			setIf(h, "Cache-Control", o.CacheControl)
			setIf(h, "If-None-Match", o.IfNoneMatch)
			setIf(h, "If-Match", o.IfMatch)
			for k, v := range o.Metadata {
				h.Set("X-Amz-Meta-"+k, v)
			}
		}
		return req, c.fast.sign(actx, req, payloadHash)
	}, true)
	if err != nil {
		return PutResult{}, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return PutResult{ETag: unquote(resp.Header.Get("Etag")), VersionID: resp.Header.Get("X-Amz-Version-Id"), Size: int64(len(data))}, nil
}

func setIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// fastGet is GetObject on the fast path; the caller owns the body.
func (c *Client) fastGet(ctx context.Context, full, rng, ifMatch string) (*http.Response, error) {
	return c.do(ctx, "GetObject", func(actx context.Context) (*http.Request, error) {
		req := c.fast.newRequest(actx, http.MethodGet, full, nil)
		setIf(req.Header, "Range", rng)
		setIf(req.Header, "If-Match", ifMatch)
		return req, c.fast.sign(actx, req, emptySHA256)
	}, false)
}

// fastHead is HeadObject on the fast path.
func (c *Client) fastHead(ctx context.Context, full string) (*http.Response, error) {
	resp, err := c.do(ctx, "HeadObject", func(actx context.Context) (*http.Request, error) {
		req := c.fast.newRequest(actx, http.MethodHead, full, nil)
		return req, c.fast.sign(actx, req, emptySHA256)
	}, true)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// infoFromHeader reads object metadata from response headers.
func infoFromHeader(key string, h http.Header, contentLength int64) ObjectInfo {
	info := ObjectInfo{
		Key: key, Size: contentLength, ETag: unquote(h.Get("Etag")),
		ContentType: h.Get("Content-Type"), ContentEncoding: h.Get("Content-Encoding"),
		ContentDisposition: h.Get("Content-Disposition"), ContentLanguage: h.Get("Content-Language"),
		CacheControl: h.Get("Cache-Control"), StorageClass: h.Get("X-Amz-Storage-Class"),
		VersionID: h.Get("X-Amz-Version-Id"),
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		info.LastModified = t
	}
	if cr := h.Get("Content-Range"); cr != "" {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				info.Size = n
			}
		}
	}
	for k, v := range h {
		if len(k) > len("X-Amz-Meta-") && strings.EqualFold(k[:len("X-Amz-Meta-")], "X-Amz-Meta-") {
			if info.Metadata == nil {
				info.Metadata = map[string]string{}
			}
			info.Metadata[strings.ToLower(k[len("X-Amz-Meta-"):])] = strings.Join(v, ",")
		}
	}
	return info
}

// fastUploadPart is UploadPart on the fast path; it returns the part's
// ETag as the server sent it (quoted).
func (c *Client) fastUploadPart(ctx context.Context, full, uploadID string, num int32, data []byte) (string, error) {
	var md5sum string
	payloadHash := "UNSIGNED-PAYLOAD" // see fastPut
	if c.cfg.Checksum == ChecksumMD5 {
		md5sum = *md5b64(data)
	} else {
		sum := sha256.Sum256(data)
		payloadHash = hex.EncodeToString(sum[:])
	}
	rawQuery := url.Values{"partNumber": {strconv.Itoa(int(num))}, "uploadId": {uploadID}}.Encode()
	resp, err := c.do(ctx, "UploadPart", func(actx context.Context) (*http.Request, error) {
		req := c.fast.newRequest(actx, http.MethodPut, full, data)
		req.URL.RawQuery = rawQuery
		setIf(req.Header, "Content-Md5", md5sum)
		return req, c.fast.sign(actx, req, payloadHash)
	}, true)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("Etag"), nil
}
