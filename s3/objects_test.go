package s3_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/fanout"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestPutStoresContentHeadersAndMetadataThatStatReturns(t *testing.T) {
	needsRealS3(t, "does not keep every content header")
	c, _ := newClient(t)
	ctx := ctxT(t)
	opts := &s3.PutOptions{
		ContentType: "text/csv", ContentDisposition: `attachment; filename="r.csv"`, ContentEncoding: "identity",
		ContentLanguage: "en", CacheControl: "max-age=60",
		Metadata: map[string]string{"Author": "ada", "run-id": "42"},
	}
	res, err := c.Put(ctx, "reports/r.csv", []byte("a,b\n1,2\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ETag == "" || res.Size != 8 || res.Parts != 0 {
		t.Errorf("PutResult = %+v", res)
	}
	info, err := c.Stat(ctx, "reports/r.csv")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name, got, want string
	}{
		{"content type", info.ContentType, opts.ContentType},
		{"content disposition", info.ContentDisposition, opts.ContentDisposition},
		{"content encoding", info.ContentEncoding, opts.ContentEncoding},
		{"content language", info.ContentLanguage, opts.ContentLanguage},
		{"cache control", info.CacheControl, opts.CacheControl},
		{"metadata author (keys lower-cased)", info.Metadata["author"], "ada"},
		{"metadata run-id", info.Metadata["run-id"], "42"},
		{"etag matches the put", info.ETag, res.ETag},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if ch.got != ch.want {
				t.Errorf("got %q, want %q", ch.got, ch.want)
			}
		})
	}
	if info.Size != 8 || info.LastModified.IsZero() {
		t.Errorf("size %d, last modified %v", info.Size, info.LastModified)
	}
}

func TestGetStreamsWholeObjectsAndRanges(t *testing.T) {
	needsRealS3(t, "does not answer every range form")
	c, _ := newClient(t)
	ctx := ctxT(t)
	data := randomBytes(1<<20 + 17)
	if _, err := c.Put(ctx, "blob", data, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts *s3.GetOptions
		want []byte
	}{
		{"whole object", nil, data},
		{"from an offset to the end", &s3.GetOptions{Offset: 1000}, data[1000:]},
		{"a middle range", &s3.GetOptions{Offset: 4096, Length: 10000}, data[4096:14096]},
		{"the last byte", &s3.GetOptions{Offset: int64(len(data) - 1), Length: 1}, data[len(data)-1:]},
		{"a range past the end is clipped", &s3.GetOptions{Offset: int64(len(data) - 5), Length: 100}, data[len(data)-5:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Get(ctx, "blob", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Info.Size != int64(len(data)) {
				t.Errorf("Info.Size = %d, want the whole object's %d", r.Info.Size, len(data))
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("read %d bytes, want %d (content differs: %v)", len(got), len(tc.want), len(got) == len(tc.want))
			}
		})
	}
	t.Run("a range starting past the end is InvalidArgument", func(t *testing.T) {
		_, err := c.Get(ctx, "blob", &s3.GetOptions{Offset: int64(len(data) + 10)})
		if !arsenal.IsCode(err, arsenal.InvalidArgument) {
			t.Errorf("err = %v, want InvalidArgument", err)
		}
	})
	t.Run("IfMatch with a stale ETag is FailedPrecondition", func(t *testing.T) {
		_, err := c.Get(ctx, "blob", &s3.GetOptions{IfMatch: `"0123456789abcdef0123456789abcdef"`})
		if !arsenal.IsCode(err, arsenal.FailedPrecondition) {
			t.Errorf("err = %v, want FailedPrecondition", err)
		}
	})
}

func TestMissingKeysAreNotFoundAndExistsSaysSo(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	if _, err := c.Get(ctx, "nope", nil); !arsenal.IsCode(err, arsenal.NotFound) {
		t.Errorf("Get = %v, want NotFound", err)
	}
	if _, err := c.Stat(ctx, "nope"); !arsenal.IsCode(err, arsenal.NotFound) {
		t.Errorf("Stat = %v, want NotFound", err)
	}
	ok, err := c.Exists(ctx, "nope")
	if err != nil || ok {
		t.Errorf("Exists(missing) = %v, %v", ok, err)
	}
	if _, err := c.Put(ctx, "yes", nil, nil); err != nil {
		t.Fatal(err)
	}
	ok, err = c.Exists(ctx, "yes")
	if err != nil || !ok {
		t.Errorf("Exists(empty object) = %v, %v", ok, err)
	}
}

func TestBadInputFailsBeforeAnyRequest(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	before := c.ClientStats().Attempts
	tests := []struct {
		name string
		call func() error
	}{
		{"unknown storage class on put", func() error {
			_, err := c.Put(ctx, "k", []byte("x"), &s3.PutOptions{StorageClass: "PLATINUM"})
			return err
		}},
		{"unknown storage class on writer", func() error {
			_, err := c.NewWriter(ctx, "k", &s3.PutOptions{StorageClass: "standard"})
			return err
		}},
		{"unknown storage class on copy", func() error {
			_, err := c.Copy(ctx, "a", "b", &s3.CopyOptions{Put: s3.PutOptions{StorageClass: "ARCHIVE"}})
			return err
		}},
		{"unknown storage class on presign", func() error {
			_, err := c.Presign(ctx, "k", &s3.PresignOptions{Method: "PUT", StorageClass: "X"})
			return err
		}},
		{"unknown ACL", func() error {
			_, err := c.Put(ctx, "k", []byte("x"), &s3.PutOptions{ACL: "world-writable"})
			return err
		}},
		{"empty key", func() error { _, err := c.Put(ctx, "", []byte("x"), nil); return err }},
		{"key over 1024 bytes", func() error { _, err := c.Stat(ctx, strings.Repeat("k", 1025)); return err }},
		{"key not UTF-8", func() error { return c.Delete(ctx, "bad\xff") }},
		{"metadata key with a space", func() error {
			_, err := c.Put(ctx, "k", nil, &s3.PutOptions{Metadata: map[string]string{"bad key": "v"}})
			return err
		}},
		{"metadata value not ASCII", func() error {
			_, err := c.Put(ctx, "k", nil, &s3.PutOptions{Metadata: map[string]string{"k": "naïve"}})
			return err
		}},
		{"metadata over 2 KB", func() error {
			_, err := c.Put(ctx, "k", nil, &s3.PutOptions{Metadata: map[string]string{"k": strings.Repeat("v", 2100)}})
			return err
		}},
		{"negative range", func() error { _, err := c.Get(ctx, "k", &s3.GetOptions{Offset: -1}); return err }},
		{"negative max keys", func() error { _, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: -1}); return err }},
		{"presign method", func() error { _, err := c.Presign(ctx, "k", &s3.PresignOptions{Method: "POST"}); return err }},
		{"presign expiry over 7 days", func() error {
			_, err := c.Presign(ctx, "k", &s3.PresignOptions{Expires: 8 * 24 * 3600e9})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !arsenal.IsCode(err, arsenal.InvalidArgument) {
				t.Errorf("err = %v, want InvalidArgument", err)
			}
		})
	}
	if after := c.ClientStats().Attempts; after != before {
		t.Errorf("bad input sent %v requests", after-before)
	}
}

func TestStorageClassesReachTheServer(t *testing.T) {
	// versitygw's posix backend accepts the storage class header and keeps
	// no class (it reports STANDARD), so the server-side check is that the
	// request succeeds; the class values themselves are validated
	// client-side (TestBadInputFailsBeforeAnyRequest).
	c, _ := newClient(t, func(cfg *s3.Config) { cfg.StorageClass = "STANDARD_IA" })
	ctx := ctxT(t)
	for _, class := range []string{"", "STANDARD", "REDUCED_REDUNDANCY"} {
		t.Run("class "+class, func(t *testing.T) {
			if _, err := c.Put(ctx, "sc-"+class, []byte("x"), &s3.PutOptions{StorageClass: class}); err != nil {
				t.Fatalf("Put with storage class %q: %v", class, err)
			}
			info, err := c.Stat(ctx, "sc-"+class)
			if err != nil {
				t.Fatal(err)
			}
			if info.StorageClass != "" && !s3.ValidStorageClass(info.StorageClass) {
				t.Errorf("Stat reports unknown class %q", info.StorageClass)
			}
		})
	}
}

func TestDeleteAndDeleteManyRemoveObjects(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	var keys []string
	for i := range 1203 { // more than one DeleteObjects batch
		keys = append(keys, "d/"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+itoa(i))
	}
	for _, k := range keys[:30] {
		if _, err := c.Put(ctx, k, []byte(k), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, keys[0]); err != nil {
		t.Errorf("deleting a missing key: %v (S3 semantics: success)", err)
	}
	if err := c.DeleteMany(ctx, keys); err != nil {
		t.Fatalf("DeleteMany of %d keys (most missing): %v", len(keys), err)
	}
	page, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "d/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 0 {
		t.Errorf("%d objects remain after DeleteMany", len(page.Objects))
	}
	if c.Stats().Ops["delete_many"].Count != 2 {
		t.Errorf("DeleteMany of 1203 keys used %d requests, want 2", c.Stats().Ops["delete_many"].Count)
	}
}

func itoa(i int) string {
	return string([]byte{byte('0' + i/1000%10), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestCopyKeepsOrReplacesMetadata(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	data := []byte("copy me")
	if _, err := c.Put(ctx, "src", data, &s3.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"origin": "src"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		opts       *s3.CopyOptions
		wantType   string
		wantOrigin string
	}{
		{"keep copies the source's metadata", nil, "text/plain", "src"},
		{"replace sets new metadata", &s3.CopyOptions{ReplaceMetadata: true,
			Put: s3.PutOptions{ContentType: "application/json", Metadata: map[string]string{"origin": "copy"}}}, "application/json", "copy"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := "dst" + itoa(i)
			if _, err := c.Copy(ctx, "src", dst, tc.opts); err != nil {
				t.Fatal(err)
			}
			got, err := c.GetBytes(ctx, dst, nil)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("copied bytes %q, %v", got, err)
			}
			info, err := c.Stat(ctx, dst)
			if err != nil {
				t.Fatal(err)
			}
			if info.ContentType != tc.wantType || info.Metadata["origin"] != tc.wantOrigin {
				t.Errorf("type %q origin %q, want %q %q", info.ContentType, info.Metadata["origin"], tc.wantType, tc.wantOrigin)
			}
		})
	}
	t.Run("a missing source is NotFound", func(t *testing.T) {
		if _, err := c.Copy(ctx, "no-such-src", "x", nil); !arsenal.IsCode(err, arsenal.NotFound) {
			t.Errorf("err = %v, want NotFound", err)
		}
	})
}

func TestConditionalPutRefusesToOverwrite(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	if _, err := c.Put(ctx, "once", []byte("1"), &s3.PutOptions{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Put(ctx, "once", []byte("2"), &s3.PutOptions{IfNoneMatch: "*"})
	if err == nil {
		t.Skip("this store ignores If-None-Match on PUT") // versitygw supports it; other stores may not
	}
	if !arsenal.IsCode(err, arsenal.FailedPrecondition) {
		t.Errorf("second conditional put: %v, want FailedPrecondition", err)
	}
}

func TestPrefixConfinesTheClient(t *testing.T) {
	cfg, srv := testConfig(t)
	cfg.Prefix = "tenant-a/"
	c := open(t, cfg)
	ctx := ctxT(t)
	if _, err := c.Put(ctx, "file", []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	other := open(t, s3.Config{Bucket: cfg.Bucket, Endpoint: srv.Endpoint, AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey)})
	if ok, _ := other.Exists(ctx, "tenant-a/file"); !ok {
		t.Error("object not stored under the prefix")
	}
	var keys []string
	for o, err := range c.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	if len(keys) != 1 || keys[0] != "file" {
		t.Errorf("List under the prefix = %v, want [file]", keys)
	}
}

func TestChecksumModesStoreIntactBytes(t *testing.T) {
	for _, mode := range []s3.ChecksumMode{s3.ChecksumMD5, s3.ChecksumCRC32, s3.ChecksumNone} {
		t.Run(string(mode), func(t *testing.T) {
			c, _ := newClient(t, func(cfg *s3.Config) { cfg.Checksum = mode; cfg.PartSize = s3.MinPartSize })
			ctx := ctxT(t)
			for _, n := range []int{100, 11 << 20} { // single PUT and multipart
				data := randomBytes(n)
				if _, err := c.Put(ctx, "obj", data, nil); err != nil {
					t.Fatalf("Put %d bytes: %v", n, err)
				}
				got, err := c.GetBytes(ctx, "obj", nil)
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != sha256.Sum256(data) {
					t.Errorf("%d bytes came back different", n)
				}
			}
		})
	}
}

func TestAReaderAfterCloseFailsCoded(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	if _, err := c.Put(ctx, "k", []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	r, err := c.Get(ctx, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err = r.Read(make([]byte, 1))
	var ae *arsenal.Error
	if !errors.As(err, &ae) || ae.Code != arsenal.FailedPrecondition {
		t.Errorf("Read after Close = %v, want FailedPrecondition", err)
	}
}

func TestGzipEncodedObjectsComeBackAsStored(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("compress me "), 1000))
	zw.Close()
	if _, err := c.Put(ctx, "z.txt.gz", buf.Bytes(), &s3.PutOptions{ContentEncoding: "gzip", ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBytes(ctx, "z.txt.gz", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("got %d bytes, want the %d gzip bytes as stored (no transparent decoding)", len(got), buf.Len())
	}
}

// TestMoreCallersThanMaxConnsPerHostAllFinish: callers beyond the
// connection cap wait their turn; none hangs and every object round-trips.
func TestMoreCallersThanMaxConnsPerHostAllFinish(t *testing.T) {
	c, _ := newClient(t, func(cfg *s3.Config) { cfg.MaxConnsPerHost = 2 })
	ctx := ctxT(t)
	for _, err := range fanout.Run(16, func(w int) error {
		for i := range 20 {
			k := fmt.Sprintf("capped/%02d/%02d", w, i)
			v := []byte(k)
			if _, err := c.Put(ctx, k, v, nil); err != nil {
				return err
			}
			got, err := c.GetBytes(ctx, k, nil)
			if err == nil && !bytes.Equal(got, v) {
				err = fmt.Errorf("%s: got %q", k, got)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}) {
		t.Error(err)
	}
}
