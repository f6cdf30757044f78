package secret

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRenderParams(t *testing.T) {
	obj := map[string]any{"name": "csr1", "slug": "golden-config", "site": map[string]any{"slug": "nyc"}}
	got, err := RenderParams(map[string]string{
		"path":     "/opt/nautobot/device_passwords/{{ obj.site.slug }}/{{ obj.name }}.txt",
		"variable": "GIT_TOKEN_{{ obj.slug | replace('-', '_') | upper }}",
		"plain":    "no template {here}",
	}, obj)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"path":     "/opt/nautobot/device_passwords/nyc/csr1.txt",
		"variable": "GIT_TOKEN_GOLDEN_CONFIG",
		"plain":    "no template {here}",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func TestRenderParamsStrictUndefined(t *testing.T) {
	obj := map[string]any{"name": "csr1", "site": map[string]any{"slug": "nyc"}}
	for _, tpl := range []string{
		"/opt/{{ obj.missing }}/x.txt",   // undefined field: must not render to "/opt//x.txt"
		"/opt/{{ obj.site.region }}.txt", // undefined nested field
		"{{ other }}",                    // undefined variable
		"{{ obj.name",                    // syntax error
		"{% include '/etc/passwd' %}",    // no file access from templates
		"{% extends '/etc/hostname' %}",
	} {
		got, err := RenderParams(map[string]string{"path": tpl}, obj)
		if err == nil {
			t.Errorf("%q rendered to %q, want an error", tpl, got["path"])
			continue
		}
		if !errors.Is(err, ErrParameters) || !errors.Is(err, ErrSecret) {
			t.Errorf("%q: error %v is not a SecretParametersError", tpl, err)
		}
		if !strings.Contains(err.Error(), `parameter "path"`) {
			t.Errorf("%q: error does not name the parameter: %v", tpl, err)
		}
	}
	// Without an object, obj itself is undefined.
	if _, err := RenderParams(map[string]string{"variable": "X_{{ obj.name }}"}, nil); !errors.Is(err, ErrParameters) {
		t.Fatalf("nil obj: %v", err)
	}
}

func TestRenderParamsConcurrent(t *testing.T) {
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(i int) {
			var err error
			for j := 0; j < 50 && err == nil; j++ {
				name := fmt.Sprintf("dev%d-%d", i, j)
				var got map[string]string
				got, err = RenderParams(map[string]string{"path": "/s/{{ obj.name | upper }}.txt"}, map[string]any{"name": name})
				if err == nil && got["path"] != "/s/"+strings.ToUpper(name)+".txt" {
					err = fmt.Errorf("got %q for %s", got["path"], name)
				}
			}
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// A parameter that includes itself is an error, not a stack overflow (fatal: it kills opsgate).
func TestRenderParamsSelfInclude(t *testing.T) {
	for _, src := range []string{`{% include "/param" %}`, `{% include "template" %}x`, `{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}`, `{% extends "/param" %}`} {
		if got, err := RenderParams(map[string]string{"path": src}, nil); !errors.Is(err, ErrParameters) {
			t.Fatalf("%s: %v %v, want SecretParametersError", src, got, err)
		}
	}
}
