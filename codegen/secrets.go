package codegen

import (
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// configSecret is a secret found in a Config by configSecrets: the field
// path it sits at and its value.
type configSecret struct {
	field, value string
}

var secretType = reflect.TypeFor[security.Secret]()

// configSecrets walks a Config value and returns every secret it holds,
// whatever the domain's view builder does with them:
//
//   - every security.Secret value (in any exported field, element or map
//     value, however deep);
//   - exported string fields whose name says password, secret or token
//     (secretField), for Configs that still hold a secret in a plain
//     string;
//   - in every string that parses as a URL, the userinfo password and the
//     values of query parameters whose name says secret (?access_token=);
//   - in string-keyed maps (headers), the values under a name that says
//     secret (secretKey: arsenal.IsSecretName, Authorization, Cookie,
//     signatures).
//
// The leak check then proves none of them reaches the generated source,
// and none is written as a literal (an environment default included).
func configSecrets(config any) []configSecret {
	var out []configSecret
	add := func(field, v string) {
		if v == "" || v == security.Redacted {
			return
		}
		if !slices.Contains(out, configSecret{field, v}) {
			out = append(out, configSecret{field, v})
		}
	}
	var walk func(field string, v reflect.Value, depth int)
	walk = func(field string, v reflect.Value, depth int) {
		if depth > 8 || !v.IsValid() {
			return
		}
		if v.Type() == secretType {
			add(field, v.Interface().(security.Secret).Reveal())
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(field, v.Elem(), depth+1)
			}
		case reflect.Struct:
			t := v.Type()
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				name := f.Name
				if field != "" && !f.Anonymous {
					name = field + "." + f.Name
				} else if f.Anonymous {
					name = field
				}
				fv := v.Field(i)
				if fv.Kind() == reflect.String && secretField(f.Name) {
					add(name, fv.String())
				}
				walk(name, fv, depth+1)
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(field, v.Index(i), depth+1)
			}
		case reflect.Map:
			iter := v.MapRange()
			for iter.Next() {
				k := iter.Key()
				if k.Kind() == reflect.String && secretKey(k.String()) {
					for _, s := range stringsIn(iter.Value()) {
						add(field, s)
					}
				}
				walk(field, iter.Value(), depth+1)
			}
		case reflect.String:
			for _, s := range urlSecrets(v.String()) {
				add(field, s)
			}
		}
	}
	walk("", reflect.ValueOf(config), 0)
	return out
}

// secretField reports whether a string field of a Config holds a secret
// by its name: password, secret or token in it. The list is narrower than
// arsenal.IsSecretName on purpose: a field such as KeyPrefix or
// SessionName is configuration, written into programs as a literal.
func secretField(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// secretKey reports whether a map key (a header name) or a URL query
// parameter names a credential: what arsenal.IsSecretName flags, and
// Authorization, Cookie and signature headers always.
func secretKey(k string) bool {
	n := strings.ToLower(k)
	return n == "cookie" || strings.Contains(n, "authorization") || strings.Contains(n, "signature") || arsenal.IsSecretName(k)
}

// stringsIn returns the strings a map value holds: a string, or the
// elements of a []string.
func stringsIn(v reflect.Value) []string {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return []string{v.String()}
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, stringsIn(v.Index(i))...)
		}
		return out
	}
	return nil
}

// urlSecrets returns the credentials a URL carries: its userinfo password
// (or a user-only token, https://TOKEN@host) and secret-named query values.
func urlSecrets(s string) []string {
	if !strings.Contains(s, "://") {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	for k, vs := range u.Query() {
		if secretKey(k) {
			out = append(out, vs...)
		}
	}
	return out
}

// secretValue is secret for a security.Secret: the program reads it from
// environment variable name; its value is never emitted.
func (g *gen) secretValue(name, field string, s security.Secret) string {
	return g.secret(name, field, s.Reveal())
}

// leaks reports whether secret value v shows in the parsed program: as a
// whole string literal, inside a literal (for values of 4 bytes or more) or
// anywhere in the source (6 bytes or more; shorter values are too likely
// to match code by chance).
func leaks(p parsed, v string) bool {
	if v == "" {
		return false
	}
	for _, lit := range p.strings {
		if lit == v || (len(v) >= 4 && strings.Contains(lit, v)) {
			return true
		}
	}
	return len(v) >= 6 && strings.Contains(p.source, v)
}

// literalHolds reports whether a literal codegen emitted holds secret v.
func literalHolds(lit, v string) bool {
	return v != "" && (lit == v || (len(v) >= 4 && strings.Contains(lit, v)))
}

// secretFindings checks the Config's own secrets (configSecrets) against
// the program: an Error for each one written as a literal or found in the
// source. The secrets the view builder read from the environment have
// their Info finding from securityCheck already.
func (g *gen) secretFindings(p parsed, secrets []configSecret) []Finding {
	var out []Finding
	viaEnv := map[string]bool{}
	for _, s := range g.sec {
		viaEnv[s.value] = true
	}
	for _, s := range secrets {
		literal := false
		for _, l := range g.lits {
			if literalHolds(l.value, s.value) {
				literal = true
				out = append(out, fail(l.field, "a secret of %s is written as a literal; it must be read from the environment", s.field))
				break
			}
		}
		if !literal && !viaEnv[s.value] && leaks(p, s.value) {
			out = append(out, fail(s.field, "the secret appears in the generated source"))
		}
	}
	return out
}
