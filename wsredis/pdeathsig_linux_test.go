package wsredis_test

import (
	"os/exec"
	"syscall"
)

// setPdeathsig kills the child with the test binary.
func setPdeathsig(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
