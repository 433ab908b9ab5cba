package websocket

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// Security wiring (security.Options in Options.Security and
// ServerConfig.Security):
//
//   - client: every dial and reconnect is authorized (op "dial", resource
//     the redacted URL) under the principal of the dial's context (a
//     Reconnecting client dials as the anonymous principal) and audited;
//     Security.TLS builds the wss:// TLS config in place of TLSConfig and
//     InsecureSkipVerify; Security.Credentials is asked on every dial for
//     the Authorization header, which it replaces (Basic user:secret when
//     the credentials have a User, else Bearer secret).
//   - server: upgrades (resource the request path), Subscribe and Publish
//     (resource the topic) are authorized before anything is written,
//     under the principal of the upgrade request's context, and audited.
//
// With no Security option set, each of these costs a few nil tests.

// secureDial is dialConn with the client's Security options applied.
func secureDial(ctx context.Context, rawURL, target string, o Options) (*Conn, error) {
	sec := &o.Security
	if err := sec.Authorize(ctx, Kind, "dial", target); err != nil {
		return nil, err
	}
	active := sec.Active()
	var start time.Time
	if active {
		start = time.Now()
	}
	c, err := dialWithSecurity(ctx, rawURL, o)
	if active {
		sec.Record(ctx, Kind, "dial", target, start, err)
	}
	return c, err
}

func dialWithSecurity(ctx context.Context, rawURL string, o Options) (*Conn, error) {
	sec := &o.Security
	if sec.TLS != nil {
		tc, err := sec.ClientTLS()
		if err != nil {
			return nil, arsenal.Errorf(arsenal.CodeOf(err), Kind, "dial", "Security.TLS: %w", err).WithRetry(false)
		}
		o.TLSConfig, o.InsecureSkipVerify = tc, tc.InsecureSkipVerify
	}
	if sec.Credentials != nil {
		// The provider (a vault, a token endpoint) is bounded by the
		// handshake timeout as well.
		timeout := o.HandshakeTimeout
		if timeout == 0 {
			timeout = DefaultHandshakeTimeout
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		h, err := credentialHeader(pctx, sec)
		cancel()
		if err != nil {
			return nil, err
		}
		header := make(http.Header, len(o.Header)+1)
		for k, vs := range o.Header {
			if http.CanonicalHeaderKey(k) != "Authorization" {
				header[http.CanonicalHeaderKey(k)] = vs
			}
		}
		header.Set("Authorization", h)
		o.Header = header
	}
	return dialConn(ctx, rawURL, o)
}

// credentialHeader asks the provider for the Authorization header value.
// Errors name the provider's failure, never a credential.
func credentialHeader(ctx context.Context, sec *security.Options) (string, error) {
	cr, _, err := sec.Creds(ctx)
	if ce := ctx.Err(); ce != nil {
		// Out of time (or cancelled): that, not the provider's reading
		// of it, is the code.
		if err == nil {
			err = ce
		}
		return "", arsenal.Errorf(arsenal.CodeOf(ce), Kind, "dial", "Security.Credentials: %w", err)
	}
	if err != nil {
		code := arsenal.CodeOf(err)
		if code == arsenal.Unknown || code == arsenal.Internal {
			code = arsenal.Unauthenticated
		}
		return "", arsenal.Errorf(code, Kind, "dial", "Security.Credentials: %w", err)
	}
	secret := cr.Secret.Reveal()
	if cr.User != "" {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(cr.User+":"+secret)), nil
	}
	if secret == "" {
		return "", arsenal.Errorf(arsenal.Unauthenticated, Kind, "dial", "Security.Credentials returned neither a user nor a token").WithRetry(false)
	}
	return "Bearer " + secret, nil
}

// usesSecurity reports whether a client dial needs secureDial.
func (o *Options) usesSecurity() bool {
	return o.Security.Policy != nil || o.Security.Audit != nil || o.Security.TLS != nil || o.Security.Credentials != nil
}

// secContext is the context a server connection's Subscribe and Publish
// are authorized and audited under: it carries the principal of the
// upgrade request.
func (c *Conn) secContext() context.Context {
	if c.secCtx != nil {
		return c.secCtx
	}
	return context.Background()
}

// securedUpgrade authorizes, runs and audits an upgrade; a refused one is
// answered 403 with the policy's PermissionDenied error.
func (s *Server) securedUpgrade(w http.ResponseWriter, r *http.Request, set *connSettings, start time.Time) (*Conn, error) {
	ctx := r.Context()
	if err := s.cfg.Security.Authorize(ctx, Kind, "upgrade", r.URL.Path); err != nil {
		s.refused.Add(1)
		http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
		return nil, err
	}
	c, err := s.acceptUpgrade(w, r, set, start)
	if c != nil {
		pr, _ := security.PrincipalFrom(ctx)
		c.secCtx = security.WithPrincipal(context.Background(), pr)
	}
	s.cfg.Security.Record(ctx, Kind, "upgrade", r.URL.Path, start, err)
	return c, err
}

// securedSubscribe authorizes, runs and audits a Subscribe.
func (c *Conn) securedSubscribe(topic string) error {
	sec := &c.srv.cfg.Security
	ctx := c.secContext()
	if err := sec.Authorize(ctx, Kind, "subscribe", topic); err != nil {
		return err
	}
	if sec.Audit == nil {
		return c.subscribe(topic)
	}
	start := time.Now()
	err := c.subscribe(topic)
	sec.Record(ctx, Kind, "subscribe", topic, start, err)
	return err
}

// securedPublish authorizes, runs and audits a publish under the
// principal of from, the publishing connection, or (from nil, a Server
// publish) of ctx.
func (s *Server) securedPublish(ctx context.Context, topic string, typ MessageType, data []byte, from *Conn) (int, error) {
	if from != nil {
		ctx = from.secContext()
	}
	sec := &s.cfg.Security
	if err := sec.Authorize(ctx, Kind, "publish", topic); err != nil {
		return 0, err
	}
	if sec.Audit == nil {
		return s.uncheckedPublish(topic, typ, data, from)
	}
	start := time.Now()
	n, err := s.uncheckedPublish(topic, typ, data, from)
	sec.Record(ctx, Kind, "publish", topic, start, err)
	return n, err
}

// TLSConfig returns the server TLS config built from
// ServerConfig.Security.TLS (certificates reloaded when their files
// change), or nil when it is unset. NewHTTPServer installs it; a server
// behind a mux sets it on its own http.Server.
func (s *Server) TLSConfig() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.Clone()
}
