package s3_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
)

func TestPresignedURLsWorkFromPlainHTTP(t *testing.T) {
	needsRealS3(t, "does not verify presigned signatures")
	c, _ := newClient(t)
	ctx := ctxT(t)
	do := func(t *testing.T, p s3.PresignedRequest, body []byte) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range p.Header {
			req.Header[k] = v
		}
		if body == nil {
			req.Body, req.ContentLength = nil, 0
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	presign := func(t *testing.T, o *s3.PresignOptions) s3.PresignedRequest {
		t.Helper()
		p, err := c.Presign(ctx, "shared/file.txt", o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p.URL, c.Config().SecretAccessKey.Reveal()) {
			t.Fatal("the URL contains the secret key")
		}
		return p
	}
	payload := []byte("uploaded through a presigned PUT")

	t.Run("PUT uploads with the signed content type", func(t *testing.T) {
		p := presign(t, &s3.PresignOptions{Method: "PUT", ContentType: "text/plain", Expires: time.Minute})
		if p.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("signed headers %v lack the content type", p.Header)
		}
		resp, b := do(t, p, payload)
		if resp.StatusCode != 200 {
			t.Fatalf("PUT: %s %s", resp.Status, b)
		}
		info, err := c.Stat(ctx, "shared/file.txt")
		if err != nil || info.ContentType != "text/plain" || info.Size != int64(len(payload)) {
			t.Errorf("stored %+v, %v", info, err)
		}
	})
	t.Run("GET downloads", func(t *testing.T) {
		p := presign(t, nil)
		if p.Method != "GET" || time.Until(p.Expires) > 15*time.Minute || time.Until(p.Expires) < 14*time.Minute {
			t.Errorf("default presign: method %s expires %v", p.Method, p.Expires)
		}
		resp, b := do(t, p, nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, payload) {
			t.Errorf("GET: %s %q", resp.Status, b)
		}
	})
	t.Run("GET can override the content disposition", func(t *testing.T) {
		resp, _ := do(t, presign(t, &s3.PresignOptions{ResponseContentDisposition: `attachment; filename="x.txt"`}), nil)
		if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="x.txt"` {
			t.Errorf("Content-Disposition %q", got)
		}
	})
	t.Run("HEAD reports the size", func(t *testing.T) {
		resp, _ := do(t, presign(t, &s3.PresignOptions{Method: "head"}), nil)
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(payload)) {
			t.Errorf("HEAD: %s length %d", resp.Status, resp.ContentLength)
		}
	})
	t.Run("a tampered signature is refused", func(t *testing.T) {
		p := presign(t, nil)
		p.URL = strings.Replace(p.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
		if resp, _ := do(t, p, nil); resp.StatusCode != 403 {
			t.Errorf("tampered GET: %s", resp.Status)
		}
	})
	t.Run("an expired URL is refused", func(t *testing.T) {
		p := presign(t, &s3.PresignOptions{Expires: time.Second})
		time.Sleep(2100 * time.Millisecond)
		if resp, _ := do(t, p, nil); resp.StatusCode != 403 {
			t.Errorf("expired GET: %s", resp.Status)
		}
	})
	t.Run("DELETE removes", func(t *testing.T) {
		resp, b := do(t, presign(t, &s3.PresignOptions{Method: "DELETE"}), nil)
		if resp.StatusCode != 204 && resp.StatusCode != 200 {
			t.Fatalf("DELETE: %s %s", resp.Status, b)
		}
		if ok, err := c.Exists(ctx, "shared/file.txt"); ok || err != nil {
			t.Errorf("object still exists after presigned DELETE (%v)", err)
		}
	})
}

func TestObjectURLIsUsableForPublicReadsAndRejectsBadStyles(t *testing.T) {
	c, _ := newClient(t)
	u, err := c.ObjectURL("dir/a b.txt", s3.StyleAuto)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(u, "/"+c.Bucket()+"/dir/a%20b.txt") {
		t.Errorf("path-style URL %s", u)
	}
	if _, err := c.ObjectURL("k", "zigzag"); !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("unknown style: %v", err)
	}
	// The bucket is private: an unsigned GET of the plain URL is refused.
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("anonymous GET of a private object: %s", resp.Status)
	}
}
