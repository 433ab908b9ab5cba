package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/fanout"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
)

// faultyClient is a client whose every request passes through a proxy
// that injects resets, stalls and SlowDown responses.
func faultyClient(t *testing.T, rates map[fault]float64) (*s3.Client, *faultProxy, s3.Config) {
	t.Helper()
	cfg, srv := testConfig(t)
	p := startProxy(t, srv.Addr, randomFaults(42, rates))
	cfg.Endpoint = p.Endpoint()
	cfg.PartSize, cfg.Concurrency = s3.MinPartSize, 3
	cfg.MaxRetries, cfg.RetryMaxBackoff = 12, 100*time.Millisecond
	cfg.AttemptTimeout = 1500 * time.Millisecond
	return open(t, cfg), p, cfg
}

func TestPutsGetsAndMultipartSurviveInjectedFaults(t *testing.T) {
	needsRealS3(t, "does not handle retried multipart requests as S3 does")
	if testing.Short() {
		t.Skip("fault injection takes ~20 s")
	}
	c, p, cfg := faultyClient(t, map[fault]float64{
		slowDown: 0.08, resetEarly: 0.05, resetMidway: 0.05, resetInRequest: 0.04, stallEarly: 0.02, stallMidway: 0.02,
		corruptRequest: 0.03, corruptResponse: 0.03,
	})
	srv := testenvS3(t)
	ctx := ctxT(t)

	// Small objects, eight callers.
	small := map[string][]byte{}
	for i := range 40 {
		small[fmt.Sprintf("small/%02d", i)] = randomBytes(64<<10 + i)
	}
	keys := slices.Collect(maps.Keys(small))
	var next atomic.Int64
	for _, err := range fanout.Run(8, func(int) error {
		for i := next.Add(1) - 1; i < int64(len(keys)); i = next.Add(1) - 1 {
			if _, err := c.Put(ctx, keys[i], small[keys[i]], nil); err != nil {
				return fmt.Errorf("put %s: %w", keys[i], err)
			}
		}
		return nil
	}) {
		t.Fatal(err)
	}
	for k, v := range small {
		got, err := c.GetBytes(ctx, k, nil)
		if err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
		if sha256.Sum256(got) != sha256.Sum256(v) {
			t.Fatalf("get %s: content differs", k)
		}
	}

	// A multipart upload from a stream of unknown length.
	big := randomBytes(6*s3.MinPartSize + 4321)
	res, err := c.Upload(ctx, "big", unknownLength{bytes.NewReader(big)}, nil)
	if err != nil {
		t.Fatalf("multipart upload: %v", err)
	}
	if res.Parts != 7 {
		t.Errorf("%d parts, want 7", res.Parts)
	}
	r, err := c.Get(ctx, "big", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("streaming get of the multipart object: %v", err)
	}
	r.Close()
	if want := sha256.Sum256(big); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Error("multipart object content differs")
	}
	rng, err := c.GetBytes(ctx, "big", &s3.GetOptions{Offset: 3 << 20, Length: 9 << 20})
	if err != nil || !bytes.Equal(rng, big[3<<20:12<<20]) {
		t.Errorf("ranged get: %d bytes, %v", len(rng), err)
	}

	// Every kind of fault happened, and retries covered them.
	for _, f := range []fault{slowDown, resetEarly, resetMidway, resetInRequest, corruptRequest, corruptResponse} {
		if p.Count(f) == 0 {
			t.Errorf("no %s fault was injected; the test proves less than it claims (%s)", faultNames[f], p.Summary())
		}
	}
	if p.Count(stallEarly)+p.Count(stallMidway) == 0 {
		t.Errorf("no stall was injected (%s)", p.Summary())
	}
	s := c.Stats()
	var calls uint64
	for _, o := range s.Ops {
		calls += o.Count
	}
	cs := c.ClientStats()
	t.Logf("faults: %s; %v attempts (%v retries) for %d calls, %v resumed downloads", p.Summary(), cs.Attempts, cs.Retries, calls, cs.ResumedDownloads)
	if cs.Retries == 0 {
		t.Errorf("no retry counted though faults were injected")
	}
	if cs.Attempts <= calls {
		t.Errorf("attempts %v not above calls %d: nothing was retried", cs.Attempts, calls)
	}
	if o := orphans(t, srv, cfg.Bucket); len(o) != 0 {
		t.Errorf("orphaned uploads: %v", o)
	}
}

func TestAStalledDownloadResumesWhereItStopped(t *testing.T) {
	cfg, srv := testConfig(t)
	data := randomBytes(3 << 20)
	plain := open(t, cfg)
	if _, err := plain.Put(ctxT(t), "obj", data, nil); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	gets := 0
	p := startProxy(t, srv.Addr, func(r *http.Request) fault {
		if r.Method != http.MethodGet {
			return pass
		}
		mu.Lock()
		defer mu.Unlock()
		gets++
		switch gets {
		case 1:
			return stallMidway
		case 2:
			return resetMidway
		}
		return pass
	})
	cfg.Endpoint, cfg.AttemptTimeout = p.Endpoint(), time.Second
	c := open(t, cfg)
	got, err := c.GetBytes(ctxT(t), "obj", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("content differs after resuming (%d bytes)", len(got))
	}
	if n := c.ClientStats().ResumedDownloads; n < 2 {
		t.Errorf("%v resumes, want 2 (one after the stall, one after the reset)", n)
	}
}

func TestAFailedMultipartUploadUnderFaultsLeavesNoOrphan(t *testing.T) {
	cfg, srv := testConfig(t)
	var mu sync.Mutex
	parts := 0
	// Parts stall forever from the third on; the caller gives up via ctx.
	p := startProxy(t, srv.Addr, func(r *http.Request) fault {
		if r.URL.Query().Has("partNumber") {
			mu.Lock()
			defer mu.Unlock()
			if parts++; parts >= 3 {
				return stallEarly
			}
		}
		return pass
	})
	cfg.Endpoint, cfg.PartSize, cfg.Concurrency = p.Endpoint(), s3.MinPartSize, 2
	c := open(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Upload(ctx, "stalled", unknownLength{bytes.NewReader(randomBytes(6 * s3.MinPartSize))}, nil)
	if !arsenal.IsCode(err, arsenal.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Upload took %s to give up", d)
	}
	if o := orphans(t, srv, cfg.Bucket); len(o) != 0 {
		t.Errorf("orphans: %v", o)
	}
}

// once returns fault f for the first request that match accepts, then pass.
func once(f fault, match func(*http.Request) bool) func(*http.Request) fault {
	var done atomic.Bool
	return func(r *http.Request) fault {
		if match(r) && done.CompareAndSwap(false, true) {
			return f
		}
		return pass
	}
}

func TestCorruptionInTransitIsCaughtNotStored(t *testing.T) {
	needsRealS3(t, "does not check Content-MD5")
	isPut := func(r *http.Request) bool { return r.Method == http.MethodPut }
	isGet := func(r *http.Request) bool { return r.Method == http.MethodGet && !r.URL.Query().Has("list-type") }
	data := randomBytes(100 << 10)
	tests := []struct {
		name     string
		checksum s3.ChecksumMode
		decide   func(*http.Request) fault
		check    func(t *testing.T, c *s3.Client, srv *testenv.S3, bucket string)
	}{
		{"a corrupted upload is rejected and resent (md5)", s3.ChecksumMD5, once(corruptRequest, isPut),
			func(t *testing.T, c *s3.Client, srv *testenv.S3, bucket string) {
				if _, err := c.Put(ctxT(t), "obj", data, nil); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if got := rawGet(t, srv, bucket, "obj"); !bytes.Equal(got, data) {
					t.Error("corrupted bytes were stored")
				}
				if c.ClientStats().Attempts < 2 {
					t.Error("the corrupted attempt was not retried")
				}
			}},
		{"a corrupted upload is rejected by the signed payload hash and resent (none)", s3.ChecksumNone, once(corruptRequest, isPut),
			func(t *testing.T, c *s3.Client, srv *testenv.S3, bucket string) {
				if _, err := c.Put(ctxT(t), "obj", data, nil); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if got := rawGet(t, srv, bucket, "obj"); !bytes.Equal(got, data) {
					t.Error("corrupted bytes were stored")
				}
			}},
		{"a corrupted part is rejected and resent", s3.ChecksumMD5,
			once(corruptRequest, func(r *http.Request) bool { return r.URL.Query().Get("partNumber") == "2" }),
			func(t *testing.T, c *s3.Client, srv *testenv.S3, bucket string) {
				big := randomBytes(2*s3.MinPartSize + 99)
				if _, err := c.Upload(ctxT(t), "mp", unknownLength{bytes.NewReader(big)}, nil); err != nil {
					t.Fatalf("Upload: %v", err)
				}
				if got := rawGet(t, srv, bucket, "mp"); !bytes.Equal(got, big) {
					t.Error("corrupted part was stored")
				}
			}},
		{"a corrupted streaming download ends in DataLoss (md5)", s3.ChecksumMD5, once(corruptResponse, isGet),
			func(t *testing.T, c *s3.Client, srv *testenv.S3, bucket string) {
				putRaw(t, srv, bucket, "obj", data)
				r, err := c.Get(ctxT(t), "obj", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if _, err := io.ReadAll(r); !arsenal.IsCode(err, arsenal.DataLoss) {
					t.Errorf("err = %v, want DataLoss", err)
				}
			}},
		{"GetBytes reads a corrupted download again (md5)", s3.ChecksumMD5, once(corruptResponse, isGet),
			func(t *testing.T, c *s3.Client, srv *testenv.S3, bucket string) {
				putRaw(t, srv, bucket, "obj", data)
				got, err := c.GetBytes(ctxT(t), "obj", nil)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("GetBytes: %v", err)
				}
				if n := c.Stats().Ops["get"].Count; n != 2 {
					t.Errorf("%d gets, want 2 (the corrupted one and the retry)", n)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, srv := testConfig(t)
			p := startProxy(t, srv.Addr, tc.decide)
			cfg.Endpoint, cfg.Checksum, cfg.PartSize = p.Endpoint(), tc.checksum, s3.MinPartSize
			tc.check(t, open(t, cfg), srv, cfg.Bucket)
		})
	}
}

func rawGet(t *testing.T, srv *testenv.S3, bucket, key string) []byte {
	t.Helper()
	out, err := srv.Client().GetObject(context.Background(), &awss3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putRaw(t *testing.T, srv *testenv.S3, bucket, key string, data []byte) {
	t.Helper()
	if _, err := srv.Client().PutObject(context.Background(), &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}
