// Package codegen writes ready-to-run programs from Arsenal component
// configurations, and validates each one by parsing it.
//
// Render takes a domain package's own Config value (sqlite.Config,
// redis.Config, websocket.Config or s3.Config), so a generated program
// means exactly what the library would do with that configuration:
//
//	code, err := codegen.Render(redis.Config{Addrs: []string{"127.0.0.1:6379"}, DB: 2},
//		codegen.Template{Language: codegen.TypeScript, Framework: codegen.Bun, Complexity: codegen.Production})
//	if err != nil { ... }
//	os.WriteFile(code.Filename, []byte(code.Source), 0o644)
//	fmt.Print(code.Report)
//
// Templates (text/template, embedded) are keyed by component, language (Go,
// TypeScript, JavaScript), framework (Arsenal for Go; Bun, Node and Deno for
// TypeScript and JavaScript), features (FeaturesOf) and complexity: Basic
// connects and performs one operation per feature; Advanced checks every
// result; Production adds error classification, retries with backoff,
// timeouts, graceful shutdown on SIGINT/SIGTERM and structured logging.
// Bun programs use Bun's built-ins (bun:sqlite, RedisClient, WebSocket,
// S3Client). Node programs use better-sqlite3, ioredis, ws and
// @aws-sdk/client-s3 (with @aws-sdk/lib-storage for multipart uploads and
// @aws-sdk/s3-request-presigner for presigned URLs). Deno programs use
// node:sqlite and Deno's own WebSocket (which takes handshake headers), and
// the same npm packages as Node through npm: specifiers for Redis and S3.
// UnsupportedCombinations lists what is not rendered, with the reason; the
// report's compatibility section names what a framework does differently
// from the configuration (such as Deno's node:sqlite dropping readOnly on
// deserialize, or Bun's missing backup API).
//
// # Configuration
//
// The Config value is validated with its own Validate method before
// anything is written. Endpoints (addresses, bucket, region) are read from
// environment variables at run time, falling back to the configured value,
// so one program runs against any server; Code.Env lists them. Secrets
// (passwords, keys, tokens) are only ever read from the environment.
// Template chooses language, framework, complexity and features; its zero
// value is Go, basic, no features.
//
// # Validation
//
// Every Code carries a Report in four sections:
//
//   - syntax: Go is parsed by go/parser and formatted by go/format;
//     TypeScript and JavaScript are parsed by esbuild's Go API;
//   - security: each config value is written as an escaped, ASCII-only
//     literal of the target language (GoString, JSString) and the parsed
//     program is checked to hold it back unchanged as one literal. Every
//     secret the Config holds is found by walking it (security.Secret
//     values at any depth, secret-named string fields, URL passwords and
//     secret-named query parameters such as ?access_token=, credential
//     headers such as Authorization, Cookie or X-Signature) and checked to
//     be written as no literal (an environment default included) and to
//     appear nowhere in the source: a Secret is only ever an environment
//     lookup, and a program breaking this is refused (Internal, with an
//     Error finding naming the field, never the value). Plaintext
//     transport and disabled certificate checks are warnings. A fuzz test
//     proves no value changes the program's syntax tree;
//   - performance: suggestions drawn from the config and features;
//   - compatibility: what the chosen framework lacks, as warnings.
//
// # Errors
//
// Render returns *arsenal.Error values with component "codegen": an
// invalid config, an unknown template name or a value the target language
// cannot hold (a JavaScript string cannot hold invalid UTF-8) is
// InvalidArgument; an unsupported combination is Unimplemented; a program
// that fails its own syntax or security check is Internal (a bug in
// codegen), returned together with the Code and its Report.
//
// # Concurrency
//
// Render and every other function are safe for concurrent use; the
// templates are parsed once, on first use. Render does no I/O.
package codegen
