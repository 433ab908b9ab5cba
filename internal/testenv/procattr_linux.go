package testenv

import (
	"os/exec"
	"syscall"
)

// bindToParent makes the child die with the test process (SIGKILL on
// the parent's death) in a process group of its own.
func bindToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
