//go:build !linux

package testenv

import "os/exec"

// bindToParent does nothing where there is no parent-death signal: the
// servers are stopped by StopAll and the tests' cleanups instead.
func bindToParent(cmd *exec.Cmd) {}
