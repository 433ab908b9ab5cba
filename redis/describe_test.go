package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
)

func TestDescribeNamesTheModeOnceAndNoSecrets(t *testing.T) {
	srv := testenv.SharedRedis(t)
	tests := []struct {
		name string
		mode redis.Mode
		want string
	}{
		{"a configured mode is named once", redis.ModeStandalone, "redis " + srv.Addr + " standalone"},
		{"an auto mode names what Open detected", redis.ModeAuto, "redis " + srv.Addr + " (standalone)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr}, Mode: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.Describe(); got != tt.want {
				t.Errorf("Describe() = %q, want %q", got, tt.want)
			}
			if strings.Count(c.Describe(), "standalone") != 1 {
				t.Errorf("mode repeated: %q", c.Describe())
			}
		})
	}
}
