package security

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"time"
)

// Options is the one shape in which a domain's Config takes security
// settings:
//
//	type Config struct {
//		...
//		Security security.Options
//	}
//
// The zero Options changes nothing: no policy (every call allowed), no
// audit, the domain's own TLS and credential settings.
type Options struct {
	// Policy is checked before every operation, before any I/O.
	Policy *Policy
	// Audit records every operation (and every denial).
	Audit *Auditor
	// TLS, when set, is how the domain builds its client TLS config
	// (ClientTLS), in place of its own TLS fields.
	TLS *TLS
	// Credentials, when set, supplies the user and password (or key id,
	// secret and session token) on every connection or request signing,
	// in place of the domain's static credential fields.
	Credentials Provider
}

// Active reports whether there is a policy or an audit, so that a domain
// can skip even reading the clock when there is neither.
func (o *Options) Active() bool { return o != nil && (o.Policy != nil || o.Audit != nil) }

// Authorize checks the policy for the principal ctx carries
// (WithPrincipal). A denied call is audited (outcome denied, with the
// rule) and returned as PermissionDenied naming the rule; an allowed call
// returns nil and is audited by Record when it finishes. Without a policy
// it returns nil and does nothing.
func (o *Options) Authorize(ctx context.Context, component, op, resource string) error {
	if o == nil || o.Policy == nil {
		return nil
	}
	pr, _ := PrincipalFrom(ctx)
	d := o.Policy.Decide(pr, component, op, resource)
	if d.Allowed {
		return nil
	}
	err := denied(pr, component, op, resource, d.Rule)
	if o.Audit != nil {
		e := EventFor(pr.Name, component, op, resource, time.Now(), err)
		e.Latency, e.Rule = 0, d.Rule
		_ = o.Audit.Record(ctx, e)
	}
	return err
}

// Record audits a finished call that started at start and ended with err
// (nil for success). Without an audit it does nothing. Audit write
// errors are not the call's error: they are dropped here (an AuditChain
// that must not lose records should be checked with Head).
func (o *Options) Record(ctx context.Context, component, op, resource string, start time.Time, err error) {
	if o == nil || o.Audit == nil {
		return
	}
	pr, _ := PrincipalFrom(ctx)
	_ = o.Audit.Record(ctx, EventFor(pr.Name, component, op, resource, start, err))
}

// ClientTLS builds the client TLS config from TLS; nil (and no error)
// when TLS is unset, meaning "the domain's own settings".
func (o *Options) ClientTLS() (*tls.Config, error) {
	if o == nil || o.TLS == nil {
		return nil, nil
	}
	return o.TLS.Client()
}

// ServerTLS builds the server TLS config from TLS; nil when TLS is
// unset.
func (o *Options) ServerTLS() (*tls.Config, error) {
	if o == nil || o.TLS == nil {
		return nil, nil
	}
	return o.TLS.Server()
}

// Creds returns the provider's credentials; ok is false when no provider
// is set (use the domain's static fields).
func (o *Options) Creds(ctx context.Context) (c Credentials, ok bool, err error) {
	if o == nil || o.Credentials == nil {
		return Credentials{}, false, nil
	}
	c, err = o.Credentials.Credentials(ctx)
	return c, true, err
}

// MarshalJSON summarises the options as which of them are set (policy,
// audit, tls, credentials), so that a Config holding them marshals (a
// Provider may be a function, which JSON cannot hold) and never shows a
// credential.
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Policy      bool `json:"policy"`
		Audit       bool `json:"audit"`
		TLS         bool `json:"tls"`
		Credentials bool `json:"credentials"`
	}{o.Policy != nil, o.Audit != nil, o.TLS != nil, o.Credentials != nil})
}
