// Command s3-multipart-upload streams a large object of unknown length into
// S3 through a Writer: it switches to a multipart upload after the first
// part, sends parts in parallel with bounded memory, and the download hashes
// to the same SHA-256.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/s3-multipart-upload [-mib 12]
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/infra-arsenal/arsenal/s3"
)

var mib = flag.Int("mib", 12, "object size in MiB")

func demo(ctx context.Context, c *s3.Client) error {
	size := int64(*mib) << 20
	w, err := c.NewWriter(ctx, "big/data.bin", &s3.PutOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return err
	}
	up := sha256.New()
	src := io.LimitReader(rand.NewChaCha8([32]byte{7}), size) // a stream of unknown length
	if _, err := io.Copy(io.MultiWriter(w, up), src); err != nil {
		_ = w.CloseWithError(err)
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	res := w.Result()
	fmt.Printf("uploaded %d MiB in %d parts of at most %d MiB (multipart: %v)\n", res.Size>>20, res.Parts, c.Config().PartSize>>20, res.Parts > 1)

	r, err := c.Get(ctx, "big/data.bin", nil)
	if err != nil {
		return err
	}
	down := sha256.New()
	n, err := io.Copy(down, r)
	r.Close()
	if err != nil {
		return err
	}
	fmt.Printf("downloaded %d MiB, sha256 matches: %v\n", n>>20, string(up.Sum(nil)) == string(down.Sum(nil)))
	return c.Delete(ctx, "big/data.bin")
}
