package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
)

// unknownLength hides a reader's length (no Len, Size or Seek).
type unknownLength struct{ r io.Reader }

func (u unknownLength) Read(p []byte) (int, error) { return u.r.Read(p) }

func TestWriterSwitchesToMultipartOnlyPastOnePart(t *testing.T) {
	c, _ := newClient(t, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize; cfg.Concurrency = 3 })
	ctx := ctxT(t)
	tests := []struct {
		name  string
		size  int
		parts int
	}{
		{"empty", 0, 0},
		{"small", 1000, 0},
		{"exactly one part", s3.MinPartSize, 0},
		{"one byte past a part", s3.MinPartSize + 1, 2},
		{"several parts", 3*s3.MinPartSize + 12345, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(tc.size)
			for _, via := range []string{"Write", "ReadFrom"} {
				w, err := c.NewWriter(ctx, "w/"+tc.name, &s3.PutOptions{ContentType: "application/x-test", Metadata: map[string]string{"via": via}})
				if err != nil {
					t.Fatal(err)
				}
				if via == "Write" {
					// Odd-sized writes cross part boundaries.
					for rest := data; len(rest) > 0; {
						n := min(len(rest), 777777)
						if _, err := w.Write(rest[:n]); err != nil {
							t.Fatal(err)
						}
						rest = rest[n:]
					}
				} else if _, err := w.ReadFrom(unknownLength{bytes.NewReader(data)}); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatalf("%s: Close: %v", via, err)
				}
				if res := w.Result(); res.Parts != tc.parts || res.Size != int64(tc.size) {
					t.Errorf("%s: result %+v, want %d parts of %d bytes", via, res, tc.parts, tc.size)
				}
				got, err := c.GetBytes(ctx, "w/"+tc.name, nil)
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != sha256.Sum256(data) {
					t.Errorf("%s: stored %d bytes differ from the %d written", via, len(got), len(data))
				}
				info, err := c.Stat(ctx, "w/"+tc.name)
				if err != nil || info.ContentType != "application/x-test" || info.Metadata["via"] != via {
					t.Errorf("%s: attributes not kept: %+v %v", via, info, err)
				}
			}
		})
	}
}

func TestWriterNeverHasMorePartsInFlightThanConcurrency(t *testing.T) {
	cfg, srv := testConfig(t)
	p := startProxy(t, srv.Addr, func(*http.Request) fault { return pass })
	cfg.Endpoint, cfg.PartSize, cfg.Concurrency = p.Endpoint(), s3.MinPartSize, 2
	c := open(t, cfg)
	data := randomBytes(8*s3.MinPartSize + 1)
	res, err := c.Upload(ctxT(t), "bounded", unknownLength{bytes.NewReader(data)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Parts != 9 {
		t.Errorf("%d parts, want 9", res.Parts)
	}
	if m := p.partsMax.Load(); m > 2 || m < 1 {
		t.Errorf("at most %d parts were in flight at once; want 1..2 (Concurrency)", m)
	}
}

func TestACancelledUploadAbortsAndLeavesNoOrphan(t *testing.T) {
	c, srv := newClient(t, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize; cfg.Concurrency = 2 })
	ctx, cancel := context.WithCancel(ctxT(t))
	w, err := c.NewWriter(ctx, "cancelled", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(3*s3.MinPartSize + 5)); err != nil {
		t.Fatal(err)
	}
	if len(orphans(t, srv, c.Bucket())) == 0 {
		t.Fatal("no multipart upload in progress after three parts; the test proves nothing")
	}
	cancel()
	_, werr := w.Write([]byte("more"))
	err = w.Close()
	if !arsenal.IsCode(err, arsenal.Canceled) {
		t.Errorf("Close after cancel = %v, want Canceled", err)
	}
	if werr == nil {
		t.Error("Write after cancel succeeded")
	}
	if o := orphans(t, srv, c.Bucket()); len(o) != 0 {
		t.Errorf("orphaned uploads: %v", o)
	}
	if ok, _ := c.Exists(context.Background(), "cancelled"); ok {
		t.Error("a cancelled upload created the object")
	}
}

func TestCancellingWithoutCloseStillAborts(t *testing.T) {
	c, srv := newClient(t, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize })
	ctx, cancel := context.WithCancel(ctxT(t))
	w, err := c.NewWriter(ctx, "forgotten", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(2*s3.MinPartSize + 1)); err != nil {
		t.Fatal(err)
	}
	cancel() // the caller never calls Close
	deadline := time.Now().Add(30 * time.Second)
	for len(orphans(t, srv, c.Bucket())) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("upload still there 30 s after cancel: %v", orphans(t, srv, c.Bucket()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestClosingTheClientAbortsOpenWriters(t *testing.T) {
	cfg, srv := testConfig(t)
	cfg.PartSize = s3.MinPartSize
	c, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.NewWriter(ctxT(t), "open-at-close", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(2*s3.MinPartSize + 1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if o := orphans(t, srv, cfg.Bucket); len(o) != 0 {
		t.Errorf("orphaned uploads after Client.Close: %v", o)
	}
	if err := w.Close(); !errors.Is(err, arsenal.ErrClosed) {
		t.Errorf("Writer.Close after Client.Close = %v, want ErrClosed", err)
	}
	if _, err := c.NewWriter(ctxT(t), "x", nil); !errors.Is(err, arsenal.ErrClosed) {
		t.Errorf("NewWriter after Close = %v", err)
	}
}

func TestCloseWithErrorAbandonsTheUpload(t *testing.T) {
	c, srv := newClient(t, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize })
	ctx := ctxT(t)
	w, err := c.NewWriter(ctx, "abandoned", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(2*s3.MinPartSize + 1)); err != nil {
		t.Fatal(err)
	}
	w.CloseWithError(errors.New("source broke"))
	if o := orphans(t, srv, c.Bucket()); len(o) != 0 {
		t.Errorf("orphans: %v", o)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "source broke") {
		t.Errorf("Close after CloseWithError = %v", err)
	}
}

func TestAFailingSourceAbortsTheUpload(t *testing.T) {
	c, srv := newClient(t, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize })
	src := io.MultiReader(bytes.NewReader(randomBytes(3*s3.MinPartSize)), errReader{io.ErrClosedPipe})
	_, err := c.Upload(ctxT(t), "broken-source", src, nil)
	if err == nil {
		t.Fatal("Upload from a failing reader succeeded")
	}
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("err = %v, want the reader's error", err)
	}
	if o := orphans(t, srv, c.Bucket()); len(o) != 0 {
		t.Errorf("orphans: %v", o)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestARejectedPartAbortsTheUpload(t *testing.T) {
	cfg, srv := testConfig(t)
	p := startProxy(t, srv.Addr, func(r *http.Request) fault {
		if r.URL.Query().Get("partNumber") == "3" {
			return deny
		}
		return pass
	})
	cfg.Endpoint, cfg.PartSize, cfg.Concurrency = p.Endpoint(), s3.MinPartSize, 2
	c := open(t, cfg)
	_, err := c.Upload(ctxT(t), "denied", unknownLength{bytes.NewReader(randomBytes(5 * s3.MinPartSize))}, nil)
	if !arsenal.IsCode(err, arsenal.PermissionDenied) {
		t.Errorf("err = %v, want PermissionDenied", err)
	}
	if p.Count(deny) == 0 {
		t.Fatal("the proxy denied nothing")
	}
	if o := orphans(t, srv, cfg.Bucket); len(o) != 0 {
		t.Errorf("orphans: %v", o)
	}
}
