package websocket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/websocket"
)

// Topics guarded by a policy: an authenticating middleware puts the
// principal in the request's context, and Subscribe and Publish are
// checked against the rules before anything is sent.
func ExampleServerConfig_security() {
	policy, _ := security.NewPolicy(
		security.Rule{Name: "connect", Effect: security.Allow, Component: "websocket", Operation: "upgrade"},
		security.Rule{Name: "members chat", Effect: security.Allow, Role: "member", Component: "websocket",
			Operation: "subscribe,publish", Resource: "chat/*"},
		security.Rule{Name: "read-only news", Effect: security.Deny, Component: "websocket", Operation: "publish", Resource: "chat/news"},
	)
	opened := make(chan *websocket.Conn, 1)
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		Security: security.Options{Policy: policy},
		OnOpen:   func(c *websocket.Conn) { opened <- c },
	})
	defer srv.Close()
	authenticate := func(w http.ResponseWriter, r *http.Request) {
		// A real middleware checks a session or a token here.
		if user := r.Header.Get("X-User"); user != "" {
			r = r.WithContext(security.WithPrincipal(r.Context(), security.Principal{Name: user, Roles: []string{"member"}}))
		}
		srv.ServeHTTP(w, r)
	}
	hs := httptest.NewServer(http.HandlerFunc(authenticate))
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.Options{Header: http.Header{"X-User": {"alice"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	alice := <-opened

	fmt.Println(alice.Subscribe("chat/lobby"))
	err = alice.Subscribe("admin/audit")
	fmt.Println(arsenal.CodeOf(err))
	_, err = alice.Publish("chat/news", websocket.Text, []byte("breaking"))
	fmt.Println(arsenal.CodeOf(err), strings.Contains(err.Error(), `rule "read-only news"`))
	// Output:
	// <nil>
	// PermissionDenied
	// PermissionDenied true
}

// A client whose bearer token comes from a credential provider, asked on
// every dial and reconnect (security.Env, security.File and
// security.ProviderFunc rotate it without a restart).
func ExampleOptions_security() {
	srv, _ := websocket.NewServer(websocket.ServerConfig{
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			if r.Header.Get("Authorization") != "Bearer s3cr3t-token" {
				return nil, nil, arsenal.Errorf(arsenal.Unauthenticated, "example", "upgrade", "bad token")
			}
			return nil, nil, nil
		},
	})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	token := security.Static(security.Credentials{Secret: security.NewSecret("s3cr3t-token")})
	c, err := websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{Credentials: token}})
	fmt.Println(err)
	if err == nil {
		_ = c.Close()
	}
	wrong := security.Static(security.Credentials{Secret: security.NewSecret("stale")})
	_, err = websocket.Dial(ctx, url, &websocket.Options{Security: security.Options{Credentials: wrong}})
	fmt.Println(arsenal.CodeOf(err))
	// Output:
	// <nil>
	// Unauthenticated
}
