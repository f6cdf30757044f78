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

// Template errors are read by the people who wrote the template: they name the line and what is
// wrong, never gonja's parse tree (node dumps, tokens) or the whole template repeated back.
func TestErrorsNameTheProblemNotTheParseTree(t *testing.T) {
	for src, want := range map[string]string{
		"{{ x | nofilter }}":       "template: line 1: filter 'nofilter' not found",
		"{{ x | join(1, 2, 3) }}":  "template: line 1: invalid call to filter 'join': received 1 unexpected positional argument",
		"{{ x() }}":                "template: line 1: x is not callable",
		"ok\n{{ x":                 `template: '}}' expected here (line 2, column 5)`,
		"{% if x %}":               "template: {% if %}: Unexpected EOF, expected tag elif or else or endif. (line 1, column 11)",
		"{% include 'other.j2' %}": `template: line 1: templates cannot include, extend or import other templates ("other.j2")`,
	} {
		_, err := jinja.Render(src, map[string]any{"x": "s"})
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", src, err, want)
		}
	}
}
