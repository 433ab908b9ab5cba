package s3_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

func TestBucketsAreCreatedCheckedAndDeleted(t *testing.T) {
	needsRealS3(t, "does not refuse to delete a bucket that is not empty")
	srv := testenv.SharedS3(t)
	name := "arsenal-bkt-" + testenv.RandomHex(5)
	t.Cleanup(func() { srv.EmptyAndDelete(name) })
	c := open(t, s3.Config{Bucket: name, Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey)})
	ctx := ctxT(t)

	ok, err := c.BucketExists(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "before CreateBucket")

	require.NoError(t, c.CreateBucket(ctx))
	ok, err = c.BucketExists(ctx)
	require.NoError(t, err)
	assert.True(t, ok, "after CreateBucket")
	assert.NoError(t, c.Health(ctx))

	err = c.CreateBucket(ctx)
	assert.Equal(t, arsenal.AlreadyExists, arsenal.CodeOf(err), "a second CreateBucket: %v", err)
	assert.NoError(t, c.EnsureBucket(ctx), "EnsureBucket of an existing bucket of ours")

	_, err = c.Put(ctx, "k", []byte("x"), nil)
	require.NoError(t, err)
	err = c.DeleteBucket(ctx)
	assert.Equal(t, arsenal.FailedPrecondition, arsenal.CodeOf(err), "DeleteBucket of a bucket with an object: %v", err)
	require.NoError(t, c.Delete(ctx, "k"))
	require.NoError(t, c.DeleteBucket(ctx))
	ok, err = c.BucketExists(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "after DeleteBucket")
	err = c.DeleteBucket(ctx)
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err), "DeleteBucket of a missing bucket: %v", err)

	require.NoError(t, c.EnsureBucket(ctx), "EnsureBucket creates a missing bucket")
	ok, err = c.BucketExists(ctx)
	require.NoError(t, err)
	assert.True(t, ok)

	s := c.Stats()
	assert.EqualValues(t, 4, s.Ops["create_bucket"].Count, "create_bucket calls, EnsureBucket's included")
	assert.EqualValues(t, 3, s.Ops["delete_bucket"].Count, "delete_bucket calls")
	assert.EqualValues(t, 2, s.Ops["delete_bucket"].Errors, "failed delete_bucket calls")
	assert.EqualValues(t, 5, s.Ops["head_bucket"].Count)
}

// Errors name the operation, the status and S3's code once, with the
// request and host ids as fields of a typed error rather than in the text.
func TestErrorsAreOneCleanChain(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.GetBytes(ctxT(t), "missing", nil)
	require.Error(t, err)
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err))
	var re *s3.ResponseError
	require.True(t, errors.As(err, &re), "a *s3.ResponseError inside %v", err)
	assert.Equal(t, "GetObject", re.Operation)
	assert.Equal(t, 404, re.StatusCode)
	assert.Equal(t, "NoSuchKey", re.Code)
	assert.NotEmpty(t, re.RequestID)
	msg := err.Error()
	assert.Equal(t, "s3: get: NotFound: GetObject: 404 NoSuchKey: "+re.Message, msg)
	for _, noise := range []string{"https response error", "operation error", "RequestID", re.RequestID, "api error"} {
		assert.NotContains(t, msg, noise)
	}
	assert.Equal(t, 1, strings.Count(msg, "NotFound"), "the code once: %s", msg)

	// No response at all: the operation and the cause.
	dead := open(t, s3.Config{Bucket: "bkt", Endpoint: "http://127.0.0.1:1", AccessKeyID: "AK", SecretAccessKey: security.NewSecret("secret-never-printed"), MaxRetries: -1})
	_, err = dead.Put(ctxT(t), "k", []byte("x"), nil)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err), "%v", err)
	assert.Contains(t, err.Error(), "s3: put: Unavailable: PutObject: ")
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "operation error")
}
