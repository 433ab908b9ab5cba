package codegen

import (
	"net/url"
	"reflect"
	"strings"

	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

func init() {
	matchers = append(matchers, func(c any) (Component, any, bool) {
		switch v := c.(type) {
		case s3.Config:
			return S3, v, true
		case *s3.Config:
			if v != nil {
				return S3, *v, true
			}
		}
		return "", nil, false
	})
	builders[S3] = buildS3
}

// s3Go is the view of the Go S3 template.
type s3Go struct {
	Config       string // the s3.Config composite literal
	StorageClass string // literal
	BigSize      int64  // bytes of the multipart upload: one part and a bit
	Secrets      bool   // the literal wraps credentials in security.NewSecret
}

// s3JS is the view of the TypeScript and JavaScript S3 templates.
type s3JS struct {
	Bucket, Endpoint, Region      string // expressions
	AccessKey, SecretKey, Session string // expressions ("" when not configured)
	Prefix                        string // literal
	PathStyle                     bool
	StorageClass, ACL             string // literals ("" when unset)
	PartSize, QueueSize, Retries  string // numbers
	BigSize                       int64
}

const defaultS3PartSize = 8 << 20

func buildS3(g *gen, config any) (any, error) {
	c := config.(s3.Config)
	g.s3Advice(c)
	if !reflect.ValueOf(c.Security).IsZero() {
		// Policies, audit sinks, TLS files and credential providers are
		// program values with no literal: the generated code leaves them out.
		g.compat = append(g.compat, warn("Security", "security options (policy, audit, TLS, credentials provider) are not rendered: set them in code"))
		c.Security = security.Options{}
	}
	partSize := c.PartSize
	if partSize == 0 {
		partSize = defaultS3PartSize
	}
	storageClass := c.StorageClass
	if storageClass == "" {
		storageClass = "STANDARD"
	}
	if g.t.Language == Go {
		g.dep("github.com/infra-arsenal/arsenal")
		exprs := map[string]string{
			"Bucket":   g.envVar("S3_BUCKET", "Bucket", c.Bucket),
			"Endpoint": g.envVar("S3_ENDPOINT", "Endpoint", c.Endpoint),
			"Region":   g.envVar("S3_REGION", "Region", c.Region),
		}
		secrets := false
		if c.AccessKeyID != "" {
			exprs["AccessKeyID"] = g.secret("S3_ACCESS_KEY_ID", "AccessKeyID", c.AccessKeyID)
			exprs["SecretAccessKey"] = "security.NewSecret(" + g.secret("S3_SECRET_ACCESS_KEY", "SecretAccessKey", c.SecretAccessKey.Reveal()) + ")"
			secrets = true
		}
		if !c.SessionToken.IsZero() {
			exprs["SessionToken"] = "security.NewSecret(" + g.secret("S3_SESSION_TOKEN", "SessionToken", c.SessionToken.Reveal()) + ")"
			secrets = true
		}
		v := s3Go{Config: g.goConfig("s3", c, exprs), BigSize: partSize + 1<<20, Secrets: secrets}
		if g.t.Has(S3StorageClass) {
			if c.StorageClass != "" || g.t.Has(S3StorageClass) {
				v.StorageClass = g.str("StorageClass", storageClass)
			}
		}
		return v, nil
	}
	if g.t.Framework == Bun {
		g.dep("bun")
	} else {
		g.dep("@aws-sdk/client-s3")
		if g.t.Has(S3Upload) {
			g.dep("@aws-sdk/lib-storage")
		}
		if g.t.Has(S3Presign) {
			g.dep("@aws-sdk/s3-request-presigner")
		}
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	v := s3JS{
		Bucket:    g.envVar("S3_BUCKET", "Bucket", c.Bucket),
		Endpoint:  g.envVar("S3_ENDPOINT", "Endpoint", c.Endpoint),
		Region:    g.envVar("S3_REGION", "Region", region),
		Prefix:    g.str("Prefix", c.Prefix),
		PathStyle: s3PathStyle(c),
		PartSize:  g.int("PartSize", partSize),
		BigSize:   partSize + 1<<20,
	}
	v.AccessKey = g.secret("S3_ACCESS_KEY_ID", "AccessKeyID", c.AccessKeyID)
	v.SecretKey = g.secret("S3_SECRET_ACCESS_KEY", "SecretAccessKey", c.SecretAccessKey.Reveal())
	if !c.SessionToken.IsZero() {
		v.Session = g.secret("S3_SESSION_TOKEN", "SessionToken", c.SessionToken.Reveal())
	}
	if c.StorageClass != "" || g.t.Has(S3StorageClass) {
		v.StorageClass = g.str("StorageClass", storageClass)
	}
	if c.ACL != "" {
		v.ACL = g.str("ACL", c.ACL)
	}
	conc := c.Concurrency
	if conc == 0 {
		conc = 4
	}
	v.QueueSize = g.int("Concurrency", int64(conc))
	retries := c.MaxRetries
	switch {
	case retries == 0:
		retries = 3
	case retries < 0:
		retries = 0
	}
	v.Retries = g.int("MaxRetries", int64(retries))
	return v, nil
}

// s3PathStyle mirrors the s3 package's addressing rules: path style for
// StylePath, for a custom endpoint under StyleAuto, for dotted bucket names
// and for IP or localhost endpoints.
func s3PathStyle(c s3.Config) bool {
	switch {
	case c.Style == s3.StylePath, c.Style == s3.StyleAuto && c.Endpoint != "", strings.Contains(c.Bucket, "."):
		return true
	}
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err == nil && loopbackHost(u.Hostname()) {
			return true
		}
	}
	return false
}

func (g *gen) s3Advice(c s3.Config) {
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err == nil && u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			g.security = append(g.security, warn("Endpoint", "requests to %s travel unencrypted (http); use https beyond the local machine", u.Host))
		}
	}
	if c.ACL == "public-read" || c.ACL == "public-read-write" {
		g.security = append(g.security, warn("ACL", "%s makes every uploaded object readable by anyone", c.ACL))
	}
	if c.AccessKeyID == "" && !c.Anonymous {
		g.security = append(g.security, info("AccessKeyID", "no static credentials: the program uses the environment (S3_*/AWS_*) or the AWS credential chain"))
	}

	part := c.PartSize
	if part == 0 {
		part = defaultS3PartSize
	}
	if g.t.Has(S3Upload) {
		g.perf = append(g.perf, info("PartSize", "uploads above %d bytes go up as multipart in parallel parts; a writer holds PartSize x (Concurrency+1) in memory", part))
	} else {
		g.perf = append(g.perf, info("", "for large objects use the upload feature: multipart uploads stream in parallel parts and resume part by part"))
	}
	if c.Concurrency == 1 {
		g.perf = append(g.perf, warn("Concurrency", "one part at a time: large uploads are bound by a single connection's throughput"))
	}
	if c.Checksum == s3.ChecksumCRC32 && c.Endpoint != "" {
		g.perf = append(g.perf, warn("Checksum", "CRC32 trailers are rejected or mis-stored by several S3-compatible stores; md5 is the safe choice off AWS"))
	}
	if g.t.Has(S3List) {
		g.perf = append(g.perf, info("", "list with a Delimiter and fan out over common prefixes (ListParallel in Go) for buckets with many keys"))
	}

	switch g.t.Framework {
	case Bun:
		g.compat = append(g.compat, info("", "Bun's S3Client sets no user metadata (x-amz-meta-*), has no server-side copy and no AWS credential chain beyond the S3_*/AWS_* environment"))
		if c.Checksum != "" && c.Checksum != s3.ChecksumMD5 {
			g.compat = append(g.compat, warn("Checksum", "Bun's S3Client has no checksum setting; %s is not applied", c.Checksum))
		}
		if c.Style == s3.StyleVirtual && s3PathStyle(c) {
			g.compat = append(g.compat, info("Style", "virtual-hosted style falls back to path style for this bucket or endpoint, as the Go client does"))
		}
	case Node, Deno:
		if g.t.Has(S3Presign) {
			g.compat = append(g.compat, info("", "presigned URLs come from @aws-sdk/s3-request-presigner (getSignedUrl)"))
		}
		if g.t.Has(S3Upload) {
			g.compat = append(g.compat, info("", "multipart uploads go through @aws-sdk/lib-storage's Upload, which aborts the upload on error"))
		}
		if c.Checksum == "" || c.Checksum == s3.ChecksumMD5 {
			g.compat = append(g.compat, info("Checksum", "the program asks the SDK for checksums only where required (requestChecksumCalculation WHEN_REQUIRED), as the Go client does; it sends no Content-MD5"))
		}
	}
}
