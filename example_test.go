package arsenal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// Open picks the domain by the URL's scheme; importing a domain package
// registers its schemes. A sqlite: URL needs mode=rwc to create the file.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "arsenal-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	c, err := arsenal.Open(ctx, "sqlite://"+filepath.ToSlash(filepath.Join(dir, "app.db"))+"?mode=rwc")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("kind:", c.Kind())
	fmt.Println("healthy:", c.Health(ctx) == nil)

	// A scheme no imported package registered is InvalidArgument.
	_, err = arsenal.Open(ctx, "mongodb://127.0.0.1/app")
	fmt.Println("mongodb:", arsenal.CodeOf(err))
	// Output:
	// kind: sqlite
	// healthy: true
	// mongodb: InvalidArgument
}

// OpenAs returns the concrete type a scheme opens (here *sqlite.DB for
// sqlite:), so the domain's own methods are at hand.
func ExampleOpenAs() {
	ctx := context.Background()
	db, err := arsenal.OpenAs[*sqlite.DB](ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO users (name) VALUES (?)", "ada"); err != nil {
		log.Fatal(err)
	}
	var name string
	if err := db.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", 1).Scan(&name); err != nil {
		log.Fatal(err)
	}
	fmt.Println(name)
	// Output: ada
}

// A Hub owns a set of named components: it checks their health together
// and closes them in reverse order.
func ExampleHub() {
	ctx := context.Background()
	hub := arsenal.NewHub()
	defer hub.Close()
	for _, name := range []string{"users", "sessions"} {
		if _, err := hub.OpenURL(ctx, name, "sqlite::memory:"); err != nil {
			log.Fatal(err)
		}
	}
	report := hub.Health(ctx)
	for _, c := range report.Components {
		fmt.Println(c.Name, c.Kind, c.Healthy())
	}
	fmt.Println("all healthy:", report.Healthy())

	db, err := arsenal.GetAs[*sqlite.DB](hub, "users")
	if err != nil {
		log.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT 40 + 2").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println("users says", n)
	_, err = arsenal.GetAs[*sqlite.DB](hub, "cache")
	fmt.Println("cache:", arsenal.CodeOf(err))
	// Output:
	// users sqlite true
	// sessions sqlite true
	// all healthy: true
	// users says 42
	// cache: NotFound
}

// Hub.Handler serves Kubernetes-style health endpoints (and /metrics) for
// the hub's components; mount it under a prefix of your mux.
func ExampleHub_Handler() {
	ctx := context.Background()
	hub := arsenal.NewHub()
	defer hub.Close()
	if _, err := hub.OpenURL(ctx, "db", "sqlite::memory:"); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/healthz/", http.StripPrefix("/healthz", hub.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/healthz/livez", "/healthz/readyz?verbose"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %d\n%s", path, resp.StatusCode, body)
	}
	// Output:
	// /healthz/livez 200
	// livez ok
	// /healthz/readyz?verbose 200
	// [+]db ok
	// readyz ok
}

// Errors carry a Code that survives wrapping; Classify says whether the
// call is safe to retry and what to do.
func ExampleErrorf() {
	err := arsenal.Errorf(arsenal.NotFound, "cache", "get", "key %q is not cached", "user:1")
	wrapped := fmt.Errorf("load profile: %w", err)
	fmt.Println(err)
	fmt.Println(arsenal.CodeOf(wrapped), arsenal.IsCode(wrapped, arsenal.NotFound))
	var ae *arsenal.Error
	if errors.As(wrapped, &ae) {
		fmt.Println(ae.Component, ae.Op)
	}
	c := arsenal.Classify(wrapped)
	fmt.Println("retryable:", c.Retryable, "action:", c.Action)
	// Output:
	// cache: get: NotFound: key "user:1" is not cached
	// NotFound true
	// cache get
	// retryable: false action: fail
}

// Classify also reads context and standard library errors, so a caller
// can decide without knowing which package failed. An error is retryable
// only when the call is provably safe to repeat: a domain marks it so
// (WithRetry) when the request never left the process or is idempotent.
func ExampleClassify() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	for _, err := range []error{ctx.Err(), os.ErrNotExist,
		arsenal.Errorf(arsenal.Unavailable, "redis", "get", "connection lost"),
		arsenal.Errorf(arsenal.Unavailable, "redis", "dial", "connection refused").WithRetry(true)} {
		c := arsenal.Classify(err)
		fmt.Println(c.Code, c.Retryable, c.Action)
	}
	// Output:
	// DeadlineExceeded false fail
	// NotFound false fail
	// Unavailable false fail
	// Unavailable true retry
}

// HTTPStatus maps a code to the status a web service answers with;
// ErrorStatus does it for an error.
func ExampleHTTPStatus() {
	for _, c := range []arsenal.Code{arsenal.OK, arsenal.InvalidArgument, arsenal.NotFound, arsenal.AlreadyExists,
		arsenal.Unauthenticated, arsenal.ResourceExhausted, arsenal.Unavailable, arsenal.DeadlineExceeded} {
		fmt.Println(c, arsenal.HTTPStatus(c))
	}
	err := fmt.Errorf("handler: %w", arsenal.Errorf(arsenal.PermissionDenied, "s3", "get", "access denied"))
	fmt.Println(arsenal.ErrorStatus(err), arsenal.ErrorStatus(nil))
	// Output:
	// OK 200
	// InvalidArgument 400
	// NotFound 404
	// AlreadyExists 409
	// Unauthenticated 401
	// ResourceExhausted 429
	// Unavailable 503
	// DeadlineExceeded 504
	// 403 200
}

// Validation gathers every bad field of a configuration into one
// InvalidArgument error.
func ExampleValidation() {
	v := arsenal.Validation{Component: "cache"}
	v.Check(false, "Addr", "is required")
	v.Check(-1 >= 0, "PoolSize", "must not be negative, got %d", -1)
	err := v.Err()
	fmt.Println(arsenal.CodeOf(err))
	var ce *arsenal.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Has("Addr"), ce.Has("PoolSize"), ce.Has("Timeout"))
	}
	// Output:
	// InvalidArgument
	// true true false
}

// RedactURL keeps passwords and secret query values out of logs.
func ExampleRedactURL() {
	fmt.Println(arsenal.RedactURL("redis://app:hunter2@cache.internal:6379/0?password=x&db=1"))
	// Output: redis://app:xxxxx@cache.internal:6379/0?db=1&password=xxxxx
}
