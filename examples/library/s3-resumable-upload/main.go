package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/infra-arsenal/arsenal/s3"
)

// main reads S3_ENDPOINT, S3_BUCKET (default arsenal-examples), S3_REGION
// and S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY (or the AWS_* equivalents, or
// the AWS credential chain); the bucket must exist. Keys go under
// examples/s3-resumable-upload/.
func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := s3.FromEnv()
	if cfg.Bucket == "" {
		cfg.Bucket = "arsenal-examples"
	}
	cfg.Prefix = "examples/s3-resumable-upload/"
	c, err := s3.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return demo(ctx, c)
}
