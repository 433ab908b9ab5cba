package console

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// field is one form field built from a Config struct field.
type field struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"` // text, bool, int, duration, list, select
	Value   string   `json:"value"`
	Choices []string `json:"choices,omitempty"`
}

// choices are the accepted values of the enumerated string fields.
func choices(domain, name string) []string {
	switch domain + "." + name {
	case "s3.StorageClass":
		return append([]string{""}, s3.StorageClasses()...)
	case "s3.ACL":
		return append([]string{""}, s3.ACLs()...)
	case "s3.Style":
		return []string{string(s3.StyleAuto), string(s3.StylePath), string(s3.StyleVirtual)}
	case "s3.Checksum":
		return []string{"", string(s3.ChecksumMD5), string(s3.ChecksumCRC32), string(s3.ChecksumNone)}
	case "redis.Mode":
		return []string{string(redis.ModeAuto), string(redis.ModeStandalone), string(redis.ModeCluster), string(redis.ModeSentinel)}
	case "sqlite.JournalMode":
		return []string{"", "wal", "delete", "truncate", "persist", "memory", "off"}
	case "sqlite.Synchronous":
		return []string{"", "off", "normal", "full", "extra"}
	}
	return nil
}

// baseConfig is the domain's Config the form starts from: the live
// component's where it can be read, with every credential left out
// (generated programs read those from the environment).
func (c *Console) baseConfig(domain string) (any, error) {
	switch domain {
	case "sqlite":
		cfg := sqlite.Config{Path: "app.db", Create: true}
		if _, comp, ok := c.component(sqlite.Kind); ok {
			if db, ok := comp.(*sqlite.DB); ok {
				cfg = db.Config()
			}
		}
		return cfg, nil
	case "redis":
		cfg := redis.Config{Addrs: []string{redis.DefaultAddr}}
		if _, comp, ok := c.component(redis.Kind); ok {
			t := comp.Stats().Target
			if i := strings.IndexAny(t, "/ "); i >= 0 {
				t = t[:i]
			}
			if t != "" && !strings.HasPrefix(t, "unix:") {
				cfg.Addrs = strings.Split(t, ",")
			}
		}
		return cfg, nil
	case "websocket":
		return websocket.Config{URL: c.ws.echoURLForForm(), Options: websocket.Options{Subprotocols: []string{echoProtocol}}}, nil
	case "s3":
		cfg := s3.Config{Bucket: "my-bucket"}
		if cl, ok := c.s3Client(); ok {
			cfg = cl.Config()
		}
		cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken, cfg.Logger = "", security.Secret{}, security.Secret{}, nil
		return cfg, nil
	}
	return nil, arsenal.Errorf(arsenal.NotFound, Kind, "config", "no domain %q (sqlite, redis, websocket, s3)", domain)
}

var durationType = reflect.TypeFor[time.Duration]()

// fieldsOf lists the editable fields of a Config struct: strings, bools,
// integers, durations and string lists. Credentials, TLS settings,
// callbacks and loggers are left out.
func fieldsOf(cfg any) []field {
	v := reflect.ValueOf(cfg)
	domain := domainOf(cfg)
	var out []field
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			fv := v.Field(i)
			if !sf.IsExported() || arsenal.IsSecretName(sf.Name) || sf.Name == "AccessKeyID" {
				continue
			}
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(fv)
				continue
			}
			f := field{Name: sf.Name}
			switch {
			case sf.Type == durationType:
				f.Type, f.Value = "duration", fv.Interface().(time.Duration).String()
				if fv.Int() == 0 {
					f.Value = ""
				}
			case sf.Type.Kind() == reflect.Bool:
				f.Type, f.Value = "bool", strconv.FormatBool(fv.Bool())
			case sf.Type.Kind() == reflect.String:
				f.Type, f.Value = "text", fv.String()
				if ch := choices(domain, sf.Name); ch != nil {
					f.Type, f.Choices = "select", ch
				}
			case sf.Type.Kind() >= reflect.Int && sf.Type.Kind() <= reflect.Int64:
				f.Type, f.Value = "int", strconv.FormatInt(fv.Int(), 10)
			case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
				f.Type, f.Value = "list", strings.Join(fv.Interface().([]string), ",")
			default:
				continue
			}
			out = append(out, f)
		}
	}
	walk(v)
	return out
}

func domainOf(cfg any) string {
	switch cfg.(type) {
	case sqlite.Config:
		return "sqlite"
	case redis.Config:
		return "redis"
	case websocket.Config:
		return "websocket"
	case s3.Config:
		return "s3"
	}
	return ""
}

// configFrom applies the form's values to the domain's base Config.
// Unknown fields and unparsable values are InvalidArgument.
func (c *Console) configFrom(domain string, values map[string]string, headers [][2]string) (any, error) {
	base, err := c.baseConfig(domain)
	if err != nil {
		return nil, err
	}
	pv := reflect.New(reflect.TypeOf(base))
	pv.Elem().Set(reflect.ValueOf(base))
	allowed := map[string]field{}
	for _, f := range fieldsOf(base) {
		allowed[f.Name] = f
	}
	for name, val := range values {
		f, ok := allowed[name]
		if !ok {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "config", "%s has no editable field %q", domain, name)
		}
		if f.Choices != nil && !contains(f.Choices, val) {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "config", "%s: %q is not one of %v", name, val, f.Choices)
		}
		fv := findField(pv.Elem(), name)
		switch f.Type {
		case "duration":
			d := time.Duration(0)
			if val != "" {
				if d, err = time.ParseDuration(val); err != nil {
					return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "config", "%s: %v", name, err)
				}
			}
			fv.SetInt(int64(d))
		case "bool":
			fv.SetBool(val == "true")
		case "int":
			n := int64(0)
			if val != "" {
				if n, err = strconv.ParseInt(val, 10, 64); err != nil || fv.OverflowInt(n) {
					return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "config", "%s: %q is not an integer in range", name, val)
				}
			}
			fv.SetInt(n)
		case "list":
			var l []string
			for _, s := range strings.Split(val, ",") {
				if s = strings.TrimSpace(s); s != "" {
					l = append(l, s)
				}
			}
			fv.Set(reflect.ValueOf(l))
		default:
			fv.SetString(val)
		}
	}
	if domain == "websocket" && len(headers) > 0 {
		h, err := headerOf(headers)
		if err != nil {
			return nil, err
		}
		cfg := pv.Elem().Interface().(websocket.Config)
		cfg.Header = h
		return cfg, nil
	}
	return pv.Elem().Interface(), nil
}

func findField(v reflect.Value, name string) reflect.Value {
	if f := v.FieldByName(name); f.IsValid() {
		return f
	}
	return reflect.Value{}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// headerOf builds handshake headers from the header editor's rows; empty
// rows are skipped, and at most 32 rows are accepted.
func headerOf(rows [][2]string) (http.Header, error) {
	if len(rows) > 32 {
		return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "headers", "at most 32 headers")
	}
	h := http.Header{}
	for _, r := range rows {
		name, val := strings.TrimSpace(r[0]), strings.TrimSpace(r[1])
		if name == "" {
			continue
		}
		if !validHeaderName(name) || strings.ContainsAny(val, "\r\n\x00") {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "headers", "header %q is not a valid header", name)
		}
		h.Add(name, val)
	}
	return h, nil
}

func validHeaderName(s string) bool {
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}
