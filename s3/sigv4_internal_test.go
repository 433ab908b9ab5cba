package s3

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestFastSignerMatchesTheSDKSigner(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	f := newFastPath(Config{Endpoint: "http://127.0.0.1:9000/base", Bucket: "bkt", Region: "eu-west-3"}, true, nil)
	sdk := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	for _, tc := range []struct {
		name   string
		method string
		key    string
		body   []byte
		hdr    map[string]string
		creds  aws.Credentials
	}{
		{name: "a get", method: "GET", key: "a/b.txt", creds: aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		{name: "a ranged get with a session token", method: "GET", key: "x y+z/ü", hdr: map[string]string{"Range": "bytes=1-9", "If-Match": `"e"`},
			creds: aws.Credentials{AccessKeyID: "AK2", SecretAccessKey: "SK2", SessionToken: "tok/en=="}},
		{name: "a put with metadata", method: "PUT", key: "k", body: []byte("hello"), hdr: map[string]string{
			"Content-Md5": "XUFAKrxLKna5cZ2REBfFkg==", "Content-Type": "text/plain", "X-Amz-Meta-Who": "  two   spaces ",
			"Cache-Control": "no-cache", "X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Acl": "private",
		}, creds: aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		{name: "an empty put", method: "PUT", key: "empty", body: []byte{}, creds: aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		{name: "a head", method: "HEAD", key: "h", creds: aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func() *http.Request {
				req := f.newRequest(context.Background(), tc.method, tc.key, tc.body)
				for k, v := range tc.hdr {
					req.Header.Set(k, v)
				}
				req.Header["X-Amz-Content-Sha256"] = []string{"UNSIGNED-PAYLOAD"}
				return req
			}
			want := build()
			if tc.creds.SessionToken != "" {
				want.Header.Set("X-Amz-Security-Token", tc.creds.SessionToken)
			}
			if err := sdk.SignHTTP(context.Background(), tc.creds, want, "UNSIGNED-PAYLOAD", "s3", "eu-west-3", now); err != nil {
				t.Fatal(err)
			}
			got := build()
			for range 2 { // the second signature comes from the cached key
				f.signV4(got, tc.creds, "UNSIGNED-PAYLOAD", now)
				for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
					if g, w := got.Header.Get(h), want.Header.Get(h); g != w {
						t.Fatalf("%s:\n got %s\nwant %s", h, g, w)
					}
				}
			}
		})
	}
}
