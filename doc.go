// Package arsenal holds the contracts every Arsenal component speaks: the
// Component, Plugin and CustomClient interfaces, a URL-scheme registry, a Hub
// that manages a set of components, and one error type with a small code enum
// and a classifier.
//
// The domain packages (sqlite, redis, websocket, s3) and plugins implement
// the contracts; import them for their side effect of registering schemes:
//
//	import (
//		"github.com/infra-arsenal/arsenal"
//		_ "github.com/infra-arsenal/arsenal/redis"
//	)
//
//	c, err := arsenal.Open(ctx, "redis://localhost:6379/0")
//
// # Configuration
//
// Each domain has a Config struct whose field comments state the defaults,
// a pure Validate method that lists every bad field at once (an *Error with
// code InvalidArgument wrapping a *ConfigError), and a ParseURL function. Open
// validates before any I/O.
//
// # Errors
//
// Every error a component returns is, or wraps, an *Error carrying a Code,
// the component kind, the operation and the cause. Classify(err) gives the
// code, whether a retry may succeed, and the Action to take: retry with
// backoff, reconnect, re-authenticate, or fail. Context cancellation is never
// retryable. Domains translate their native errors once, at the boundary;
// nothing is classified by matching message text where a typed error exists.
// Codes are stable and never renumbered.
//
// # Concurrency
//
// Components, the registry and Hub are safe for concurrent use. Components
// and hubs must be closed; Close is idempotent, and calls after Close fail
// with FailedPrecondition wrapping ErrClosed.
package arsenal
