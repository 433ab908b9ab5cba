package redis_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

func TestParseURLReadsEverySchemeAndOption(t *testing.T) {
	tests := []struct {
		name  string
		url   string
		check func(redis.Config) bool
	}{
		{"redis with user, password and db", "redis://alice:pw@host:7000/3", func(c redis.Config) bool {
			return slices.Equal(c.Addrs, []string{"host:7000"}) && c.Username == "alice" && c.Password.Reveal() == "pw" && c.DB == 3 && !c.TLS
		}},
		{"default port", "redis://host", func(c redis.Config) bool { return slices.Equal(c.Addrs, []string{"host:6379"}) }},
		{"password only (user default)", "redis://default:pw@h:1", func(c redis.Config) bool { return c.Username == "" && c.Password.Reveal() == "pw" }},
		{"rediss is TLS", "rediss://h:6380", func(c redis.Config) bool { return c.TLS }},
		{"redis+tls is TLS", "redis+tls://h:6380", func(c redis.Config) bool { return c.TLS }},
		{"valkey is plain", "valkey://h:1", func(c redis.Config) bool { return !c.TLS && c.Addrs[0] == "h:1" }},
		{"valkeys is TLS", "valkeys://h:1", func(c redis.Config) bool { return c.TLS }},
		{"redis+unix reads the socket path and db", "redis+unix:///run/redis.sock?db=2", func(c redis.Config) bool {
			return c.UnixSocket == "/run/redis.sock" && c.DB == 2 && len(c.Addrs) == 0
		}},
		{"unix is a socket", "unix:///tmp/r.sock", func(c redis.Config) bool { return c.UnixSocket == "/tmp/r.sock" }},
		{"redis+tls+unix is TLS over a socket", "redis+tls+unix:///tmp/r.sock", func(c redis.Config) bool { return c.UnixSocket == "/tmp/r.sock" && c.TLS }},
		{"query options", "redis://h:1?client_name=app&connect_timeout=2s&idle_timeout=1m&max_retries=3&auto_reconnect=false&offline_queue=false&auto_pipelining=false&cache=false&pipeline_conns=2", func(c redis.Config) bool {
			return c.ClientName == "app" && c.ConnectTimeout == 2*time.Second && c.IdleTimeout == time.Minute && c.MaxRetries == 3 &&
				c.DisableAutoReconnect && c.DisableOfflineQueue && c.DisableAutoPipelining && c.DisableCache && c.PipelineConns == 2
		}},
		{"extra seed addresses", "redis://h1:1?addr=h2:2&addr=h3", func(c redis.Config) bool {
			return slices.Equal(c.Addrs, []string{"h1:1", "h2:2", "h3:6379"})
		}},
		{"master_set means sentinel", "redis://s1:26379?master_set=mymaster", func(c redis.Config) bool {
			return c.Mode == redis.ModeSentinel && c.SentinelMaster == "mymaster"
		}},
		{"cluster mode", "redis://h:1?mode=cluster&read_from_replicas=true", func(c redis.Config) bool {
			return c.Mode == redis.ModeCluster && c.ReadFromReplicas
		}},
		{"skip_verify without value", "rediss://h:1?skip_verify", func(c redis.Config) bool { return c.TLSInsecureSkipVerify }},
		{"command_timeout", "redis://h:1?command_timeout=250ms", func(c redis.Config) bool { return c.CommandTimeout == 250*time.Millisecond }},
	}
	for _, tt := range tests {
		c, err := redis.ParseURL(tt.url)
		if !assert.NoError(t, err, tt.name) {
			continue
		}
		assert.True(t, tt.check(c), "%s: unexpected config %+v", tt.name, c)
		assert.NoError(t, c.Validate(), "%s: parsed config does not validate", tt.name)
	}
}

func TestParseURLRejectsBadURLsWithoutEchoingSecrets(t *testing.T) {
	tests := []struct {
		name string
		url  string
	}{
		{"unknown scheme", "http://user:hunter2@h:1"},
		{"non-numeric db", "redis://user:hunter2@h:1/abc"},
		{"unknown parameter", "redis://user:hunter2@h:1?bogus=1"},
		{"bad duration", "redis://user:hunter2@h:1?connect_timeout=fast"},
		{"bad boolean", "redis://user:hunter2@h:1?cache=maybe"},
		{"secret in the query", "redis://h:1?password=hunter2"},
		{"unix without a path", "redis+unix://user:hunter2@"},
		{"no scheme", "user:hunter2@h:1"},
	}
	for _, tt := range tests {
		_, err := redis.ParseURL(tt.url)
		if !arsenal.IsCode(err, arsenal.InvalidArgument) {
			t.Errorf("%s: %v; want InvalidArgument", tt.name, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error echoes the password: %v", tt.name, err)
		}
	}
}

func TestDefaultConfigReadsREDIS_URLThenVALKEY_URL(t *testing.T) {
	tests := []struct {
		name          string
		redis, valkey string
		want          string
	}{
		{"REDIS_URL wins", "redis://r:1", "redis://v:2", "r:1"},
		{"VALKEY_URL next", "", "valkey://v:2", "v:2"},
		{"localhost last", "", "", "localhost:6379"},
	}
	for _, tt := range tests {
		t.Setenv("REDIS_URL", tt.redis)
		t.Setenv("VALKEY_URL", tt.valkey)
		c, err := redis.DefaultConfig()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(c.Addrs) != 1 || c.Addrs[0] != tt.want {
			t.Errorf("%s: Addrs %v, want %s", tt.name, c.Addrs, tt.want)
		}
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	cfg := redis.Config{
		Addrs:               []string{"host-without-port", "h:99999"},
		DB:                  -1,
		ClientName:          "has space",
		ConnectTimeout:      -time.Second,
		IdleTimeout:         -1,
		ReconnectBackoffMin: time.Second,
		ReconnectBackoffMax: time.Millisecond,
		PipelineConns:       9,
		MaxFlushDelay:       time.Hour,
		CacheSizeEachConn:   -1,
		Mode:                "ring",
		ReplicaOnly:         true,
		ReadFromReplicas:    true,
	}
	err := cfg.Validate()
	var ce *arsenal.ConfigError
	if !errors.As(err, &ce) || !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Fatalf("Validate: %v; want InvalidArgument with a ConfigError", err)
	}
	for _, f := range []string{"Addrs", "DB", "ClientName", "ConnectTimeout", "IdleTimeout", "ReconnectBackoffMax",
		"PipelineConns", "MaxFlushDelay", "CacheSizeEachConn", "Mode", "ReplicaOnly"} {
		if !ce.Has(f) {
			t.Errorf("ConfigError does not name %s: %v", f, ce)
		}
	}
	sentinel := redis.Config{Mode: redis.ModeSentinel}
	var se *arsenal.ConfigError
	if err := sentinel.Validate(); !errors.As(err, &se) || !se.Has("SentinelMaster") {
		t.Errorf("sentinel mode without a master: %v", err)
	}
	if err := (redis.Config{}).Validate(); err != nil {
		t.Errorf("the zero Config must validate: %v", err)
	}
}

func TestOpenThroughTheSchemeRegistry(t *testing.T) {
	srv := testenvShared(t)
	ctx := ctxT(t)
	for _, scheme := range []string{"redis", "valkey"} {
		comp, err := arsenal.Open(ctx, scheme+"://"+srv.Addr+"/0?client_name=registry")
		if err != nil {
			t.Fatalf("arsenal.Open(%s): %v", scheme, err)
		}
		if comp.Kind() != "redis" {
			t.Errorf("Kind = %q", comp.Kind())
		}
		if err := comp.Health(ctx); err != nil {
			t.Error(err)
		}
		comp.Close()
	}
	for _, s := range []string{"redis", "rediss", "redis+tls", "redis+unix", "redis+tls+unix", "valkey", "valkeys", "unix"} {
		if !slices.Contains(arsenal.Schemes(), s) {
			t.Errorf("scheme %s not registered", s)
		}
	}
}

func TestOpenHonoursACancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := redis.Open(ctx, redis.Config{Addrs: []string{"127.0.0.1:1"}})
	if !arsenal.IsCode(err, arsenal.Canceled) {
		t.Fatalf("Open with a cancelled context: %v; want Canceled", err)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"redis://u:p@h:1/2?db=3", "rediss://h", "redis+unix:///s?db=1", "valkey://h:1?addr=x:2&mode=cluster",
		"redis://[::1]:6379", "redis://h:1?connect_timeout=1s", "unix://", "redis://h:99999999", "%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := redis.ParseURL(s)
		if err != nil {
			var ae *arsenal.Error
			if !errors.As(err, &ae) || ae.Code != arsenal.InvalidArgument {
				t.Fatalf("ParseURL(%q) error %v is not InvalidArgument", s, err)
			}
			if pw := c.Password.Reveal(); pw != "" && strings.Contains(err.Error(), pw) {
				t.Fatalf("error echoes the password")
			}
			return
		}
		_ = c.Validate() // must not panic
	})
}
