package s3

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

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

// httpSigner is what the fast path signs query requests with.
type httpSigner interface {
	SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
		signingTime time.Time, optFns ...func(*v4.SignerOptions)) error
}

// keySigner is the SDK's SigV4 signer, made again whenever the
// credentials change. The SDK's signer caches its derived signing key by
// access key id and day alone, so a secret rotated under the same key id
// (as S3-compatible stores rotate a user's secret) would go on being
// signed with the old secret until midnight UTC.
type keySigner struct{ cur atomic.Pointer[keyedSigner] }

type keyedSigner struct {
	akid, secret string
	s            *v4.Signer
}

func (k *keySigner) signer(c aws.Credentials) *v4.Signer {
	if cur := k.cur.Load(); cur != nil && cur.akid == c.AccessKeyID && cur.secret == c.SecretAccessKey {
		return cur.s
	}
	n := &keyedSigner{akid: c.AccessKeyID, secret: c.SecretAccessKey,
		s: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })} // as the SDK's S3 signer
	k.cur.Store(n)
	return n.s
}

// SignHTTP signs r as v4.Signer does, with a signing key of c's secret.
func (k *keySigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string,
	t time.Time, optFns ...func(*v4.SignerOptions)) error {
	return k.signer(c).SignHTTP(ctx, c, r, payloadHash, service, region, t, optFns...)
}

// PresignHTTP presigns r as v4.Signer does, with a signing key of c's
// secret.
func (k *keySigner) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string,
	t time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return k.signer(c).PresignHTTP(ctx, c, r, payloadHash, service, region, t, optFns...)
}
