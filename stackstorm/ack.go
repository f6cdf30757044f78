package stackstorm

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// AckText returns what to reply when st2 accepted a command, and false when the alias disabled
// its ack. st2 renders ack.format itself and returns it as "message"; when it did not (older st2,
// or a render error), the format is rendered here with the same context st2 uses: the result
// entry (execution, actionalias). The execution's web_url is appended unless ack.append_url is false.
func AckText(r ExecutionResult) (string, bool) {
	ack := r.ActionAlias.Ack
	if !ack.enabled() {
		return "", false
	}
	msg := r.Message
	if msg == "" && ack != nil && ack.Format != "" {
		var err error
		if msg, err = RenderJinja(ack.Format, r.Raw); err != nil {
			msg = fmt.Sprintf("Cannot render \"format\" in field \"ack\" for alias. %v", err)
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("Execution %s started.", r.Execution.ID)
	}
	if ack.appendURL() && r.Execution.WebURL != "" {
		msg = strings.TrimRight(msg, "\n") + fmt.Sprintf(" (details available at %s)", r.Execution.WebURL)
	}
	return msg, true
}

// RenderJinja renders a Jinja template (st2's template language) with vars. The template comes
// from st2 (any pack author), so it is served by a loader that knows only the template itself:
// gonja.FromString's file-system loader would let {% include "/etc/..." %} post opsgate's files to chat.
func RenderJinja(tpl string, vars map[string]any) (string, error) {
	t, err := exec.NewTemplate(jinjaName, gonja.DefaultConfig, &oneTemplate{src: []byte(tpl)}, gonja.DefaultEnvironment)
	if err != nil {
		return "", err
	}
	return t.ExecuteToString(exec.NewContext(vars))
}

const jinjaName = "template"

// oneTemplate serves the template itself, once: {% include %}, {% extends %} and {% import %}
// can read neither files nor the template again (a self-include recurses until the stack
// overflows, which kills the process rather than failing the render).
type oneTemplate struct {
	src  []byte
	read atomic.Bool
}

func (l *oneTemplate) Read(path string) (io.Reader, error) {
	if path != jinjaName || l.read.Swap(true) {
		return nil, fmt.Errorf("templates cannot include, extend or import other templates (%q)", path)
	}
	return bytes.NewReader(l.src), nil
}
func (l *oneTemplate) Resolve(path string) (string, error)    { return path, nil }
func (l *oneTemplate) Inherit(string) (loaders.Loader, error) { return l, nil }
