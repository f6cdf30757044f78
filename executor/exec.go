package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"time"

	"github.com/opsgate/opsgate"
)

// runExec runs the program directly (no shell), in its own process group so a timeout kills
// everything it started.
func (e *Executor) runExec(ctx context.Context, s *Spec, params map[string]string) (*Result, error) {
	args := make([]string, 0, len(s.Command))
	args = append(args, s.Command[0])
	for i, a := range s.Command[1:] {
		v, err := render(ctx, a, params, nil)
		if err != nil {
			return nil, templateError(fmt.Sprintf("command[%d]", i+1), err)
		}
		args = append(args, v)
	}
	env := e.Environ
	if env == nil {
		for _, k := range []string{"PATH", "HOME", "LANG"} {
			if v, ok := os.LookupEnv(k); ok {
				env = append(env, k+"="+v)
			}
		}
	}
	env = append([]string(nil), env...)
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := render(ctx, s.Env[k], params, e.Resolve)
		if err != nil {
			return nil, templateError("env."+k, err)
		}
		env = append(env, k+"="+v)
	}

	timeout := s.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	limit := s.maxOutput(DefaultExecOutput)
	stdout, stderr := &limitedBuffer{max: limit}, &limitedBuffer{max: limit}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = env, s.Dir, stdout, stderr
	setProcessGroup(cmd)
	// If a grandchild keeps the output pipes open after the group was killed, stop waiting.
	cmd.WaitDelay = 2 * time.Second

	res := &Result{Start: e.now()}
	err := cmd.Run()
	res.End = e.now()
	code := 0
	timedOut := ctx.Err() == context.DeadlineExceeded
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode() // -1 when killed by a signal
	default:
		code = -1
		fmt.Fprintf(stderr, "cannot run %s: %v", args[0], err)
	}
	errText := stderr.text()
	if timedOut {
		errText += fmt.Sprintf("\n[timed out after %s; process group killed]", timeout)
	}
	res.Status = opsgate.StatusSucceeded
	if err != nil || timedOut {
		res.Status = opsgate.StatusFailed
	}
	res.Output = map[string]any{
		"stdout":           stdout.text(),
		"stderr":           errText,
		"return_code":      code,
		"succeeded":        res.Status == opsgate.StatusSucceeded,
		"failed":           res.Status != opsgate.StatusSucceeded,
		"timed_out":        timedOut,
		"stdout_truncated": stdout.truncated(),
		"stderr_truncated": stderr.truncated(),
	}
	return res, nil
}

func templateError(field string, err error) error {
	var oe *opsgate.Error
	if errors.As(err, &oe) {
		return err
	}
	return opsgate.Errorf(opsgate.EINVALID, "Action configuration error in %s: %v", field, err)
}
