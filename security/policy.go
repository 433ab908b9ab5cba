package security

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/infra-arsenal/arsenal"
)

// Principal is who makes a call: a user or service Name and its Roles.
// The zero Principal is anonymous.
type Principal struct {
	Name  string
	Roles []string
}

// HasRole reports whether p has the role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

type principalKey struct{}

// WithPrincipal returns a context carrying p, for the calls made under it.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries; ok is false (and p
// anonymous) when it carries none.
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Effect is what a matching rule decides.
type Effect int

// The effects.
const (
	Allow Effect = iota + 1
	Deny
)

// String returns "allow" or "deny".
func (e Effect) String() string {
	switch e {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	}
	return fmt.Sprintf("Effect(%d)", int(e))
}

// Rule is one allow or deny rule of a Policy. Every field left empty
// matches anything.
type Rule struct {
	// Name identifies the rule in PermissionDenied errors and audit
	// events. Default "rule N" (its position, from 1).
	Name string
	// Effect is Allow or Deny. Required.
	Effect Effect
	// Principal is a principal name, or "*" for any named (not
	// anonymous) principal.
	Principal string
	// Role matches principals that have the role.
	Role string
	// Component is a component kind ("redis", "sqlite", "s3",
	// "websocket"), or "*".
	Component string
	// Operation is an operation name or a comma-separated list
	// ("get,mget,exists"), compared without case, or "*".
	Operation string
	// Resource is a pattern over the resource name (a key, a table, a
	// bucket/key path, a topic): * matches any run of bytes, ? one byte,
	// everything else itself.
	Resource string
}

// Policy is a list of rules checked before an operation. A call is
// allowed when at least one Allow rule matches and no Deny rule does:
// deny wins, and no matching rule denies (default deny). A nil *Policy
// allows everything. Build it with NewPolicy; it is immutable and safe
// for concurrent use.
type Policy struct {
	rules []rule
}

type rule struct {
	name      string
	effect    Effect
	principal string // "" any, "*" named
	role      string
	component string // "" any
	ops       []string
	resource  string // "" any
}

// NewPolicy checks and compiles the rules; a rule without an Effect is an
// InvalidArgument error.
func NewPolicy(rules ...Rule) (*Policy, error) {
	p := &Policy{rules: make([]rule, 0, len(rules))}
	for i, r := range rules {
		c := rule{name: r.Name, effect: r.Effect, principal: r.Principal, role: r.Role}
		if c.name == "" {
			c.name = fmt.Sprintf("rule %d", i+1)
		}
		if r.Effect != Allow && r.Effect != Deny {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "policy", "%s: Effect must be Allow or Deny", c.name)
		}
		if r.Component != "*" {
			c.component = strings.ToLower(r.Component)
		}
		if r.Operation != "" && r.Operation != "*" {
			for op := range strings.SplitSeq(r.Operation, ",") {
				op = strings.TrimSpace(op)
				if op == "" || op == "*" {
					return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "policy", "%s: an empty or * operation inside a list", c.name)
				}
				c.ops = append(c.ops, strings.ToLower(op))
			}
		}
		if r.Resource != "*" {
			c.resource = r.Resource
		}
		p.rules = append(p.rules, c)
	}
	return p, nil
}

// lowerASCII reports whether s holds no upper-case ASCII letter and no
// byte outside ASCII, so that it equals a lower-case name only byte for
// byte (strings.EqualFold is not needed).
func lowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// sameName compares a rule's lower-case name with a caller's, exact when
// the caller's is lower-case ASCII (the components' own names are),
// case-insensitively otherwise.
func sameName(ruleName, name string, lower bool) bool {
	if lower {
		return ruleName == name
	}
	return strings.EqualFold(ruleName, name)
}

func (r *rule) matches(p *Principal, component, op, resource string, lowerComp, lowerOp bool) bool {
	switch r.principal {
	case "":
	case "*":
		if p.Name == "" {
			return false
		}
	default:
		if p.Name != r.principal {
			return false
		}
	}
	if r.role != "" && !p.HasRole(r.role) {
		return false
	}
	if r.component != "" && !sameName(r.component, component, lowerComp) {
		return false
	}
	if r.ops != nil {
		found := false
		for _, o := range r.ops {
			if sameName(o, op, lowerOp) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return r.resource == "" || Glob(r.resource, resource)
}

// Decision is the outcome of a policy check: whether the call is allowed
// and the rule that decided ("" when no rule matched).
type Decision struct {
	Allowed bool
	Rule    string
}

// Decide evaluates the rules for principal doing op on resource of
// component.
func (p *Policy) Decide(principal Principal, component, op, resource string) Decision {
	if p == nil {
		return Decision{Allowed: true}
	}
	allow := ""
	lowerComp, lowerOp := lowerASCII(component), lowerASCII(op)
	for i := range p.rules {
		r := &p.rules[i]
		if !r.matches(&principal, component, op, resource, lowerComp, lowerOp) {
			continue
		}
		if r.effect == Deny {
			return Decision{Rule: r.name}
		}
		if allow == "" {
			allow = r.name
		}
	}
	return Decision{Allowed: allow != "", Rule: allow}
}

// Authorize returns nil when the policy allows principal to do op on
// resource of component, and otherwise a PermissionDenied error naming
// the deny rule (or saying that no rule allows it). A nil Policy allows
// everything. Call it before any I/O. It does no I/O and does not
// allocate when the call is allowed.
func (p *Policy) Authorize(ctx context.Context, principal Principal, component, op, resource string) error {
	d := p.Decide(principal, component, op, resource)
	if d.Allowed {
		return nil
	}
	return denied(principal, component, op, resource, d.Rule)
}

// AuthorizeContext is Authorize for the principal ctx carries
// (WithPrincipal); a context without one is the anonymous principal.
func (p *Policy) AuthorizeContext(ctx context.Context, component, op, resource string) error {
	if p == nil {
		return nil
	}
	pr, _ := PrincipalFrom(ctx)
	return p.Authorize(ctx, pr, component, op, resource)
}

func denied(pr Principal, component, op, resource, ruleName string) error {
	who := pr.Name
	if who == "" {
		who = "anonymous"
	}
	if len(resource) > 128 {
		resource = resource[:128] + "…"
	}
	if ruleName == "" {
		return arsenal.Errorf(arsenal.PermissionDenied, component, op, "%s may not %s %q: no rule allows it", who, op, resource)
	}
	return arsenal.Errorf(arsenal.PermissionDenied, component, op, "%s may not %s %q: denied by rule %q", who, op, resource, ruleName)
}

// Glob reports whether s matches pattern, where * matches any run of
// bytes (also / and :), ? one byte, and every other byte itself. It does
// not allocate and runs in O(len(pattern)·len(s)) at worst.
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			default:
				if c == s[sx] {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
