//go:build !linux

package wsredis_test

import "os/exec"

func setPdeathsig(*exec.Cmd) {}
