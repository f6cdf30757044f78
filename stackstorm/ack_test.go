package stackstorm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An alias's ack format comes from st2 (any pack author); rendered here it must not be able to
// read files of the machine opsgate runs on.
func TestAckTemplateCannotReadFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "opsgate.yaml")
	if err := os.WriteFile(path, []byte("signing_secret: s3cr3t-file-content"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tpl := range []string{`{% include "` + path + `" %}`, `{% extends "` + path + `" %}`, `{% import "` + path + `" as x %}`,
		`{% include "template" %}`, `{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}`, // both would overflow the stack
	} {
		r := ExecutionResult{Execution: Execution{ID: "e1"}, ActionAlias: ActionAlias{Ack: &AliasTemplate{Format: tpl}},
			Raw: map[string]any{"execution": map[string]any{"id": "e1"}}}
		msg, ok := AckText(r)
		if !ok {
			t.Fatal("ack disabled")
		}
		if strings.Contains(msg, "s3cr3t") {
			t.Fatalf("%s: ack shows the file: %q", tpl, msg)
		}
	}
	// Ordinary templates still render.
	r := ExecutionResult{ActionAlias: ActionAlias{Ack: &AliasTemplate{Format: "Running {{ execution.id }}."}},
		Raw: map[string]any{"execution": map[string]any{"id": "e1"}}}
	if msg, _ := AckText(r); msg != "Running e1." {
		t.Fatalf("ack = %q", msg)
	}
}
