// Package jinja renders Jinja2 templates — StackStorm's and Nautobot's template language — with
// gonja, safely for templates written by people opsgate does not fully trust (st2 pack authors,
// alias files, secret definitions): a template reads no file, includes no template (itself
// included), and defines no macro. gonja has no recursion limit, so a self-include or a recursive
// macro would overflow the stack, which kills the process instead of failing the render.
package jinja

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// name is the only name the loader serves.
const name = "template"

var (
	lenient = gonja.DefaultConfig
	strict  = func() *config.Config {
		c := config.New()
		c.StrictUndefined = true
		c.KeepTrailingNewline = true
		return c
	}()
	macro = regexp.MustCompile(`\{%[-+]?\s*macro\b`)
)

// Template is a compiled template, safe for concurrent use.
type Template struct{ t *exec.Template }

// Compile parses src. With strictUndefined an undefined variable or field is an error when
// rendering, not an empty string.
func Compile(src string, strictUndefined bool) (*Template, error) {
	key := cacheKey{src, strictUndefined}
	if t := cache.get(key); t != nil {
		return t, nil
	}
	if macro.MatchString(src) {
		return nil, fmt.Errorf("template: macros are not allowed")
	}
	cfg := lenient
	if strictUndefined {
		cfg = strict
	}
	t, err := exec.NewTemplate(name, cfg, &oneTemplate{src: []byte(src)}, gonja.DefaultEnvironment)
	if err != nil {
		return nil, parseError(src, err)
	}
	tpl := &Template{t: t}
	cache.put(key, tpl)
	return tpl, nil
}

// Render renders t with data as its variables.
func (t *Template) Render(data map[string]any) (string, error) {
	out, err := t.t.ExecuteToString(exec.NewContext(data))
	if err != nil {
		return "", execError(err)
	}
	return out, nil
}

// Render compiles (or reuses) src and renders it with data; undefined variables render empty, as in st2.
func Render(src string, data map[string]any) (string, error) {
	t, err := Compile(src, false)
	if err != nil {
		return "", err
	}
	return t.Render(data)
}

// IsTemplated reports whether s has any Jinja markup; plain text needs no rendering.
func IsTemplated(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// oneTemplate serves the template itself, once: {% include %}, {% extends %} and {% import %}
// can read neither files nor the template again.
type oneTemplate struct {
	src  []byte
	read atomic.Bool
}

func (l *oneTemplate) Read(path string) (io.Reader, error) {
	if path != name || l.read.Swap(true) {
		return nil, fmt.Errorf("templates cannot include, extend or import other templates (%q)", path)
	}
	return bytes.NewReader(l.src), nil
}
func (l *oneTemplate) Resolve(path string) (string, error)    { return path, nil }
func (l *oneTemplate) Inherit(string) (loaders.Loader, error) { return l, nil }

// cache keeps compiled templates by source: parsing is most of a render's cost, and sources are
// alias files, st2 formats and secret definitions, so the set stays small. It is bounded anyway.
type cacheKey struct {
	src    string
	strict bool
}

const maxCached = 4096

var cache = &templateCache{m: map[cacheKey]*Template{}}

type templateCache struct {
	mu sync.RWMutex
	m  map[cacheKey]*Template
}

func (c *templateCache) get(k cacheKey) *Template {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *templateCache) put(k cacheKey, t *Template) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[k] = t
}
