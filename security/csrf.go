package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// CSRFConfig configures a CSRF middleware. The zero value protects with
// net/http.CrossOriginProtection alone, with no trusted origin.
type CSRFConfig struct {
	// TrustedOrigins are origins ("https://app.example.com") whose
	// cross-origin requests are allowed.
	TrustedOrigins []string
	// BypassPatterns are net/http.ServeMux patterns ("POST /webhook/",
	// "/healthz") exempt from every check. Each one is a hole: give it
	// another defence (a webhook signature).
	BypassPatterns []string

	// TokenKey turns on token mode: an unsafe request (not GET, HEAD or
	// OPTIONS) that carries neither Sec-Fetch-Site nor Origin — an old
	// browser, a proxy that strips them, a non-browser client — must
	// carry a token from Token in the TokenHeader header or the
	// TokenField form field. It must be at least 32 bytes.
	TokenKey Secret
	// Session names the session a token is bound to (a session cookie's
	// value, a user id). It is required with TokenKey; a request whose
	// Session is "" has no valid token.
	Session func(*http.Request) string
	// AlwaysRequireToken requires the token on every unsafe request, also
	// those the browser headers already vouch for. Default false.
	AlwaysRequireToken bool
	// TokenHeader is the request header read for the token. Default
	// "X-CSRF-Token".
	TokenHeader string
	// TokenField is the form field read for the token (urlencoded and
	// multipart forms). Default "csrf_token".
	TokenField string
	// TokenTTL is how long a token is valid. Default 12h.
	TokenTTL time.Duration

	// DenyHandler answers refused requests. Default: 403 with a short
	// plain-text reason.
	DenyHandler http.Handler
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// CSRF is a cross-site request forgery middleware built by NewCSRF. It is
// safe for concurrent use.
type CSRF struct {
	cop    *http.CrossOriginProtection
	bypass *http.ServeMux
	cfg    CSRFConfig
}

// NewCSRF checks cfg and builds the middleware; a malformed trusted
// origin, a short TokenKey or a TokenKey without Session is an
// InvalidArgument error.
func NewCSRF(cfg CSRFConfig) (*CSRF, error) {
	c := &CSRF{cop: http.NewCrossOriginProtection(), cfg: cfg}
	for _, o := range cfg.TrustedOrigins {
		if err := c.cop.AddTrustedOrigin(o); err != nil {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "csrf", "trusted origin: %w", err)
		}
	}
	if len(cfg.BypassPatterns) > 0 {
		c.bypass = http.NewServeMux()
		for _, p := range cfg.BypassPatterns {
			if err := addPattern(c.bypass, p); err != nil {
				return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "csrf", "bypass pattern %q: %v", p, err)
			}
			c.cop.AddInsecureBypassPattern(p)
		}
	}
	if !cfg.TokenKey.IsZero() {
		if len(cfg.TokenKey.Reveal()) < 32 {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "csrf", "TokenKey must be at least 32 bytes")
		}
		if cfg.Session == nil {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "csrf", "TokenKey needs Session")
		}
	} else if cfg.AlwaysRequireToken {
		return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "csrf", "AlwaysRequireToken needs TokenKey")
	}
	if c.cfg.TokenHeader == "" {
		c.cfg.TokenHeader = "X-CSRF-Token"
	}
	if c.cfg.TokenField == "" {
		c.cfg.TokenField = "csrf_token"
	}
	if c.cfg.TokenTTL <= 0 {
		c.cfg.TokenTTL = 12 * time.Hour
	}
	if c.cfg.Now == nil {
		c.cfg.Now = time.Now
	}
	return c, nil
}

// addPattern registers p on mux, turning ServeMux's panic on a malformed
// or conflicting pattern into an error.
func addPattern(mux *http.ServeMux, p string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("malformed or duplicate pattern")
		}
	}()
	mux.Handle(p, http.NotFoundHandler())
	return nil
}

func (c *CSRF) bypassed(r *http.Request) bool {
	if c.bypass == nil {
		return false
	}
	_, pattern := c.bypass.Handler(r)
	return pattern != ""
}

// Check returns nil when r may go on, and otherwise a PermissionDenied
// error saying why.
func (c *CSRF) Check(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if c.bypassed(r) {
		return nil
	}
	if err := c.cop.Check(r); err != nil {
		return arsenal.Errorf(arsenal.PermissionDenied, Kind, "csrf", "cross-origin request refused: %v", err)
	}
	if c.cfg.TokenKey.IsZero() {
		return nil
	}
	browserVouched := r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != ""
	if browserVouched && !c.cfg.AlwaysRequireToken {
		return nil
	}
	tok := r.Header.Get(c.cfg.TokenHeader)
	if tok == "" {
		tok = r.PostFormValue(c.cfg.TokenField)
	}
	if tok == "" {
		return arsenal.Errorf(arsenal.PermissionDenied, Kind, "csrf", "request without Origin carries no CSRF token")
	}
	if !c.valid(tok, c.cfg.Session(r)) {
		return arsenal.Errorf(arsenal.PermissionDenied, Kind, "csrf", "invalid or expired CSRF token")
	}
	return nil
}

// Handler wraps h: refused requests go to DenyHandler and never reach h.
func (c *CSRF) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.Check(r); err != nil {
			if c.cfg.DenyHandler != nil {
				c.cfg.DenyHandler.ServeHTTP(w, r)
				return
			}
			http.Error(w, "forbidden: cross-site request refused", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

const tokenMACLen = sha256.Size

// Token returns a token for the session of r (Session(r)), valid for
// TokenTTL; "" when token mode is off or the request has no session.
// Render it into forms or hand it to the client for its TokenHeader.
func (c *CSRF) Token(r *http.Request) string {
	if c.cfg.TokenKey.IsZero() {
		return ""
	}
	session := c.cfg.Session(r)
	if session == "" {
		return ""
	}
	exp := c.cfg.Now().Add(c.cfg.TokenTTL).Unix()
	buf := make([]byte, 8, 8+tokenMACLen)
	binary.BigEndian.PutUint64(buf, uint64(exp))
	buf = append(buf, c.mac(buf[:8], session)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func (c *CSRF) mac(exp []byte, session string) []byte {
	m := hmac.New(sha256.New, []byte(c.cfg.TokenKey.Reveal()))
	m.Write([]byte("arsenal-csrf\x00"))
	m.Write(exp)
	m.Write([]byte(session))
	return m.Sum(nil)
}

func (c *CSRF) valid(tok, session string) bool {
	if session == "" || len(tok) > 128 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(b) != 8+tokenMACLen {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(b[:8]))
	if c.cfg.Now().Unix() > exp {
		return false
	}
	return hmac.Equal(b[8:], c.mac(b[:8], session))
}
