package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func secrets(m map[string]string) func(context.Context, string) (string, error) {
	return func(_ context.Context, name string) (string, error) {
		if v, ok := m[name]; ok {
			return v, nil
		}
		return "", errors.New("no such secret")
	}
}

func mustSpec(t *testing.T, raw map[string]any) *Spec {
	t.Helper()
	s, err := ParseSpec(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, e *Executor, raw map[string]any, params map[string]string) *Result {
	t.Helper()
	res, err := e.Run(context.Background(), mustSpec(t, raw), params)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestExecArgsNeverThroughAShell(t *testing.T) {
	res := run(t, &Executor{}, map[string]any{"runner": "exec", "command": []any{"printf", "%s|", "{{ a }}", "{{ b | upper }}"}},
		map[string]string{"a": "x; echo pwned $(id)", "b": "two words"})
	if res.Status != opsgate.StatusSucceeded || res.Output["stdout"] != "x; echo pwned $(id)|TWO WORDS|" || res.Output["return_code"] != 0 {
		t.Fatalf("%+v", res.Output)
	}
}

func TestExecEnvAndSecrets(t *testing.T) {
	e := &Executor{Resolve: secrets(map[string]string{"deploy_token": "s3cret"})}
	raw := map[string]any{"runner": "exec", "command": []any{"sh", "-c", `printf '%s %s %s' "$ROLE" "$TOKEN" "${OPSGATE_LEAK-unset}"`},
		"env": map[string]any{"ROLE": "{{ role }}", "TOKEN": "Bearer ${secret:deploy_token}"}}
	t.Setenv("OPSGATE_LEAK", "inherited")
	res := run(t, e, raw, map[string]string{"role": "web"})
	if res.Output["stdout"] != "web Bearer s3cret unset" {
		t.Fatalf("stdout = %q", res.Output["stdout"])
	}
	// A reference typed in chat is a plain value, never resolved.
	res = run(t, e, raw, map[string]string{"role": "${secret:deploy_token}"})
	if !strings.HasPrefix(res.Output["stdout"].(string), "${secret:deploy_token} ") {
		t.Fatalf("stdout = %q", res.Output["stdout"])
	}
	// An unknown secret or no secret store: an error naming the secret, not running the program.
	_, err := e.Run(context.Background(), mustSpec(t, map[string]any{"runner": "exec", "command": []any{"true"}, "env": map[string]any{"X": "${secret:nope}"}}), nil)
	if opsgate.ErrorMessage(err) != "Secret nope cannot be resolved." {
		t.Fatalf("err = %v", err)
	}
	_, err = (&Executor{}).Run(context.Background(), mustSpec(t, raw), nil)
	if opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("err = %v", err)
	}
}

func TestExecDirAndExitStatus(t *testing.T) {
	dir := t.TempDir()
	res := run(t, &Executor{}, map[string]any{"runner": "exec", "command": []any{"pwd"}, "dir": dir}, nil)
	if got := strings.TrimSpace(res.Output["stdout"].(string)); got != dir {
		t.Fatalf("pwd = %q want %q", got, dir)
	}
	res = run(t, &Executor{}, map[string]any{"runner": "exec", "command": []any{"sh", "-c", "echo out; echo err >&2; exit 3"}}, nil)
	if res.Status != opsgate.StatusFailed || res.Output["return_code"] != 3 || res.Output["stderr"] != "err\n" || res.Output["stdout"] != "out\n" || res.Output["failed"] != true {
		t.Fatalf("%+v", res.Output)
	}
	res = run(t, &Executor{}, map[string]any{"runner": "exec", "command": []any{"/nonexistent/program"}}, nil)
	if res.Status != opsgate.StatusFailed || !strings.Contains(res.Output["stderr"].(string), "cannot run /nonexistent/program") {
		t.Fatalf("%+v", res.Output)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	res := run(t, &Executor{}, map[string]any{"runner": "exec", "timeout": "300ms",
		"command": []any{"sh", "-c", `sleep 30 & echo $! > "$1"; wait; echo never`, "sh", pidfile}}, nil)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("took %s", took)
	}
	if res.Status != opsgate.StatusFailed || res.Output["timed_out"] != true || !strings.Contains(res.Output["stderr"].(string), "timed out after 300ms") {
		t.Fatalf("%+v", res.Output)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// The background sleep (a grandchild) must be gone too (or a zombie awaiting its reaper).
	deadline := time.Now().Add(5 * time.Second)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still running: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestExecOversizedOutput(t *testing.T) {
	res := run(t, &Executor{}, map[string]any{"runner": "exec", "max_output": 1000, "command": []any{"sh", "-c", "yes | head -c 1000000"}}, nil)
	out := res.Output["stdout"].(string)
	if res.Status != opsgate.StatusSucceeded || res.Output["stdout_truncated"] != true ||
		!strings.HasPrefix(out, strings.Repeat("y\n", 500)) || !strings.HasSuffix(out, "\n[output truncated: 1000000 bytes, showing the first 1000]") {
		t.Fatalf("status %s, %d bytes: %q", res.Status, len(out), out[max(0, len(out)-80):])
	}
	// An endless program: cut off by the timeout, its output bounded.
	res = run(t, &Executor{}, map[string]any{"runner": "exec", "max_output": 100, "timeout": "200ms", "command": []any{"yes"}}, nil)
	if res.Status != opsgate.StatusFailed || res.Output["stdout_truncated"] != true || len(res.Output["stdout"].(string)) > 200 {
		t.Fatalf("%s %v", res.Status, res.Output["stdout_truncated"])
	}
}

func TestSpecValidation(t *testing.T) {
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"runner": "exec"}, "opsgate.command is required"},
		{map[string]any{"runner": "exec", "command": []any{"{{ prog }}"}}, "must be a literal path"},
		{map[string]any{"runner": "exec", "command": []any{"curl", "-H", "${secret:tok}"}}, "secrets are not allowed in arguments"},
		{map[string]any{"runner": "exec", "command": []any{"echo", "{{ a "}}, "opsgate.command[1]: template"},
		{map[string]any{"runner": "exec", "command": []any{"echo"}, "env": map[string]any{"BAD-NAME": "x"}}, "bad variable name"},
		{map[string]any{"runner": "exec", "command": []any{"echo"}, "url": "http://x"}, "are for the http runner"},
		{map[string]any{"runner": "exec", "command": []any{"echo"}, "shell": true}, "field shell not found"},
		{map[string]any{"runner": "ssh"}, `opsgate.runner "ssh" is unknown`},
		{map[string]any{}, "opsgate.runner is required"},
		{map[string]any{"runner": "http"}, "opsgate.url is required"},
		{map[string]any{"runner": "http", "url": "{{ target }}/x"}, "must start with http"},
		{map[string]any{"runner": "http", "url": "https://{{ host }}/x"}, "the host must be literal"},
		{map[string]any{"runner": "http", "url": "https://ci/x", "retries": 99}, "opsgate.retries must be between"},
		{map[string]any{"runner": "http", "url": "https://ci/x", "method": "${secret:m}"}, "opsgate.method: secrets are not allowed"},
		{map[string]any{"runner": "exec", "command": []any{"echo"}, "env": map[string]any{"X": "${secret:}"}}, "malformed secret reference"},
	}
	for _, tt := range tests {
		_, err := ParseSpec(tt.raw)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSpec(%v) = %v, want %q", tt.raw, err, tt.want)
		}
	}
}

// A self-including template must fail, not overflow the stack (a fatal error that kills opsgate).
func TestSelfIncludeFails(t *testing.T) {
	s, err := ParseSpec(map[string]any{"runner": "exec", "command": []any{"/bin/echo", `{% include "template" %}`}})
	if err != nil {
		return // refused when the alias loads: fine too
	}
	if res, err := (&Executor{}).Run(context.Background(), s, nil); err == nil {
		t.Fatalf("ran: %+v", res.Output)
	}
}
