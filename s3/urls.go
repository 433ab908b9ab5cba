package s3

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ObjectURL returns the plain (unsigned) URL of key: readable by anyone
// only when the object or bucket is public. style chooses the addressing;
// StyleAuto uses the Client's. Virtual-hosted style falls back to path
// style for bucket names with dots and for IP or localhost endpoints (see
// StyleVirtual). It does no I/O.
func (c *Client) ObjectURL(key string, style Style) (string, error) {
	full, err := c.key("url", key)
	if err != nil {
		return "", err
	}
	path := c.pathStyle
	switch style {
	case StylePath:
		path = true
	case StyleVirtual:
		cfg := c.cfg
		cfg.Style = StyleVirtual
		path = cfg.pathStyle()
	case StyleAuto:
	default:
		return "", invalid("url", "unknown style %q", string(style))
	}
	scheme, host, base := "https", "s3."+c.cfg.Region+".amazonaws.com", ""
	if c.cfg.Endpoint != "" {
		u, err := url.Parse(c.cfg.Endpoint)
		if err != nil {
			return "", invalid("url", "bad endpoint")
		}
		scheme, host, base = u.Scheme, u.Host, strings.TrimSuffix(u.Path, "/")
	}
	if path {
		return scheme + "://" + host + base + "/" + c.cfg.Bucket + "/" + escapePath(full), nil
	}
	return scheme + "://" + c.cfg.Bucket + "." + host + base + "/" + escapePath(full), nil
}

// PresignOptions configure a presigned request.
type PresignOptions struct {
	// Method is GET (the default), PUT, DELETE or HEAD.
	Method string
	// Expires is how long the URL stays valid: default 15 minutes, at
	// least 1 second, at most 7 days (SigV4's limit; URLs signed with
	// temporary credentials also die with them).
	Expires time.Duration
	// ContentType, for PUT, is signed: the uploader must send exactly this
	// Content-Type header.
	ContentType string
	// ACL and StorageClass, for PUT, are signed headers the uploader must
	// send (see PresignedRequest.Header).
	ACL          string
	StorageClass string
	// ResponseContentDisposition, for GET, overrides the Content-Disposition
	// of the response (for example to force a download file name).
	ResponseContentDisposition string
}

// PresignedRequest is a request anyone holding it may make until Expires,
// without credentials, from any HTTP client.
type PresignedRequest struct {
	URL     string
	Method  string
	Header  http.Header // headers that were signed and must be sent as given
	Expires time.Time
}

// Presign signs a request for key that plain HTTP clients can make
// without credentials. It does no network I/O (except that credentials
// from the AWS chain may need a refresh). Unknown methods, bad expiries
// and invalid storage classes are InvalidArgument.
func (c *Client) Presign(ctx context.Context, key string, opts *PresignOptions) (PresignedRequest, error) {
	k := c.begin(ctx, c.opPresign, "presign", key)
	if c.secure {
		res := c.resource(c.cfg.Prefix + key)
		err := c.authorize(&k, "presign", res)
		if granted := presignedOp(opts); err == nil && granted != "" {
			err = c.check(k.ctx, granted, res) // presigning a PUT grants a PUT
		}
		if err != nil {
			k.audit = false // the refusal is audited already
			return PresignedRequest{}, c.end(&k, err, 0, 0)
		}
	}
	req, err := c.presign(k.ctx, key, opts)
	return req, c.end(&k, err, 0, 0)
}

func (c *Client) presign(ctx context.Context, key string, opts *PresignOptions) (PresignedRequest, error) {
	const op = "presign"
	if err := c.checkOpen(op); err != nil {
		return PresignedRequest{}, err
	}
	full, err := c.key(op, key)
	if err != nil {
		return PresignedRequest{}, err
	}
	var o PresignOptions
	if opts != nil {
		o = *opts
	}
	if o.Method == "" {
		o.Method = http.MethodGet
	}
	o.Method = strings.ToUpper(o.Method)
	if o.Expires == 0 {
		o.Expires = 15 * time.Minute
	}
	if o.Expires < time.Second || o.Expires > maxPresign {
		return PresignedRequest{}, invalid(op, "expiry %s is outside 1s..168h", o.Expires)
	}
	if !ValidStorageClass(o.StorageClass) {
		return PresignedRequest{}, invalid(op, "unknown storage class %q", o.StorageClass)
	}
	if !ValidACL(o.ACL) {
		return PresignedRequest{}, invalid(op, "unknown canned ACL %q", o.ACL)
	}
	expires := s3.WithPresignExpires(o.Expires)
	start := time.Now()
	var req *v4.PresignedHTTPRequest
	switch o.Method {
	case http.MethodGet:
		req, err = c.presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &c.cfg.Bucket, Key: &full,
			ResponseContentDisposition: optStr(o.ResponseContentDisposition)}, expires)
	case http.MethodHead:
		req, err = c.presigner.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.cfg.Bucket, Key: &full}, expires)
	case http.MethodDelete:
		req, err = c.presigner.PresignDeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &c.cfg.Bucket, Key: &full}, expires)
	case http.MethodPut:
		sc, acl := c.classOf(&PutOptions{StorageClass: o.StorageClass, ACL: o.ACL})
		req, err = c.presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &c.cfg.Bucket, Key: &full,
			ContentType: optStr(o.ContentType), StorageClass: sc, ACL: acl}, expires)
	default:
		return PresignedRequest{}, invalid(op, "method %q is not GET, PUT, DELETE or HEAD", o.Method)
	}
	if err != nil {
		return PresignedRequest{}, err
	}
	h := req.SignedHeader.Clone()
	h.Del("Host")
	return PresignedRequest{URL: req.URL, Method: req.Method, Header: h, Expires: start.Add(o.Expires)}, nil
}

// presignedOp is the operation a presigned request grants, as Config.Security's
// policy names it: get, put, delete or stat (HEAD); "" for a method
// Presign refuses anyway.
func presignedOp(o *PresignOptions) string {
	m := http.MethodGet
	if o != nil && o.Method != "" {
		m = strings.ToUpper(o.Method)
	}
	switch m {
	case http.MethodGet:
		return "get"
	case http.MethodPut:
		return "put"
	case http.MethodDelete:
		return "delete"
	case http.MethodHead:
		return "stat"
	}
	return ""
}
