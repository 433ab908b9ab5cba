// Command s3 shows Arsenal's S3 client: upload (with a progress bar for
// large files), download, list, stat with metadata, copy, presign and
// object URLs in both addressing styles.
//
//	go run ./examples/s3                      # a demo of everything
//	go run ./examples/s3 upload FILE [KEY]
//	go run ./examples/s3 download KEY FILE
//	go run ./examples/s3 list [PREFIX]
//	go run ./examples/s3 stat KEY
//	go run ./examples/s3 copy SRC DST
//	go run ./examples/s3 presign KEY [GET|PUT|DELETE|HEAD] [EXPIRY]
//	go run ./examples/s3 urls KEY
//
// It reads S3_ENDPOINT, S3_BUCKET (default arsenal-demo), S3_REGION and
// S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY (or the AWS_* equivalents, or the
// AWS credential chain), and creates the bucket when it is missing.
// Without S3_ENDPOINT it runs against an embedded, in-memory gofakes3
// server on loopback, and says so. Against a local versitygw, for one:
//
//	versitygw --access AK --secret SK --port 127.0.0.1:7070 posix /tmp/s3data &
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_ACCESS_KEY_ID=AK S3_SECRET_ACCESS_KEY=SK go run ./examples/s3
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/schollz/progressbar/v3"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// stdout is where the example prints (its test reads it).
var stdout io.Writer = os.Stdout

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		if c := arsenal.Classify(err); c.Code != arsenal.Unknown {
			fmt.Fprintf(os.Stderr, "  code %v, retryable %v, action %v\n", c.Code, c.Retryable, c.Action)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg := s3.FromEnv()
	if cfg.Bucket == "" {
		cfg.Bucket = "arsenal-demo"
	}
	if cfg.Endpoint == "" && os.Getenv("S3_USE_AWS") == "" {
		stop, err := embedded(&cfg)
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(stdout, "No S3_ENDPOINT set: using an embedded in-memory gofakes3 server at %s (a stand-in, not a real S3).\n", cfg.Endpoint)
	}
	c, err := s3.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(stdout, "client:", c.Describe())
	// The bucket is created unless it exists already (and is ours).
	if err := c.EnsureBucket(ctx); err != nil {
		return err
	}

	if len(args) == 0 {
		return demo(ctx, c)
	}
	need := func(n int) error {
		if len(args) < n+1 {
			return fmt.Errorf("%s needs %d argument(s); see the package comment", args[0], n)
		}
		return nil
	}
	switch args[0] {
	case "upload":
		if err := need(1); err != nil {
			return err
		}
		key := args[1]
		if len(args) > 2 {
			key = args[2]
		}
		return upload(ctx, c, args[1], key)
	case "download":
		if err := need(2); err != nil {
			return err
		}
		return download(ctx, c, args[1], args[2])
	case "list":
		prefix := ""
		if len(args) > 1 {
			prefix = args[1]
		}
		return list(ctx, c, prefix)
	case "stat":
		if err := need(1); err != nil {
			return err
		}
		return stat(ctx, c, args[1])
	case "copy":
		if err := need(2); err != nil {
			return err
		}
		_, err := c.Copy(ctx, args[1], args[2], nil)
		if err == nil {
			fmt.Fprintf(stdout, "copied %s -> %s on the server\n", args[1], args[2])
		}
		return err
	case "presign":
		if err := need(1); err != nil {
			return err
		}
		o := &s3.PresignOptions{Method: "GET", Expires: time.Hour}
		if len(args) > 2 {
			o.Method = args[2]
		}
		if len(args) > 3 {
			if o.Expires, err = time.ParseDuration(args[3]); err != nil {
				return err
			}
		}
		return presign(ctx, c, args[1], o)
	case "urls":
		if err := need(1); err != nil {
			return err
		}
		return urls(c, args[1])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// embedded starts an empty in-memory gofakes3 on loopback and points cfg
// at it.
func embedded(cfg *s3.Config) (func(), error) {
	backend := s3mem.New()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: gofakes3.New(backend).Server(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	cfg.Endpoint = "http://" + l.Addr().String()
	cfg.AccessKeyID, cfg.SecretAccessKey = "demo", security.NewSecret("demo-secret")
	return func() { srv.Close() }, nil
}

// demo walks through every feature on a few small objects and one 24 MiB
// streamed upload.
func demo(ctx context.Context, c *s3.Client) error {
	step := func(s string) { fmt.Fprintf(stdout, "\n== %s\n", s) }

	step("put with content headers and user metadata")
	res, err := c.Put(ctx, "docs/hello.txt", []byte("hello, arsenal\n"), &s3.PutOptions{
		ContentType: "text/plain; charset=utf-8", CacheControl: "max-age=60",
		ContentDisposition: `inline; filename="hello.txt"`, Metadata: map[string]string{"author": "demo"},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stored docs/hello.txt (%d bytes, etag %s)\n", res.Size, res.ETag)

	step("streamed multipart upload from a reader of unknown length, with a progress bar")
	const big = 24 << 20
	if err := uploadReader(ctx, c, io.LimitReader(zeros{}, big), big, "media/big.bin"); err != nil {
		return err
	}

	step("stat with metadata")
	if err := stat(ctx, c, "docs/hello.txt"); err != nil {
		return err
	}

	step("ranged download")
	b, err := c.GetBytes(ctx, "docs/hello.txt", &s3.GetOptions{Offset: 7, Length: 7})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bytes 7-13: %q\n", b)

	step("server-side copy, keeping then replacing metadata")
	if _, err := c.Copy(ctx, "docs/hello.txt", "docs/hello-copy.txt", nil); err != nil {
		return err
	}
	if _, err := c.Copy(ctx, "docs/hello.txt", "docs/hello.json", &s3.CopyOptions{ReplaceMetadata: true,
		Put: s3.PutOptions{ContentType: "application/json", Metadata: map[string]string{"author": "copier"}}}); err != nil {
		return err
	}
	for _, k := range []string{"docs/hello-copy.txt", "docs/hello.json"} {
		info, err := c.Stat(ctx, k)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s, author=%s\n", k, info.ContentType, info.Metadata["author"])
	}

	step("list with a delimiter (objects and common prefixes)")
	if err := list(ctx, c, ""); err != nil {
		return err
	}

	step("object URLs in both styles")
	if err := urls(c, "docs/hello.txt"); err != nil {
		return err
	}

	step("presigned URLs, used from plain net/http")
	if err := presign(ctx, c, "docs/hello.txt", &s3.PresignOptions{Method: "GET", Expires: 5 * time.Minute}); err != nil {
		return err
	}

	step("errors are coded")
	_, err = c.Stat(ctx, "no/such/key")
	fmt.Fprintf(stdout, "stat of a missing key: %v\n  -> code %v\n", err, arsenal.CodeOf(err))
	_, err = c.Put(ctx, "x", nil, &s3.PutOptions{StorageClass: "PLATINUM"})
	fmt.Fprintf(stdout, "unknown storage class: code %v (rejected before any request)\n", arsenal.CodeOf(err))

	step("batch delete")
	if err := c.DeleteMany(ctx, []string{"docs/hello-copy.txt", "docs/hello.json"}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "deleted 2 objects")

	step("stats")
	s := c.Stats()
	for _, name := range s.OpNames() {
		o := s.Ops[name]
		if o.Count == 0 {
			continue
		}
		fmt.Fprintf(stdout, "%-16s %4d calls  p50 %-10v p99 %v\n", name, o.Count, o.P50.Round(time.Microsecond), o.P99.Round(time.Microsecond))
	}
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func upload(ctx context.Context, c *s3.Client, path, key string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return uploadReader(ctx, c, f, st.Size(), key)
}

// uploadReader streams r to key, showing a progress bar when it is larger
// than one part.
func uploadReader(ctx context.Context, c *s3.Client, r io.Reader, size int64, key string) error {
	if size > c.Config().PartSize {
		bar := progressbar.DefaultBytes(size, "uploading "+key)
		r = io.TeeReader(r, bar)
		defer bar.Finish()
	}
	res, err := c.Upload(ctx, key, r, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nuploaded %s: %d bytes in %d parts (etag %s)\n", key, res.Size, res.Parts, res.ETag)
	return nil
}

func download(ctx context.Context, c *s3.Client, key, path string) error {
	r, err := c.Get(ctx, key, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var dst io.Writer = f
	if r.Info.Size > c.Config().PartSize {
		dst = io.MultiWriter(f, progressbar.DefaultBytes(r.Info.Size, "downloading "+key))
	}
	n, err := io.Copy(dst, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Fprintf(stdout, "\ndownloaded %s to %s (%d bytes)\n", key, path, n)
	}
	return err
}

func list(ctx context.Context, c *s3.Client, prefix string) error {
	for o, err := range c.List(ctx, &s3.ListOptions{Prefix: prefix, Delimiter: "/"}) {
		if err != nil {
			return err
		}
		if o.IsPrefix {
			fmt.Fprintf(stdout, "  %-30s (prefix)\n", o.Key)
			continue
		}
		fmt.Fprintf(stdout, "  %-30s %10d  %s\n", o.Key, o.Size, o.LastModified.Format(time.RFC3339))
	}
	return nil
}

func stat(ctx context.Context, c *s3.Client, key string) error {
	info, err := c.Stat(ctx, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n  size %d, etag %s, modified %s\n  type %q, disposition %q, cache %q, class %q\n",
		key, info.Size, info.ETag, info.LastModified.Format(time.RFC3339), info.ContentType,
		info.ContentDisposition, info.CacheControl, info.StorageClass)
	for k, v := range info.Metadata {
		fmt.Fprintf(stdout, "  x-amz-meta-%s: %s\n", k, v)
	}
	return nil
}

func presign(ctx context.Context, c *s3.Client, key string, o *s3.PresignOptions) error {
	p, err := c.Presign(ctx, key, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s\n  valid until %s\n", p.Method, p.URL, p.Expires.Format(time.RFC3339))
	if p.Method != http.MethodGet {
		return nil
	}
	resp, err := http.Get(p.URL) // no credentials needed
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	fmt.Fprintf(stdout, "  plain GET: %s, %q\n", resp.Status, bytes.TrimSpace(body))
	return nil
}

func urls(c *s3.Client, key string) error {
	for _, style := range []s3.Style{s3.StyleVirtual, s3.StylePath} {
		u, err := c.ObjectURL(key, style)
		if err != nil {
			return err
		}
		note := ""
		if style == s3.StyleVirtual && strings.Contains(u, "/"+c.Bucket()+"/") {
			note = "  (virtual-hosted falls back to path style: IP/localhost endpoint or dotted bucket)"
		}
		fmt.Fprintf(stdout, "  %-8s %s%s\n", style, u, note)
	}
	return nil
}
