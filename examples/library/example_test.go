package library_test

import (
	"fmt"

	"github.com/infra-arsenal/arsenal/examples/library"
)

func ExampleFilter() {
	for _, e := range library.Filter(library.Query{Database: "redis", Complexity: "advanced"}) {
		fmt.Printf("%s: %s\n", e.Name, e.Title)
	}
	// Output:
	// redis-client-cache: Client-side caching with invalidation
	// redis-job-queue: Job queue on streams with consumer groups
	// redis-transfer-tx: Optimistic transactions with WATCH
}

func ExampleQuery_Match() {
	e, _ := library.Get("sqlite-fts5-search")
	fmt.Println(library.Query{Text: "full-text search"}.Match(e))
	fmt.Println(library.Query{Database: "redis"}.Match(e))
	// Output:
	// true
	// false
}

func ExampleSource() {
	src, err := library.Source("redis-hello")
	if err != nil {
		panic(err)
	}
	_, ok := src["main.go"]
	fmt.Println(ok)
	// Output: true
}
