//go:build !unix

package executor

import "os/exec"

// setProcessGroup: without process groups, cancellation kills the program only.
func setProcessGroup(cmd *exec.Cmd) {}
