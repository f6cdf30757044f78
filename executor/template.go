package executor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/opsgate/opsgate"
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
		if _, err := compile(t); err != nil {
			return err
		}
	}
	return nil
}

var templates sync.Map // source -> *exec.Template

func compile(src string) (*exec.Template, error) {
	if v, ok := templates.Load(src); ok {
		return v.(*exec.Template), nil
	}
	t, err := exec.NewTemplate("template", gonja.DefaultConfig, &oneTemplate{src: []byte(src)}, gonja.DefaultEnvironment)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	templates.Store(src, t)
	return t, nil
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
			tpl, err := compile(t)
			if err != nil {
				return "", err
			}
			out, err := tpl.ExecuteToString(exec.NewContext(data))
			if err != nil {
				return "", fmt.Errorf("template: %w", err)
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

// oneTemplate serves only the template itself: {% include %} cannot read files.
// It serves it once: a self-include ({% include "template" %}) would recurse until the stack
// overflows, which kills the process instead of failing the render.
type oneTemplate struct {
	src  []byte
	read atomic.Bool
}

func (l *oneTemplate) Read(path string) (io.Reader, error) {
	if path != "template" || l.read.Swap(true) {
		return nil, fmt.Errorf("templates cannot load other templates (%q)", path)
	}
	return bytes.NewReader(l.src), nil
}
func (l *oneTemplate) Resolve(path string) (string, error)    { return path, nil }
func (l *oneTemplate) Inherit(string) (loaders.Loader, error) { return l, nil }
