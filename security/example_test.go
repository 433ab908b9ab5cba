package security_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

func ExampleValidate() {
	r := security.Validate(`users"; DROP TABLE x; --`, security.SQLIdent)
	fmt.Println(r.Safe, r.Sanitized)
	for _, w := range r.Warnings {
		fmt.Println(w.Rule)
	}

	r = security.Validate("' OR '1'='1' --", security.SQLText)
	fmt.Println(r.Safe, r.Has("sql.tautology"), r.Has("sql.comment"))

	r = security.Validate(`{"user":"admin","password":{"$ne":null}}`, security.JSONDoc)
	fmt.Println(r.Sanitized)

	r = security.Validate(`<b>hi</b><img src=x onerror=alert(1)>`, security.HTMLUGC)
	fmt.Println(r.Sanitized)

	fmt.Printf("%q\n", security.Validate("jav&#x61;script:alert(1)", security.URL).Sanitized)
	// Output:
	// false "users""; DROP TABLE x; --"
	// sql.ident.chars
	// false true true
	// {"password":{},"user":"admin"}
	// <b>hi</b><img src="x">
	// ""
}

func ExampleAllowlist_OrderBy() {
	sortable := security.NewAllowlist("name", "created")
	ob, err := sortable.OrderBy("created DESC, name")
	fmt.Println(ob, err)
	_, err = sortable.OrderBy("password")
	fmt.Println(arsenal.CodeOf(err))
	// Output:
	// "created" DESC, "name" <nil>
	// InvalidArgument
}

func ExampleEscapeGlob() {
	// Match keys starting with the user's text, literally.
	fmt.Println(security.EscapeGlob("user:*[1]") + "*")
	fmt.Println(security.EscapeLike("50%_off") + "%")
	// Output:
	// user:\*\[1\]*
	// 50\%\_off%
}

func ExamplePolicy_Authorize() {
	policy, err := security.NewPolicy(
		security.Rule{Name: "no-flush", Effect: security.Deny, Component: "redis", Operation: "flushall,flushdb"},
		security.Rule{Name: "readers", Effect: security.Allow, Role: "reader", Component: "redis", Operation: "get,mget"},
		security.Rule{Name: "ops", Effect: security.Allow, Role: "ops"},
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	alice := security.Principal{Name: "alice", Roles: []string{"reader"}}
	fmt.Println(policy.Authorize(ctx, alice, "redis", "get", "user:1"))
	fmt.Println(policy.Authorize(ctx, alice, "redis", "set", "user:1"))
	ops := security.WithPrincipal(ctx, security.Principal{Name: "bob", Roles: []string{"ops"}})
	fmt.Println(policy.AuthorizeContext(ops, "redis", "flushall", ""))
	// Output:
	// <nil>
	// redis: set: PermissionDenied: alice may not set "user:1": no rule allows it
	// redis: flushall: PermissionDenied: bob may not flushall "": denied by rule "no-flush"
}

// ExampleOptions shows what a domain does around each operation with the
// security.Options of its Config.
func ExampleOptions() {
	policy, _ := security.NewPolicy(security.Rule{Name: "app", Effect: security.Allow, Principal: "app", Operation: "get,set"})
	// Drop the time and latency so that the output is fixed.
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "latency_ms" {
			return slog.Attr{}
		}
		return a
	}})
	opts := security.Options{Policy: policy, Audit: security.NewAuditor(h, nil)}
	ctx := security.WithPrincipal(context.Background(), security.Principal{Name: "app"})

	do := func(op, key string) error {
		if err := opts.Authorize(ctx, "redis", op, key); err != nil {
			return err // denied before any I/O, and audited
		}
		start := time.Now()
		var err error // ... the operation itself ...
		opts.Record(ctx, "redis", op, key, start, err)
		return err
	}
	_ = do("get", "user:1")
	fmt.Println(arsenal.CodeOf(do("del", "user:1")))
	// Output:
	// level=INFO msg=audit principal=app component=redis operation=get resource=user:1 outcome=ok code=OK
	// level=WARN msg=audit principal=app component=redis operation=del resource=user:1 outcome=denied code=PermissionDenied
	// PermissionDenied
}

func ExampleCheck() {
	for _, w := range security.Check(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}) {
		fmt.Println(w.ID)
	}
	cfg, _ := security.TLS{}.Client()
	fmt.Println(len(security.Check(cfg)), cfg.MinVersion == tls.VersionTLS12)
	// Output:
	// tls.skip-verify
	// tls.min-version
	// 0 true
}

func ExampleOriginPolicy() {
	p, _ := security.NewOriginPolicy("https://app.example.com", "https://*.example.org")
	fmt.Println(p.Allowed("https://app.example.com"), p.Allowed("https://a.example.org"), p.Allowed("https://evil.example"))
	// Output:
	// true true false
}
