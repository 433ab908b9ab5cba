package codegen_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// sampleConfig returns the configuration the golden files are rendered
// from: a few non-default settings and a secret, so the output shows how
// each is written.
func sampleConfig(t testing.TB, c codegen.Component) any {
	t.Helper()
	cfg, ok := trySampleConfig(c)
	if !ok {
		t.Skipf("no sample config for %s yet", c)
	}
	return cfg
}

func trySampleConfig(c codegen.Component) (any, bool) {
	switch c {
	case codegen.Redis:
		return redis.Config{
			Addrs:          []string{"127.0.0.1:6379"},
			Password:       security.NewSecret("s3cr3t-redis-password"),
			DB:             2,
			ClientName:     "orders-service",
			ConnectTimeout: 5 * time.Second,
			MaxRetries:     5,
		}, true
	case codegen.SQLite:
		return sqlite.Config{
			Path:         "app.db",
			Create:       true,
			Strict:       true,
			SafeIntegers: true,
			Readers:      8,
			BusyTimeout:  2 * time.Second,
			Pragmas:      []string{"foreign_keys=on"},
		}, true
	case codegen.WebSocket:
		return websocket.Config{
			URL: "ws://demo:s3cr3t-ws-password@127.0.0.1:8080/echo?room=lobby",
			Options: websocket.Options{
				Subprotocols:         []string{"chat.v2", "chat.v1"},
				Header:               http.Header{"X-Client": {"arsenal-codegen"}, "X-Api-Key": {"example-api-key"}},
				CompressionLevel:     6,
				CompressionThreshold: 64,
				HandshakeTimeout:     5 * time.Second,
				ReadLimit:            4 << 20,
			},
		}, true
	case codegen.S3:
		return s3.Config{
			Bucket:          "example-bucket",
			Prefix:          "app/",
			Endpoint:        "http://127.0.0.1:9000",
			Region:          "us-east-1",
			AccessKeyID:     "AKIAEXAMPLEKEY",
			SecretAccessKey: security.NewSecret("example-secret-access-key"),
			Style:           s3.StylePath,
			StorageClass:    "STANDARD",
			PartSize:        5 << 20,
			Concurrency:     2,
		}, true
	}
	return nil, false
}
