// Command s3-hello stores an object in an S3 bucket, reads it back, checks
// its size and ETag with Stat, and deletes it: a missing key is NotFound.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/s3-hello
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
)

func demo(ctx context.Context, c *s3.Client) error {
	res, err := c.Put(ctx, "hello.txt", []byte("hello from arsenal"), &s3.PutOptions{ContentType: "text/plain"})
	if err != nil {
		return err
	}
	fmt.Printf("put %s (%d bytes)\n", res.Key, res.Size)
	b, err := c.GetBytes(ctx, "hello.txt", nil)
	if err != nil {
		return err
	}
	fmt.Println("get:", string(b))
	info, err := c.Stat(ctx, "hello.txt")
	if err != nil {
		return err
	}
	fmt.Printf("stat: size=%d type=%s etag matches=%v\n", info.Size, info.ContentType, info.ETag == res.ETag)
	if err := c.Delete(ctx, "hello.txt"); err != nil {
		return err
	}
	ok, err := c.Exists(ctx, "hello.txt")
	if err != nil {
		return err
	}
	fmt.Println("exists after delete:", ok)
	_, err = c.GetBytes(ctx, "hello.txt", nil)
	fmt.Println("get after delete:", arsenal.CodeOf(err))
	return nil
}
