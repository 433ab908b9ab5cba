package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/security"
)

// Mount the console in a service under /debug/arsenal/, over the
// service's own Hub.
func ExampleHandler() {
	hub := arsenal.NewHub()
	defer hub.Close()
	mux := http.NewServeMux()
	mux.Handle("/debug/arsenal/", http.StripPrefix("/debug/arsenal", console.Handler(hub, console.Options{})))
	srv := httptest.NewServer(mux) // a loopback address, as the console requires without a token
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/debug/arsenal/")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	fmt.Println(resp.Header.Get("X-Content-Type-Options"))
	// Output:
	// 200 text/html; charset=utf-8
	// nosniff
}

// With a token the console also serves other addresses, and every request
// must carry the token: a browser opens the page once with ?token=..., a
// program sends it as a bearer token.
func ExampleOptions_token() {
	c, err := console.New(arsenal.NewHub(), console.Options{Token: security.NewSecret("s3cret-token")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	srv := httptest.NewServer(c)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/state")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("without the token:", resp.StatusCode)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/state", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("with the token:", resp.StatusCode)
	// Output:
	// without the token: 401
	// with the token: 200
}

// Options.Prefix strips the mount path itself, instead of http.StripPrefix.
func ExampleOptions_prefix() {
	hub := arsenal.NewHub()
	defer hub.Close()
	mux := http.NewServeMux()
	mux.Handle("/ops/console/", console.Handler(hub, console.Options{Prefix: "/ops/console"}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/ops/console/api/state")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	// Output: 200 application/json
}
