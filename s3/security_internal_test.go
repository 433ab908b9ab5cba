package s3

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/security"
)

// With the zero security.Options the checks of a call allocate nothing
// and do not consult the policy; with a policy that allows the call, the
// check builds the "bucket/key" resource and nothing else.
func TestZeroSecurityOptionsCostNothing(t *testing.T) {
	open := func(opts security.Options) *Client {
		c, err := Open(context.Background(), Config{Bucket: "bkt", Endpoint: "http://127.0.0.1:1", AccessKeyID: "a",
			SecretAccessKey: security.NewSecret("b"), Security: opts})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	ctx := context.Background()
	c := open(security.Options{})
	assert.False(t, c.secure)
	n := testing.AllocsPerRun(200, func() {
		k := c.begin(ctx, c.opPut, "put", "key")
		err := c.authorizeKey(&k, "put", "key")
		_ = c.end(&k, err, 0, 1)
	})
	assert.Zero(t, n, "allocations per call without security options")

	policy, err := security.NewPolicy(security.Rule{Effect: security.Allow, Resource: "bkt/*"})
	require.NoError(t, err)
	c = open(security.Options{Policy: policy})
	assert.True(t, c.secure)
	n = testing.AllocsPerRun(200, func() {
		k := c.begin(ctx, c.opPut, "put", "key")
		err := c.authorizeKey(&k, "put", "key")
		_ = c.end(&k, err, 0, 1)
	})
	assert.LessOrEqual(t, n, 1.0, "allocations per allowed call with a policy (the resource string)")
}
