package s3

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// resource is the policy and audit name of an object or prefix: the
// bucket, a slash and the full key (Prefix included); the bucket alone
// for bucket operations.
func (c *Client) resource(full string) string {
	if full == "" {
		return c.cfg.Bucket
	}
	return c.cfg.Bucket + "/" + full
}

// authorize checks Config.Security's policy for op on res before any
// request and, when there is an audit, marks k so that end records the
// outcome as op on res. A refused call is PermissionDenied, already
// audited. Without a policy or an audit it costs one branch.
func (c *Client) authorize(k *call, op, res string) error {
	if !c.secure {
		return nil
	}
	if err := c.cfg.Security.Authorize(k.ctx, Kind, op, res); err != nil {
		return err
	}
	if c.cfg.Security.Audit != nil {
		k.audit, k.aop, k.res = true, op, res
	}
	return nil
}

// authorizeKey is authorize on the object key (relative to Prefix).
func (c *Client) authorizeKey(k *call, op, key string) error {
	if !c.secure {
		return nil
	}
	return c.authorize(k, op, c.resource(c.cfg.Prefix+key))
}

// check is a bare policy check of op on res, for the extra resources of a
// call (the source of a copy, the keys of a batch): audited when refused,
// its success recorded with the call.
func (c *Client) check(ctx context.Context, op, res string) error {
	if !c.secure {
		return nil
	}
	return c.cfg.Security.Authorize(ctx, Kind, op, res)
}

// providerCreds signs with what Config.Security.Credentials supplies,
// asked at every signing: User is the access key id.
type providerCreds struct{ p security.Provider }

func (s providerCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	cr, err := s.p.Credentials(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	if cr.User == "" || cr.Secret.IsZero() {
		return aws.Credentials{}, arsenal.Errorf(arsenal.Unauthenticated, Kind, "credentials",
			"the credentials provider returned no access key id (User) or no secret key")
	}
	return aws.Credentials{
		AccessKeyID: cr.User, SecretAccessKey: cr.Secret.Reveal(), SessionToken: cr.SessionToken.Reveal(),
		Source: "arsenal security.Provider", CanExpire: !cr.Expires.IsZero(), Expires: cr.Expires,
	}, nil
}
