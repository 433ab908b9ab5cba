package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/infra-arsenal/arsenal"
)

// GetOptions select part of an object and guard against it changing.
type GetOptions struct {
	// Offset is the first byte to read. Default 0.
	Offset int64
	// Length is how many bytes to read from Offset; 0 means to the end.
	Length int64
	// IfMatch fails the read with FailedPrecondition unless the object's
	// ETag matches.
	IfMatch string
}

// Reader streams an object's bytes. When a download breaks off (a reset
// connection, or no bytes for AttemptTimeout) it resumes from the byte it
// reached with a ranged GET pinned to the same ETag, up to MaxRetries
// times in a row. A Reader is not safe for concurrent use and must be
// closed.
type Reader struct {
	// Info is the object's metadata; Info.Size is the whole object's size.
	Info ObjectInfo

	c        *Client
	ctx      context.Context
	full     string
	body     io.ReadCloser
	pos, end int64 // next byte to read; end is exclusive
	watchdog *time.Timer
	watched  atomic.Pointer[io.ReadCloser]
	failures int
	closed   bool
	sum      hash.Hash // MD5 of the bytes read, when the ETag is an MD5 to check against
	sumBuf   [md5.Size]byte
	sse      string // server-side encryption of the object, from the first response
}

// Get opens key for reading; nil opts reads the whole object. The bytes
// stream from the network as the caller reads: memory use is a small
// buffer regardless of the object's size. A missing key is NotFound.
func (c *Client) Get(ctx context.Context, key string, opts *GetOptions) (*Reader, error) {
	k := c.begin(ctx, c.opGet, "get", key)
	if err := c.authorizeKey(&k, "get", key); err != nil {
		return nil, c.end(&k, err, 0, 0)
	}
	r, err := c.get(k.ctx, key, opts)
	if err != nil {
		return nil, c.end(&k, err, 0, 0)
	}
	return r, c.end(&k, nil, 0, 0)
}

// get opens a Reader; the caller counts the call.
func (c *Client) get(ctx context.Context, key string, opts *GetOptions) (*Reader, error) {
	const op = "get"
	if err := c.checkOpen(op); err != nil {
		return nil, err
	}
	full, err := c.key(op, key)
	if err != nil {
		return nil, err
	}
	var o GetOptions
	if opts != nil {
		o = *opts
	}
	if o.Offset < 0 || o.Length < 0 {
		return nil, invalid(op, "offset and length must not be negative")
	}
	r := &Reader{c: c, ctx: ctx, full: full, pos: o.Offset, end: -1}
	if o.Length > 0 {
		r.end = o.Offset + o.Length
	}
	info, cl, err := r.open(o.IfMatch, o.Offset != 0 || o.Length != 0)
	if err != nil {
		return nil, err
	}
	info.Key = key
	r.Info = info
	if r.end < 0 || r.end > r.Info.Size {
		r.end = r.Info.Size
	}
	if cl >= 0 && r.pos+cl < r.end {
		r.end = r.pos + cl
	}
	if c.cfg.Checksum == ChecksumMD5 && o.Offset == 0 && r.end == r.Info.Size && isMD5ETag(r.Info.ETag) &&
		(r.sse == "" || r.sse == "AES256") {
		r.sum = md5.New()
	}
	return r, nil
}

// open issues GetObject from r.pos (to r.end when known) and returns the
// object's metadata and the response's length (-1 when unknown).
func (r *Reader) open(ifMatch string, ranged bool) (ObjectInfo, int64, error) {
	var rng string
	if ranged {
		rng = "bytes=" + strconv.FormatInt(r.pos, 10) + "-"
		if r.end > 0 {
			rng += strconv.FormatInt(r.end-1, 10)
		}
	}
	if r.c.fast != nil {
		resp, err := r.c.fastGet(r.ctx, r.full, rng, ifMatch)
		if err != nil {
			return ObjectInfo{}, 0, err
		}
		r.body = resp.Body
		r.sse = resp.Header.Get("X-Amz-Server-Side-Encryption") + resp.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm")
		return infoFromHeader("", resp.Header, resp.ContentLength), resp.ContentLength, nil
	}
	in := &s3.GetObjectInput{Bucket: &r.c.cfg.Bucket, Key: aws.String(r.full), IfMatch: optStr(ifMatch), Range: optStr(rng)}
	if r.c.cfg.Checksum == ChecksumCRC32 && !ranged {
		in.ChecksumMode = types.ChecksumModeEnabled
	}
	out, err := r.c.api.GetObject(r.ctx, in)
	if err != nil {
		return ObjectInfo{}, 0, err
	}
	r.body = out.Body
	r.sse = string(out.ServerSideEncryption) + aws.ToString(out.SSECustomerAlgorithm)
	cl := int64(-1)
	if out.ContentLength != nil {
		cl = *out.ContentLength
	}
	return infoFromGet("", out), cl, nil
}

// Read reads the next bytes of the object.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, arsenal.E(arsenal.FailedPrecondition, Kind, "read", errors.New("reader is closed"))
	}
	for {
		if r.pos >= r.end {
			return 0, io.EOF
		}
		if r.body == nil {
			if err := r.resume(); err != nil {
				return 0, err
			}
		}
		if rem := r.end - r.pos; int64(len(p)) > rem {
			p = p[:rem]
		}
		n, err := r.readBody(p)
		if r.sum != nil && n > 0 {
			r.sum.Write(p[:n])
		}
		r.pos += int64(n)
		if r.pos >= r.end && r.sum != nil {
			var gotHex [2 * md5.Size]byte
			hex.Encode(gotHex[:], r.sum.Sum(r.sumBuf[:0]))
			if string(gotHex[:]) != r.Info.ETag {
				r.sum = nil
				return n, arsenal.Errorf(arsenal.DataLoss, Kind, "read",
					"downloaded bytes have MD5 %s but the object's ETag is %s: corrupted in transit", string(gotHex[:]), r.Info.ETag).WithRetry(true)
			}
			r.sum = nil
		}
		r.c.bytesDown.Add(int64(n))
		if n > 0 {
			r.failures = 0
		}
		if err == nil || (err == io.EOF && r.pos >= r.end) {
			if n > 0 || err == nil {
				return n, nil
			}
			return 0, io.EOF
		}
		// The body ended early or failed: drop it and resume on the next pass.
		r.body.Close()
		r.body = nil
		if cerr := r.ctx.Err(); cerr != nil {
			return n, wrapErr("read", cerr)
		}
		r.failures++
		if r.failures > r.c.cfg.MaxRetries {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, wrapErr("read", err)
		}
		r.c.log.Debug("s3: download broke off; resuming", "key", r.full, "at", r.pos, "err", err)
		if n > 0 {
			return n, nil
		}
	}
}

// readBody reads once from the body under the stall watchdog: when no
// byte arrives for AttemptTimeout, the watchdog closes the body, which
// makes the blocked Read fail and the download resume.
func (r *Reader) readBody(p []byte) (int, error) {
	if rb, ok := r.body.(interface{ ready() bool }); ok && rb.ready() {
		return r.body.Read(p) // buffered: nothing to watch
	}
	return r.watchedRead(p)
}

func (r *Reader) watchedRead(p []byte) (int, error) {
	body := r.body
	r.watched.Store(&body)
	if r.watchdog == nil {
		r.watchdog = time.AfterFunc(r.c.cfg.AttemptTimeout, func() {
			if b := r.watched.Load(); b != nil && *b != nil {
				(*b).Close()
			}
		})
	} else {
		r.watchdog.Reset(r.c.cfg.AttemptTimeout)
	}
	n, err := body.Read(p)
	r.watchdog.Stop()
	r.watched.Store(nil)
	return n, err
}

func (r *Reader) resume() error {
	r.c.resumes.Add(1)
	delay := time.Duration(50<<min(r.failures, 6)) * time.Millisecond
	t := time.NewTimer(delay)
	select {
	case <-r.ctx.Done():
		t.Stop()
		return wrapErr("read", r.ctx.Err())
	case <-t.C:
	}
	if _, _, err := r.open(quoteETag(r.Info.ETag), true); err != nil {
		return wrapErr("read", err)
	}
	return nil
}

// Close releases the connection. It is idempotent.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.watchdog != nil {
		r.watchdog.Stop()
	}
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}

// GetBytes reads a whole object (or the range opts selects) into memory.
// A download that fails its MD5 check (DataLoss) is read again, up to
// MaxRetries times, since nothing was handed to the caller yet. An object
// (or range) larger than Config.MaxGetBytes fails with ResourceExhausted
// before its body is read.
func (c *Client) GetBytes(ctx context.Context, key string, opts *GetOptions) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		k := c.begin(ctx, c.opGet, "get", key) // each read counts, a repeated one too
		var b []byte
		err := c.authorizeKey(&k, "get", key)
		if err == nil {
			b, err = c.getBytes(k.ctx, key, opts)
		}
		err = c.end(&k, err, int64(len(b)), 0)
		if err == nil || attempt >= c.cfg.MaxRetries || !arsenal.IsCode(err, arsenal.DataLoss) {
			return b, err
		}
		c.log.Debug("s3: download failed its checksum; reading again", "key", key)
	}
}

func (c *Client) getBytes(ctx context.Context, key string, opts *GetOptions) ([]byte, error) {
	r, err := c.get(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	limit := c.cfg.MaxGetBytes
	want := max(r.end-r.pos, 0) // a server may declare no length at all
	if want > limit {
		return nil, tooLarge("get", &limitError{what: "object of " + strconv.FormatInt(want, 10) + " bytes", limit: limit})
	}
	// One byte more than expected: the read that finds the end then has
	// room to run without growing (copying) the buffer first. The length
	// is the server's word: beyond getBytesChunk the buffer grows as bytes
	// arrive instead, so a false Content-Length allocates nothing.
	buf := make([]byte, 0, min(want, getBytesChunk)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, tooLarge("get", &limitError{what: "object body", limit: limit})
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// getBytesChunk is how much GetBytes allocates up front at most.
const getBytesChunk = 8 << 20

func infoFromGet(key string, out *s3.GetObjectOutput) ObjectInfo {
	size := aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				size = n
			}
		}
	}
	return ObjectInfo{
		Key: key, Size: size, ETag: unquote(aws.ToString(out.ETag)), LastModified: aws.ToTime(out.LastModified),
		ContentType: aws.ToString(out.ContentType), ContentEncoding: aws.ToString(out.ContentEncoding),
		ContentDisposition: aws.ToString(out.ContentDisposition), ContentLanguage: aws.ToString(out.ContentLanguage),
		CacheControl: aws.ToString(out.CacheControl), StorageClass: string(out.StorageClass),
		Metadata: out.Metadata, VersionID: aws.ToString(out.VersionId),
	}
}
