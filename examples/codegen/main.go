// Command codegen prints a ready-to-run program for an Arsenal component
// configuration, and its validation report.
//
// The configuration comes from a URL (parsed by the domain's ParseURL), a
// JSON file holding the domain's Config, or flags:
//
//	go run ./examples/codegen -url 'redis://127.0.0.1:6379/2' -lang typescript -framework bun -complexity production
//	go run ./examples/codegen -component s3 -config s3.json -lang go
//	go run ./examples/codegen -component redis -addr 127.0.0.1:6379 -features pubsub,hashes
//	go run ./examples/codegen -url 'sqlite:app.db?mode=rwc&strict=true' -lang javascript -framework node
//	go run ./examples/codegen -url 'wss://feed.example.com/ws?subprotocols=v2' -lang typescript -framework deno
//
// The program goes to stdout (or to -o DIR as the suggested file name),
// the report to stderr; -json prints both as one JSON document. The exit
// status is 1 when the configuration is invalid or the report has errors.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("codegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	component := fs.String("component", "", "component: sqlite, redis, websocket or s3 (implied by -url)")
	rawURL := fs.String("url", "", "configuration as a URL: sqlite:app.db, redis://..., ws://..., wss://..., s3://bucket/prefix?endpoint=...")
	configFile := fs.String("config", "", "JSON file holding the component's Config")
	lang := fs.String("lang", "go", "language: go, typescript or javascript")
	framework := fs.String("framework", "", "framework: arsenal (go); bun, node or deno (typescript, javascript); default arsenal or bun")
	complexity := fs.String("complexity", "basic", "complexity: basic, advanced or production")
	features := fs.String("features", "", "comma-separated features (default: none for basic, all for advanced and production; \"none\" for none)")
	addr := fs.String("addr", "", "redis: server address host:port")
	path := fs.String("path", "", "sqlite: database file (or :memory:)")
	bucket := fs.String("bucket", "", "s3: bucket name")
	endpoint := fs.String("endpoint", "", "s3: endpoint URL of an S3-compatible store")
	outDir := fs.String("o", "", "write the program into this directory instead of stdout")
	asJSON := fs.Bool("json", false, "print the code and report as one JSON document")
	if err := fs.Parse(args); err != nil {
		return err
	}

	comp := codegen.Component(*component)
	if comp == "" && *rawURL != "" {
		switch scheme, _, _ := strings.Cut(*rawURL, "://"); {
		case strings.HasPrefix(scheme, "redis"), strings.HasPrefix(scheme, "valkey"), scheme == "unix":
			comp = codegen.Redis
		case scheme == "s3":
			comp = codegen.S3
		case strings.HasPrefix(*rawURL, "sqlite:"), strings.HasPrefix(*rawURL, "file:"):
			comp = codegen.SQLite
		case scheme == "ws", scheme == "wss":
			comp = codegen.WebSocket
		}
	}
	var cfg any
	switch comp {
	case codegen.Redis:
		c := redis.Config{}
		if err := load(*rawURL, *configFile, &c, func(u string) (redis.Config, error) { return redis.ParseURL(u) }); err != nil {
			return err
		}
		if *addr != "" {
			c.Addrs = []string{*addr}
		}
		cfg = c
	case codegen.S3:
		c := s3.Config{}
		if err := load(*rawURL, *configFile, &c, s3.ParseURL); err != nil {
			return err
		}
		if *bucket != "" {
			c.Bucket = *bucket
		}
		if *endpoint != "" {
			c.Endpoint = *endpoint
		}
		cfg = c
	case codegen.SQLite:
		c := sqlite.Config{}
		if err := load(*rawURL, *configFile, &c, sqlite.ParseURL); err != nil {
			return err
		}
		if *path != "" {
			c.Path = *path
		}
		cfg = c
	case codegen.WebSocket:
		c := websocket.Config{}
		if err := load(*rawURL, *configFile, &c, websocket.ParseURL); err != nil {
			return err
		}
		cfg = c
	case "":
		return fmt.Errorf("name a -component (sqlite, redis, websocket or s3) or give a -url")
	default:
		return fmt.Errorf("unknown component %q (want sqlite, redis, websocket or s3)", comp)
	}

	fl, err := codegen.ParseFeatures(comp, *features)
	if err != nil {
		return err
	}
	code, err := codegen.Render(cfg, codegen.Template{
		Language: codegen.Language(*lang), Framework: codegen.Framework(*framework),
		Complexity: codegen.Complexity(*complexity), Features: fl,
	})
	if err != nil {
		if code.Source != "" {
			fmt.Fprint(stderr, code.Report)
		}
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(code)
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(*outDir, code.Filename)
		if err := os.WriteFile(path, []byte(code.Source), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s (run: %s)\n", path, code.Run)
	} else {
		fmt.Fprint(stdout, code.Source)
	}
	fmt.Fprintln(stderr, "environment:")
	for _, e := range code.Env {
		switch {
		case e.Secret:
			fmt.Fprintf(stderr, "  %s (secret, required at run time)\n", e.Name)
		default:
			fmt.Fprintf(stderr, "  %s (default %q)\n", e.Name, e.Default)
		}
	}
	fmt.Fprintln(stderr, "validation:")
	for _, line := range strings.Split(strings.TrimRight(code.Report.String(), "\n"), "\n") {
		fmt.Fprintln(stderr, "  "+line)
	}
	if !code.Report.OK() {
		return fmt.Errorf("the report has errors")
	}
	return nil
}

// load fills cfg from a URL or a JSON file (at most one).
func load[C any](rawURL, file string, cfg *C, parse func(string) (C, error)) error {
	switch {
	case rawURL != "" && file != "":
		return fmt.Errorf("give -url or -config, not both")
	case rawURL != "":
		c, err := parse(rawURL)
		if err != nil {
			return err
		}
		*cfg = c
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cfg); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	return nil
}
