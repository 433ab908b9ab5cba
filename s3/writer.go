package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/infra-arsenal/arsenal"
)

// Writer is a streaming upload: an io.WriteCloser (and io.ReaderFrom)
// that buffers one part, sends a single PutObject if Close comes before
// the data passes one part, and otherwise switches to a multipart upload
// whose parts go up Concurrency at a time.
//
// Memory: a Writer holds at most PartSize × (Concurrency + 1) bytes: one
// part filling and Concurrency in flight; Write blocks while every slot is
// busy. Part buffers are reused within an upload and pooled across them.
//
// Failure: any failed part, a cancelled context, CloseWithError, or the
// Client closing aborts the multipart upload (after the parts in flight
// stop) so no orphaned parts remain to be billed; Close then returns the
// first error. A Writer is not safe for concurrent use and must be closed.
type Writer struct {
	c         *Client
	ctx       context.Context
	pctx      context.Context // parts' context: cancelled on the first failure
	stop      context.CancelCauseFunc
	unwatch   func() bool
	key, full string
	opts      PutOptions
	audit     bool // Close records the put in Config.Security's audit

	buf      *[]byte   // the part being filled
	free     []*[]byte // this upload's spare buffers
	sem      chan struct{}
	wg       sync.WaitGroup
	partNum  int32
	size     int64
	userDone bool
	result   PutResult

	mu           sync.Mutex
	failure      error
	uploadID     string
	creating     bool
	completing   bool
	abortStarted bool
	parts        []types.CompletedPart
	abortDone    chan struct{}
	finishOnce   sync.Once
	freeMu       sync.Mutex
}

// NewWriter starts a streaming upload to key; nothing is sent until the
// first part fills or Close is called. ctx governs the whole upload:
// cancelling it aborts. opts are checked (storage class, ACL, metadata)
// before any request.
func (c *Client) NewWriter(ctx context.Context, key string, opts *PutOptions) (*Writer, error) {
	return c.newWriter(ctx, key, opts, true)
}

// newWriter is NewWriter; secure says whether it checks Config.Security's
// policy for a put (and its Close audits it), false when the Put it
// serves did.
func (c *Client) newWriter(ctx context.Context, key string, opts *PutOptions, secure bool) (*Writer, error) {
	const op = "write"
	full, err := c.key(op, key)
	if err == nil {
		err = c.checkPutOptions(op, opts)
	}
	secure = secure && c.secure
	if err == nil && secure {
		err = c.check(ctx, "put", c.resource(full))
	}
	if err != nil {
		return nil, c.failed(ctx, c.opPut, "put", err) // counted as the put it would have been
	}
	w := &Writer{c: c, ctx: ctx, key: key, full: full, sem: make(chan struct{}, c.cfg.Concurrency), abortDone: make(chan struct{})}
	w.audit = secure && c.cfg.Security.Audit != nil
	if opts != nil {
		w.opts = *opts
	}
	w.pctx, w.stop = context.WithCancelCause(ctx)
	c.wmu.Lock()
	if c.closed.Load() {
		c.wmu.Unlock()
		w.stop(nil)
		return nil, arsenal.Closed(Kind, op)
	}
	if c.writers == nil {
		c.writers = map[*Writer]struct{}{}
	}
	c.writers[w] = struct{}{}
	c.background.Add(1)
	c.wmu.Unlock()
	w.unwatch = context.AfterFunc(ctx, func() { w.fail(wrapErr(op, ctx.Err())) })
	w.buf = w.getBuf()
	return w, nil
}

func (w *Writer) getBuf() *[]byte {
	w.freeMu.Lock()
	if n := len(w.free); n > 0 {
		b := w.free[n-1]
		w.free = w.free[:n-1]
		w.freeMu.Unlock()
		return b
	}
	w.freeMu.Unlock()
	b := w.c.bufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func (w *Writer) putBuf(b *[]byte) {
	*b = (*b)[:0]
	w.freeMu.Lock()
	w.free = append(w.free, b)
	w.freeMu.Unlock()
}

// err returns the first failure, or nil. A cancelled context counts as a
// failure at once, before the AfterFunc watching it has run.
func (w *Writer) err() error {
	w.mu.Lock()
	err, completing := w.failure, w.completing
	w.mu.Unlock()
	if err == nil && !completing && w.ctx.Err() != nil {
		w.fail(wrapErr("write", w.ctx.Err()))
		return w.err()
	}
	return err
}

// Write buffers p, uploading each part as it fills. It blocks while
// Concurrency parts are in flight. After a failure it returns that error.
func (w *Writer) Write(p []byte) (int, error) {
	if w.userDone {
		return 0, arsenal.E(arsenal.FailedPrecondition, Kind, "write", errors.New("writer is closed"))
	}
	written := 0
	for len(p) > 0 {
		if err := w.err(); err != nil {
			return written, err
		}
		b := *w.buf
		if len(b) == cap(b) {
			// More data follows a full part: send it.
			if err := w.acquire(); err != nil {
				return written, err
			}
			if err := w.dispatch(w.buf); err != nil {
				return written, err
			}
			w.buf = w.getBuf()
			b = *w.buf
		}
		n := copy(b[len(b):cap(b)], p)
		*w.buf = b[:len(b)+n]
		p = p[n:]
		written += n
		w.size += int64(n)
	}
	return written, nil
}

// ReadFrom uploads everything r yields, reading straight into part
// buffers (no intermediate copy). It does not close the Writer.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.userDone {
		return 0, arsenal.E(arsenal.FailedPrecondition, Kind, "write", errors.New("writer is closed"))
	}
	var total int64
	for {
		if err := w.err(); err != nil {
			return total, err
		}
		b := *w.buf
		if len(b) < cap(b) {
			n, err := r.Read(b[len(b):cap(b)])
			*w.buf = b[:len(b)+n]
			total += int64(n)
			w.size += int64(n)
			if err == io.EOF {
				return total, nil
			}
			if err != nil {
				return total, err
			}
			continue
		}
		// The part is full: take a slot, then see whether more data follows.
		if err := w.acquire(); err != nil {
			return total, err
		}
		next := w.getBuf()
		nb := *next
		var n int
		var err error
		for n == 0 && err == nil {
			n, err = r.Read(nb[:cap(nb)])
		}
		if n == 0 {
			<-w.sem
			w.putBuf(next)
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		*next = nb[:n]
		total += int64(n)
		w.size += int64(n)
		if derr := w.dispatch(w.buf); derr != nil {
			w.putBuf(next)
			return total, derr
		}
		w.buf = next
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// acquire takes an upload slot, waiting while Concurrency parts are in
// flight.
func (w *Writer) acquire() error {
	select {
	case w.sem <- struct{}{}:
		return nil
	case <-w.pctx.Done():
		if err := w.err(); err != nil {
			return err
		}
		return wrapErr("write", w.ctx.Err())
	}
}

// dispatch uploads buf as the next part in the background; the caller
// holds a slot, which the upload releases. It starts the multipart upload
// on the first part.
func (w *Writer) dispatch(buf *[]byte) error {
	if w.partNum == 0 {
		if err := w.create(); err != nil {
			<-w.sem
			return err
		}
	}
	if w.partNum >= MaxParts {
		<-w.sem
		err := invalid("write", "upload passes %d parts of %d bytes; raise PartSize", MaxParts, w.c.cfg.PartSize)
		w.fail(err)
		return err
	}
	w.partNum++
	num := w.partNum
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.sem }()
		err := w.uploadPart(num, *buf)
		w.putBuf(buf)
		if err != nil {
			w.fail(err)
		}
	}()
	return nil
}

// create starts the multipart upload. It runs detached from the caller's
// cancellation so that the upload ID is always known and can be aborted.
func (w *Writer) create() error {
	w.mu.Lock()
	if w.failure != nil {
		w.mu.Unlock()
		return w.failure
	}
	w.creating = true
	w.mu.Unlock()

	sc, acl := w.c.classOf(&w.opts)
	o := &w.opts
	in := &s3.CreateMultipartUploadInput{
		Bucket: &w.c.cfg.Bucket, Key: aws.String(w.full), StorageClass: sc, ACL: acl,
		ContentType: optStr(o.ContentType), ContentDisposition: optStr(o.ContentDisposition),
		ContentEncoding: optStr(o.ContentEncoding), ContentLanguage: optStr(o.ContentLanguage),
		CacheControl: optStr(o.CacheControl), Metadata: o.Metadata,
	}
	if w.c.cfg.Checksum == ChecksumCRC32 {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	ctx, cancel := w.detached()
	defer cancel()
	ctx, attempts := withAttemptCounter(ctx)
	start := time.Now()
	out, err := w.c.api.CreateMultipartUpload(ctx, in)
	err = w.c.done(w.c.opCreateMPU, "create_upload", start, err)
	if err == nil && attempts.Load() > 1 {
		// An earlier attempt may have created an upload whose response was
		// lost: abort it rather than leave it orphaned.
		w.c.sweepUploads(ctx, w.full, aws.ToString(out.UploadId), start)
	}

	w.mu.Lock()
	w.creating = false
	if err == nil {
		w.uploadID = aws.ToString(out.UploadId)
		w.c.uploads.Add(1)
	}
	abortNow := w.abortStarted
	failure := w.failure
	w.mu.Unlock()
	if err != nil {
		if abortNow {
			w.finishAbort() // no upload to abort
		} else {
			w.fail(err)
		}
		return err
	}
	if abortNow {
		go w.runAbort()
	}
	return failure
}

// detached returns a context that ignores the caller's cancellation but
// keeps a bound, for the calls that must finish to leave no orphan.
func (w *Writer) detached() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(w.ctx), max(time.Minute, 2*w.c.cfg.AttemptTimeout))
}

func (w *Writer) uploadPart(num int32, data []byte) error {
	w.mu.Lock()
	id := w.uploadID
	w.mu.Unlock()
	start := time.Now()
	w.c.inflight.Add(1)
	var part types.CompletedPart
	if w.c.fast != nil {
		etag, err := w.c.fastUploadPart(w.pctx, w.full, id, num, data)
		part = types.CompletedPart{PartNumber: aws.Int32(num), ETag: aws.String(etag)}
		if err != nil {
			w.c.inflight.Add(-1)
			return w.c.done(w.c.opPart, "upload_part", start, err)
		}
	} else {
		in := &s3.UploadPartInput{
			Bucket: &w.c.cfg.Bucket, Key: aws.String(w.full), UploadId: aws.String(id), PartNumber: aws.Int32(num),
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		}
		switch w.c.cfg.Checksum {
		case ChecksumMD5:
			in.ContentMD5 = md5b64(data)
		case ChecksumCRC32:
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		}
		out, err := w.c.api.UploadPart(w.pctx, in)
		if err != nil {
			w.c.inflight.Add(-1)
			return w.c.done(w.c.opPart, "upload_part", start, err)
		}
		part = types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}
	}
	w.c.inflight.Add(-1)
	w.c.bytesUp.Add(int64(len(data)))
	w.mu.Lock()
	w.parts = append(w.parts, part)
	w.mu.Unlock()
	return w.c.done(w.c.opPart, "upload_part", start, nil)
}

// fail records the first error, stops the parts in flight and, when a
// multipart upload exists, aborts it in the background.
func (w *Writer) fail(err error) {
	w.mu.Lock()
	if w.failure == nil {
		w.failure = err
	}
	start := !w.abortStarted && !w.completing
	if start {
		w.abortStarted = true
	}
	id, creating := w.uploadID, w.creating
	w.mu.Unlock()
	w.stop(err)
	if !start {
		return
	}
	switch {
	case id != "":
		go w.runAbort()
	case creating:
		// create sees abortStarted when it returns and aborts then.
	default:
		w.finishAbort()
	}
}

// runAbort waits for the parts in flight, then aborts the upload.
func (w *Writer) runAbort() {
	w.wg.Wait()
	w.mu.Lock()
	id := w.uploadID
	w.mu.Unlock()
	if id != "" {
		w.c.abortUpload(w.ctx, w.full, id)
		w.c.uploads.Add(-1)
	}
	w.finishAbort()
}

func (w *Writer) finishAbort() {
	close(w.abortDone)
	w.finish()
}

// finish releases the Writer's hold on the Client.
func (w *Writer) finish() {
	w.finishOnce.Do(func() {
		w.unwatch()
		w.stop(nil)
		w.freeMu.Lock()
		for _, b := range w.free {
			w.c.bufs.Put(b)
		}
		w.free = nil
		w.freeMu.Unlock()
		w.c.wmu.Lock()
		delete(w.c.writers, w)
		w.c.wmu.Unlock()
		w.c.background.Done()
	})
}

// abortUpload aborts a multipart upload, detached from the caller's
// cancellation and retried by the SDK. A missing upload counts as aborted.
// A part request the client gave up on may still be running on the
// server and land after the abort (bringing the upload back on some
// stores), so, as the AbortMultipartUpload documentation advises, the
// upload is checked with ListParts afterwards and aborted again while it
// is still there.
func (c *Client) abortUpload(ctx context.Context, full, id string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(time.Minute, 2*c.cfg.AttemptTimeout))
	defer cancel()
	for try := 0; ; try++ {
		start := time.Now()
		_, err := c.api.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &c.cfg.Bucket, Key: &full, UploadId: &id})
		err = c.done(c.opAbort, "abort_upload", start, err)
		if err != nil && !arsenal.IsCode(err, arsenal.NotFound) {
			c.log.Warn("s3: could not abort multipart upload; parts may remain", "key", full, "err", err)
			return
		}
		_, err = c.api.ListParts(actx, &s3.ListPartsInput{Bucket: &c.cfg.Bucket, Key: &full, UploadId: &id, MaxParts: aws.Int32(1)})
		if err != nil && arsenal.IsCode(wrapErr("", err), arsenal.NotFound) {
			c.log.Warn("s3: multipart upload did not complete; aborted it, no parts left", "key", full)
			return
		}
		if try == 4 {
			c.log.Warn("s3: multipart upload still listed after aborting; parts may remain", "key", full, "err", err)
			return
		}
		t := time.NewTimer(time.Duration(50<<try) * time.Millisecond) // let in-flight parts land
		select {
		case <-t.C:
		case <-actx.Done():
			t.Stop()
			return
		}
	}
}

// Close sends what remains and completes the upload: a single PutObject
// when everything fit in one part, else the last part and
// CompleteMultipartUpload. After a failure it waits for the abort and
// returns the first error. Close is idempotent.
func (w *Writer) Close() error {
	if w.userDone {
		return w.err()
	}
	w.userDone = true
	k := w.c.begin(w.ctx, w.c.opWriteClose, "writer_close", w.key)
	if w.audit {
		k.audit, k.aop, k.res = true, "put", w.c.resource(w.full)
	}
	err := w.close()
	return w.c.end(&k, err, 0, w.size)
}

func (w *Writer) close() error {
	if err := w.err(); err != nil {
		<-w.abortDone
		return err
	}
	if w.partNum == 0 {
		// Everything fit in one part: a single PUT.
		start := time.Now()
		res, err := w.c.putObject(w.ctx, w.full, *w.buf, &w.opts)
		err = w.c.done(w.c.opPut, "write", start, err)
		w.putBuf(w.buf)
		w.buf = nil
		if err != nil {
			w.fail(err)
			<-w.abortDone
			return err
		}
		res.Key = w.key
		w.result = res
		w.mu.Lock()
		w.completing = true
		w.mu.Unlock()
		w.finish()
		return nil
	}
	if err := w.acquire(); err != nil {
		<-w.abortDone
		return w.err()
	}
	if err := w.dispatch(w.buf); err != nil {
		<-w.abortDone
		return err
	}
	w.buf = nil
	w.wg.Wait()
	w.mu.Lock()
	if w.failure != nil {
		w.mu.Unlock()
		<-w.abortDone
		return w.err()
	}
	w.completing = true
	parts := slices.Clone(w.parts)
	id := w.uploadID
	w.mu.Unlock()
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })

	ctx, cancel := w.detached()
	defer cancel()
	in := &s3.CompleteMultipartUploadInput{
		Bucket: &w.c.cfg.Bucket, Key: aws.String(w.full), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	if w.ctx.Err() != nil {
		// Cancelled between the last part and completion: abort instead.
		return w.abortAfterComplete(wrapErr("write", w.ctx.Err()))
	}
	ctx, attempts := withAttemptCounter(ctx)
	start := time.Now()
	out, err := w.c.api.CompleteMultipartUpload(ctx, in)
	etag, version := "", ""
	if err == nil {
		etag, version = unquote(aws.ToString(out.ETag)), aws.ToString(out.VersionId)
	} else if attempts.Load() > 1 && arsenal.IsCode(wrapErr("", err), arsenal.NotFound) {
		// A retried completion finds no upload: an earlier attempt may have
		// completed it and lost the response. Compare the stored object's
		// ETag with the one these parts make.
		if e, ok := w.c.completedEarlier(ctx, w.full, parts); ok {
			etag, err = e, nil
		}
	}
	if err = w.c.done(w.c.opComplete, "complete_upload", start, err); err != nil {
		return w.abortAfterComplete(err)
	}
	w.c.uploads.Add(-1)
	w.result = PutResult{Key: w.key, ETag: etag, VersionID: version, Size: w.size, Parts: len(parts)}
	w.finish()
	return nil
}

func (w *Writer) abortAfterComplete(err error) error {
	w.mu.Lock()
	if w.failure == nil {
		w.failure = err
	}
	w.completing = false
	w.abortStarted = true
	w.mu.Unlock()
	w.runAbort()
	return w.err()
}

// CloseWithError abandons the upload: parts in flight stop and the
// multipart upload, if one was started, is aborted before it returns.
// A nil cause reads as Canceled. Later Writes and Close return the cause.
func (w *Writer) CloseWithError(cause error) error {
	if cause == nil {
		cause = context.Canceled
	}
	w.userDone = true
	w.fail(wrapErr("write", cause))
	<-w.abortDone
	return nil
}

// Size is the number of bytes written so far.
func (w *Writer) Size() int64 { return w.size }

// Result describes the stored object after a successful Close.
func (w *Writer) Result() PutResult { return w.result }

// sweepUploads aborts uploads of key other than keep that the server
// initiated since just before start: the leftovers of a retried
// CreateMultipartUpload whose first response was lost. (A concurrent
// Writer to the same key started within that minute would be aborted too;
// S3's last-writer-wins makes such races pointless anyway.)
func (c *Client) sweepUploads(ctx context.Context, full, keep string, start time.Time) {
	out, err := c.api.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &c.cfg.Bucket, Prefix: &full})
	if err != nil {
		c.log.Warn("s3: could not list uploads after a retried create; one may be orphaned", "key", full, "err", wrapErr("list_uploads", err))
		return
	}
	for _, u := range out.Uploads {
		id := aws.ToString(u.UploadId)
		if aws.ToString(u.Key) != full || id == keep || (u.Initiated != nil && u.Initiated.Before(start.Add(-time.Minute))) {
			continue
		}
		c.abortUpload(ctx, full, id)
	}
}

// completedEarlier reports whether key holds the object that completing
// parts makes, by its multipart ETag (MD5 of the parts' MD5s, "-N").
func (c *Client) completedEarlier(ctx context.Context, full string, parts []types.CompletedPart) (string, bool) {
	h := md5.New()
	for _, p := range parts {
		b, err := hex.DecodeString(unquote(aws.ToString(p.ETag)))
		if err != nil || len(b) != md5.Size {
			return "", false
		}
		h.Write(b)
	}
	want := hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
	out, err := c.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.cfg.Bucket, Key: &full})
	if err != nil || unquote(aws.ToString(out.ETag)) != want {
		return "", false
	}
	return want, true
}

type attemptCounterKey struct{}

// withAttemptCounter returns a context whose requests count their HTTP
// attempts into the returned counter.
func withAttemptCounter(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, attemptCounterKey{}, n), n
}
