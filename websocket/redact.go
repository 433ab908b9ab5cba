package websocket

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// Printing a configuration never shows a secret: the URL's password and
// secret-looking query parameters (arsenal.RedactURL), the proxy's
// password, and the values of credential headers (Authorization, Cookie
// and any header arsenal.IsSecretName flags) print as "xxxxx", under
// every fmt verb (String, GoString, Format) and under slog (LogValue).

const redacted = "xxxxx"

// redactHeader returns h with credential values replaced.
func redactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		if secretHeader(k) {
			out[k] = []string{redacted}
			continue
		}
		out[k] = vs
	}
	return out
}

func secretHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	return arsenal.IsSecretName(name)
}

// plainOptions has Options' fields and none of its methods, to print a
// redacted copy.
type plainOptions Options

func (o Options) redacted() plainOptions {
	p := plainOptions(o)
	p.Header = redactHeader(o.Header)
	if o.Proxy != "" {
		p.Proxy = arsenal.RedactURL(o.Proxy)
	}
	if o.Security.Credentials != nil {
		// A provider is the user's type, which may hold a credential in
		// a plain field: it prints as xxxxx.
		p.Security.Credentials = redactedProvider{}
	}
	return p
}

// redactedProvider stands for a credential provider in printed options.
type redactedProvider struct{}

func (redactedProvider) Credentials(context.Context) (security.Credentials, error) {
	return security.Credentials{}, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "credentials", "a printed copy holds no credentials")
}
func (redactedProvider) String() string   { return redacted }
func (redactedProvider) GoString() string { return redacted }

// securityAttrs says which security options are set, for LogValue.
func securityAttrs(o *security.Options) []slog.Attr {
	var a []slog.Attr
	if o.Policy != nil {
		a = append(a, slog.Bool("policy", true))
	}
	if o.Audit != nil {
		a = append(a, slog.Bool("audit", true))
	}
	if o.TLS != nil {
		a = append(a, slog.Bool("tls", true))
	}
	if o.Credentials != nil {
		a = append(a, slog.Bool("credentials", true))
	}
	return a
}

// String prints the options with secrets redacted.
func (o Options) String() string { return fmt.Sprintf("%+v", o) }

// GoString is %#v, redacted.
func (o Options) GoString() string { return fmt.Sprintf("%#v", o) }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (o Options) Format(f fmt.State, verb rune) {
	s := fmt.Sprintf(fmt.FormatString(f, verb), o.redacted())
	_, _ = f.Write([]byte(strings.ReplaceAll(s, "websocket.plainOptions", "websocket.Options")))
}

// LogValue implements slog.LogValuer with the settings worth logging.
func (o Options) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Any("subprotocols", o.Subprotocols),
		slog.Bool("compression", !o.DisableCompression),
		slog.Duration("handshake_timeout", o.HandshakeTimeout),
		slog.Int64("read_limit", o.ReadLimit),
	}
	if o.Proxy != "" {
		attrs = append(attrs, slog.String("proxy", arsenal.RedactURL(o.Proxy)))
	}
	if len(o.Header) > 0 {
		attrs = append(attrs, slog.Any("header", redactHeader(o.Header)))
	}
	if o.InsecureSkipVerify {
		attrs = append(attrs, slog.Bool("insecure_skip_verify", true))
	}
	if sa := securityAttrs(&o.Security); len(sa) > 0 {
		attrs = append(attrs, slog.Any("security", slog.GroupValue(sa...)))
	}
	return slog.GroupValue(attrs...)
}

// plainConfig mirrors Config with a method-free Options.
type plainConfig struct {
	URL string
	plainOptions
}

func (c Config) redacted() plainConfig {
	u := c.URL
	if u != "" {
		u = arsenal.RedactURL(u)
	}
	return plainConfig{URL: u, plainOptions: c.Options.redacted()}
}

// String prints the configuration with secrets redacted.
func (c Config) String() string { return fmt.Sprintf("%+v", c) }

// GoString is %#v, redacted.
func (c Config) GoString() string { return fmt.Sprintf("%#v", c) }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (c Config) Format(f fmt.State, verb rune) {
	s := fmt.Sprintf(fmt.FormatString(f, verb), c.redacted())
	s = strings.ReplaceAll(s, "websocket.plainConfig", "websocket.Config")
	s = strings.ReplaceAll(s, "plainOptions:websocket.plainOptions", "Options:websocket.Options")
	s = strings.ReplaceAll(s, "plainOptions:", "Options:")
	_, _ = f.Write([]byte(s))
}

// LogValue implements slog.LogValuer: the redacted URL and the options.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", arsenal.RedactURL(c.URL)), slog.Any("options", c.Options))
}

// plainReconnect mirrors ReconnectConfig with a method-free Config.
type plainReconnect struct {
	Config                 plainConfig
	Retry                  RetryPolicy
	QueueWhileDisconnected bool
	QueueLimit             int
}

// String prints the configuration with secrets redacted.
func (rc ReconnectConfig) String() string { return fmt.Sprintf("%+v", rc) }

// GoString is %#v, redacted.
func (rc ReconnectConfig) GoString() string { return fmt.Sprintf("%#v", rc) }

// Format implements fmt.Formatter: every verb prints the redacted form
// (callbacks are left out).
func (rc ReconnectConfig) Format(f fmt.State, verb rune) {
	p := plainReconnect{Config: rc.Config.redacted(), Retry: rc.Retry,
		QueueWhileDisconnected: rc.QueueWhileDisconnected, QueueLimit: rc.QueueLimit}
	s := fmt.Sprintf(fmt.FormatString(f, verb), p)
	s = strings.ReplaceAll(s, "websocket.plainReconnect", "websocket.ReconnectConfig")
	s = strings.ReplaceAll(s, "websocket.plainConfig", "websocket.Config")
	s = strings.ReplaceAll(s, "plainOptions:websocket.plainOptions", "Options:websocket.Options")
	s = strings.ReplaceAll(s, "plainOptions:", "Options:")
	_, _ = f.Write([]byte(s))
}

// LogValue implements slog.LogValuer.
func (rc ReconnectConfig) LogValue() slog.Value { return rc.Config.LogValue() }

// String names the connection by its redacted target; fmt prints a Conn
// this way instead of walking its fields.
func (c *Conn) String() string { return "websocket.Conn(" + c.target + ")" }

// GoString is String, for %#v.
func (c *Conn) GoString() string { return c.String() }

// String names the client by its redacted URL.
func (r *Reconnecting) String() string {
	return "websocket.Reconnecting(" + arsenal.RedactURL(r.cfg.URL) + ")"
}

// GoString is String, for %#v.
func (r *Reconnecting) GoString() string { return r.String() }

// String names the server.
func (s *Server) String() string { return "websocket.Server" }

// GoString is String, for %#v.
func (s *Server) GoString() string { return s.String() }
