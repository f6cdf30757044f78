package secret

import (
	"github.com/opsgate/opsgate/jinja"
	"sort"
	"strings"

	"github.com/opsgate/opsgate"
)

// RenderParams renders every parameter as a Jinja2 template with obj in context. An undefined
// variable or field is an error (strict undefined), never an empty string. Parameters without
// template markup are returned as they are.
func RenderParams(params map[string]string, obj map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(params))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := renderParam(params[k], obj)
		if err != nil {
			hint := ""
			if obj == nil {
				hint = " (no object was given for obj)"
			}
			return nil, opsgate.NewSecretError(ErrParameters,
				"Cannot render parameter \""+k+"\""+hint+": "+templateErrorMessage(err), nil)
		}
		out[k] = v
	}
	return out, nil
}

func renderParam(src string, obj map[string]any) (string, error) {
	if !jinja.IsTemplated(src) {
		return src, nil
	}
	tpl, err := jinja.Compile(src, true)
	if err != nil {
		return "", err
	}
	data := map[string]any{}
	if obj != nil {
		data["obj"] = obj
	}
	return tpl.Render(data)
}

// templateErrorMessage keeps gonja's explanation without the "template: " prefix the caller repeats.
func templateErrorMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "template: ")
}
