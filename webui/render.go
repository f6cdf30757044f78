package webui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// page is what every template sees.
type page struct {
	Title   string
	Nav     string
	User    *opsgate.User
	Flash   string
	Error   string
	Version string
	Data    any
	// Has names the optional pages this server serves (their services are set).
	Has map[string]bool
}

// Can reports whether the page's user may do action on kind, for showing only usable forms.
func (p page) Can(kind, action string) bool {
	return p.User != nil && p.User.Role.Permits(opsgate.Kind(kind), opsgate.Action(action))
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"ptime": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"orAny": func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	},
	"pretty": prettyJSON,
	"params": func(m map[string]string) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(k + "=" + m[k])
		}
		return b.String()
	},
	"seconds": func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) },
}

// prettyJSON indents a stored JSON document for the audit page.
func prettyJSON(s string) string {
	if s == "" {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

// parse loads every page template with the layout.
func (u *UI) parse() error {
	u.pages = map[string]*template.Template{}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", f)
		if err != nil {
			return fmt.Errorf("web ui template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	return nil
}

// render writes a page with status 200.
func (u *UI) render(w http.ResponseWriter, r *http.Request, user *opsgate.User, name, title string, data any) error {
	u.renderStatus(w, r, user, http.StatusOK, name, title, data, "")
	return nil
}

// renderStatus writes a page; errMsg, when set, is shown above the content.
func (u *UI) renderStatus(w http.ResponseWriter, r *http.Request, user *opsgate.User, status int, name, title string, data any, errMsg string) {
	p := page{Title: title, Nav: name, User: user, Error: errMsg, Version: u.Version, Data: data,
		Has: map[string]bool{"groups": u.Groups != nil, "approvals": u.Approvals != nil, "schedules": u.Schedules != nil}}
	if user != nil {
		p.Flash = u.sm.PopString(r.Context(), keyFlash)
	}
	var b bytes.Buffer
	if err := u.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		u.Logger.Error("web ui: render", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
