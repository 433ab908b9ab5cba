package s3

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/dustin/go-humanize"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// Kind is the component kind of an S3 Client.
const Kind = "s3"

// Size limits S3 imposes on multipart uploads.
const (
	MinPartSize   = 5 << 20 // 5 MiB: the smallest part S3 accepts (except the last)
	MaxPartSize   = 5 << 30 // 5 GiB: the largest part
	MaxParts      = 10000   // parts per multipart upload
	MaxKeyLength  = 1024    // bytes of UTF-8 in an object key
	maxDeleteKeys = 1000    // keys per DeleteObjects call
	defaultPart   = 8 << 20 // 8 MiB
	maxPresign    = 7 * 24 * time.Hour
)

// Limits on what a server may send, so that a hostile or broken store
// cannot grow the client's memory without bound. Each is enforced once,
// in the transport every request goes through, and exceeding one fails
// the call with a ResourceExhausted error (never retried).
const (
	// MaxResponseHeaderBytes bounds a response's status line and headers.
	MaxResponseHeaderBytes = 64 << 10
	// MaxListResponseBytes bounds the body of one listing response
	// (ListObjectsV2, ListMultipartUploads, ListParts): a full page of
	// 1,000 keys of 1,024 bytes, entity-escaped, fits several times.
	MaxListResponseBytes = 32 << 20
	// MaxErrorResponseBytes bounds the body of an error response.
	MaxErrorResponseBytes = 1 << 20
	// DefaultMaxGetBytes is Config.MaxGetBytes when left zero.
	DefaultMaxGetBytes = 1 << 30
)

// Style is how object URLs address the bucket.
type Style string

// The addressing styles.
const (
	// StyleAuto (the zero value) is virtual-hosted style against AWS (no
	// Endpoint) and path style against a custom Endpoint, which is what
	// S3-compatible stores (MinIO, Ceph, versitygw, R2) serve without
	// wildcard DNS.
	StyleAuto Style = ""
	// StyleVirtual puts the bucket in the host name:
	// https://bucket.s3.us-east-1.amazonaws.com/key. A bucket name with dots,
	// or an endpoint whose host is an IP address or "localhost", falls back
	// to path style: such names cannot be virtual hosts (no DNS, and TLS
	// wildcard certificates do not match dotted names).
	StyleVirtual Style = "virtual"
	// StylePath puts the bucket in the path: https://host/bucket/key.
	StylePath Style = "path"
)

// ChecksumMode says how uploads are protected against corruption in transit.
type ChecksumMode string

// The checksum modes.
const (
	// ChecksumMD5 (the default) sends a Content-MD5 header with every
	// PutObject and UploadPart, so the server rejects (BadDigest) any body
	// that arrives corrupted, and asks the SDK for its CRC checksums only
	// where an operation requires one. Every S3-compatible store we know
	// (MinIO, Ceph RGW, R2, versitygw, GCS interop) verifies Content-MD5,
	// whereas the SDK's default CRC32 trailers (since s3 v1.73) are rejected
	// or mis-stored by several of them.
	ChecksumMD5 ChecksumMode = "md5"
	// ChecksumCRC32 uses the SDK's flexible checksums: CRC32 on every
	// upload (declared on CreateMultipartUpload, sent on each part and
	// listed on completion) and validation of downloads that carry one. Use
	// it against AWS itself.
	ChecksumCRC32 ChecksumMode = "crc32"
	// ChecksumNone sends checksums only where an operation requires them.
	// TCP and TLS are then the only protection of uploaded bytes.
	ChecksumNone ChecksumMode = "none"
)

// Config configures a Client. The zero value plus a Bucket is a working
// configuration against AWS with credentials from the environment.
//
// SecretAccessKey and SessionToken are security.Secret values, and
// Config's String, GoString and LogValue methods redact them besides, so
// printing or logging a Config never leaks them: not with any fmt verb,
// not through slog or JSON, and not when the Config sits in an unexported
// field of another value (which fmt prints without calling methods).
type Config struct {
	// Bucket is the bucket every operation addresses. Required; 3-63
	// characters of lower-case letters, digits, dots and hyphens.
	Bucket string
	// Prefix is prepended to every key the Client is given and stripped
	// from every key it lists, confining the Client to a "folder".
	// Default "" (the whole bucket).
	Prefix string
	// Endpoint is the service URL of an S3-compatible store, such as
	// "http://127.0.0.1:9000". Default "": AWS S3 for Region. When empty,
	// Open reads S3_ENDPOINT, then AWS_ENDPOINT_URL_S3, then
	// AWS_ENDPOINT_URL.
	Endpoint string
	// Region signs requests. Default: S3_REGION, then AWS_REGION, then
	// AWS_DEFAULT_REGION, then "us-east-1".
	Region string
	// AccessKeyID and SecretAccessKey are static credentials, with an
	// optional SessionToken. When both are empty, Open looks for
	// S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY/S3_SESSION_TOKEN, then the AWS_*
	// equivalents, then the standard AWS chain (shared config and
	// credentials files and profiles, SSO, web identity, ECS container and
	// EC2 instance roles).
	AccessKeyID     string
	SecretAccessKey security.Secret
	SessionToken    security.Secret
	// Anonymous sends unsigned requests (public buckets); credentials are
	// then not looked up. Default false.
	Anonymous bool
	// Style selects virtual-hosted or path-style addressing. Default
	// StyleAuto; see Style for the fallbacks.
	Style Style
	// StorageClass is the storage class of uploads that do not name one.
	// Default "" (the bucket's default, STANDARD on AWS). Must be one of
	// StorageClasses.
	StorageClass string
	// ACL is the canned ACL of uploads that do not name one, such as
	// "private" or "public-read". Default "" (none sent: the bucket's
	// default). Must be one of ACLs.
	ACL string
	// PartSize is the multipart part size and the buffer size of a Writer.
	// Default 8 MiB; at least 5 MiB, at most 5 GiB. A Writer holds at most
	// PartSize × (Concurrency + 1) bytes.
	PartSize int64
	// Concurrency is how many parts one Writer uploads at once, and the
	// default worker count of ListParallel. Default 4; at most 256.
	Concurrency int
	// MaxRetries is how many times a failed request is retried (with
	// jittered exponential backoff) when the failure is transient:
	// connection errors, timeouts, 500, 503 and SlowDown. Default 3; -1
	// disables retries; at most 20.
	MaxRetries int
	// RetryMaxBackoff caps the delay between retries. Default 5 s.
	RetryMaxBackoff time.Duration
	// Checksum selects upload integrity checking. Default ChecksumMD5.
	Checksum ChecksumMode
	// DialTimeout bounds establishing a TCP (and TLS) connection. Default 10 s.
	DialTimeout time.Duration
	// AttemptTimeout bounds one attempt of a request: for most operations
	// the whole exchange, for GetObject the wait for response headers and
	// then every pause of more than AttemptTimeout while reading the body
	// (a stalled download is resumed from where it stopped). An attempt
	// that times out is retried. Default 2 min.
	AttemptTimeout time.Duration
	// MaxConnsPerHost caps connections to the endpoint; 0 (the default)
	// means no cap. Callers beyond the cap wait (bounded by their context)
	// for a connection to come free, oldest first. Idle connections kept
	// per host: 256.
	MaxConnsPerHost int
	// MaxGetBytes bounds what GetBytes reads into memory: an object (or
	// range) larger than this, whether the server declares it or sends
	// it, fails with ResourceExhausted. GetBytes grows its buffer as bytes
	// arrive, so a declared length alone never allocates. Default 1 GiB
	// (DefaultMaxGetBytes). Get (a streaming Reader) has no such bound.
	MaxGetBytes int64
	// TLSConfig configures TLS to https endpoints (a private CA's roots,
	// client certificates); nil uses the system's roots. The Client uses a
	// clone. Turning off verification (InsecureSkipVerify) lets anyone on
	// the path impersonate the store.
	TLSConfig *tls.Config `json:"-"`
	// Security takes the settings every Arsenal component shares (see
	// package security); the zero value changes nothing.
	//
	// Security.Policy is checked before every operation, before any
	// request, on the resource "bucket/key" (the full object key, with
	// Prefix), or "bucket/prefix" for listings and "bucket" for bucket
	// operations. The operations are put (Put, Upload, NewWriter), get
	// (Get, GetBytes), stat (Stat, Exists), delete (Delete, and each key
	// of DeleteMany), copy (on the destination; the source needs get),
	// list (List, ListPage, ListParallel), presign (which also needs the
	// operation the URL grants: get, put, delete or stat for HEAD),
	// create_bucket, delete_bucket and head_bucket. A refused call is
	// PermissionDenied naming the rule. Security.Audit records every call
	// with its outcome and code. Health (called by monitors, without a
	// principal) and calls made through API bypass both.
	//
	// Security.TLS, when set, builds the TLS configuration of https
	// endpoints (Options.ClientTLS) in place of TLSConfig.
	// Security.Credentials, when set, supplies the access key id
	// (Credentials.User), secret key and session token, asked again at
	// every request signing so that rotated keys are used at once, in
	// place of AccessKeyID, SecretAccessKey and SessionToken (the resolved
	// Config has them empty); the environment and the AWS chain are then
	// not consulted. Combining it with Anonymous is an error.
	Security security.Options
	// Observer receives every public operation's OpStart and OpEnd (with
	// the object key as Resource and payload bytes), and connection
	// events it can see (a dial error, the store unreachable, reachable
	// again). nil (the default) costs nothing.
	Observer arsenal.Observer `json:"-"`
	// SlowThreshold, when positive, logs every operation that takes at
	// least this long as a warning on Logger. Default 0: off.
	SlowThreshold time.Duration
	// Logger receives debug logs of retries, warnings of aborted uploads
	// and slow operations, and a
	// warning when Endpoint is plain http:// to a host off this machine;
	// nil discards them (the plain-HTTP warning then goes to
	// slog.Default). Secrets are never logged.
	Logger *slog.Logger `json:"-"`
}

// StorageClasses lists every storage class the client accepts: the values
// of the SDK's types.StorageClass, which follow AWS's list.
func StorageClasses() []string {
	vals := types.StorageClass("").Values()
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// ACLs lists the canned object ACLs the client accepts.
func ACLs() []string {
	vals := types.ObjectCannedACL("").Values()
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// ValidStorageClass reports whether class is empty (the bucket default) or
// a storage class AWS defines. It does no I/O.
func ValidStorageClass(class string) bool {
	return class == "" || slices.Contains(StorageClasses(), class)
}

// ValidACL reports whether acl is empty or a canned ACL AWS defines.
func ValidACL(acl string) bool { return acl == "" || slices.Contains(ACLs(), acl) }

// ValidBucketName reports whether name follows S3's general-purpose bucket
// naming rules: 3-63 characters of a-z, 0-9, '.', '-', starting and ending
// with a letter or digit, no "..", and not shaped like an IP address.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	return net.ParseIP(name) == nil
}

// withDefaults returns c with zero fields set to their defaults, reading
// the environment through getenv for endpoint, region and credentials.
func (c Config) withDefaults(getenv func(string) string) Config {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	if c.Endpoint == "" {
		c.Endpoint = first("S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	}
	if c.Region == "" {
		c.Region = first("S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
		if c.Region == "" {
			c.Region = "us-east-1"
		}
	}
	if c.Security.Credentials != nil { // the provider signs: static keys and the environment's are unused
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken = "", security.Secret{}, security.Secret{}
	}
	if !c.Anonymous && c.AccessKeyID == "" && c.SecretAccessKey.IsZero() && c.Security.Credentials == nil {
		for _, p := range []string{"S3_", "AWS_"} {
			id, secret := getenv(p+"ACCESS_KEY_ID"), getenv(p+"SECRET_ACCESS_KEY")
			if id != "" || secret != "" {
				c.AccessKeyID, c.SecretAccessKey, c.SessionToken = id, security.NewSecret(secret), security.NewSecret(getenv(p+"SESSION_TOKEN"))
				break
			}
		}
	}
	if c.PartSize == 0 {
		c.PartSize = defaultPart
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.RetryMaxBackoff == 0 {
		c.RetryMaxBackoff = 5 * time.Second
	}
	if c.Checksum == "" {
		c.Checksum = ChecksumMD5
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = 2 * time.Minute
	}
	if c.MaxGetBytes == 0 {
		c.MaxGetBytes = DefaultMaxGetBytes
	}
	return c
}

// Validate checks the configuration without any I/O and reports every bad
// field at once, as an InvalidArgument *arsenal.Error wrapping an
// *arsenal.ConfigError. Zero values are valid where a default exists.
func (c Config) Validate() error {
	v := arsenal.Validation{Component: Kind}
	switch {
	case c.Bucket == "":
		v.Add("Bucket", "is required")
	case !ValidBucketName(c.Bucket):
		v.Add("Bucket", "%q is not a valid bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)", c.Bucket)
	}
	v.Check(!strings.HasPrefix(c.Prefix, "/"), "Prefix", "must not start with '/'")
	v.Check(utf8.ValidString(c.Prefix) && len(c.Prefix) < MaxKeyLength, "Prefix", "must be valid UTF-8 shorter than %d bytes", MaxKeyLength)
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil:
			v.Add("Endpoint", "is not a URL")
		case u.Scheme != "http" && u.Scheme != "https":
			v.Add("Endpoint", "scheme must be http or https, not %q", u.Scheme)
		case u.Host == "":
			v.Add("Endpoint", "has no host")
		case u.User != nil:
			v.Add("Endpoint", "must not carry credentials (use AccessKeyID and SecretAccessKey)")
		case u.RawQuery != "" || u.Fragment != "":
			v.Add("Endpoint", "must not have a query or fragment")
		}
	}
	if c.Region != "" && !validRegion(c.Region) {
		v.Add("Region", "%q is not a region name (letters, digits and hyphens)", c.Region)
	}
	if (c.AccessKeyID == "") != c.SecretAccessKey.IsZero() {
		if c.AccessKeyID == "" {
			v.Add("AccessKeyID", "is required when SecretAccessKey is set")
		} else {
			v.Add("SecretAccessKey", "is required when AccessKeyID is set")
		}
	}
	v.Check(c.SessionToken.IsZero() || c.AccessKeyID != "", "SessionToken", "needs AccessKeyID and SecretAccessKey")
	v.Check(!c.Anonymous || c.AccessKeyID == "", "Anonymous", "cannot be combined with static credentials")
	v.Check(!c.Anonymous || c.Security.Credentials == nil, "Security.Credentials", "cannot be combined with Anonymous")
	switch c.Style {
	case StyleAuto, StyleVirtual, StylePath:
	default:
		v.Add("Style", "%q is not one of virtual, path", string(c.Style))
	}
	v.Check(ValidStorageClass(c.StorageClass), "StorageClass", "%q is not one of %s", c.StorageClass, strings.Join(StorageClasses(), ", "))
	v.Check(ValidACL(c.ACL), "ACL", "%q is not one of %s", c.ACL, strings.Join(ACLs(), ", "))
	v.Check(c.PartSize == 0 || (c.PartSize >= MinPartSize && c.PartSize <= MaxPartSize), "PartSize",
		"%d is outside 5 MiB..5 GiB", c.PartSize)
	v.Check(c.Concurrency >= 0 && c.Concurrency <= 256, "Concurrency", "%d is outside 0..256", c.Concurrency)
	v.Check(c.MaxRetries >= -1 && c.MaxRetries <= 20, "MaxRetries", "%d is outside -1..20", c.MaxRetries)
	v.Check(c.RetryMaxBackoff >= 0, "RetryMaxBackoff", "must not be negative")
	switch c.Checksum {
	case "", ChecksumMD5, ChecksumCRC32, ChecksumNone:
	default:
		v.Add("Checksum", "%q is not one of md5, crc32, none", string(c.Checksum))
	}
	v.Check(c.DialTimeout >= 0, "DialTimeout", "must not be negative")
	v.Check(c.AttemptTimeout >= 0, "AttemptTimeout", "must not be negative")
	v.Check(c.MaxConnsPerHost >= 0, "MaxConnsPerHost", "must not be negative")
	v.Check(c.MaxGetBytes >= 0, "MaxGetBytes", "must not be negative")
	v.Check(c.SlowThreshold >= 0, "SlowThreshold", "must not be negative")
	return v.Err()
}

func validRegion(r string) bool {
	if len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ParseURL parses s3://bucket/prefix?endpoint=...&region=...&style=virtual|path
// into a Config. Other query parameters: storage_class, acl, part_size (bytes
// or "16MiB"), concurrency, retries, checksum (md5|crc32|none),
// dial_timeout and attempt_timeout (Go durations), anonymous (true|false).
// Credentials may be given as s3://ACCESS_KEY:SECRET@bucket/..., though
// the environment is the better place for them. A path "/logs" becomes
// the prefix "logs/". The result is validated; errors never echo secrets.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse-url", "cannot parse URL %s", arsenal.RedactURL(raw))
	}
	return parseURL(u)
}

func parseURL(u *url.URL) (Config, error) {
	if !strings.EqualFold(u.Scheme, "s3") {
		return Config{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse-url", "scheme must be s3 in %s", arsenal.RedactedURL(u))
	}
	var cfg Config
	v := arsenal.Validation{Component: Kind}
	cfg.Bucket = u.Host
	if u.User != nil {
		cfg.AccessKeyID = u.User.Username()
		pw, _ := u.User.Password()
		cfg.SecretAccessKey = security.NewSecret(pw)
	}
	if p := strings.TrimPrefix(u.Path, "/"); p != "" {
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		cfg.Prefix = p
	}
	q := u.Query()
	atoi := func(field, s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			v.Add(field, "%q is not an integer", s)
		}
		return n
	}
	dur := func(field, s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil {
			v.Add(field, "%q is not a duration such as 30s", s)
		}
		return d
	}
	for key, vals := range q {
		val := vals[len(vals)-1]
		switch key {
		case "endpoint":
			cfg.Endpoint = val
		case "region":
			cfg.Region = val
		case "style":
			cfg.Style = Style(val)
		case "storage_class", "storageClass":
			cfg.StorageClass = val
		case "acl":
			cfg.ACL = val
		case "part_size", "partSize":
			n, err := humanize.ParseBytes(val)
			if err != nil || n > MaxPartSize {
				v.Add("PartSize", "%q is not a size such as 8MiB", val)
			}
			cfg.PartSize = int64(min(n, MaxPartSize))
		case "concurrency":
			cfg.Concurrency = atoi("Concurrency", val)
		case "retries", "max_retries":
			cfg.MaxRetries = atoi("MaxRetries", val)
		case "checksum":
			cfg.Checksum = ChecksumMode(val)
		case "dial_timeout":
			cfg.DialTimeout = dur("DialTimeout", val)
		case "attempt_timeout":
			cfg.AttemptTimeout = dur("AttemptTimeout", val)
		case "anonymous":
			b, err := strconv.ParseBool(val)
			if err != nil {
				v.Add("Anonymous", "%q is not a boolean", val)
			}
			cfg.Anonymous = b
		case "session_token":
			cfg.SessionToken = security.NewSecret(val)
		default:
			if arsenal.IsSecretName(key) {
				key = "(a secret-looking parameter)"
			}
			v.Add("URL", "unknown query parameter %s", key)
		}
	}
	if err := v.Err(); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// String renders the configuration for logs and errors with the secret
// key and session token redacted.
func (c Config) String() string {
	r := c.redacted()
	return fmt.Sprintf("s3.Config{Bucket:%q Prefix:%q Endpoint:%q Region:%q AccessKeyID:%q SecretAccessKey:%q SessionToken:%q "+
		"Anonymous:%t Style:%q StorageClass:%q ACL:%q PartSize:%d Concurrency:%d MaxRetries:%d Checksum:%q}",
		r.Bucket, r.Prefix, r.Endpoint, r.Region, r.AccessKeyID, r.SecretAccessKey, r.SessionToken,
		r.Anonymous, r.Style, r.StorageClass, r.ACL, r.PartSize, r.Concurrency, r.MaxRetries, r.Checksum)
}

// GoString is String, so %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue renders the configuration for log/slog with secrets redacted.
func (c Config) LogValue() slog.Value {
	r := c.redacted()
	return slog.GroupValue(
		slog.String("bucket", r.Bucket), slog.String("prefix", r.Prefix),
		slog.String("endpoint", r.Endpoint), slog.String("region", r.Region),
		slog.String("access_key_id", r.AccessKeyID), slog.String("secret_access_key", r.SecretAccessKey.String()),
		slog.String("session_token", r.SessionToken.String()), slog.String("style", string(r.Style)),
		slog.Int64("part_size", r.PartSize), slog.Int("concurrency", r.Concurrency),
	)
}

func (c Config) redacted() Config {
	if c.Endpoint != "" {
		c.Endpoint = arsenal.RedactURL(c.Endpoint)
	}
	c.Logger = nil
	c.TLSConfig = nil
	c.Observer = nil
	c.Security = security.Options{}
	return c
}

// pathStyle reports whether requests and URLs address the bucket in the
// path, after the fallbacks described at StyleVirtual.
func (c Config) pathStyle() bool {
	switch c.Style {
	case StylePath:
		return true
	case StyleAuto:
		if c.Endpoint != "" {
			return true
		}
	}
	if strings.Contains(c.Bucket, ".") {
		return true
	}
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err == nil {
			h := u.Hostname()
			if h == "localhost" || strings.HasSuffix(h, ".localhost") || net.ParseIP(h) != nil {
				return true
			}
		}
	}
	return false
}

// FromEnv returns a Config read from the environment: S3_BUCKET (then
// AWS_BUCKET) for the bucket, and the endpoint, region and credentials
// Open would read. Other fields keep their defaults.
func FromEnv() Config {
	c := Config{Bucket: os.Getenv("S3_BUCKET")}
	if c.Bucket == "" {
		c.Bucket = os.Getenv("AWS_BUCKET")
	}
	d := c.withDefaults(os.Getenv)
	c.Endpoint, c.Region = d.Endpoint, d.Region
	c.AccessKeyID, c.SecretAccessKey, c.SessionToken = d.AccessKeyID, d.SecretAccessKey, d.SessionToken
	return c
}
