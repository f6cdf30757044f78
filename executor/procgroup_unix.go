//go:build unix

package executor

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the program as a process group leader and makes cancellation kill the
// whole group, so `sh -c 'sleep 100 | cat'` does not outlive its timeout.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
