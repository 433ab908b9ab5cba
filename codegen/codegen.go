package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/infra-arsenal/arsenal"
)

// Kind is the component kind codegen reports in its errors.
const Kind = "codegen"

// Component names a domain whose Config codegen renders.
type Component string

// The components codegen renders, one per domain package.
const (
	SQLite    Component = "sqlite"
	Redis     Component = "redis"
	WebSocket Component = "websocket"
	S3        Component = "s3"
)

// Components lists every component in a fixed order.
func Components() []Component { return []Component{SQLite, Redis, WebSocket, S3} }

// Language is the language of the generated program.
type Language string

// The languages codegen writes.
const (
	Go         Language = "go"
	TypeScript Language = "typescript"
	JavaScript Language = "javascript"
)

// Languages lists every language in a fixed order.
func Languages() []Language { return []Language{Go, TypeScript, JavaScript} }

// Framework is the library or runtime the generated program is written
// for: Arsenal itself for Go, and a JavaScript runtime for TypeScript and
// JavaScript.
type Framework string

// The frameworks codegen targets.
const (
	Arsenal Framework = "arsenal" // Go, using this library's own packages
	Bun     Framework = "bun"     // Bun's built-ins: bun:sqlite, RedisClient, WebSocket, S3Client
	Node    Framework = "node"    // Node.js with better-sqlite3, ioredis, ws, @aws-sdk/client-s3
	Deno    Framework = "deno"    // Deno with node:sqlite, its native WebSocket, and npm: packages
)

// Frameworks returns the frameworks available for lang, in a fixed order.
func Frameworks(lang Language) []Framework {
	if lang == Go {
		return []Framework{Arsenal}
	}
	return []Framework{Bun, Node, Deno}
}

// Complexity is how much of a real program the output holds.
type Complexity string

// The complexity levels. Each includes the previous one.
const (
	// Basic connects, performs one operation of each selected feature,
	// prints what it got and closes.
	Basic Complexity = "basic"
	// Advanced adds every feature by default, per-call timeouts and
	// checks of each result.
	Advanced Complexity = "advanced"
	// Production adds error classification, retries with backoff for
	// retryable errors, timeouts, graceful shutdown on SIGINT/SIGTERM and
	// structured logging.
	Production Complexity = "production"
)

// Complexities lists every complexity in increasing order.
func Complexities() []Complexity { return []Complexity{Basic, Advanced, Production} }

// Feature is an optional part of a generated program, such as Redis
// pub/sub or an S3 presigned URL. Features are per component; see
// FeaturesOf.
type Feature string

// SQLite features.
const (
	SQLiteDeserialize  Feature = "deserialize"  // serialize the database and open the bytes as a read-only copy
	SQLiteColumnTypes  Feature = "column-types" // declared and runtime column types of a query
	SQLiteTransactions Feature = "transactions" // a transaction that commits and one that rolls back
	SQLiteBackup       Feature = "backup"       // an online backup to a file, checked by opening the copy
	SQLiteFunctions    Feature = "functions"    // a user-defined SQL function
)

// Redis features.
const (
	RedisPubSub       Feature = "pubsub"       // subscribe on one connection, publish on another
	RedisPipelining   Feature = "pipelining"   // a batch of writes sent without waiting for each reply
	RedisTransactions Feature = "transactions" // MULTI/EXEC
	RedisHashes       Feature = "hashes"       // HSET/HGETALL
)

// WebSocket features.
const (
	WebSocketSubprotocols Feature = "subprotocols" // offer the configured subprotocols, report the chosen one
	WebSocketCompression  Feature = "compression"  // permessage-deflate as configured
	WebSocketHeaders      Feature = "headers"      // custom handshake headers
	WebSocketReconnect    Feature = "reconnect"    // reconnect with backoff after the connection drops
)

// S3 features.
const (
	S3List         Feature = "list"          // list objects under a prefix
	S3Upload       Feature = "upload"        // write an object
	S3Download     Feature = "download"      // read an object back
	S3Presign      Feature = "presign"       // a presigned GET URL
	S3StorageClass Feature = "storage-class" // write with the configured storage class
	S3URLStyle     Feature = "url-style"     // path-style or virtual-hosted-style addressing as configured
)

// FeaturesOf lists the features a component's templates know, in a fixed
// order. It returns nil for an unknown component.
func FeaturesOf(c Component) []Feature {
	switch c {
	case SQLite:
		return []Feature{SQLiteDeserialize, SQLiteColumnTypes, SQLiteTransactions, SQLiteBackup, SQLiteFunctions}
	case Redis:
		return []Feature{RedisPubSub, RedisPipelining, RedisTransactions, RedisHashes}
	case WebSocket:
		return []Feature{WebSocketSubprotocols, WebSocketCompression, WebSocketHeaders, WebSocketReconnect}
	case S3:
		return []Feature{S3List, S3Upload, S3Download, S3Presign, S3StorageClass, S3URLStyle}
	}
	return nil
}

// Template chooses what Render writes. The zero value means Go with
// Arsenal, basic, with the default features.
type Template struct {
	Language   Language   // default Go
	Framework  Framework  // default Arsenal for Go, Bun for TypeScript and JavaScript
	Complexity Complexity // default Basic
	// Features to include. Nil means the complexity's defaults: none for
	// Basic, every feature the framework supports for Advanced and
	// Production. A non-nil empty slice means no features.
	Features []Feature
}

// String names the template as "language/framework/complexity[+features]".
func (t Template) String() string {
	s := string(t.Language) + "/" + string(t.Framework) + "/" + string(t.Complexity)
	if len(t.Features) > 0 {
		fs := make([]string, len(t.Features))
		for i, f := range t.Features {
			fs[i] = string(f)
		}
		s += "+" + strings.Join(fs, ",")
	}
	return s
}

// Has reports whether t includes feature f.
func (t Template) Has(f Feature) bool { return slices.Contains(t.Features, f) }

// EnvVar is an environment variable a generated program reads. Every
// endpoint and secret comes from the environment, so the same program runs
// against any server; non-secret settings fall back to the configured
// value when the variable is unset.
type EnvVar struct {
	Name    string `json:"name"`              // such as "REDIS_ADDR"
	Field   string `json:"field"`             // the Config field it stands for, such as "Addr"
	Secret  bool   `json:"secret"`            // a secret: never written into the source
	Default string `json:"default,omitempty"` // the configured value used when unset (empty for secrets)
}

// Code is a rendered program and its validation report.
type Code struct {
	Component Component `json:"component"`
	Template  Template  `json:"template"` // with defaults filled in
	Filename  string    `json:"filename"` // suggested file name: main.go, main.ts, main.mjs
	Source    string    `json:"source"`
	// Env lists the environment variables the program reads.
	Env []EnvVar `json:"env"`
	// Dependencies lists what the program imports from outside the
	// language's standard library: Go module paths or npm package names.
	Dependencies []string `json:"dependencies"`
	// Run is a command line that runs the program from its directory.
	Run    string `json:"run"`
	Report Report `json:"report"`
}

// Unsupported is a combination Render refuses, with the reason.
type Unsupported struct {
	Component Component
	Language  Language  // empty: any language
	Framework Framework // empty: any framework of the language
	Feature   Feature   // empty: the whole combination
	Reason    string
}

func (u Unsupported) String() string {
	parts := []string{string(u.Component)}
	for _, p := range []string{string(u.Language), string(u.Framework), string(u.Feature)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/") + ": " + u.Reason
}

// unsupported is the list of combinations codegen does not render. Keep
// it in step with the templates; TestUnsupportedCombinationsAreRefused
// checks each entry is refused and TestGolden that every other
// combination renders.
var unsupported = []Unsupported{
	{Component: WebSocket, Framework: Deno, Feature: WebSocketCompression,
		Reason: "Deno's WebSocket client does not offer permessage-deflate (checked with deno 2.9.6: no Sec-WebSocket-Extensions in its handshake)"},
}

// UnsupportedCombinations lists the component × language × framework ×
// feature combinations Render refuses, with the reason for each. Every
// other combination of Components, Languages, Frameworks, Complexities and
// FeaturesOf renders. Go is written only for Arsenal, and TypeScript and
// JavaScript only for Bun, Node and Deno; those pairings are implied and
// not listed.
func UnsupportedCombinations() []Unsupported { return slices.Clone(unsupported) }

func unsupportedReason(c Component, t Template, f Feature) (string, bool) {
	for _, u := range unsupported {
		if u.Component == c && (u.Language == "" || u.Language == t.Language) &&
			(u.Framework == "" || u.Framework == t.Framework) && (u.Feature == "" || u.Feature == f) {
			return u.Reason, true
		}
	}
	return "", false
}

// normalize fills in t's defaults and checks the combination. It returns
// an *arsenal.Error (InvalidArgument for unknown names, Unimplemented for
// unsupported combinations).
func normalize(c Component, t Template) (Template, error) {
	if t.Language == "" {
		t.Language = Go
	}
	if !slices.Contains(Languages(), t.Language) {
		return t, arsenal.Errorf(arsenal.InvalidArgument, Kind, "render", "unknown language %q (want go, typescript or javascript)", t.Language)
	}
	if t.Framework == "" {
		t.Framework = Frameworks(t.Language)[0]
	}
	if !slices.Contains(Frameworks(t.Language), t.Framework) {
		if slices.Contains([]Framework{Arsenal, Bun, Node, Deno}, t.Framework) {
			return t, arsenal.Errorf(arsenal.Unimplemented, Kind, "render", "framework %q is not available for %s (available: %s)", t.Framework, t.Language, joinNames(Frameworks(t.Language)))
		}
		return t, arsenal.Errorf(arsenal.InvalidArgument, Kind, "render", "unknown framework %q (want arsenal, bun, node or deno)", t.Framework)
	}
	if t.Complexity == "" {
		t.Complexity = Basic
	}
	if !slices.Contains(Complexities(), t.Complexity) {
		return t, arsenal.Errorf(arsenal.InvalidArgument, Kind, "render", "unknown complexity %q (want basic, advanced or production)", t.Complexity)
	}
	known := FeaturesOf(c)
	if t.Features == nil {
		t.Features = []Feature{}
		if t.Complexity != Basic {
			for _, f := range known {
				if _, no := unsupportedReason(c, t, f); !no {
					t.Features = append(t.Features, f)
				}
			}
		}
		return t, nil
	}
	var fs []Feature
	for _, f := range t.Features {
		if !slices.Contains(known, f) {
			return t, arsenal.Errorf(arsenal.InvalidArgument, Kind, "render", "unknown %s feature %q (known: %s)", c, f, joinNames(known))
		}
		if reason, no := unsupportedReason(c, t, f); no {
			return t, arsenal.Errorf(arsenal.Unimplemented, Kind, "render", "%s feature %q is not supported for %s on %s: %s", c, f, t.Language, t.Framework, reason)
		}
		if !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	// Keep the canonical order so the output does not depend on the order
	// the caller listed features in.
	slices.SortFunc(fs, func(a, b Feature) int { return slices.Index(known, a) - slices.Index(known, b) })
	t.Features = append([]Feature{}, fs...)
	return t, nil
}

func joinNames[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// ParseFeatures parses a comma-separated feature list for component c,
// such as "pubsub,hashes". An empty string gives nil (the defaults).
func ParseFeatures(c Component, list string) ([]Feature, error) {
	list = strings.TrimSpace(list)
	if list == "" {
		return nil, nil
	}
	if list == "none" {
		return []Feature{}, nil
	}
	var out []Feature
	for _, p := range strings.Split(list, ",") {
		f := Feature(strings.TrimSpace(p))
		if !slices.Contains(FeaturesOf(c), f) {
			return nil, arsenal.Errorf(arsenal.InvalidArgument, Kind, "parse features", "unknown %s feature %q (known: %s)", c, f, joinNames(FeaturesOf(c)))
		}
		out = append(out, f)
	}
	return out, nil
}

// describe is used in messages.
func describe(c Component, t Template) string {
	return fmt.Sprintf("%s for %s on %s (%s)", c, t.Language, t.Framework, t.Complexity)
}
