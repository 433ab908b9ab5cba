package redis

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/rueidis"

	"github.com/infra-arsenal/arsenal"
)

// idempotentWrites are the writes whose second run leaves the same state
// and the same reply as the first, so that a caller who cannot tell
// whether the first reached the server may send it again.
var idempotentWrites = map[string]bool{
	"DEL": true, "UNLINK": true, "HSET": true, "HMSET": true, "HDEL": true, "SADD": true, "SREM": true,
	"ZREM": true, "EXPIRE": true, "PEXPIRE": true, "EXPIREAT": true, "PEXPIREAT": true, "PERSIST": true,
	"MSET": true, "SETEX": true, "PSETEX": true,
}

// idempotent reports whether cmd may be sent again after a connection
// failure: a read-only command, one of idempotentWrites, or a SET without
// NX, XX or GET (whose replies depend on what the first run did). INCR,
// LPUSH, XADD, PUBLISH and the like are not.
func idempotent(cmd *rueidis.Completed) bool {
	if cmd.IsReadOnly() {
		return true
	}
	args := cmd.Commands()
	if len(args) == 0 {
		return false
	}
	name := strings.ToUpper(args[0])
	if idempotentWrites[name] {
		return true
	}
	if name != "SET" {
		return false
	}
	for _, a := range args[3:] {
		switch strings.ToUpper(a) {
		case "NX", "XX", "GET":
			return false
		}
	}
	return true
}

// safeToRetry marks a connection failure or timeout of a read-only
// command as safe to retry: running it again changes nothing, whether or
// not the server saw the first attempt.
func safeToRetry(err error) error {
	var ae *arsenal.Error
	if !errors.As(err, &ae) || (ae.Code != arsenal.Unavailable && ae.Code != arsenal.DeadlineExceeded) || ae.Retry != nil {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return ae.WithRetry(true)
}
