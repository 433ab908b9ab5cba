package s3

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/stats"
)

func init() {
	arsenal.Register("s3", func(ctx context.Context, u *url.URL) (arsenal.Component, error) {
		cfg, err := parseURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
}

// Client is a handle on one bucket of an S3-compatible store. It is an
// arsenal.Component: safe for concurrent use, and it must be closed.
//
// Operations take keys relative to Config.Prefix, record their latency in
// Stats, and return *arsenal.Error values whose codes follow the table in
// the package documentation.
type Client struct {
	cfg        Config // resolved: defaults applied, credentials filled in
	api        *s3.Client
	presigner  *s3.PresignClient
	transport  *http.Transport
	httpClient *http.Client
	fast       *fastPath // nil when the SDK handles every call (ChecksumCRC32)
	pathStyle  bool
	secure     bool // Config.Security has a policy or an audit
	log        *slog.Logger

	rec                                           *stats.Recorder
	opPut, opGet, opStat, opDelete, opDeleteMany  *stats.Op
	opCopy, opList, opHealth, opPart, opComplete  *stats.Op
	opCreateMPU, opAbort, opPresign, opWriteClose *stats.Op
	opCreateBucket, opDeleteBucket, opHeadBucket  *stats.Op
	targetStr                                     string // target(), computed once

	attempts   atomic.Uint64 // HTTP attempts, retries included
	retries    atomic.Uint64 // attempts after a failed one
	slowDowns  atomic.Uint64 // retries after the server throttled (SlowDown, 503, 429)
	resumes    atomic.Uint64 // downloads resumed after a mid-body failure
	bytesUp    atomic.Int64
	bytesDown  atomic.Int64
	uploads    atomic.Int64 // multipart uploads in progress
	inflight   atomic.Int64
	connected  atomic.Bool
	closed     atomic.Bool
	background sync.WaitGroup // open Writers and their aborts
	wmu        sync.Mutex
	writers    map[*Writer]struct{}
	bufs       sync.Pool // *[]byte of cap PartSize
}

// Open validates cfg, resolves credentials (static, S3_* then AWS_*
// environment, then the standard AWS chain) and returns a Client. It does
// no network I/O: the first operation (or Health) dials. Errors are
// InvalidArgument for a bad config and Unauthenticated when the AWS chain
// cannot be loaded.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults(lookupEnv)
	if err := cfg.Validate(); err != nil { // values read from the environment
		return nil, err
	}
	c := &Client{cfg: cfg, pathStyle: cfg.pathStyle(), rec: stats.NewRecorder(), log: cfg.Logger, secure: cfg.Security.Active()}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for _, p := range []struct {
		op   **stats.Op
		name string
	}{
		{&c.opPut, "put"}, {&c.opGet, "get"}, {&c.opStat, "stat"}, {&c.opDelete, "delete"},
		{&c.opDeleteMany, "delete_many"}, {&c.opCopy, "copy"}, {&c.opList, "list"},
		{&c.opHealth, "health"}, {&c.opPart, "upload_part"}, {&c.opComplete, "complete_upload"},
		{&c.opCreateMPU, "create_upload"}, {&c.opAbort, "abort_upload"}, {&c.opPresign, "presign"},
		{&c.opWriteClose, "writer_close"}, {&c.opCreateBucket, "create_bucket"},
		{&c.opDeleteBucket, "delete_bucket"}, {&c.opHeadBucket, "head_bucket"},
	} {
		*p.op = c.rec.Op(p.name)
	}
	partSize := cfg.PartSize
	c.bufs.New = func() any { b := make([]byte, 0, partSize); return &b }

	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	c.transport = &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    256,
		MaxConnsPerHost:        cfg.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    cfg.DialTimeout,
		ResponseHeaderTimeout:  cfg.AttemptTimeout,
		ExpectContinueTimeout:  time.Second,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // bytes as stored: never decode Content-Encoding: gzip behind the caller's back
		WriteBufferSize:        64 << 10,
		ReadBufferSize:         64 << 10,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
	if cfg.TLSConfig != nil {
		c.transport.TLSClientConfig = cfg.TLSConfig.Clone()
	}
	if cfg.Security.TLS != nil {
		tc, err := cfg.Security.ClientTLS()
		if err != nil {
			return nil, arsenal.Wrap(Kind, "open", err)
		}
		c.transport.TLSClientConfig = tc
	}
	if u, err := url.Parse(cfg.Endpoint); err == nil && strings.EqualFold(u.Scheme, "http") {
		c.transport.Proxy = nil // never send plain-HTTP S3 traffic (signed headers) through a proxy implicitly
		if !loopbackHost(u.Hostname()) {
			warn := cfg.Logger
			if warn == nil {
				warn = slog.Default()
			}
			warn.Warn("s3: plain-HTTP endpoint off this machine: requests, object data and signatures cross the network unencrypted; use https://",
				"endpoint", arsenal.RedactURL(cfg.Endpoint), "bucket", cfg.Bucket)
		}
	}
	httpClient := &http.Client{
		Transport: limitTransport{c.transport},
		// A redirect from S3 means a wrong region or endpoint: following it
		// would resend signed headers to another host. Surface it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var creds aws.CredentialsProvider
	switch {
	case cfg.Anonymous:
		creds = aws.AnonymousCredentials{}
	case cfg.Security.Credentials != nil:
		creds = providerCreds{cfg.Security.Credentials}
	case cfg.AccessKeyID != "":
		creds = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey.Reveal(), cfg.SessionToken.Reveal())
	default:
		awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region))
		if err != nil {
			return nil, arsenal.E(arsenal.Unauthenticated, Kind, "open", err)
		}
		creds = awsCfg.Credentials
	}
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	switch creds.(type) {
	case aws.AnonymousCredentials:
	case providerCreds:
		creds = typedCreds{creds} // not cached: the provider is asked at every signing
	default:
		creds = aws.NewCredentialsCache(typedCreds{creds})
	}

	reqChecksum, respChecksum := aws.RequestChecksumCalculationWhenRequired, aws.ResponseChecksumValidationWhenRequired
	if cfg.Checksum == ChecksumCRC32 {
		reqChecksum, respChecksum = aws.RequestChecksumCalculationWhenSupported, aws.ResponseChecksumValidationWhenSupported
	}
	maxAttempts := cfg.MaxRetries + 1
	var signer *keySigner // with a provider, secrets may rotate under the same key id
	if _, ok := creds.(typedCreds); ok && cfg.Security.Credentials != nil {
		signer = &keySigner{}
	}
	c.api = s3.New(s3.Options{
		Region:      cfg.Region,
		Credentials: creds,
		HTTPClient:  httpClient,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = cfg.RetryMaxBackoff
			o.RateLimiter = ratelimit.None // the retry quota fails healthy calls after a burst of faults
			// A body corrupted in transit is rejected by the server's checks
			// (Content-MD5, signed payload hash): resending it may succeed.
			o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{
				"BadDigest": {}, "XAmzContentSHA256Mismatch": {},
			}})
		}),
		RequestChecksumCalculation:                reqChecksum,
		ResponseChecksumValidation:                respChecksum,
		UsePathStyle:                              c.pathStyle,
		ContinueHeaderThresholdBytes:              -1, // no Expect: 100-continue round trip per part
		DisableLogOutputChecksumValidationSkipped: true,
	}, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.APIOptions = append(o.APIOptions, c.attemptMiddleware)
		if signer != nil {
			o.HTTPSignerV4 = signer
		}
	})
	c.presigner = s3.NewPresignClient(c.api, func(o *s3.PresignOptions) {
		if signer != nil {
			o.Presigner = signer
		}
	})
	c.httpClient = httpClient
	if cfg.Checksum != ChecksumCRC32 {
		c.fast = newFastPath(cfg, c.pathStyle, creds)
		if signer != nil {
			c.fast.signer = signer
		}
	}
	c.targetStr = c.target()
	c.connected.Store(true)
	return c, nil
}

func lookupEnv(name string) string { return os.Getenv(name) }

// attemptMiddleware counts every HTTP attempt and bounds each one (except
// GetObject, whose body outlives the call) by AttemptTimeout.
func (c *Client) attemptMiddleware(st *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("ArsenalAttempt", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		c.attempts.Add(1)
		if n, ok := ctx.Value(attemptCounterKey{}).(*atomic.Int32); ok && n.Add(1) > 1 {
			c.retries.Add(1)
		}
		op := middleware.GetOperationName(ctx)
		if op == "GetObject" {
			return next.HandleFinalize(ctx, in)
		}
		actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
		defer cancel()
		out, md, err := next.HandleFinalize(actx, in)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			c.log.Debug("s3: attempt timed out; retrying", "op", op)
			err = &attemptTimeoutError{op: op}
		}
		return out, md, err
	})
	if err := st.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
		return st.Finalize.Add(mw, middleware.Before)
	}
	return nil
}

// typedCreds marks credential failures with a type, so they classify as
// Unauthenticated without matching the SDK's message text.
type typedCreds struct{ p aws.CredentialsProvider }

func (t typedCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := t.p.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return c, &credentialsError{err: err}
	}
	return c, err
}

type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "no usable AWS credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// Kind returns "s3".
func (c *Client) Kind() string { return Kind }

// Bucket returns the bucket the client addresses.
func (c *Client) Bucket() string { return c.cfg.Bucket }

// Config returns the resolved configuration (defaults applied, credentials
// from the environment filled in). Treat it as secret-bearing; its String
// method redacts.
func (c *Client) Config() Config { return c.cfg }

// Describe returns a one-line description safe to log.
func (c *Client) Describe() string {
	style := "virtual-hosted"
	if c.pathStyle {
		style = "path"
	}
	return "s3 " + c.target() + " (" + style + " style, region " + c.cfg.Region + ")"
}

// String is Describe.
func (c *Client) String() string { return c.Describe() }

func (c *Client) target() string {
	ep := c.cfg.Endpoint
	if ep == "" {
		ep = "aws"
	} else {
		ep = arsenal.RedactURL(ep)
	}
	return ep + "/" + c.cfg.Bucket + "/" + c.cfg.Prefix
}

// Health checks the bucket exists and the credentials may list it (under
// Config.Prefix) with one ListObjectsV2 request for one key. A wrong
// secret is Unauthenticated, as it is for every other call; a missing
// permission PermissionDenied; a missing bucket NotFound. Config.Security's
// policy does not check it and its audit does not record it: monitors
// call it without a principal.
func (c *Client) Health(ctx context.Context) error {
	k := c.begin(ctx, c.opHealth, "health", "")
	// Not checked by Config.Security's policy nor audited: monitors call
	// it without a principal, and it hands the caller no data.
	if err := c.checkOpen(k.name); err != nil {
		return c.end(&k, err, 0, 0)
	}
	// A one-key listing rather than HeadBucket: a HEAD response has no
	// body, so a wrong secret (SignatureDoesNotMatch) and a missing
	// permission (AccessDenied) would both read as a bare 403.
	in := &s3.ListObjectsV2Input{Bucket: &c.cfg.Bucket, MaxKeys: aws.Int32(1)}
	if c.cfg.Prefix != "" {
		in.Prefix = &c.cfg.Prefix
	}
	_, err := c.listRequest(k.ctx, in)
	return c.end(&k, err, 0, 0)
}

// done records an operation's latency and outcome and translates its error.
func (c *Client) done(o *stats.Op, op string, start time.Time, err error) error {
	err = wrapErr(op, err)
	o.Record(time.Since(start), err)
	switch {
	case err == nil:
		if !c.connected.Swap(true) {
			c.connEvent(arsenal.ConnReconnect, nil)
		}
	case arsenal.CodeOf(err) == arsenal.Unavailable:
		if c.connected.Swap(false) {
			c.connEvent(arsenal.ConnDisconnect, err)
		}
	}
	return err
}

// connEvent reports the store becoming unreachable (a call failed
// Unavailable) or reachable again (the next call that succeeds), to the
// Observer and, for operators, to the Logger.
func (c *Client) connEvent(kind arsenal.ConnEventKind, err error) {
	if kind == arsenal.ConnDisconnect {
		c.log.Warn("s3: store unreachable", "target", c.targetStr, "err", err)
	} else {
		c.log.Info("s3: store reachable again", "target", c.targetStr)
	}
	if c.cfg.Observer != nil {
		arsenal.NotifyConn(context.Background(), c.cfg.Observer, arsenal.ConnEvent{Component: Kind, Kind: kind, Target: c.targetStr, Err: err, Time: time.Now()})
	}
}

// ClientStats are a Client's typed gauges, the Detail of its Stats.
type ClientStats struct {
	Attempts         uint64 `stat:",counter"`       // HTTP attempts, retries included
	Retries          uint64 `stat:",counter"`       // attempts made after a failed one
	SlowDowns        uint64 `stat:",counter"`       // retries after the server throttled (SlowDown, 503, 429)
	ResumedDownloads uint64 `stat:",counter"`       // Get bodies resumed with a ranged request after a cut
	BytesUploaded    int64  `stat:",bytes,counter"` // object bytes sent
	BytesDownloaded  int64  `stat:",bytes,counter"` // object bytes received
	MultipartUploads int64  // multipart uploads in progress
	InFlight         int64  // operations running
	PartSize         int64  `stat:",bytes"` // Config.PartSize
	Concurrency      int    // Config.Concurrency
}

// DegradationRules are the rules that judge a Client by default: the
// common ones (stats.DefaultRules), plus more than 10 retries between two
// checks (warn) and any throttled retry (SlowDown) since the previous
// check (warn: the request rate is above what the store allows).
func DegradationRules() []stats.Rule {
	return stats.Append(
		stats.Rule{Name: "s3 retries", Kind: Kind, Metric: "gauge:retries", Threshold: 10, Rate: true, Action: stats.ActionWarn},
		stats.Rule{Name: "s3 SlowDown", Kind: Kind, Metric: "gauge:slow_downs", Threshold: 0, Rate: true, Action: stats.ActionWarn},
	)
}

// DegradationRules makes ClientStats a stats.RuleSource.
func (ClientStats) DegradationRules() []stats.Rule { return DegradationRules() }

// ClientStats returns the client's counters. It does no I/O.
func (c *Client) ClientStats() ClientStats {
	return ClientStats{
		Attempts:         c.attempts.Load(),
		Retries:          c.retries.Load(),
		SlowDowns:        c.slowDowns.Load(),
		ResumedDownloads: c.resumes.Load(),
		BytesUploaded:    c.bytesUp.Load(),
		BytesDownloaded:  c.bytesDown.Load(),
		MultipartUploads: c.uploads.Load(),
		InFlight:         c.inflight.Load(),
		PartSize:         c.cfg.PartSize,
		Concurrency:      c.cfg.Concurrency,
	}
}

// Stats returns per-operation counts and latencies, with ClientStats as
// its Detail and Gauges.
func (c *Client) Stats() arsenal.Stats {
	cs := c.ClientStats()
	return arsenal.Stats{
		Kind:      Kind,
		Target:    c.target(),
		Connected: c.connected.Load() && !c.closed.Load(),
		Since:     c.rec.Since(),
		Ops:       c.rec.Snapshot(),
		Gauges:    stats.Gauges(cs),
		Detail:    cs,
	}
}

// Close aborts every Writer still open (their uploads leave no parts
// behind), waits for those aborts, then closes idle connections. It is idempotent; later calls to other methods
// fail with FailedPrecondition wrapping arsenal.ErrClosed. Readers from Get
// that are still open keep working until closed.
func (c *Client) Close() error {
	c.wmu.Lock()
	if c.closed.Swap(true) {
		c.wmu.Unlock()
		return nil
	}
	open := make([]*Writer, 0, len(c.writers))
	for w := range c.writers {
		open = append(open, w)
	}
	c.wmu.Unlock()
	for _, w := range open {
		w.fail(arsenal.Closed(Kind, "write"))
	}
	c.background.Wait()
	c.transport.CloseIdleConnections()
	c.connected.Store(false)
	return nil
}

// API returns the underlying AWS SDK client, for operations Arsenal does
// not wrap. Its errors are not translated and its calls are not counted.
func (c *Client) API() *s3.Client { return c.api }

func (c *Client) checkOpen(op string) error {
	if c.closed.Load() {
		return arsenal.Closed(Kind, op)
	}
	return nil
}

var errNoKey = errors.New("empty key")

// key maps a caller's key to the full object key under Prefix, checking
// S3's rules before any request, and refusing ".." segments.
func (c *Client) key(op, k string) (string, error) {
	if k == "" {
		return "", arsenal.E(arsenal.InvalidArgument, Kind, op, errNoKey)
	}
	full := c.cfg.Prefix + k
	if len(full) > MaxKeyLength {
		return "", invalid(op, "key is %d bytes with the prefix; S3 allows %d", len(full), MaxKeyLength)
	}
	if !utf8.ValidString(full) {
		return "", invalid(op, "key is not valid UTF-8")
	}
	if hasDotDot(k) {
		// Behind a proxy or store that normalises paths, "a/../../b"
		// would escape Prefix, and in path style the bucket itself.
		return "", invalid(op, "key has a \"..\" segment, which a path-normalising proxy would resolve outside Prefix and the bucket")
	}
	return full, nil
}

// loopbackHost reports whether host names this machine: localhost or a
// loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hasDotDot reports whether k has a ".." path segment.
func hasDotDot(k string) bool {
	for seg := range strings.SplitSeq(k, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// rel strips Prefix from a listed key.
func (c *Client) rel(full string) string { return strings.TrimPrefix(full, c.cfg.Prefix) }

var _ arsenal.Component = (*Client)(nil)
var _ arsenal.Describer = (*Client)(nil)
