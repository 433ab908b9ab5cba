package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

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

// The examples catalog is served under api/examples, filtered like
// `go run ./examples/catalog` (q, tag, database, complexity, feature).
func ExampleHandler_catalog() {
	hub := arsenal.NewHub()
	defer hub.Close()
	srv := httptest.NewServer(console.Handler(hub, console.Options{}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/examples?database=redis&q=" + url.QueryEscape("rate limiter"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var list struct {
		Examples []struct{ Name, Complexity string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range list.Examples {
		fmt.Println(e.Name, e.Complexity)
	}
	// Output: redis-rate-limiter intermediate
}

// With Options.AllowTutorialSolutions a step's solution can be applied
// from the page (or any same-origin client); Check validates the step
// against the live component, here the console's own WebSocket playground.
func ExampleOptions_tutorialSolutions() {
	c, err := console.New(arsenal.NewHub(), console.Options{AllowTutorialSolutions: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	srv := httptest.NewServer(c)
	defer srv.Close()
	post := func(path string) string {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(`{"step": 1}`))
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		var v struct {
			Results []struct {
				Done bool
				Code string
			}
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		if len(v.Results) == 0 {
			return resp.Status
		}
		return fmt.Sprintf("done=%v %s", v.Results[0].Done, v.Results[0].Code)
	}
	fmt.Println("check:", post("/api/tutorials/websocket/check"))
	fmt.Println("apply:", post("/api/tutorials/websocket/apply"))
	fmt.Println("check:", post("/api/tutorials/websocket/check"))
	// Output:
	// check: done=false FailedPrecondition
	// apply: 200 OK
	// check: done=true
}
