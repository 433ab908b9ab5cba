package redis

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
)

func TestOnlyIdempotentCommandsLostMidExchangeAreSafeToRetry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := Open(ctx, Config{Addrs: []string{testenv.SharedRedis(t).Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := c.bld // rueidis has no public builder outside a client
	tests := []struct {
		name string
		cmd  rueidis.Completed
		safe bool
	}{
		{"GET", b.Get().Key("k").Build(), true},
		{"HGETALL", b.Hgetall().Key("k").Build(), true},
		{"plain SET", b.Set().Key("k").Value("v").Build(), true},
		{"SET with EX", b.Set().Key("k").Value("v").Ex(10).Build(), true},
		{"SET NX", b.Set().Key("k").Value("v").Nx().Build(), false},
		{"SET GET", b.Set().Key("k").Value("v").Get().Build(), false},
		{"DEL", b.Del().Key("k").Build(), true},
		{"HSET", b.Hset().Key("k").FieldValue().FieldValue("f", "v").Build(), true},
		{"INCR", b.Incr().Key("k").Build(), false},
		{"LPUSH", b.Lpush().Key("k").Element("v").Build(), false},
		{"XADD", b.Xadd().Key("k").Id("*").FieldValue().FieldValue("f", "v").Build(), false},
		{"PUBLISH", b.Publish().Channel("c").Message("m").Build(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapErr("x", io.ErrUnexpectedEOF)
			if idempotent(&tt.cmd) {
				err = safeToRetry(err)
			}
			if got := arsenal.Classify(err).Retryable; got != tt.safe {
				t.Errorf("retryable %v, want %v", got, tt.safe)
			}
		})
	}
}
