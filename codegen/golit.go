package codegen

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"
)

// goConfig writes a domain Config value as a Go composite literal such as
// "redis.Config{\n\tDB: 2,\n}". Fields are written in declaration order;
// zero fields are left out (they mean the documented default), except
// those in exprs, whose Go expression (an environment lookup) is written
// instead of the value. Fields of types that have no literal (pointers,
// functions, interfaces) are skipped and reported as a compatibility note
// when set.
func (g *gen) goConfig(pkg string, cfg any, exprs map[string]string) string {
	v := reflect.ValueOf(cfg)
	t := v.Type()
	var b strings.Builder
	fmt.Fprintf(&b, "%s.%s{\n", pkg, t.Name())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if e, ok := exprs[f.Name]; ok {
			fmt.Fprintf(&b, "%s: %s,\n", f.Name, e)
			continue
		}
		fv := v.Field(i)
		if fv.IsZero() {
			continue
		}
		lit, ok := g.goValue(pkg, t.PkgPath(), f.Name, fv)
		if !ok {
			g.compat = append(g.compat, warn(f.Name, "has no Go literal (%s) and is not rendered: set it in code", f.Type))
			continue
		}
		fmt.Fprintf(&b, "%s: %s,\n", f.Name, lit)
	}
	b.WriteString("}")
	return b.String()
}

var durationType = reflect.TypeFor[time.Duration]()

// goValue writes one field value as a Go expression.
func (g *gen) goValue(pkg, pkgPath, field string, v reflect.Value) (string, bool) {
	t := v.Type()
	qualified := ""
	if t.Name() != "" && t.PkgPath() == pkgPath {
		qualified = pkg + "." + t.Name()
	}
	wrap := func(lit string) string {
		if qualified != "" {
			return qualified + "(" + lit + ")"
		}
		return lit
	}
	if t == durationType {
		return GoDuration(time.Duration(v.Int())), true
	}
	if t.Name() != "" && t.PkgPath() != "" && t.PkgPath() != pkgPath {
		return "", false // a named type from another package: no portable literal
	}
	switch t.Kind() {
	case reflect.String:
		return wrap(g.str(field, v.String())), true
	case reflect.Bool:
		return wrap(fmt.Sprint(v.Bool())), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return wrap(fmt.Sprint(v.Int())), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return wrap(fmt.Sprint(v.Uint())), true
	case reflect.Float32, reflect.Float64:
		s, err := GoFloat(v.Float())
		if err != nil {
			g.errs = append(g.errs, fmt.Errorf("%s: %w", field, err))
			return "0", true
		}
		return wrap(s), true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && t.Elem().Name() == "uint8" {
			return "", false
		}
		var parts []string
		for i := range v.Len() {
			s, ok := g.goValue(pkg, pkgPath, field, v.Index(i))
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return goTypeName(pkg, pkgPath, t) + "{" + strings.Join(parts, ", ") + "}", true
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return "", false
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		var parts []string
		for _, k := range keys {
			val, ok := g.goValue(pkg, pkgPath, field, v.MapIndex(k))
			if !ok {
				return "", false
			}
			parts = append(parts, g.str(field, k.String())+": "+val)
		}
		return goTypeName(pkg, pkgPath, t) + "{" + strings.Join(parts, ", ") + "}", true
	}
	return "", false
}

// goTypeName writes the Go spelling of a slice or map type of basic or
// domain-package element types.
func goTypeName(pkg, pkgPath string, t reflect.Type) string {
	if t.Name() != "" {
		if t.PkgPath() == pkgPath {
			return pkg + "." + t.Name()
		}
		if t.PkgPath() == "" {
			return t.Name()
		}
		if t == durationType {
			return "time.Duration"
		}
	}
	switch t.Kind() {
	case reflect.Slice:
		return "[]" + goTypeName(pkg, pkgPath, t.Elem())
	case reflect.Map:
		return "map[" + goTypeName(pkg, pkgPath, t.Key()) + "]" + goTypeName(pkg, pkgPath, t.Elem())
	}
	return t.String()
}

// loopbackHost reports whether host (a name or IP, optionally with a
// port) is the local machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
