package codegen_test

import (
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/redis"
)

// sampleConfig returns the configuration the golden files are rendered
// from: a few non-default settings and a secret, so the output shows how
// each is written.
func sampleConfig(t testing.TB, c codegen.Component) any {
	t.Helper()
	switch c {
	case codegen.Redis:
		return redis.Config{
			Addrs:          []string{"127.0.0.1:6379"},
			Password:       "s3cr3t-redis-password",
			DB:             2,
			ClientName:     "orders-service",
			ConnectTimeout: 5 * time.Second,
			MaxRetries:     5,
		}
	}
	t.Skipf("no sample config for %s yet", c)
	return nil
}
