package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is an S3-compatible server for tests: a real versitygw (posix backend
// in a temp dir, random credentials) or, when versitygw is missing and
// ARSENAL_REQUIRE_REAL is unset, an embedded gofakes3 over plain HTTP.
type S3 struct {
	Endpoint  string // http://127.0.0.1:PORT
	Addr      string // 127.0.0.1:PORT
	Region    string
	AccessKey string
	SecretKey string
	Real      bool      // true for versitygw
	Dir       string    // the posix backend's root (real servers)
	Cert      *TestCert // the server's certificate when it serves HTTPS (StartS3TLS), else nil

	mu   sync.Mutex
	proc *process
	srv  *http.Server
	bin  string
}

var (
	sharedS3Once sync.Once
	sharedS3     *S3
	sharedS3Err  error
)

// SharedS3 returns the test binary's shared S3 server, starting it on
// first use. Tests create their own buckets with NewBucket.
func SharedS3(t testing.TB) *S3 {
	t.Helper()
	sharedS3Once.Do(func() {
		sharedS3, sharedS3Err = newS3("")
		if sharedS3Err == nil {
			atExit(sharedS3.stop)
		}
	})
	if sharedS3Err != nil {
		t.Fatalf("testenv: %v", sharedS3Err)
	}
	return sharedS3
}

// StartS3 starts a dedicated S3 server, stopped when t ends.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	s, err := newS3("")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// LaunchS3 starts an S3 server outside a test (benchmark programs); the
// caller must call Stop.
func LaunchS3() (*S3, error) { return newS3("") }

// LaunchS3In is LaunchS3 with the server's data under base (a real
// versitygw's posix root; "" is the system's temporary directory).
// Benchmarks pass MemoryDir so that the disk's stalls do not decide
// their figures.
func LaunchS3In(base string) (*S3, error) { return newS3(base) }

// Stop stops the server and removes its data.
func (s *S3) Stop() { s.stop() }

func newS3(base string) (*S3, error) {
	s := &S3{Region: "us-east-1", AccessKey: "AK" + strings.ToUpper(RandomHex(9)), SecretKey: RandomHex(20)}
	bin, ok := findServer("versitygw")
	if !ok {
		if RequireReal() {
			return nil, fmt.Errorf("versitygw not found (looked on PATH and in %s) and ARSENAL_REQUIRE_REAL=1; "+
				"install it: GOBIN=%s go install github.com/versity/versitygw/cmd/versitygw@v1.8.0", ToolsDir, ToolsDir)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		faker := gofakes3.New(s3mem.New())
		s.srv = &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}
		go s.srv.Serve(l)
		s.Addr = l.Addr().String()
		s.Endpoint = "http://" + s.Addr
		Logf("versitygw not found: using embedded gofakes3 at %s (stand-in, not a real server)", s.Endpoint)
		return s, nil
	}
	dir, err := os.MkdirTemp(base, "arsenal-s3-")
	if err != nil {
		return nil, err
	}
	s.Dir, s.bin, s.Real = dir, bin, true
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.Endpoint = "http://" + s.Addr
	if err := s.start(); err != nil {
		return nil, err
	}
	Logf("using real versitygw (posix backend) at %s (dir %s)", s.Endpoint, dir)
	return s, nil
}

func (s *S3) start() error {
	args := []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", s.Addr, "--quiet", "--keep-alive"}
	if s.Cert != nil {
		args = append(args, "--cert", s.Cert.CertFile, "--key", s.Cert.KeyFile)
	}
	args = append(args, "posix", filepath.Join(s.Dir, "root"))
	p, err := startProcess(filepath.Join(s.Dir, "versitygw.log"), s.bin, args...)
	if err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	s.proc = p
	if err := WaitTCP(s.Addr, 15*time.Second); err != nil {
		p.kill()
		log, _ := os.ReadFile(filepath.Join(s.Dir, "versitygw.log"))
		return fmt.Errorf("versitygw: %w: %s", err, log)
	}
	return nil
}

// Kill stops a real server with SIGKILL.
func (s *S3) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
	}
}

// Restart starts a killed real server again on the same address and data.
func (s *S3) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.Real {
		return fmt.Errorf("restart is only supported for a real versitygw")
	}
	if s.proc != nil && !s.proc.exited() {
		s.proc.kill()
	}
	return s.start()
}

func (s *S3) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		return
	}
	s.proc.stop(3 * time.Second)
	os.RemoveAll(s.Dir)
}

// Client returns a plain AWS SDK client for the server (path style, the
// checksum calculated only when required), for test setup and checks that
// must not go through Arsenal's own client.
func (s *S3) Client() *s3.Client {
	var hc *http.Client
	if s.Cert != nil {
		hc = &http.Client{Transport: &http.Transport{TLSClientConfig: s.Cert.ClientTLS()}}
	}
	return s3.New(s3.Options{
		HTTPClient:                 httpClientOrNil(hc),
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// NewBucket creates a bucket with a random name and removes it (and its
// objects) when t ends.
func (s *S3) NewBucket(t testing.TB) string {
	t.Helper()
	name := "arsenal-test-" + RandomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("testenv: create bucket %s: %v", name, err)
	}
	t.Cleanup(func() { s.EmptyAndDelete(name) })
	return name
}

// EmptyAndDelete removes every object and unfinished multipart upload of
// bucket, then the bucket itself; errors are ignored.
func (s *S3) EmptyAndDelete(bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := s.Client()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	if ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)}); err == nil {
		for _, u := range ups.Uploads {
			_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

// httpClientOrNil keeps the SDK's default client when hc is nil (a typed
// nil in the interface would not be).
func httpClientOrNil(hc *http.Client) s3.HTTPClient {
	if hc == nil {
		return nil
	}
	return hc
}
