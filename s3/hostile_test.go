package s3_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// fakeS3 is a hostile S3 "server" on a raw socket: it reads each request
// with http.ReadRequest and answers with whatever bytes respond writes,
// then closes the connection. With a certificate it speaks TLS.
type fakeS3 struct {
	URL      string
	requests atomic.Int64
	tls      *tls.Config // the client's side: trusts the fake's certificate
}

func startFakeS3(t *testing.T, useTLS bool, respond func(req *http.Request, w *bufio.Writer)) *fakeS3 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeS3{URL: "http://" + ln.Addr().String()}
	if useTLS {
		cert := testenv.MustTestCert(t)
		ln = tls.NewListener(ln, cert.ServerTLS())
		f.URL = "https://" + ln.Addr().String()
		f.tls = cert.ClientTLS()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[nc] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(30 * time.Second))
				req, err := http.ReadRequest(bufio.NewReader(nc))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				f.requests.Add(1)
				w := bufio.NewWriterSize(nc, 64<<10)
				respond(req, w)
				w.Flush()
			}()
		}
	}()
	return f
}

// client opens a Client on the fake with no retries.
func (f *fakeS3) client(t *testing.T, mod ...func(*s3.Config)) *s3.Client {
	t.Helper()
	cfg := s3.Config{Bucket: "bkt", Endpoint: f.URL, Region: "us-east-1", AccessKeyID: "AKTEST",
		SecretAccessKey: security.NewSecret("secret-never-printed"), MaxRetries: -1, AttemptTimeout: 10 * time.Second, TLSConfig: f.tls}
	for _, m := range mod {
		m(&cfg)
	}
	return open(t, cfg)
}

func bothTransports(t *testing.T, run func(t *testing.T, useTLS bool)) {
	t.Run("http", func(t *testing.T) { run(t, false) })
	t.Run("https", func(t *testing.T) { run(t, true) })
}

func writeXML(w *bufio.Writer, body string) {
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// An <Owner> outside (or left open across) its <Contents> once
// dereferenced a nil Owner in the listing parser.
func TestHostileListingOwnerShapesDoNotPanic(t *testing.T) {
	bothTransports(t, func(t *testing.T, useTLS bool) {
		for _, doc := range []string{
			`<ListBucketResult><Owner><Contents><ID>x</ID><Key>a</Key></Contents></Owner></ListBucketResult>`,
			`<ListBucketResult><Contents><Key>a</Key><Owner></Contents><Contents><Key>b</Key><ID>x</ID><DisplayName>d</DisplayName></Contents></ListBucketResult>`,
			`<ListBucketResult><Owner><ID>top</ID></Owner><Contents><Key>a</Key><Owner><ID>o</ID></Owner></Contents></ListBucketResult>`,
		} {
			f := startFakeS3(t, useTLS, func(_ *http.Request, w *bufio.Writer) { writeXML(w, doc) })
			c := f.client(t)
			var keys []string
			for o, err := range c.List(ctxT(t), nil) {
				require.NoError(t, err, doc)
				keys = append(keys, o.Key)
			}
			assert.NotEmpty(t, keys, doc)
		}
	})
}

// GetBytes once allocated whatever Content-Length the server declared:
// 2^62 panicked in makeslice, 16 GiB was a fatal out-of-memory.
func TestHostileGetBytesDeclaredLengthIsBounded(t *testing.T) {
	bothTransports(t, func(t *testing.T, useTLS bool) {
		for _, n := range []int64{1 << 62, 16 << 30} {
			f := startFakeS3(t, useTLS, func(_ *http.Request, w *bufio.Writer) {
				fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"x\"\r\n\r\nhello", n)
			})
			_, err := f.client(t).GetBytes(ctxT(t), "k", nil)
			require.Error(t, err)
			assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(err), "%d bytes: %v", n, err)
		}
		// Under the limit, a declared length that never arrives allocates
		// as the bytes come, not up front.
		f := startFakeS3(t, useTLS, func(_ *http.Request, w *bufio.Writer) {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"x\"\r\n\r\nhello", 900<<20)
		})
		c := f.client(t)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := c.GetBytes(ctxT(t), "k", nil)
		runtime.ReadMemStats(&after)
		require.Error(t, err)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(allocSlack*64<<20), "bytes allocated for a 900 MiB promise")
		// No length at all (chunked, no Content-Range) on a ranged read.
		f = startFakeS3(t, useTLS, func(_ *http.Request, w *bufio.Writer) {
			w.WriteString("HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\nETag: \"x\"\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
		})
		b, err := f.client(t).GetBytes(ctxT(t), "k", &s3.GetOptions{Offset: 10}) // once a makeslice panic
		assert.LessOrEqual(t, len(b), 5, "%v", err)
		// MaxGetBytes applies to what is declared.
		f = startFakeS3(t, useTLS, func(_ *http.Request, w *bufio.Writer) {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: 2048\r\nETag: \"x\"\r\n\r\n%s", strings.Repeat("z", 2048))
		})
		_, err = f.client(t, func(c *s3.Config) { c.MaxGetBytes = 1024 }).GetBytes(ctxT(t), "k", nil)
		assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(err), "%v", err)
	})
}

// Response headers and listing bodies once had no size limit on the
// plain-HTTP path (a 256 MiB header was read whole).
func TestHostileHeadersAndListingBodiesAreBounded(t *testing.T) {
	bothTransports(t, func(t *testing.T, useTLS bool) {
		hugeLine := func(_ *http.Request, w *bufio.Writer) {
			w.WriteString("HTTP/1.1 200 OK\r\nX-Junk: ")
			chunk := strings.Repeat("a", 64<<10)
			for range 4096 { // 256 MiB unless the client stops reading
				if _, err := w.WriteString(chunk); err != nil {
					return
				}
			}
		}
		manyLines := func(_ *http.Request, w *bufio.Writer) {
			w.WriteString("HTTP/1.1 200 OK\r\n")
			for i := range 64 << 10 {
				if _, err := fmt.Fprintf(w, "X-H%d: v\r\n", i); err != nil {
					return
				}
			}
			w.WriteString("Content-Length: 0\r\n\r\n")
		}
		for name, respond := range map[string]func(*http.Request, *bufio.Writer){"one huge line": hugeLine, "64Ki lines": manyLines} {
			f := startFakeS3(t, useTLS, respond)
			c := f.client(t)
			start := time.Now()
			_, err := c.Stat(ctxT(t), "k")
			assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(err), "%s: Stat: %v", name, err)
			_, err = c.Put(ctxT(t), "k", []byte("x"), nil)
			assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(err), "%s: Put: %v", name, err)
			assert.Less(t, time.Since(start), 10*time.Second, name)
			assert.EqualValues(t, 2, f.requests.Load(), "%s: the limit is not retried", name)
		}

		// A listing body that never ends, declared (Content-Length) or not
		// (chunked).
		obj := strings.Repeat("<Contents><Key>k</Key><Size>1</Size></Contents>", 1000)
		chunkHeader := fmt.Sprintf("%x\r\n", len(obj))
		for name, respond := range map[string]func(*http.Request, *bufio.Writer){
			"declared 1 GiB": func(_ *http.Request, w *bufio.Writer) {
				w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1073741824\r\n\r\n<ListBucketResult>")
				for range 1 << 30 / len(obj) {
					if _, err := w.WriteString(obj); err != nil {
						return
					}
				}
			},
			"chunked, endless": func(_ *http.Request, w *bufio.Writer) {
				w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
				for range 1 << 30 / len(obj) {
					// The fake's own writes allocate nothing (TotalAlloc counts them too).
					w.WriteString(chunkHeader)
					w.WriteString(obj)
					if _, err := w.WriteString("\r\n"); err != nil {
						return
					}
				}
			},
		} {
			f := startFakeS3(t, useTLS, respond)
			c := f.client(t)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := c.ListPage(ctxT(t), nil)
			runtime.ReadMemStats(&after)
			assert.Equal(t, arsenal.ResourceExhausted, arsenal.CodeOf(err), "%s: list: %v", name, err)
			// The buffer doubles up to the limit: under 5x the limit allocated in all (the doc says so).
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(allocSlack*5*s3.MaxListResponseBytes), "%s: bytes allocated reading the listing", name)
		}
	})
}

// List once looped for ever on a repeated continuation token (21,419
// requests in 2 s, nothing yielded, no way out for the caller).
func TestHostileListingThatNeverEndsFails(t *testing.T) {
	page := func(key, token string) string {
		return `<ListBucketResult><IsTruncated>true</IsTruncated>` + key + `<NextContinuationToken>` + token + `</NextContinuationToken></ListBucketResult>`
	}
	bothTransports(t, func(t *testing.T, useTLS bool) {
		for name, next := range map[string]func(tok string) string{
			"the same token": func(string) string { return page(`<Contents><Key>a</Key></Contents>`, "A") },
			"A, B, A": func(tok string) string {
				return page(`<Contents><Key>a</Key></Contents>`, map[string]string{"": "A", "A": "B", "B": "A"}[tok])
			},
			"empty pages for ever": func(tok string) string { return page("", tok+"x") },
		} {
			f := startFakeS3(t, useTLS, func(req *http.Request, w *bufio.Writer) {
				writeXML(w, next(req.URL.Query().Get("continuation-token")))
			})
			c := f.client(t)
			var err error
			for _, e := range c.List(ctxT(t), nil) {
				err = e
			}
			require.Error(t, err, name)
			assert.Equal(t, arsenal.Internal, arsenal.CodeOf(err), "%s: %v", name, err)
			assert.LessOrEqual(t, f.requests.Load(), int64(101), name)
			for _, e := range c.ListParallel(ctxT(t), &s3.ParallelListOptions{Depth: 1}) {
				err = e
			}
			assert.Equal(t, arsenal.Internal, arsenal.CodeOf(err), "%s: ListParallel: %v", name, err)
		}
	})
}

// A key with ".." segments once went on the wire as such: behind a
// normalising proxy, Prefix (and in path style the bucket) was no boundary.
func TestHostileDotDotKeysAreRefusedBeforeAnyRequest(t *testing.T) {
	bothTransports(t, func(t *testing.T, useTLS bool) {
		f := startFakeS3(t, useTLS, func(_ *http.Request, w *bufio.Writer) {
			w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		})
		for _, prefix := range []string{"tenant-a/", ""} {
			c := f.client(t, func(c *s3.Config) { c.Prefix = prefix })
			for _, key := range []string{"../../other-bucket/secret.txt", "a/../../b", ".."} {
				_, err := c.Put(ctxT(t), key, []byte("x"), nil)
				assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "Put %q: %v", key, err)
				_, err = c.GetBytes(ctxT(t), key, nil)
				assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "GetBytes %q: %v", key, err)
				_, err = c.Presign(ctxT(t), key, nil)
				assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err), "Presign %q: %v", key, err)
			}
			_, err := c.Put(ctxT(t), "a..b/..c/d..", []byte("x"), nil)
			assert.NoError(t, err, "dots that are not a whole segment are fine")
		}
		assert.EqualValues(t, 2, f.requests.Load(), "only the two legitimate Puts reached the server")
	})
}

// capture is a slog handler that keeps every record.
type capture struct {
	mu   sync.Mutex
	recs []string
}

func (h *capture) Enabled(context.Context, slog.Level) bool { return true }
func (h *capture) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.mu.Lock()
	h.recs = append(h.recs, b.String())
	h.mu.Unlock()
	return nil
}
func (h *capture) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *capture) WithGroup(string) slog.Handler      { return h }
func (h *capture) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.recs, "\n")
}

// A plain-HTTP endpoint off this machine was accepted silently.
func TestPlainHTTPOffLoopbackIsWarnedAbout(t *testing.T) {
	for ep, warned := range map[string]bool{
		"http://s3.example.com:9000": true, "http://10.1.2.3": true,
		"http://127.0.0.1:9000": false, "http://localhost:9000": false, "http://[::1]:9000": false,
		"https://s3.example.com": false,
	} {
		h := &capture{}
		c, err := s3.Open(context.Background(), s3.Config{Bucket: "bkt", Endpoint: ep, AccessKeyID: "AK",
			SecretAccessKey: security.NewSecret("secret-never-printed"), Logger: slog.New(h)})
		require.NoError(t, err, ep)
		c.Close()
		logs := h.all()
		if warned {
			assert.Contains(t, logs, "WARN s3: plain-HTTP endpoint off this machine", ep)
		} else {
			assert.NotContains(t, logs, "plain-HTTP", ep)
		}
		assert.NotContains(t, logs, "secret-never-printed", ep)
	}
}
