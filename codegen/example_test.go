package codegen_test

import (
	"fmt"
	"strings"

	"github.com/infra-arsenal/arsenal/codegen"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// Render a Bun program from a Redis configuration; the password is read
// from the environment, never written into the source.
func ExampleRender() {
	cfg := redis.Config{Addrs: []string{"127.0.0.1:6379"}, Password: security.NewSecret("hunter2"), DB: 1}
	code, err := codegen.Render(cfg, codegen.Template{Language: codegen.TypeScript, Framework: codegen.Bun})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(code.Filename, "|", code.Run)
	fmt.Println("password inline:", strings.Contains(code.Source, "hunter2"))
	for _, e := range code.Env {
		fmt.Println("env", e.Name, "secret:", e.Secret)
	}
	fmt.Println("report ok:", code.Report.OK())
	// Output:
	// main.ts | bun run main.ts
	// password inline: false
	// env REDIS_ADDR secret: false
	// env REDIS_PASSWORD secret: true
	// report ok: true
}

// The Go output uses the library itself, with the domain's own Config.
func ExampleRender_go() {
	cfg := s3.Config{Bucket: "photos", Endpoint: "http://127.0.0.1:9000", Style: s3.StylePath}
	code, err := codegen.Render(cfg, codegen.Template{Language: codegen.Go, Complexity: codegen.Production})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Contains(code.Source, "s3.Open(ctx, cfg)"))
	fmt.Println(code.Template.Features)
	// Output:
	// true
	// [list upload download presign storage-class url-style]
}

// The report names what a runtime does differently from the configuration.
func ExampleRender_sqlite() {
	cfg := sqlite.Config{Path: "app.db", Create: true, SafeIntegers: true}
	code, err := codegen.Render(cfg, codegen.Template{Language: codegen.TypeScript, Framework: codegen.Deno,
		Features: []codegen.Feature{codegen.SQLiteDeserialize}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(code.Run)
	for _, f := range code.Report.Compatibility {
		if f.Severity == codegen.Warning {
			fmt.Println(f.Message)
		}
	}
	// Output:
	// deno run --allow-net --allow-env --allow-read --allow-write main.ts
	// Deno's node:sqlite loses the readOnly option when it deserializes: the program sets PRAGMA query_only=ON on the copy instead, which a later PRAGMA can undo
}

// Values are escaped into literals that cannot break out of the string.
func ExampleJSString() {
	s, _ := codegen.JSString("\"); process.exit(1); (\"\n")
	fmt.Println(s)
	fmt.Println(codegen.GoString("tab\there"))
	// Output:
	// "\"); process.exit(1); (\"\n"
	// "tab\there"
}
