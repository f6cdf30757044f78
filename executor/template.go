package executor

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/jinja"
)

// reSecret is a secret reference in an opsgate block.
var reSecret = regexp.MustCompile(`\$\{secret:([A-Za-z0-9_.\-/]+)\}`)

func hasSecretRef(s string) bool { return strings.Contains(s, "${secret:") }

// segments splits a field into template text and secret references. References are cut out
// before templating so that (1) only the alias file can name a secret, never a parameter value,
// and (2) a secret's value is never parsed as a template.
func segments(src string) (texts []string, refs []string) {
	last := 0
	for _, m := range reSecret.FindAllStringSubmatchIndex(src, -1) {
		texts = append(texts, src[last:m[0]])
		refs = append(refs, src[m[2]:m[3]])
		last = m[1]
	}
	texts = append(texts, src[last:])
	return texts, refs
}

// checkTemplate compiles each template part of a field.
func checkTemplate(src string) error {
	texts, _ := segments(src)
	rest := reSecret.ReplaceAllString(src, "")
	if strings.Contains(rest, "${secret:") {
		return fmt.Errorf("malformed secret reference (want ${secret:NAME})")
	}
	for _, t := range texts {
		if _, err := jinja.Compile(t, false); err != nil {
			return err
		}
	}
	return nil
}

// render renders a field: template parts with params as variables, ${secret:NAME} parts through
// resolve (nil: secrets not allowed in this field).
func render(ctx context.Context, src string, params map[string]string, resolve func(context.Context, string) (string, error)) (string, error) {
	if !isTemplated(src) && !hasSecretRef(src) {
		return src, nil
	}
	texts, refs := segments(src)
	data := make(map[string]any, len(params))
	for k, v := range params {
		data[k] = v
	}
	var b strings.Builder
	for i, t := range texts {
		if isTemplated(t) {
			out, err := jinja.Render(t, data)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
		} else {
			b.WriteString(t)
		}
		if i < len(refs) {
			if resolve == nil {
				return "", opsgate.Errorf(opsgate.EINVALID, "Secrets are not available to this action (no secret store configured).")
			}
			v, err := resolve(ctx, refs[i])
			if err != nil {
				// The name is configuration, safe to show; the value never appears.
				return "", opsgate.Errorf(opsgate.EINVALID, "Secret %s cannot be resolved.", refs[i])
			}
			b.WriteString(v)
		}
	}
	return b.String(), nil
}
