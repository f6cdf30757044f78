package alias

import "testing"

func TestRender(t *testing.T) {
	out, err := Render("{{ execution.result.stdout }} on {{ execution.parameters.host | upper }}{% if x %}!{% endif %}", map[string]any{
		"execution": map[string]any{"result": map[string]any{"stdout": "ok"}, "parameters": map[string]string{"host": "web"}}, "x": true})
	if err != nil || out != "ok on WEB!" {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := Render(`{% include "/etc/passwd" %}`, nil); err == nil {
		t.Fatal("include must fail")
	}
	// Values are data, never template source: chat text cannot run template code.
	out, err = Render("{{ v }}", map[string]any{"v": "{{ 7 * 6 }}"})
	if err != nil || out != "{{ 7 * 6 }}" {
		t.Fatalf("%q %v", out, err)
	}
}

// A template that includes itself must fail, not recurse until the stack overflows (a fatal
// error that kills opsgate, not a panic anything could recover).
func TestRenderSelfInclude(t *testing.T) {
	for _, src := range []string{`{% include "template" %}`, `a{% include "template" %}b`, `{% extends "template" %}`} {
		if out, err := Render(src, nil); err == nil {
			t.Fatalf("%s: rendered %q, want an error", src, out)
		}
	}
}
