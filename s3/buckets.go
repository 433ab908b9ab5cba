package s3

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/infra-arsenal/arsenal"
)

// CreateBucket creates the client's bucket (Config.Bucket) in
// Config.Region. A bucket that already exists, whoever owns it, is
// AlreadyExists: callers that only need the bucket to be there test for
// that code (see EnsureBucket).
func (c *Client) CreateBucket(ctx context.Context) error {
	k := c.begin(ctx, c.opCreateBucket, "create_bucket", "")
	if err := c.authorize(&k, "create_bucket", c.cfg.Bucket); err != nil {
		return c.end(&k, err, 0, 0)
	}
	if err := c.checkOpen(k.name); err != nil {
		return c.end(&k, err, 0, 0)
	}
	in := &s3.CreateBucketInput{Bucket: &c.cfg.Bucket}
	if c.cfg.Region != "" && c.cfg.Region != "us-east-1" {
		// AWS wants the region named for any bucket outside us-east-1.
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(c.cfg.Region),
		}
	}
	_, err := c.api.CreateBucket(k.ctx, in)
	return c.end(&k, err, 0, 0)
}

// EnsureBucket creates the client's bucket unless it already exists and
// is the caller's (BucketAlreadyOwnedByYou, or an existing bucket that
// HeadBucket can reach). A bucket of that name owned by someone else is
// AlreadyExists.
func (c *Client) EnsureBucket(ctx context.Context) error {
	err := c.CreateBucket(ctx)
	if !arsenal.IsCode(err, arsenal.AlreadyExists) {
		return err
	}
	if ok, herr := c.BucketExists(ctx); herr == nil && ok {
		return nil
	}
	return err
}

// DeleteBucket deletes the client's bucket, which must be empty
// (otherwise FailedPrecondition, S3's BucketNotEmpty). A missing bucket
// is NotFound.
func (c *Client) DeleteBucket(ctx context.Context) error {
	k := c.begin(ctx, c.opDeleteBucket, "delete_bucket", "")
	if err := c.authorize(&k, "delete_bucket", c.cfg.Bucket); err != nil {
		return c.end(&k, err, 0, 0)
	}
	if err := c.checkOpen(k.name); err != nil {
		return c.end(&k, err, 0, 0)
	}
	_, err := c.api.DeleteBucket(k.ctx, &s3.DeleteBucketInput{Bucket: &c.cfg.Bucket})
	return c.end(&k, err, 0, 0)
}

// BucketExists reports whether the client's bucket exists and the
// credentials may reach it (one HeadBucket request). A missing bucket is
// (false, nil); other failures, such as PermissionDenied for a bucket
// someone else owns, are errors.
func (c *Client) BucketExists(ctx context.Context) (bool, error) {
	k := c.begin(ctx, c.opHeadBucket, "head_bucket", "")
	if err := c.authorize(&k, "head_bucket", c.cfg.Bucket); err != nil {
		return false, c.end(&k, err, 0, 0)
	}
	if err := c.checkOpen(k.name); err != nil {
		return false, c.end(&k, err, 0, 0)
	}
	_, err := c.api.HeadBucket(k.ctx, &s3.HeadBucketInput{Bucket: &c.cfg.Bucket})
	err = c.end(&k, err, 0, 0)
	if arsenal.IsCode(err, arsenal.NotFound) {
		return false, nil
	}
	return err == nil, err
}
