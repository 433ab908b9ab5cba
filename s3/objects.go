package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/infra-arsenal/arsenal"
)

// PutOptions are the optional attributes of an uploaded object. A nil
// *PutOptions means none: the object gets the Client's default storage
// class and ACL.
type PutOptions struct {
	ContentType        string            // Content-Type; default "" (the server's default, usually binary/octet-stream)
	ContentDisposition string            // Content-Disposition, such as `attachment; filename="a.pdf"`
	ContentEncoding    string            // Content-Encoding, such as "gzip"
	ContentLanguage    string            // Content-Language
	CacheControl       string            // Cache-Control, such as "max-age=3600"
	Metadata           map[string]string // user metadata, sent as x-amz-meta-*; keys are case-insensitive, 2 KB in all
	StorageClass       string            // one of StorageClasses; default Config.StorageClass
	ACL                string            // canned ACL, one of ACLs; default Config.ACL
	// IfNoneMatch "*" writes only when no object exists under the key
	// (FailedPrecondition otherwise). IfMatch writes only over the given
	// ETag. Stores without conditional writes ignore them.
	IfNoneMatch string
	IfMatch     string
}

// PutResult describes a stored object.
type PutResult struct {
	Key       string // the key as given (relative to Config.Prefix)
	ETag      string // the entity tag, quotes removed
	VersionID string // the version, when the bucket is versioned
	Size      int64  // bytes stored
	Parts     int    // multipart parts; 0 for a single PUT
}

// ObjectInfo is an object's metadata, from Stat or Get.
type ObjectInfo struct {
	Key                string
	Size               int64 // the whole object's size, also for ranged gets
	ETag               string
	LastModified       time.Time
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	StorageClass       string            // "" when the store does not say (STANDARD on AWS)
	Metadata           map[string]string // user metadata, keys lower-cased
	VersionID          string
}

func (c *Client) checkPutOptions(op string, o *PutOptions) error {
	if o == nil {
		return nil
	}
	if !ValidStorageClass(o.StorageClass) {
		return invalid(op, "unknown storage class %q (one of %s)", o.StorageClass, strings.Join(StorageClasses(), ", "))
	}
	if !ValidACL(o.ACL) {
		return invalid(op, "unknown canned ACL %q (one of %s)", o.ACL, strings.Join(ACLs(), ", "))
	}
	total := 0
	for k, v := range o.Metadata {
		if k == "" || !isToken(k) {
			return invalid(op, "metadata key %q must be letters, digits, '-' or '_'", k)
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				return invalid(op, "metadata value of %q must be printable ASCII", k)
			}
		}
		total += len(k) + len(v)
	}
	if total > 2048 {
		return invalid(op, "user metadata is %d bytes; S3 allows 2048", total)
	}
	return nil
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

func (c *Client) classOf(o *PutOptions) (types.StorageClass, types.ObjectCannedACL) {
	sc, acl := c.cfg.StorageClass, c.cfg.ACL
	if o != nil {
		if o.StorageClass != "" {
			sc = o.StorageClass
		}
		if o.ACL != "" {
			acl = o.ACL
		}
	}
	return types.StorageClass(sc), types.ObjectCannedACL(acl)
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func md5b64(b []byte) *string {
	sum := md5.Sum(b)
	return aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

// Put stores data under key, in one PutObject when data fits in one part
// and as a concurrent multipart upload otherwise. With the default
// checksum mode the body carries a Content-MD5 the server verifies. It
// costs one request per PartSize bytes; data is not copied for a single
// PUT.
func (c *Client) Put(ctx context.Context, key string, data []byte, opts *PutOptions) (PutResult, error) {
	k := c.begin(ctx, c.opPut, "put", key)
	if err := c.authorizeKey(&k, "put", key); err != nil {
		return PutResult{}, c.end(&k, err, 0, 0)
	}
	res, err := c.put(k.ctx, key, data, opts)
	return res, c.end(&k, err, 0, int64(len(data)))
}

func (c *Client) put(ctx context.Context, key string, data []byte, opts *PutOptions) (PutResult, error) {
	const op = "put"
	if err := c.checkOpen(op); err != nil {
		return PutResult{}, err
	}
	full, err := c.key(op, key)
	if err != nil {
		return PutResult{}, err
	}
	if err := c.checkPutOptions(op, opts); err != nil {
		return PutResult{}, err
	}
	if int64(len(data)) > c.cfg.PartSize {
		return c.upload(ctx, key, bytes.NewReader(data), opts, false) // authorized and audited as this put
	}
	res, err := c.putObject(ctx, full, data, opts)
	res.Key = key
	return res, err
}

// putObject is one PutObject; the caller counts it.
func (c *Client) putObject(ctx context.Context, full string, data []byte, o *PutOptions) (PutResult, error) {
	c.inflight.Add(1)
	defer c.inflight.Add(-1)
	if c.fast != nil {
		res, err := c.fastPut(ctx, full, data, o)
		if err == nil {
			c.bytesUp.Add(int64(len(data)))
		}
		return res, err
	}
	sc, acl := c.classOf(o)
	in := &s3.PutObjectInput{
		Bucket:        &c.cfg.Bucket,
		Key:           aws.String(full),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		StorageClass:  sc,
		ACL:           acl,
	}
	if o != nil {
		in.ContentType, in.ContentDisposition = optStr(o.ContentType), optStr(o.ContentDisposition)
		in.ContentEncoding, in.ContentLanguage = optStr(o.ContentEncoding), optStr(o.ContentLanguage)
		in.CacheControl, in.Metadata = optStr(o.CacheControl), o.Metadata
		in.IfNoneMatch, in.IfMatch = optStr(o.IfNoneMatch), optStr(o.IfMatch)
	}
	switch c.cfg.Checksum {
	case ChecksumMD5:
		in.ContentMD5 = md5b64(data)
	case ChecksumCRC32:
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	out, err := c.api.PutObject(ctx, in)
	if err != nil {
		return PutResult{}, err
	}
	c.bytesUp.Add(int64(len(data)))
	return PutResult{ETag: unquote(aws.ToString(out.ETag)), VersionID: aws.ToString(out.VersionId), Size: int64(len(data))}, nil
}

// Upload stores everything r yields under key. r may be of unknown
// length: Upload reads up to one part, uses a single PutObject when r ends
// within it and a concurrent multipart upload otherwise (see Writer). A
// failed or cancelled upload is aborted, leaving no parts behind. Memory
// use is at most PartSize × (Concurrency + 1).
func (c *Client) Upload(ctx context.Context, key string, r io.Reader, opts *PutOptions) (PutResult, error) {
	return c.upload(ctx, key, r, opts, true)
}

// upload is Upload; secure says whether the Writer checks and audits the
// put itself (false when a Put that did so delegates to it).
func (c *Client) upload(ctx context.Context, key string, r io.Reader, opts *PutOptions, secure bool) (PutResult, error) {
	w, err := c.newWriter(ctx, key, opts, secure)
	if err != nil {
		return PutResult{}, err
	}
	if _, err := w.ReadFrom(r); err != nil {
		w.CloseWithError(err)
		return PutResult{}, w.err()
	}
	if err := w.Close(); err != nil {
		return PutResult{}, err
	}
	return w.Result(), nil
}

// Stat returns key's metadata with one HeadObject request. A missing key
// is NotFound.
func (c *Client) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	k := c.begin(ctx, c.opStat, "stat", key)
	if err := c.authorizeKey(&k, "stat", key); err != nil {
		return ObjectInfo{}, c.end(&k, err, 0, 0)
	}
	info, err := c.stat(k.ctx, key)
	return info, c.end(&k, err, 0, 0)
}

func (c *Client) stat(ctx context.Context, key string) (ObjectInfo, error) {
	const op = "stat"
	if err := c.checkOpen(op); err != nil {
		return ObjectInfo{}, err
	}
	full, err := c.key(op, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if c.fast != nil {
		resp, err := c.fastHead(ctx, full)
		if err != nil {
			return ObjectInfo{}, err
		}
		return infoFromHeader(key, resp.Header, resp.ContentLength), nil
	}
	out, err := c.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.cfg.Bucket, Key: &full})
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{
		Key: key, Size: aws.ToInt64(out.ContentLength), ETag: unquote(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified), ContentType: aws.ToString(out.ContentType),
		ContentEncoding: aws.ToString(out.ContentEncoding), ContentDisposition: aws.ToString(out.ContentDisposition),
		ContentLanguage: aws.ToString(out.ContentLanguage), CacheControl: aws.ToString(out.CacheControl),
		StorageClass: string(out.StorageClass), Metadata: out.Metadata, VersionID: aws.ToString(out.VersionId),
	}, nil
}

// Exists reports whether key exists, with one HeadObject request.
func (c *Client) Exists(ctx context.Context, key string) (bool, error) {
	_, err := c.Stat(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case arsenal.IsCode(err, arsenal.NotFound):
		return false, nil
	}
	return false, err
}

// Delete removes key. Deleting a missing key succeeds, as S3 does.
func (c *Client) Delete(ctx context.Context, key string) error {
	const op = "delete"
	k := c.begin(ctx, c.opDelete, op, key)
	if err := c.authorizeKey(&k, "delete", key); err != nil {
		return c.end(&k, err, 0, 0)
	}
	if err := c.checkOpen(op); err != nil {
		return c.end(&k, err, 0, 0)
	}
	full, err := c.key(op, key)
	if err != nil {
		return c.end(&k, err, 0, 0)
	}
	_, err = c.api.DeleteObject(k.ctx, &s3.DeleteObjectInput{Bucket: &c.cfg.Bucket, Key: &full})
	return c.end(&k, err, 0, 0)
}

// BatchDeleteError lists the keys a DeleteMany could not delete.
type BatchDeleteError struct {
	Keys   []string // keys relative to Config.Prefix
	Errors []error  // one coded error per key
}

func (e *BatchDeleteError) Error() string {
	msg := strconv.Itoa(len(e.Keys)) + " keys not deleted"
	if len(e.Errors) > 0 {
		msg += ", first " + e.Keys[0] + ": " + e.Errors[0].Error()
	}
	return msg
}

// DeleteMany removes keys with DeleteObjects, 1,000 keys per request.
// When some keys fail, the error's code is that of the first failure and
// it wraps a *BatchDeleteError naming every failed key.
func (c *Client) DeleteMany(ctx context.Context, keys []string) (err error) {
	const op = "delete_many"
	if err := c.checkOpen(op); err != nil {
		return c.failed(ctx, c.opDeleteMany, op, err)
	}
	ids := make([]types.ObjectIdentifier, 0, len(keys))
	for _, k := range keys {
		full, err := c.key(op, k)
		if err == nil {
			err = c.check(ctx, "delete", c.resource(full)) // every key, before any request
		}
		if err != nil {
			return c.failed(ctx, c.opDeleteMany, op, err)
		}
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(full)})
	}
	if c.secure && c.cfg.Security.Audit != nil {
		start, all := time.Now(), ids
		defer func() { // each key, with the outcome of the call
			for _, id := range all {
				c.cfg.Security.Record(ctx, Kind, "delete", c.resource(aws.ToString(id.Key)), start, err)
			}
		}()
	}
	batch := &BatchDeleteError{}
	for len(ids) > 0 {
		n := min(len(ids), maxDeleteKeys)
		// Each request of up to 1,000 keys counts as one delete_many.
		k := c.begin(ctx, c.opDeleteMany, op, "")
		out, err := c.api.DeleteObjects(k.ctx, &s3.DeleteObjectsInput{
			Bucket: &c.cfg.Bucket,
			Delete: &types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)},
		})
		if err = c.end(&k, err, 0, 0); err != nil {
			return err
		}
		for _, e := range out.Errors {
			code := apiCodes[aws.ToString(e.Code)]
			if code == arsenal.OK {
				code = arsenal.Unknown
			}
			batch.Keys = append(batch.Keys, c.rel(aws.ToString(e.Key)))
			batch.Errors = append(batch.Errors, arsenal.Errorf(code, Kind, op, "%s: %s", aws.ToString(e.Code), aws.ToString(e.Message)))
		}
		ids = ids[n:]
	}
	if len(batch.Keys) > 0 {
		return arsenal.E(arsenal.CodeOf(batch.Errors[0]), Kind, op, batch)
	}
	return nil
}

// CopyOptions control a server-side copy.
type CopyOptions struct {
	// SourceBucket is the bucket to copy from; default the Client's. The
	// source key is then taken literally (Config.Prefix is not applied).
	SourceBucket string
	// ReplaceMetadata replaces the content headers and user metadata with
	// those in Put; by default they are copied from the source.
	ReplaceMetadata bool
	// Put holds the new attributes. StorageClass and ACL apply in both
	// modes (a copy is how S3 changes an object's storage class); the
	// content headers and Metadata only with ReplaceMetadata.
	Put PutOptions
	// IfMatch copies only if the source's ETag matches.
	IfMatch string
}

// Copy copies src to dst inside the store, without the bytes passing
// through the client (one CopyObject; S3 limits it to 5 GiB sources).
func (c *Client) Copy(ctx context.Context, src, dst string, opts *CopyOptions) (PutResult, error) {
	k := c.begin(ctx, c.opCopy, "copy", dst)
	if c.secure {
		srcRes := c.resource(c.cfg.Prefix + src)
		if opts != nil && opts.SourceBucket != "" {
			srcRes = opts.SourceBucket + "/" + src
		}
		err := c.authorizeKey(&k, "copy", dst)
		if err == nil {
			err = c.check(k.ctx, "get", srcRes)
		}
		if err != nil {
			k.audit = false // the refusal is audited already
			return PutResult{}, c.end(&k, err, 0, 0)
		}
	}
	res, err := c.copyObject(k.ctx, src, dst, opts)
	return res, c.end(&k, err, 0, 0)
}

func (c *Client) copyObject(ctx context.Context, src, dst string, opts *CopyOptions) (PutResult, error) {
	const op = "copy"
	if err := c.checkOpen(op); err != nil {
		return PutResult{}, err
	}
	var o CopyOptions
	if opts != nil {
		o = *opts
	}
	srcBucket, srcFull := c.cfg.Bucket, src
	if o.SourceBucket != "" {
		if !ValidBucketName(o.SourceBucket) {
			return PutResult{}, invalid(op, "source bucket %q is not a valid bucket name", o.SourceBucket)
		}
		srcBucket = o.SourceBucket
		if src == "" {
			return PutResult{}, arsenal.E(arsenal.InvalidArgument, Kind, op, errNoKey)
		}
	} else {
		var err error
		if srcFull, err = c.key(op, src); err != nil {
			return PutResult{}, err
		}
	}
	dstFull, err := c.key(op, dst)
	if err != nil {
		return PutResult{}, err
	}
	if err := c.checkPutOptions(op, &o.Put); err != nil {
		return PutResult{}, err
	}
	sc, acl := c.classOf(&o.Put)
	in := &s3.CopyObjectInput{
		Bucket:            &c.cfg.Bucket,
		Key:               aws.String(dstFull),
		CopySource:        aws.String(escapePath(srcBucket + "/" + srcFull)),
		StorageClass:      sc,
		ACL:               acl,
		MetadataDirective: types.MetadataDirectiveCopy,
		CopySourceIfMatch: optStr(o.IfMatch),
	}
	if o.ReplaceMetadata {
		p := o.Put
		in.MetadataDirective = types.MetadataDirectiveReplace
		in.ContentType, in.ContentDisposition = optStr(p.ContentType), optStr(p.ContentDisposition)
		in.ContentEncoding, in.ContentLanguage = optStr(p.ContentEncoding), optStr(p.ContentLanguage)
		in.CacheControl, in.Metadata = optStr(p.CacheControl), p.Metadata
	}
	out, err := c.api.CopyObject(ctx, in)
	if err != nil {
		return PutResult{}, err
	}
	res := PutResult{Key: dst, VersionID: aws.ToString(out.VersionId)}
	if out.CopyObjectResult != nil {
		res.ETag = unquote(aws.ToString(out.CopyObjectResult.ETag))
	}
	return res, nil
}

// escapePath percent-encodes each segment of p, keeping the slashes.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func unquote(s string) string { return strings.Trim(s, `"`) }

// isMD5ETag reports whether etag looks like the MD5 of a single-part
// object (32 hex digits; multipart ETags end in "-N").
func isMD5ETag(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	for i := 0; i < len(etag); i++ {
		if c := etag[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func quoteETag(s string) string {
	if s == "" || strings.HasPrefix(s, `"`) {
		return s
	}
	return `"` + s + `"`
}
