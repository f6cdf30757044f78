package alias

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// Templates (ack, result) are Jinja, as in st2, rendered with gonja. They come from alias files
// written by operators; chat text only ever reaches them as data, never as template source.

var templates sync.Map // source -> *exec.Template

// Render renders a Jinja template with data.
func Render(src string, data map[string]any) (string, error) {
	var t *exec.Template
	if v, ok := templates.Load(src); ok {
		t = v.(*exec.Template)
	} else {
		var err error
		t, err = exec.NewTemplate("template", gonja.DefaultConfig, &oneTemplate{src: []byte(src)}, gonja.DefaultEnvironment)
		if err != nil {
			return "", fmt.Errorf("template: %w", err)
		}
		templates.Store(src, t)
	}
	out, err := t.ExecuteToString(exec.NewContext(data))
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	return out, nil
}

// oneTemplate serves only the template itself: {% include %} and {% extends %} cannot read files.
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
