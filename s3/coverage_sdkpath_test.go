package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
)

// With Checksum: ChecksumCRC32 the client has no fast path: listings and
// Stat go through the AWS SDK. Their results must match what the fast path
// gives.
func TestSDKPathListingAndStatMatchTheFastPath(t *testing.T) {
	needsRealS3(t, "ignores some ListObjectsV2 options")
	c, _ := newClient(t, func(cfg *s3.Config) {
		cfg.Checksum = s3.ChecksumCRC32
		cfg.Prefix = "pre/"
	})
	ctx := ctxT(t)
	keys := []string{"a/1", "a/2", "b/1", "top-1", "top-2"}
	for _, k := range keys {
		_, err := c.Put(ctx, k, []byte("data-"+k), nil)
		require.NoError(t, err, k)
	}

	t.Run("delimiter gives objects and common prefixes relative to the prefix", func(t *testing.T) {
		p, err := c.ListPage(ctx, &s3.ListOptions{Delimiter: "/"})
		require.NoError(t, err)
		var got []string
		for _, o := range p.Objects {
			got = append(got, o.Key)
			assert.Equal(t, int64(len("data-"+o.Key)), o.Size, o.Key)
			assert.NotEmpty(t, o.ETag, o.Key)
			assert.False(t, strings.Contains(o.ETag, `"`), "etag %q is unquoted", o.ETag)
			assert.False(t, o.LastModified.IsZero(), o.Key)
			assert.Nil(t, o.Owner, "no owner without FetchOwner")
		}
		assert.Equal(t, []string{"top-1", "top-2"}, got)
		assert.Equal(t, []string{"a/", "b/"}, p.CommonPrefixes)
		assert.False(t, p.IsTruncated)
		assert.Empty(t, p.NextContinuationToken)
	})

	t.Run("max keys truncates and the token resumes", func(t *testing.T) {
		p1, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 2})
		require.NoError(t, err)
		require.Len(t, p1.Objects, 2)
		assert.Equal(t, "a/1", p1.Objects[0].Key)
		assert.Equal(t, "a/2", p1.Objects[1].Key)
		assert.True(t, p1.IsTruncated)
		require.NotEmpty(t, p1.NextContinuationToken)
		p2, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 2, ContinuationToken: p1.NextContinuationToken})
		require.NoError(t, err)
		require.NotEmpty(t, p2.Objects)
		assert.Equal(t, "b/1", p2.Objects[0].Key)
	})

	t.Run("fetch owner fills the owner", func(t *testing.T) {
		p, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 1, FetchOwner: true})
		require.NoError(t, err)
		require.Len(t, p.Objects, 1)
		require.NotNil(t, p.Objects[0].Owner)
		assert.NotEmpty(t, p.Objects[0].Owner.ID)
	})

	t.Run("stat returns the metadata and a missing key is NotFound", func(t *testing.T) {
		info, err := c.Stat(ctx, "top-1")
		require.NoError(t, err)
		assert.Equal(t, "top-1", info.Key)
		assert.Equal(t, int64(len("data-top-1")), info.Size)
		assert.NotEmpty(t, info.ETag)
		assert.False(t, info.LastModified.IsZero())

		_, err = c.Stat(ctx, "missing")
		require.Error(t, err)
		assert.True(t, arsenal.IsCode(err, arsenal.NotFound), "got %v", err)
		ok, err := c.Exists(ctx, "missing")
		require.NoError(t, err)
		assert.False(t, ok)
	})

	t.Run("list iterates over everything", func(t *testing.T) {
		var got []string
		for o, err := range c.List(ctx, &s3.ListOptions{MaxKeys: 2}) {
			require.NoError(t, err)
			got = append(got, o.Key)
		}
		assert.Equal(t, keys, got)
	})
}

func TestWriterSizeCountsTheBytesWritten(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	w, err := c.NewWriter(ctx, "sized", nil)
	require.NoError(t, err)
	assert.Equal(t, int64(0), w.Size())
	_, err = w.Write([]byte("hello "))
	require.NoError(t, err)
	_, err = w.Write([]byte("world"))
	require.NoError(t, err)
	assert.Equal(t, int64(len("hello world")), w.Size())
	require.NoError(t, w.Close())
	got, err := c.GetBytes(ctx, "sized", nil)
	require.NoError(t, err)
	assert.Equal(t, "hello world", string(got))
}

func TestStringIsDescribeAndHidesTheSecret(t *testing.T) {
	cfg, srv := testConfig(t)
	c := open(t, cfg)
	assert.Equal(t, c.Describe(), c.String())
	assert.Contains(t, c.String(), cfg.Bucket)
	assert.NotContains(t, c.String(), srv.SecretKey)
}

// API gives the raw SDK client on the same bucket and credentials.
func TestAPIReachesTheSameBucket(t *testing.T) {
	cfg, _ := testConfig(t)
	c := open(t, cfg)
	ctx := ctxT(t)
	_, err := c.Put(ctx, "via-arsenal", []byte("x"), nil)
	require.NoError(t, err)
	api := c.API()
	require.NotNil(t, api)
	out, err := api.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String("via-arsenal")})
	require.NoError(t, err)
	assert.Equal(t, int64(1), aws.ToInt64(out.ContentLength))
}

func TestClientStatsIsARuleSourceWithThePackageRules(t *testing.T) {
	c, _ := newClient(t)
	got := c.ClientStats().DegradationRules()
	assert.Equal(t, s3.DegradationRules(), got)
	require.NotEmpty(t, got)
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	assert.Contains(t, names, "s3 retries")
	assert.Contains(t, names, "s3 SlowDown")
}

// A BatchDeleteError's message names the count and the first failure.
func TestBatchDeleteErrorMessage(t *testing.T) {
	e := &s3.BatchDeleteError{
		Keys:   []string{"k1", "k2"},
		Errors: []error{arsenal.Errorf(arsenal.PermissionDenied, s3.Kind, "delete", "denied"), context.Canceled},
	}
	msg := e.Error()
	assert.True(t, strings.HasPrefix(msg, "2 keys not deleted, first k1: "), msg)
	assert.Contains(t, msg, "denied")
	assert.Equal(t, "0 keys not deleted", (&s3.BatchDeleteError{}).Error())
}
