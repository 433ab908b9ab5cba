package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

func ExampleParseURL() {
	cfg, err := s3.ParseURL("s3://photos/2024?endpoint=http://127.0.0.1:9000&region=eu-west-1&style=path&part_size=16MiB")
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Bucket, cfg.Prefix, cfg.Endpoint, cfg.Region, cfg.Style, cfg.PartSize>>20)

	_, err = s3.ParseURL("s3://AKID:TOPSECRET@Bad_Bucket")
	var ce *arsenal.ConfigError
	fmt.Println(arsenal.CodeOf(err), errors.As(err, &ce) && ce.Has("Bucket"), strings.Contains(err.Error(), "TOPSECRET"))
	// Output:
	// photos 2024/ http://127.0.0.1:9000 eu-west-1 path 16
	// InvalidArgument true false
}

func ExampleConfig_String() {
	cfg := s3.Config{Bucket: "photos", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: security.NewSecret("wJalrXUtnFEMI")}
	fmt.Println(strings.Contains(fmt.Sprintf("%+v", cfg), "wJalrXUtnFEMI"), strings.Contains(cfg.String(), security.Redacted))
	// Output: false true
}

func ExampleClient_ObjectURL() {
	c, err := s3.Open(context.Background(), s3.Config{Bucket: "photos", Region: "eu-west-1", AccessKeyID: "AK", SecretAccessKey: security.NewSecret("SK")})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	virtual, _ := c.ObjectURL("cats/tom 1.jpg", s3.StyleVirtual)
	path, _ := c.ObjectURL("cats/tom 1.jpg", s3.StylePath)
	fmt.Println(virtual)
	fmt.Println(path)
	// Output:
	// https://photos.s3.eu-west-1.amazonaws.com/cats/tom%201.jpg
	// https://s3.eu-west-1.amazonaws.com/photos/cats/tom%201.jpg
}

// Example is the tour a user would write: the store and the credentials
// come from the environment (S3_ENDPOINT, S3_BUCKET, S3_REGION,
// S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY; see FromEnv), and the bucket is
// created when missing. TestExamplesRunAgainstARealServer runs it against
// versitygw and checks what it prints:
//
//	5 text/plain ada
//	irs
//	notes/a.txt 5
//	notes/b.txt 5
//	NotFound
func Example() {
	ctx := context.Background()
	c, err := s3.Open(ctx, s3.FromEnv())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsureBucket(ctx); err != nil {
		log.Fatal(err)
	}

	if _, err := c.Put(ctx, "notes/a.txt", []byte("first"), &s3.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"Owner": "ada"}}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Copy(ctx, "notes/a.txt", "notes/b.txt", nil); err != nil {
		log.Fatal(err)
	}
	info, err := c.Stat(ctx, "notes/b.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Size, info.ContentType, info.Metadata["owner"])

	data, err := c.GetBytes(ctx, "notes/a.txt", &s3.GetOptions{Offset: 1, Length: 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))

	for o, err := range c.List(ctx, &s3.ListOptions{Prefix: "notes/"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(o.Key, o.Size)
	}
	_, err = c.Stat(ctx, "notes/missing")
	fmt.Println(arsenal.CodeOf(err))
}

// ExampleClient_Presign hands out a URL anyone may GET for five minutes,
// without credentials. TestExamplesRunAgainstARealServer runs it and
// checks it prints "200 hello".
func ExampleClient_Presign() {
	ctx := context.Background()
	c, err := s3.Open(ctx, s3.FromEnv())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Put(ctx, "shared/hello.txt", []byte("hello"), nil); err != nil {
		log.Fatal(err)
	}
	p, err := c.Presign(ctx, "shared/hello.txt", &s3.PresignOptions{Method: "GET", Expires: 5 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Get(p.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
}

// ExampleClient_Upload streams a reader of unknown length (here 20 MiB
// of zeros) as a multipart upload holding at most PartSize ×
// (Concurrency+1) bytes. TestExamplesRunAgainstARealServer runs it and
// checks it prints "20971520 bytes in 3 parts".
func ExampleClient_Upload() {
	ctx := context.Background()
	c, err := s3.Open(ctx, s3.FromEnv())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r := io.LimitReader(zeroReader{}, 20<<20)
	res, err := c.Upload(ctx, "big/zeros.bin", r, &s3.PutOptions{ContentType: "application/octet-stream"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes in %d parts\n", res.Size, res.Parts)
}

// ExampleConfig_security confines a client to one folder of its bucket
// for the principal "uploader", audits every call to a slog handler, and
// signs with credentials read from the environment at every request.
// TestExamplesRunAgainstARealServer runs it and checks it prints
// "true PermissionDenied".
func ExampleConfig_security() {
	ctx := context.Background()
	cfg := s3.FromEnv()
	policy, err := security.NewPolicy(security.Rule{
		Name: "uploads", Effect: security.Allow, Principal: "uploader", Component: s3.Kind,
		Operation: "put,get,stat", Resource: cfg.Bucket + "/uploads/*",
	})
	if err != nil {
		log.Fatal(err)
	}
	cfg.Security = security.Options{
		Policy: policy,
		Audit:  security.NewAuditor(slog.NewJSONHandler(io.Discard, nil), nil), // os.Stderr, a file, a SIEM's handler
		// Read at every request signing, in place of the keys FromEnv filled in.
		Credentials: security.Env{UserVar: "S3_ACCESS_KEY_ID", SecretVar: "S3_SECRET_ACCESS_KEY", SessionTokenVar: "S3_SESSION_TOKEN"},
	}
	c, err := s3.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx = security.WithPrincipal(ctx, security.Principal{Name: "uploader"})
	_, err = c.Put(ctx, "uploads/report.csv", []byte("a,b\n"), nil)
	ok := err == nil
	_, err = c.Put(ctx, "config/settings.json", []byte("{}"), nil) // outside uploads/: refused, nothing sent
	fmt.Println(ok, arsenal.CodeOf(err))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestExamplesRunAgainstARealServer runs the Examples that need a store
// against versitygw, configured through the environment as a user's
// would be, and checks what they print.
func TestExamplesRunAgainstARealServer(t *testing.T) {
	srv := testenv.SharedS3(t)
	bucket := "arsenal-examples-" + testenv.RandomHex(4)
	t.Cleanup(func() { srv.EmptyAndDelete(bucket) }) // Example creates it
	for k, v := range map[string]string{"S3_ENDPOINT": srv.Endpoint, "S3_BUCKET": bucket, "S3_REGION": srv.Region,
		"S3_ACCESS_KEY_ID": srv.AccessKey, "S3_SECRET_ACCESS_KEY": srv.SecretKey} {
		t.Setenv(k, v)
	}
	for _, ex := range []struct {
		name string
		run  func()
		want string
	}{
		{"Example", Example, "5 text/plain ada\nirs\nnotes/a.txt 5\nnotes/b.txt 5\nNotFound\n"},
		{"ExampleClient_Presign", ExampleClient_Presign, "200 hello\n"},
		{"ExampleClient_Upload", ExampleClient_Upload, "20971520 bytes in 3 parts\n"},
		{"ExampleConfig_security", ExampleConfig_security, "true PermissionDenied\n"},
	} {
		assert.Equal(t, ex.want, captureStdout(t, ex.run), ex.name)
	}
}

// captureStdout returns what f prints to os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	orig := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() { os.Stdout = orig }()
	f()
	w.Close()
	os.Stdout = orig
	return <-done
}
