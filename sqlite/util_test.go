package sqlite_test

import (
	"os"
	"runtime"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

func maxProcs() int { return runtime.GOMAXPROCS(0) }
