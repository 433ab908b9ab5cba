package s3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

func TestValidateNamesEveryBadField(t *testing.T) {
	ok := s3.Config{Bucket: "my-bucket"}
	tests := []struct {
		name   string
		mod    func(*s3.Config)
		fields []string
	}{
		{"a bucket alone is valid", func(*s3.Config) {}, nil},
		{"a full config is valid", func(c *s3.Config) {
			c.Endpoint, c.Region, c.Style, c.StorageClass, c.ACL = "https://s3.example.com", "eu-west-1", s3.StyleVirtual, "GLACIER_IR", "private"
			c.AccessKeyID, c.SecretAccessKey, c.SessionToken = "AK", security.NewSecret("SK"), security.NewSecret("TOK")
			c.PartSize, c.Concurrency, c.MaxRetries, c.Checksum = 64<<20, 16, -1, s3.ChecksumCRC32
		}, nil},
		{"missing bucket", func(c *s3.Config) { c.Bucket = "" }, []string{"Bucket"}},
		{"upper-case bucket", func(c *s3.Config) { c.Bucket = "MyBucket" }, []string{"Bucket"}},
		{"bucket shaped like an IP", func(c *s3.Config) { c.Bucket = "192.168.1.1" }, []string{"Bucket"}},
		{"bucket with double dots", func(c *s3.Config) { c.Bucket = "a..b" }, []string{"Bucket"}},
		{"part size under 5 MiB", func(c *s3.Config) { c.PartSize = 5<<20 - 1 }, []string{"PartSize"}},
		{"part size over 5 GiB", func(c *s3.Config) { c.PartSize = 5<<30 + 1 }, []string{"PartSize"}},
		{"unknown storage class", func(c *s3.Config) { c.StorageClass = "COLD" }, []string{"StorageClass"}},
		{"lower-case storage class", func(c *s3.Config) { c.StorageClass = "standard" }, []string{"StorageClass"}},
		{"unknown ACL", func(c *s3.Config) { c.ACL = "everyone" }, []string{"ACL"}},
		{"unknown style", func(c *s3.Config) { c.Style = "diagonal" }, []string{"Style"}},
		{"unknown checksum", func(c *s3.Config) { c.Checksum = "sha1" }, []string{"Checksum"}},
		{"endpoint without scheme", func(c *s3.Config) { c.Endpoint = "127.0.0.1:9000" }, []string{"Endpoint"}},
		{"endpoint with ftp scheme", func(c *s3.Config) { c.Endpoint = "ftp://host" }, []string{"Endpoint"}},
		{"endpoint with credentials", func(c *s3.Config) { c.Endpoint = "http://u:p@host" }, []string{"Endpoint"}},
		{"region with spaces", func(c *s3.Config) { c.Region = "us east" }, []string{"Region"}},
		{"secret without key", func(c *s3.Config) { c.SecretAccessKey = security.NewSecret("s") }, []string{"AccessKeyID"}},
		{"key without secret", func(c *s3.Config) { c.AccessKeyID = "a" }, []string{"SecretAccessKey"}},
		{"anonymous with keys", func(c *s3.Config) { c.Anonymous, c.AccessKeyID, c.SecretAccessKey = true, "a", security.NewSecret("b") }, []string{"Anonymous"}},
		{"negative numbers", func(c *s3.Config) {
			c.Concurrency, c.MaxRetries, c.DialTimeout, c.AttemptTimeout, c.MaxConnsPerHost = -1, -2, -1, -1, -1
		}, []string{"Concurrency", "MaxRetries", "DialTimeout", "AttemptTimeout", "MaxConnsPerHost"}},
		{"prefix with leading slash", func(c *s3.Config) { c.Prefix = "/x/" }, []string{"Prefix"}},
		{"everything wrong at once", func(c *s3.Config) {
			c.Bucket, c.PartSize, c.StorageClass, c.ACL = "", 1, "X", "Y"
		}, []string{"Bucket", "PartSize", "StorageClass", "ACL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			err := c.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ce *arsenal.ConfigError
			if !errors.As(err, &ce) || arsenal.CodeOf(err) != arsenal.InvalidArgument {
				t.Fatalf("Validate = %v, want InvalidArgument with a ConfigError", err)
			}
			for _, f := range tc.fields {
				if !ce.Has(f) {
					t.Errorf("error does not name %s: %v", f, err)
				}
			}
			if len(ce.Fields) != len(tc.fields) {
				t.Errorf("error names %d fields, want %d: %v", len(ce.Fields), len(tc.fields), err)
			}
		})
	}
}

func TestEveryAWSStorageClassIsAccepted(t *testing.T) {
	want := []string{"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
		"GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS"}
	got := s3.StorageClasses()
	for _, class := range want {
		t.Run(class, func(t *testing.T) {
			if !slices.Contains(got, class) {
				t.Errorf("StorageClasses() lacks %s", class)
			}
			if err := (s3.Config{Bucket: "b-ok", StorageClass: class}).Validate(); err != nil {
				t.Errorf("Validate with %s: %v", class, err)
			}
		})
	}
}

func TestParseURLReadsEveryParameter(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want s3.Config
	}{
		{"bucket only", "s3://photos", s3.Config{Bucket: "photos"}},
		{"prefix gains a slash", "s3://photos/2024/raw", s3.Config{Bucket: "photos", Prefix: "2024/raw/"}},
		{"endpoint region style", "s3://photos/?endpoint=http://127.0.0.1:9000&region=eu-west-1&style=path",
			s3.Config{Bucket: "photos", Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", Style: s3.StylePath}},
		{"virtual style", "s3://photos?style=virtual", s3.Config{Bucket: "photos", Style: s3.StyleVirtual}},
		{"tuning", "s3://photos?part_size=16MiB&concurrency=8&retries=5&checksum=none&storage_class=STANDARD_IA&acl=private&attempt_timeout=30s&dial_timeout=2s",
			s3.Config{Bucket: "photos", PartSize: 16 << 20, Concurrency: 8, MaxRetries: 5, Checksum: s3.ChecksumNone,
				StorageClass: "STANDARD_IA", ACL: "private", AttemptTimeout: 30 * time.Second, DialTimeout: 2 * time.Second}},
		{"credentials in userinfo", "s3://AKID:SECRET@photos", s3.Config{Bucket: "photos", AccessKeyID: "AKID", SecretAccessKey: security.NewSecret("SECRET")}},
		{"anonymous", "s3://photos?anonymous=true", s3.Config{Bucket: "photos", Anonymous: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s3.ParseURL(tc.url)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if got.String() != tc.want.String() || !got.SecretAccessKey.Equal(tc.want.SecretAccessKey) ||
				got.AttemptTimeout != tc.want.AttemptTimeout || got.DialTimeout != tc.want.DialTimeout || got.Anonymous != tc.want.Anonymous {
				t.Errorf("ParseURL(%q)\n got %v\nwant %v", tc.url, got, tc.want)
			}
		})
	}
}

func TestParseURLRejectsBadInputWithoutEchoingSecrets(t *testing.T) {
	tests := []struct {
		name  string
		url   string
		field string
	}{
		{"wrong scheme", "http://photos", ""},
		{"bad style", "s3://photos?style=odd", "Style"},
		{"bad part size", "s3://photos?part_size=lots", "PartSize"},
		{"small part size", "s3://photos?part_size=1MiB", "PartSize"},
		{"bad concurrency", "s3://photos?concurrency=many", "Concurrency"},
		{"unknown parameter", "s3://photos?colour=blue", "URL"},
		{"unknown secret parameter", "s3://photos?secret_key=TOPSECRET", "URL"},
		{"invalid bucket with a secret", "s3://AK:TOPSECRET@Bad_Bucket", "Bucket"},
		{"bad storage class", "s3://photos?storage_class=COLD", "StorageClass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s3.ParseURL(tc.url)
			if arsenal.CodeOf(err) != arsenal.InvalidArgument {
				t.Fatalf("ParseURL(%q) = %v, want InvalidArgument", tc.url, err)
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), "TOPSECRET") {
				t.Errorf("error echoes the secret: %v", err)
			}
			var ce *arsenal.ConfigError
			if tc.field != "" && (!errors.As(err, &ce) || !ce.Has(tc.field)) {
				t.Errorf("error does not name %s: %v", tc.field, err)
			}
		})
	}
}

func TestSecretsNeverAppearWhenAConfigIsPrinted(t *testing.T) {
	cfg := s3.Config{Bucket: "b-ok", AccessKeyID: "AKIAVISIBLE", SecretAccessKey: security.NewSecret("SUPERSECRET"), SessionToken: security.NewSecret("SESSIONTOKEN")}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("cfg", "config", cfg)
	renderings := map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%v pointer": fmt.Sprintf("%v", &cfg), "nested %+v": fmt.Sprintf("%+v", struct{ C s3.Config }{cfg}),
		"slog": logBuf.String(),
	}
	for name, s := range renderings {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(s, "SUPERSECRET") || strings.Contains(s, "SESSIONTOKEN") {
				t.Errorf("secret in %s: %s", name, s)
			}
			if !strings.Contains(s, "AKIAVISIBLE") {
				t.Errorf("access key id (not secret) missing from %s: %s", name, s)
			}
		})
	}
}

func TestCredentialsComeFromS3EnvBeforeAWSEnv(t *testing.T) {
	cfg, _ := testConfig(t)
	ctx := ctxT(t)
	t.Run("S3_ variables win over AWS_ ones", func(t *testing.T) {
		t.Setenv("S3_ACCESS_KEY_ID", cfg.AccessKeyID)
		t.Setenv("S3_SECRET_ACCESS_KEY", cfg.SecretAccessKey.Reveal())
		t.Setenv("AWS_ACCESS_KEY_ID", "AKWRONG")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
		c := open(t, s3.Config{Bucket: cfg.Bucket, Endpoint: cfg.Endpoint})
		if err := c.Health(ctx); err != nil {
			t.Errorf("Health with S3_* credentials: %v", err)
		}
	})
	t.Run("AWS_ variables are the fallback", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", cfg.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", cfg.SecretAccessKey.Reveal())
		t.Setenv("S3_ENDPOINT", cfg.Endpoint)
		c := open(t, s3.Config{Bucket: cfg.Bucket})
		if err := c.Health(ctx); err != nil {
			t.Errorf("Health with AWS_* credentials and S3_ENDPOINT: %v", err)
		}
		if got := c.Config().Region; got != "us-east-1" {
			t.Errorf("default region %q", got)
		}
	})
	t.Run("the AWS chain reads a credentials file", func(t *testing.T) {
		dir := t.TempDir()
		file := dir + "/credentials"
		body := fmt.Sprintf("[arsenal]\naws_access_key_id = %s\naws_secret_access_key = %s\n", cfg.AccessKeyID, cfg.SecretAccessKey.Reveal())
		if err := writeFile(file, body); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
			t.Setenv(k, "")
		}
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
		t.Setenv("AWS_CONFIG_FILE", dir+"/none")
		t.Setenv("AWS_PROFILE", "arsenal")
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		c := open(t, s3.Config{Bucket: cfg.Bucket, Endpoint: cfg.Endpoint})
		if err := c.Health(ctx); err != nil {
			t.Errorf("Health with profile credentials: %v", err)
		}
	})
}

func TestAddressingStyleFallsBackToPathWhereVirtualCannotWork(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		cfg      s3.Config
		style    s3.Style
		want     string
		describe string
	}{
		{"AWS defaults to virtual-hosted", s3.Config{Bucket: "photos", Region: "eu-west-1"}, s3.StyleAuto,
			"https://photos.s3.eu-west-1.amazonaws.com/a%20b/c.jpg", "virtual-hosted"},
		{"AWS path style on request", s3.Config{Bucket: "photos", Region: "eu-west-1"}, s3.StylePath,
			"https://s3.eu-west-1.amazonaws.com/photos/a%20b/c.jpg", "virtual-hosted"},
		{"dotted bucket falls back to path", s3.Config{Bucket: "my.photos", Region: "us-east-1", Style: s3.StyleVirtual}, s3.StyleVirtual,
			"https://s3.us-east-1.amazonaws.com/my.photos/a%20b/c.jpg", "path"},
		{"custom endpoint defaults to path", s3.Config{Bucket: "photos", Endpoint: "https://minio.example.com"}, s3.StyleAuto,
			"https://minio.example.com/photos/a%20b/c.jpg", "path"},
		{"custom endpoint virtual on request", s3.Config{Bucket: "photos", Endpoint: "https://minio.example.com", Style: s3.StyleVirtual}, s3.StyleAuto,
			"https://photos.minio.example.com/a%20b/c.jpg", "virtual-hosted"},
		{"IP endpoint falls back to path", s3.Config{Bucket: "photos", Endpoint: "http://127.0.0.1:9000", Style: s3.StyleVirtual}, s3.StyleVirtual,
			"http://127.0.0.1:9000/photos/a%20b/c.jpg", "path"},
		{"localhost endpoint falls back to path", s3.Config{Bucket: "photos", Endpoint: "http://localhost:9000"}, s3.StyleVirtual,
			"http://localhost:9000/photos/a%20b/c.jpg", "path"},
		{"prefix is part of the key", s3.Config{Bucket: "photos", Endpoint: "http://localhost:9000", Prefix: "p/"}, s3.StyleAuto,
			"http://localhost:9000/photos/p/a%20b/c.jpg", "path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.AccessKeyID, cfg.SecretAccessKey = "AK", security.NewSecret("SK")
			c, err := s3.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := c.ObjectURL("a b/c.jpg", tc.style)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ObjectURL = %s, want %s", got, tc.want)
			}
			if !strings.Contains(c.Describe(), tc.describe+" style") {
				t.Errorf("Describe() = %q, want %s style", c.Describe(), tc.describe)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://b-ok", "s3://AK:SECRET@bucket/p?endpoint=http://x&region=r", "s3://b/%zz",
		"s3://b?part_size=99999999999999999999", "s3://" + strings.Repeat("a", 100), "s3://b?concurrency=-5&style="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := s3.ParseURL(raw)
		if err != nil {
			if arsenal.CodeOf(err) != arsenal.InvalidArgument {
				t.Fatalf("ParseURL(%q) error code %v", raw, arsenal.CodeOf(err))
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseURL(%q) returned a config that fails Validate: %v", raw, err)
		}
	})
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }

func TestNoCredentialsAnywhereIsUnauthenticated(t *testing.T) {
	cfg, _ := testConfig(t)
	dir := t.TempDir()
	for _, k := range []string{"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/none")
	t.Setenv("AWS_CONFIG_FILE", dir+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c := open(t, s3.Config{Bucket: cfg.Bucket, Endpoint: cfg.Endpoint})
	for name, call := range map[string]func() error{
		"put (fast path)": func() error { _, err := c.Put(ctxT(t), "k", []byte("x"), nil); return err },
		"copy (SDK path)": func() error { _, err := c.Copy(ctxT(t), "a", "b", nil); return err },
	} {
		if err := call(); !arsenal.IsCode(err, arsenal.Unauthenticated) {
			t.Errorf("%s without credentials: %v, want Unauthenticated", name, err)
		}
	}
}

// A Config held in an unexported field of another value is printed by
// reflection, without its String method: the secrets must still not show.
func TestSecretsDoNotPrintFromAnUnexportedField(t *testing.T) {
	type holder struct {
		name string
		cfg  s3.Config
		ptr  *s3.Config
	}
	cfg := s3.Config{Bucket: "b-ok", AccessKeyID: "AKIAVISIBLE", SecretAccessKey: security.NewSecret("SUPERSECRET"),
		SessionToken: security.NewSecret("SESSIONTOKEN")}
	h := holder{name: "x", cfg: cfg, ptr: &cfg}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("h", "holder", h, "cfg", cfg)
	js, err := json.Marshal(struct{ Cfg s3.Config }{cfg})
	require.NoError(t, err)
	for name, s := range map[string]string{
		"%v": fmt.Sprintf("%v", h), "%+v": fmt.Sprintf("%+v", h), "%#v": fmt.Sprintf("%#v", h),
		"slog": logBuf.String(), "json": string(js),
	} {
		assert.NotContains(t, s, "SUPERSECRET", name)
		assert.NotContains(t, s, "SESSIONTOKEN", name)
	}
	assert.Contains(t, fmt.Sprintf("%+v", h), "AKIAVISIBLE", "the key id is not a secret")
	c, err := s3.Open(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "SUPERSECRET", c.Config().SecretAccessKey.Reveal(), "the client still has the value to sign with")
}
