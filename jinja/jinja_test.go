package jinja_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/jinja"
)

func TestRender(t *testing.T) {
	out, err := jinja.Render("{{ execution.parameters.packs }} on {{ host | default('localhost') }}{{ missing }}",
		map[string]any{"execution": map[string]any{"parameters": map[string]any{"packs": "st2-slack"}}})
	if err != nil || out != "st2-slack on localhost" {
		t.Fatalf("%q %v", out, err)
	}
}

func TestStrictUndefined(t *testing.T) {
	tpl, err := jinja.Compile("{{ obj.site.slug }}", true)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := tpl.Render(map[string]any{"obj": map[string]any{"site": map[string]any{"slug": "nyc"}}}); err != nil || out != "nyc" {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := tpl.Render(map[string]any{"obj": map[string]any{}}); err == nil {
		t.Fatal("an undefined field rendered without error")
	}
}

// Templates come from people opsgate does not fully trust: they must not read files, nor crash
// the process with unbounded recursion.
func TestRefusesFilesIncludesAndMacros(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(secretFile, []byte("signing_secret: hunter2"), 0o600)
	for _, src := range []string{
		`{% include "` + secretFile + `" %}`,
		`{% include "template" %}`,
		`{% extends "` + secretFile + `" %}`,
		`{% import "` + secretFile + `" as x %}`,
		`{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}`,
		`{%- macro f() -%}x{%- endmacro -%}`,
	} {
		out, err := jinja.Render(src, nil)
		if err == nil || strings.Contains(out, "hunter2") {
			t.Errorf("%s: rendered %q, %v", src, out, err)
		}
	}
}
