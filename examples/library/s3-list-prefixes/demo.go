// Command s3-list-prefixes lists a bucket like a file system: "folders" as
// common prefixes with a "/" delimiter, one folder's objects with a prefix,
// and a large listing page by page with continuation tokens.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/s3-list-prefixes
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal/s3"
)

func demo(ctx context.Context, c *s3.Client) error {
	var keys []string
	for _, k := range []string{"photos/2026/jan.jpg", "photos/2026/feb.jpg", "photos/2025/dec.jpg", "docs/readme.md", "docs/guide.md", "top.txt"} {
		keys = append(keys, k)
		if _, err := c.Put(ctx, k, []byte(k), nil); err != nil {
			return err
		}
	}
	for i := range 12 {
		k := fmt.Sprintf("logs/%02d.log", i)
		keys = append(keys, k)
		if _, err := c.Put(ctx, k, []byte("log line\n"), nil); err != nil {
			return err
		}
	}
	defer c.DeleteMany(context.Background(), keys)

	page, err := c.ListPage(ctx, &s3.ListOptions{Delimiter: "/"})
	if err != nil {
		return err
	}
	fmt.Println("folders:", page.CommonPrefixes)
	for _, o := range page.Objects {
		fmt.Println("file at top:", o.Key)
	}
	sub, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "photos/", Delimiter: "/"})
	if err != nil {
		return err
	}
	fmt.Println("photos/ folders:", sub.CommonPrefixes)
	n := 0
	for o, err := range c.List(ctx, &s3.ListOptions{Prefix: "photos/2026/"}) {
		if err != nil {
			return err
		}
		n++
		fmt.Printf("  %s %d bytes\n", o.Key, o.Size)
	}
	fmt.Println("photos in 2026:", n)

	pages, total := 0, 0
	opts := &s3.ListOptions{Prefix: "logs/", MaxKeys: 5}
	for {
		p, err := c.ListPage(ctx, opts)
		if err != nil {
			return err
		}
		pages++
		total += len(p.Objects)
		if !p.IsTruncated {
			break
		}
		opts.ContinuationToken = p.NextContinuationToken
	}
	fmt.Printf("logs: %d objects in %d pages of at most 5\n", total, pages)
	return nil
}
