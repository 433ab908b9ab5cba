package security

import (
	"strings"

	"github.com/infra-arsenal/arsenal"
)

// OriginPolicy is a list of trusted origins for WebSocket handshakes and
// cross-origin requests. An entry is an exact origin
// ("https://app.example.com", "http://localhost:8080") or a subdomain
// wildcard ("https://*.example.com", which matches a.example.com and
// a.b.example.com but not example.com itself). Build it once with
// NewOriginPolicy; it is safe for concurrent use.
type OriginPolicy struct {
	exact    map[string]struct{}
	suffixes []string // "https://" + ".example.com"
}

// NewOriginPolicy parses the trusted origins; a malformed entry is an
// InvalidArgument error.
func NewOriginPolicy(origins ...string) (*OriginPolicy, error) {
	p := &OriginPolicy{exact: map[string]struct{}{}}
	for _, o := range origins {
		if sc, rest, ok := strings.Cut(o, "://*."); ok {
			norm, valid := ParseOrigin(sc + "://x." + rest)
			if !valid {
				return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "origin policy", "malformed trusted origin %q", o)
			}
			scheme, host, _ := strings.Cut(norm, "://x.")
			p.suffixes = append(p.suffixes, scheme+"://\x00."+host)
			continue
		}
		norm, valid := ParseOrigin(o)
		if !valid {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "origin policy", "malformed trusted origin %q", o)
		}
		p.exact[norm] = struct{}{}
	}
	return p, nil
}

// Allowed reports whether origin (an Origin header value) is trusted.
func (p *OriginPolicy) Allowed(origin string) bool {
	if p == nil {
		return false
	}
	o, ok := ParseOrigin(origin)
	if !ok {
		return false
	}
	if _, ok := p.exact[o]; ok {
		return true
	}
	for _, s := range p.suffixes {
		scheme, suffix, _ := strings.Cut(s, "\x00")
		if rest, ok := strings.CutPrefix(o, scheme); ok && strings.HasSuffix(rest, suffix) && len(rest) > len(suffix) {
			return true
		}
	}
	return false
}

// Check returns nil for a trusted origin and a PermissionDenied error
// otherwise (an absent or malformed origin is InvalidArgument).
func (p *OriginPolicy) Check(origin string) error {
	if _, ok := ParseOrigin(origin); !ok {
		return arsenal.Errorf(arsenal.InvalidArgument, Kind, "check origin", "missing or malformed Origin")
	}
	if !p.Allowed(origin) {
		return arsenal.Errorf(arsenal.PermissionDenied, Kind, "check origin", "origin %s is not trusted", arsenal.RedactURL(origin))
	}
	return nil
}
