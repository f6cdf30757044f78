package secret

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"

	"github.com/opsgate/opsgate"
)

// templateName is the only name the loader serves, so {% include %} and {% extends %} cannot
// read files: a template that could would put file contents into a parameter and from there
// into an error message.
const templateName = "/param"

var strictConfig = func() *config.Config {
	c := config.New()
	c.StrictUndefined = true
	c.KeepTrailingNewline = true
	return c
}()

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

// parsed caches compiled templates by source: parsing is most of a render's cost, and the
// sources are the parameters of stored definitions, so the set stays small.
var (
	parsedMu sync.RWMutex
	parsed   = map[string]*exec.Template{}
)

const maxParsed = 4096

func compile(src string) (*exec.Template, error) {
	parsedMu.RLock()
	cached := parsed[src]
	parsedMu.RUnlock()
	if cached != nil {
		return cached, nil
	}
	tpl, err := exec.NewTemplate(templateName, strictConfig, &oneTemplate{src: []byte(src)}, gonja.DefaultEnvironment)
	if err != nil {
		return nil, err
	}
	parsedMu.Lock()
	if len(parsed) >= maxParsed {
		clear(parsed)
	}
	parsed[src] = tpl
	parsedMu.Unlock()
	return tpl, nil
}

// oneTemplate serves the template itself, once: not files ({% include %} would put a file's
// content into a parameter), and not itself again (a self-include recurses until the stack
// overflows, which kills the process instead of failing the render).
type oneTemplate struct {
	src  []byte
	read atomic.Bool
}

func (l *oneTemplate) Read(path string) (io.Reader, error) {
	if path != templateName || l.read.Swap(true) {
		return nil, fmt.Errorf("templates cannot load other templates (%q)", path)
	}
	return bytes.NewReader(l.src), nil
}
func (l *oneTemplate) Resolve(path string) (string, error)    { return path, nil }
func (l *oneTemplate) Inherit(string) (loaders.Loader, error) { return l, nil }

func renderParam(src string, obj map[string]any) (string, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") && !strings.Contains(src, "{#") {
		return src, nil
	}
	tpl, err := compile(src)
	if err != nil {
		return "", err
	}
	data := map[string]any{}
	if obj != nil {
		data["obj"] = obj
	}
	return tpl.ExecuteToString(exec.NewContext(data))
}

// templateErrorMessage keeps gonja's explanation but drops the template identifier it prefixes.
func templateErrorMessage(err error) string {
	msg := err.Error()
	return strings.ReplaceAll(msg, templateName, "template")
}
