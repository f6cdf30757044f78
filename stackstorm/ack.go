package stackstorm

import (
	"fmt"
	"github.com/opsgate/opsgate/jinja"
	"strings"
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
// from st2 (any pack author): jinja reads no file and refuses includes and macros.
func RenderJinja(tpl string, vars map[string]any) (string, error) { return jinja.Render(tpl, vars) }
