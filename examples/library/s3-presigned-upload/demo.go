// Command s3-presigned-upload is the browser-upload flow: the server signs a
// PUT URL for one key and content type, the client uploads with plain HTTP
// and no credentials, and a presigned GET URL serves the file back. A request
// that breaks the signed terms (another content type) is refused.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/s3-presigned-upload
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/infra-arsenal/arsenal/s3"
)

func demo(ctx context.Context, c *s3.Client) error {
	// Server side: sign an upload for exactly this key and type.
	put, err := c.Presign(ctx, "uploads/avatar.png", &s3.PresignOptions{Method: http.MethodPut, Expires: 5 * time.Minute, ContentType: "image/png"})
	if err != nil {
		return err
	}
	fmt.Println("signed PUT, expires in <= 5m:", time.Until(put.Expires) <= 5*time.Minute)

	// Client side: a plain HTTP PUT, no credentials.
	body := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 256)
	status, err := send(ctx, put, "image/png", body)
	if err != nil {
		return err
	}
	fmt.Println("upload status:", status)
	bad, err := send(ctx, put, "text/html", body)
	if err != nil {
		return err
	}
	fmt.Println("upload with another content type refused:", bad == http.StatusForbidden)

	get, err := c.Presign(ctx, "uploads/avatar.png", &s3.PresignOptions{Expires: time.Minute})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, get.URL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	fmt.Printf("download status: %d, same bytes: %v, type: %s\n", resp.StatusCode, bytes.Equal(got, body), resp.Header.Get("Content-Type"))
	return c.Delete(ctx, "uploads/avatar.png")
}

func send(ctx context.Context, p s3.PresignedRequest, contentType string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
