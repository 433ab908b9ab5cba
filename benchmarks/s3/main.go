// Command s3 compares Arsenal's S3 client side by side with minio-go v7,
// the raw AWS SDK for Go v2 used the obvious way (s3.Client calls and the
// transfermanager uploader) and Bun's S3Client, against one versitygw:
//
//   - listing 10,000 objects (pages of 1,000)
//   - 1 KiB PUT and GET with 32 concurrent callers
//   - a 1 GiB streaming upload: throughput and peak RSS, each
//     implementation in a child process of its own (VmHWM)
//   - Arsenal's parallel lister against its sequential List on 100,000
//     objects over 16 prefixes
//
// The listing and the small-object workloads run twice: against
// versitygw over plain HTTP and against a second versitygw over HTTPS
// (a self-signed certificate every client is told to trust; rows and
// checks marked "(https)"). -no-tls skips the HTTPS server.
//
// Run from benchmarks: go run ./s3 [-quick]. Results are JSON lines on
// stdout; progress goes to stderr. ARSENAL_BENCH_S3_ENDPOINT,
// ARSENAL_BENCH_S3_ACCESS_KEY and ARSENAL_BENCH_S3_SECRET_KEY point it at
// a running server instead of a fresh versitygw; the HTTPS runs are then
// skipped, unless ARSENAL_BENCH_S3_OWN=1 says the server is the run's own
// (cmd/peers sets it for the versitygw it starts).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

const domain = "s3"

var (
	quick    = flag.Bool("quick", false, "smaller data sets and fewer rounds")
	child    = flag.String("child", "", "internal: run one implementation's 1 GiB upload and report")
	uploadMB = flag.Int("upload-mb", 1024, "size of the streaming upload in MiB")
	noTLS    = flag.Bool("no-tls", false, "skip the runs against versitygw over HTTPS")
)

// server is one S3 endpoint under test; tls and caFile are set for an
// HTTPS endpoint with a private certificate.
type server struct {
	endpoint, access, secret string
	tls                      *tls.Config
	caFile                   string
}

func main() {
	flag.Parse()
	srv := server{endpoint: os.Getenv("ARSENAL_BENCH_S3_ENDPOINT"), access: os.Getenv("ARSENAL_BENCH_S3_ACCESS_KEY"), secret: os.Getenv("ARSENAL_BENCH_S3_SECRET_KEY")}
	if *child != "" {
		srv.endpoint, srv.access, srv.secret = os.Getenv("BENCH_EP"), os.Getenv("BENCH_AK"), os.Getenv("BENCH_SK")
		if err := runChild(srv, *child, os.Getenv("BENCH_BUCKET")); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	if srv.endpoint == "" {
		// The data on tmpfs when there is room (see cmd/peers): the
		// clients are compared, not this machine's disk.
		s, err := testenv.LaunchS3In(testenv.MemoryDir())
		if err != nil {
			fatal(err)
		}
		defer s.Stop()
		srv = server{endpoint: s.Endpoint, access: s.AccessKey, secret: s.SecretKey}
		logf("started %s S3 server at %s (data in %s)", map[bool]string{true: "versitygw", false: "gofakes3 (stand-in)"}[s.Real], s.Endpoint, s.Dir)
	}
	if err := run(srv, "", true); err != nil {
		fatal(err)
	}
	if *noTLS || (os.Getenv("ARSENAL_BENCH_S3_ENDPOINT") != "" && os.Getenv("ARSENAL_BENCH_S3_OWN") != "1") {
		return
	}
	s, err := testenv.LaunchS3TLS(testenv.MemoryDir())
	if err != nil {
		fatal(err)
	}
	defer s.Stop()
	logf("started versitygw over HTTPS at %s (data in %s)", s.Endpoint, s.Dir)
	if err := run(server{s.Endpoint, s.AccessKey, s.SecretKey, s.Cert.ClientTLS(), s.Cert.CertFile}, " (https)", false); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "s3 bench:", err)
	os.Exit(1)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "s3 bench: "+format+"\n", args...) }

// lines writes the results in the runner's JSON-lines format.
var lines = bench.NewLineWriter(os.Stdout)

func emit(workload, impl, metric string, value float64, better string) {
	_ = lines.Write(bench.Line{Domain: domain, Workload: workload, Impl: impl, Metric: metric, Value: value, Better: better})
}

func check(name string, pass bool, detail string) {
	_ = lines.Check(domain, name, pass, detail)
	logf("check %q: pass=%v (%s)", name, pass, detail)
}

// impl is one client under test.
type impl struct {
	name string
	put  func(ctx context.Context, bucket, key string, data []byte) error
	get  func(ctx context.Context, bucket, key string) (int, error)
	list func(ctx context.Context, bucket, prefix string) (int, error)
	bun  bool
}

func arsenalClient(srv server, bucket string, mod ...func(*s3.Config)) (*s3.Client, error) {
	cfg := s3.Config{Bucket: bucket, Endpoint: srv.endpoint, AccessKeyID: srv.access, SecretAccessKey: security.NewSecret(srv.secret), TLSConfig: srv.tls}
	for _, m := range mod {
		m(&cfg)
	}
	return s3.Open(context.Background(), cfg)
}

func rawSDK(srv server) *awss3.Client {
	// The obvious way: default options, path style for a local endpoint
	// (and the SDK's default HTTP client, given the private CA to trust).
	o := awss3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.access, srv.secret, ""),
	}
	if srv.tls != nil {
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.TLSClientConfig = srv.tls })
	}
	return awss3.New(o)
}

func minioClient(srv server) (*minio.Client, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(srv.endpoint, "http://"), "https://")
	o := &minio.Options{Creds: miniocreds.NewStaticV4(srv.access, srv.secret, ""), Secure: srv.tls != nil,
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath}
	if srv.tls != nil {
		// minio-go's default transport, given the private CA to trust.
		t, err := minio.DefaultTransport(true)
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = srv.tls
		o.Transport = t
	}
	return minio.New(host, o)
}

// run measures every workload against srv, with suffix appended to the
// workload and check names; full adds the 1 GiB upload and the parallel
// lister.
func run(srv server, suffix string, full bool) error {
	ctx := context.Background()
	buckets := map[string]string{}
	for _, b := range []string{"list", "small", "par", "big"} {
		buckets[b] = "bench-" + b + "-" + testenv.RandomHex(4)
		if _, err := rawSDK(srv).CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(buckets[b])}); err != nil {
			return fmt.Errorf("create bucket: %w", err)
		}
	}
	// One Arsenal client per bucket, keyed by bucket.
	ars := map[string]*s3.Client{}
	for _, b := range buckets {
		c, err := arsenalClient(srv, b)
		if err != nil {
			return err
		}
		defer c.Close()
		ars[b] = c
	}
	raw := rawSDK(srv)
	mc, err := minioClient(srv)
	if err != nil {
		return err
	}
	impls := []impl{
		{
			name: "arsenal",
			put: func(ctx context.Context, b, k string, d []byte) error {
				_, err := ars[b].Put(ctx, k, d, nil)
				return err
			},
			get: func(ctx context.Context, b, k string) (int, error) {
				d, err := ars[b].GetBytes(ctx, k, nil)
				return len(d), err
			},
			list: func(ctx context.Context, b, p string) (int, error) {
				n := 0
				for _, err := range ars[b].List(ctx, &s3.ListOptions{Prefix: p}) {
					if err != nil {
						return n, err
					}
					n++
				}
				return n, nil
			},
		},
		{
			name: "minio-go",
			put: func(ctx context.Context, b, k string, d []byte) error {
				_, err := mc.PutObject(ctx, b, k, bytes.NewReader(d), int64(len(d)), minio.PutObjectOptions{})
				return err
			},
			get: func(ctx context.Context, b, k string) (int, error) {
				o, err := mc.GetObject(ctx, b, k, minio.GetObjectOptions{})
				if err != nil {
					return 0, err
				}
				defer o.Close()
				d, err := io.ReadAll(o)
				return len(d), err
			},
			list: func(ctx context.Context, b, p string) (int, error) {
				n := 0
				for o := range mc.ListObjects(ctx, b, minio.ListObjectsOptions{Prefix: p, Recursive: true}) {
					if o.Err != nil {
						return n, o.Err
					}
					n++
				}
				return n, nil
			},
		},
		{
			name: "raw aws-sdk-go-v2",
			put: func(ctx context.Context, b, k string, d []byte) error {
				_, err := raw.PutObject(ctx, &awss3.PutObjectInput{Bucket: &b, Key: &k, Body: bytes.NewReader(d)})
				return err
			},
			get: func(ctx context.Context, b, k string) (int, error) {
				out, err := raw.GetObject(ctx, &awss3.GetObjectInput{Bucket: &b, Key: &k})
				if err != nil {
					return 0, err
				}
				defer out.Body.Close()
				d, err := io.ReadAll(out.Body)
				return len(d), err
			},
			list: func(ctx context.Context, b, p string) (int, error) {
				n := 0
				pg := awss3.NewListObjectsV2Paginator(raw, &awss3.ListObjectsV2Input{Bucket: &b, Prefix: &p})
				for pg.HasMorePages() {
					page, err := pg.NextPage(ctx)
					if err != nil {
						return n, err
					}
					n += len(page.Contents)
				}
				return n, nil
			},
		},
	}
	bunPath, haveBun := testenv.Peer("bun")
	if haveBun {
		impls = append(impls, impl{name: "bun", bun: true})
	} else {
		logf("bun not found in %s: Bun's figures are missing from this run", testenv.NodeDir())
	}
	scriptDir, err := scriptDirectory()
	if err != nil {
		return err
	}
	bun := func(bucket string, args ...string) (bunResult, error) {
		return runBun(bunPath, scriptDir, srv, bucket, args...)
	}

	rounds, listN, smallN, getN, parN := 5, 10000, 4000, 10000, 100000
	if *quick {
		rounds, listN, smallN, getN, parN = 3, 10000, 1000, 2500, 16000
	}

	// --- listing 10,000 objects
	logf("creating %d objects for the listing", listN)
	if err := create(ctx, ars[buckets["list"]], listN, func(i int) string { return fmt.Sprintf("obj/%06d", i) }, 16); err != nil {
		return err
	}
	listRates := map[string][]float64{}
	for r := range rounds {
		for _, im := range rotated(impls, r) {
			quiesce()
			start := time.Now()
			var n int
			if im.bun {
				res, err := bun(buckets["list"], "list", "obj/")
				if err != nil {
					return err
				}
				n = res.count
				listRates[im.name] = append(listRates[im.name], float64(n)/res.elapsed.Seconds())
			} else {
				n, err = im.list(ctx, buckets["list"], "obj/")
				if err != nil {
					return fmt.Errorf("%s list: %w", im.name, err)
				}
				listRates[im.name] = append(listRates[im.name], float64(n)/time.Since(start).Seconds())
			}
			if n != listN {
				return fmt.Errorf("%s listed %d objects, want %d", im.name, n, listN)
			}
			logf("round %d: %s listed %d objects at %.0f objects/s", r+1, im.name, n, listRates[im.name][len(listRates[im.name])-1])
		}
	}
	workload := fmt.Sprintf("list %d objects", listN) + suffix
	for _, im := range impls {
		emit(workload, im.name, "objects/s", median(listRates[im.name]), "higher")
	}
	ratioChecks("listing 10,000 objects"+suffix, listRates)

	// --- 1 KiB PUT and GET at 32 callers
	const callers = 32
	body := bytes.Repeat([]byte("a"), 1024)
	const getKeys = 1000
	if err := create(ctx, ars[buckets["small"]], getKeys, func(i int) string { return fmt.Sprintf("get/%d", i) }, 32, body...); err != nil {
		return err
	}
	putRates, getRates := map[string][]float64{}, map[string][]float64{}
	// Small-object rounds are short (about a second each): more of them
	// steady the median ratio on a noisy machine.
	for r := range rounds * 2 {
		for _, im := range rotated(impls, r) {
			prefix := fmt.Sprintf("put/%s/%d/", strings.ReplaceAll(im.name, " ", "-"), r)
			var putRate, getRate float64
			if im.bun {
				quiesce()
				res, err := bun(buckets["small"], "put", strconv.Itoa(smallN), strconv.Itoa(callers), prefix)
				if err != nil {
					return err
				}
				putRate = float64(res.count) / res.elapsed.Seconds()
				quiesce()
				res, err = bun(buckets["small"], "get", strconv.Itoa(getN), strconv.Itoa(callers), strconv.Itoa(getKeys), "get/")
				if err != nil {
					return err
				}
				getRate = float64(res.count) / res.elapsed.Seconds()
			} else {
				quiesce()
				d, err := parallel(smallN, callers, func(i int) error {
					return im.put(ctx, buckets["small"], prefix+strconv.Itoa(i), body)
				})
				if err != nil {
					return fmt.Errorf("%s put: %w", im.name, err)
				}
				putRate = float64(smallN) / d.Seconds()
				quiesce()
				d, err = parallel(getN, callers, func(i int) error {
					n, err := im.get(ctx, buckets["small"], "get/"+strconv.Itoa(i%getKeys))
					if err == nil && n != len(body) {
						err = fmt.Errorf("read %d bytes", n)
					}
					return err
				})
				if err != nil {
					return fmt.Errorf("%s get: %w", im.name, err)
				}
				getRate = float64(getN) / d.Seconds()
			}
			putRates[im.name] = append(putRates[im.name], putRate)
			getRates[im.name] = append(getRates[im.name], getRate)
			logf("round %d: %s PUT %.0f ops/s, GET %.0f ops/s", r+1, im.name, putRate, getRate)
		}
	}
	for _, im := range impls {
		emit("PUT 1 KiB, 32 callers"+suffix, im.name, "ops/s", median(putRates[im.name]), "higher")
		emit("GET 1 KiB, 32 callers"+suffix, im.name, "ops/s", median(getRates[im.name]), "higher")
	}
	ratioChecks("1 KiB PUT at 32 callers"+suffix, putRates)
	ratioChecks("1 KiB GET at 32 callers"+suffix, getRates)
	if !full {
		return nil
	}

	// --- 1 GiB streaming upload, each in its own process
	size := int64(*uploadMB) << 20
	uploadWorkload := fmt.Sprintf("%d MiB streaming upload", *uploadMB)
	if *uploadMB == 1024 {
		uploadWorkload = "1 GiB streaming upload"
	}
	cfgDefaults, _ := arsenalClient(srv, buckets["big"])
	limit := float64(cfgDefaults.Config().PartSize*int64(cfgDefaults.Config().Concurrency+1)+32<<20) / (1 << 20)
	cfgDefaults.Close()
	var arsenalHWM float64 = -1
	for _, im := range impls {
		var mbps, hwm float64
		if im.bun {
			res, err := bun(buckets["big"], "upload", strconv.FormatInt(size, 10), strconv.Itoa(8<<20), "4", "big-bun")
			if err != nil {
				logf("bun upload failed: %v", err)
				continue
			}
			mbps, hwm = float64(res.count)/(1<<20)/res.elapsed.Seconds(), float64(res.hwmKB)/1024
		} else {
			out, err := runUploadChild(srv, buckets["big"], im.name, size)
			if err != nil {
				logf("%s upload failed: %v", im.name, err)
				continue
			}
			mbps, hwm = out.MBps, out.HWMMiB
		}
		logf("%s: %s at %.0f MiB/s, peak RSS %.1f MiB", uploadWorkload, im.name, mbps, hwm)
		emit(uploadWorkload, im.name, "MiB/s", mbps, "higher")
		emit(uploadWorkload, im.name, "peak RSS MiB", hwm, "lower")
		if im.name == "arsenal" {
			arsenalHWM = hwm
		}
	}
	check("1 GiB upload peak RSS <= partSize x (concurrency+1) + 32 MiB", arsenalHWM > 0 && arsenalHWM <= limit,
		fmt.Sprintf("%.1f MiB for %d MiB, limit %.0f MiB", arsenalHWM, size>>20, limit))

	// --- parallel lister vs sequential
	logf("creating %d objects over 16 prefixes", parN)
	if err := create(ctx, ars[buckets["par"]], parN, func(i int) string { return fmt.Sprintf("p%02d/obj-%07d", i%16, i) }, 64); err != nil {
		return err
	}
	seq, par := []float64{}, []float64{}
	c := ars[buckets["par"]]
	for r := range max(3, rounds-2) {
		quiesce()
		start := time.Now()
		n := 0
		for _, err := range c.List(ctx, nil) {
			if err != nil {
				return err
			}
			n++
		}
		seq = append(seq, float64(n)/time.Since(start).Seconds())
		if n != parN {
			return fmt.Errorf("sequential list found %d of %d", n, parN)
		}
		quiesce()
		start = time.Now()
		n = 0
		for _, err := range c.ListParallel(ctx, &s3.ParallelListOptions{Workers: 16}) {
			if err != nil {
				return err
			}
			n++
		}
		par = append(par, float64(n)/time.Since(start).Seconds())
		if n != parN {
			return fmt.Errorf("parallel list found %d of %d", n, parN)
		}
		logf("round %d: sequential %.0f objects/s, parallel %.0f objects/s", r+1, seq[r], par[r])
	}
	parWorkload := fmt.Sprintf("list %d objects over 16 prefixes", parN)
	emit(parWorkload, "arsenal sequential", "objects/s", median(seq), "higher")
	emit(parWorkload, "arsenal parallel", "objects/s", median(par), "higher")
	ratio := pairedRatio(par, seq)
	check("parallel lister >= 1.5x sequential", ratio >= 1.5, fmt.Sprintf("%.2fx on %d objects (median of %d interleaved rounds; %s)", ratio, parN, len(seq), loadavg()))
	return nil
}

// quiesce pauses before every timed phase so that the server's
// after-work from the previous one (its garbage collection, freeing the
// last phase's connections) does not run inside the next one's window.
// Bun's phases start only after its process has started, a pause the
// in-process Go clients would otherwise not get: every phase gets one.
func quiesce() { time.Sleep(250 * time.Millisecond) }

// ratioChecks emits "arsenal >= peer" checks against minio-go and Bun:
// the median of the per-round ratios (rounds interleave the
// implementations, so each ratio compares runs seconds apart, under the
// same machine load).
func ratioChecks(what string, rates map[string][]float64) {
	for _, peer := range []string{"minio-go", "bun"} {
		if len(rates[peer]) == 0 {
			check(what+" >= "+peer, false, peer+" not measured")
			continue
		}
		r := pairedRatio(rates["arsenal"], rates[peer])
		check(what+" >= "+peer, r >= 1, fmt.Sprintf("%.2fx (median of %d interleaved rounds; %s)", r, len(rates[peer]), loadavg()))
	}
}

// rotated returns impls starting at index r (mod len): each round starts
// with a different implementation, so none always runs first or right
// after the same neighbour (a server's garbage collection or page-cache
// state after one client's round falls on each in turn).
func rotated(impls []impl, r int) []impl {
	k := r % len(impls)
	return append(slices.Clone(impls[k:]), impls[:k]...)
}

func pairedRatio(a, b []float64) float64 {
	return median(bench.Ratios(a, b))
}

// loadavg describes how busy the machine was, for the reader of a check.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return fmt.Sprintf("%d cores", runtime.NumCPU())
	}
	f := strings.Fields(string(b))
	return fmt.Sprintf("load average %s on %d cores", f[0], runtime.NumCPU())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// parallel runs op(0..n-1) on callers goroutines and returns the elapsed time.
func parallel(n, callers int, op func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func create(ctx context.Context, c *s3.Client, n int, key func(int) string, callers int, body ...byte) error {
	if body == nil {
		body = []byte("x")
	}
	start := time.Now()
	_, err := parallel(n, callers, func(i int) error {
		_, err := c.Put(ctx, key(i), body, nil)
		return err
	})
	logf("created %d objects in %s", n, time.Since(start).Round(time.Millisecond))
	return err
}

// --- child processes for the streaming upload

type childResult struct {
	MBps   float64 `json:"mbps"`
	HWMMiB float64 `json:"hwm_mib"`
}

func runUploadChild(srv server, bucket, name string, size int64) (childResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	cmd := exec.Command(exe, "-child="+name, "-upload-mb="+strconv.FormatInt(size>>20, 10))
	cmd.Env = append(os.Environ(), "BENCH_EP="+srv.endpoint, "BENCH_AK="+srv.access, "BENCH_SK="+srv.secret, "BENCH_BUCKET="+bucket)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return childResult{}, err
	}
	var res childResult
	err = json.Unmarshal(bytes.TrimSpace(out), &res)
	return res, err
}

// source yields size bytes of incompressible data without holding them:
// a 1 MiB random block, varied by a counter in every chunk.
type source struct {
	block []byte
	left  int64
	n     uint64
}

func newSource(size int64) *source {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7919 + i>>8*31)
	}
	return &source{block: b, left: size}
}

func (s *source) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && s.left > 0 {
		off := int(s.n % uint64(len(s.block)))
		m := copy(p[n:], s.block[off:])
		if int64(m) > s.left {
			m = int(s.left)
		}
		n += m
		s.n += uint64(m)
		s.left -= int64(m)
	}
	return n, nil
}

func runChild(srv server, name, bucket string) error {
	ctx := context.Background()
	size := int64(*uploadMB) << 20
	key := "big-" + strings.ReplaceAll(name, " ", "-")
	src := newSource(size)
	start := time.Now()
	switch name {
	case "arsenal":
		c, err := arsenalClient(srv, bucket)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Upload(ctx, key, src, nil); err != nil {
			return err
		}
	case "minio-go":
		mc, err := minioClient(srv)
		if err != nil {
			return err
		}
		// The size is known, as it is for a file: minio-go picks its part size.
		if _, err := mc.PutObject(ctx, bucket, key, src, size, minio.PutObjectOptions{}); err != nil {
			return err
		}
	case "raw aws-sdk-go-v2":
		tm := transfermanager.New(rawSDK(srv))
		if _, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: &bucket, Key: &key, Body: src}); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown implementation %q", name)
	}
	elapsed := time.Since(start)
	hwm, err := vmHWM()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childResult{MBps: float64(size) / (1 << 20) / elapsed.Seconds(), HWMMiB: hwm})
}

func vmHWM() (float64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// --- Bun

type bunResult struct {
	count   int
	elapsed time.Duration
	hwmKB   int
}

func scriptDirectory() (string, error) {
	// go run compiles to a temp dir: find bun_s3.ts next to this source.
	for _, d := range []string{"s3", "."} {
		if _, err := os.Stat(filepath.Join(d, "bun_s3.ts")); err == nil {
			return filepath.Abs(d)
		}
	}
	return "", fmt.Errorf("bun_s3.ts not found: run from benchmarks")
}

func runBun(bunPath, dir string, srv server, bucket string, args ...string) (bunResult, error) {
	cmd := exec.Command(bunPath, append([]string{filepath.Join(dir, "bun_s3.ts")}, args...)...)
	cmd.Dir = testenv.NodeDir()
	cmd.Env = append(os.Environ(), "S3_ENDPOINT="+srv.endpoint, "S3_ACCESS_KEY_ID="+srv.access,
		"S3_SECRET_ACCESS_KEY="+srv.secret, "S3_BUCKET="+bucket, "NODE_PATH="+testenv.NodeModules())
	if srv.caFile != "" {
		cmd.Env = append(cmd.Env, "NODE_EXTRA_CA_CERTS="+srv.caFile)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return bunResult{}, fmt.Errorf("bun %s: %w", args[0], err)
	}
	var r struct {
		Count     int     `json:"count"`
		ElapsedMS float64 `json:"elapsed_ms"`
		HWMKB     int     `json:"hwm_kb"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return bunResult{}, fmt.Errorf("bun %s output %q: %w", args[0], out, err)
	}
	return bunResult{count: r.Count, elapsed: time.Duration(r.ElapsedMS * float64(time.Millisecond)), hwmKB: r.HWMKB}, nil
}
