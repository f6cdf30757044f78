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
