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
// Open returns a Component; OpenAs[T] and GetAs[T] return the concrete
// type a scheme opens (each domain's doc lists its schemes and types):
//
//	rc, err := arsenal.OpenAs[*redis.Client](ctx, "redis://localhost:6379/0")
//
// # Errors
//
// Every error a component returns is, or wraps, an *Error carrying a Code,
// the component kind, the operation and the cause. Classify(err) gives the
// code, whether the call is safe to retry, and the Action to take: retry
// with backoff, reconnect, re-authenticate, or fail. Safe to retry means
// the request provably never left the process, the server refused it
// without applying it, or the operation is idempotent (an S3 GET or PUT of
// a whole object, a Redis GET or plain SET; not an INCR, not an INSERT):
// each domain says which, as pgconn's SafeToRetry does. Context
// cancellation is never retryable. Domains translate their native errors
// once, at the boundary; nothing is classified by matching message text
// where a typed error exists. Codes are stable and never renumbered.
// HTTPStatus maps a code to the status a web service answers with.
//
// # Stats and health
//
// Stats is the snapshot every component gives; its Detail is the domain's
// typed stats value (redis.ClientStats, sqlite.DBStats, ...) and Gauges
// lists that value's numeric fields with units. A Hub checks its
// components' health together, and Handler serves that over HTTP as
// Kubernetes' /livez and /readyz.
//
// # Concurrency
//
// Components, the registry and Hub are safe for concurrent use. Components
// and hubs must be closed; Close is idempotent, and calls after Close fail
// with FailedPrecondition wrapping ErrClosed.
package arsenal
