// Command broken is a domain program that fails half-way, for the
// runner's tests.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println(`{"domain":"broken","workload":"PUT 1 MiB","impl":"arsenal","metric":"MB/s","value":123.4,"better":"higher"}`)
	fmt.Fprintln(os.Stderr, "broken: cannot reach the server: connection refused")
	os.Exit(3)
}
