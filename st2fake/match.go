package st2fake

import (
	"fmt"
	"regexp"
	"strings"
)

// The alias format language, enough of st2common's action_alias_utils for tests: trailing
// key=value pairs, {{k}} and {{ k = default }} parameters, the format as a regular expression
// anchored at both ends, case-sensitive, dot matching newlines.
var (
	paramRe   = regexp.MustCompile(`(\s*)\{\{\s*(\w+)\s*(=\s*(.*?))?\s*\}\}`)
	kvTailRe  = regexp.MustCompile(`\s+(\w+)=("[^"]*"|'[^']*'|\{.*?\}|\S+)\s*$`)
	valueExpr = `"[^"]*"|'[^']*'|\{.+?\}|.+?`
)

type match struct {
	alias          *Alias
	display        string
	representation string
	params         map[string]any
}

// representations lists the matchable strings of a format and the display shown for them.
func representations(f any) (display string, reps []string) {
	switch f := f.(type) {
	case string:
		return f, []string{f}
	case Format:
		d := f.Display
		if d == "" && len(f.Representation) > 0 {
			d = f.Representation[0]
		}
		return d, f.Representation
	}
	return "", nil
}

// matches returns every (alias, representation) the command matches, as st2 counts them.
func (s *Server) matches(command string) []match {
	var out []match
	for _, a := range s.aliases {
		if a.Disabled {
			continue
		}
		for _, f := range a.Formats {
			display, reps := representations(f)
			for _, rep := range reps {
				if p, ok := extract(rep, command); ok {
					out = append(out, match{alias: a, display: display, representation: rep, params: p})
				}
			}
		}
	}
	return out
}

// extract matches command against format and returns the parameters.
func extract(format, command string) (map[string]any, bool) {
	params := map[string]any{}
	// Trailing key=value pairs are cut off and applied last.
	for {
		m := kvTailRe.FindStringSubmatchIndex(command)
		if m == nil {
			break
		}
		params[command[m[2]:m[3]]] = unquote(command[m[4]:m[5]])
		command = command[:m[0]]
	}
	defaults := map[string]string{}
	pattern := paramRe.ReplaceAllStringFunc(format, func(p string) string {
		sm := paramRe.FindStringSubmatch(p)
		name := sm[2]
		if sm[3] != "" {
			defaults[name] = unquote(sm[4])
			return fmt.Sprintf(`(?:\s+(?P<%s>%s))?`, name, valueExpr)
		}
		return fmt.Sprintf(`%s(?P<%s>%s)`, sm[1], name, valueExpr)
	})
	if !strings.HasPrefix(pattern, "^") && !strings.HasPrefix(pattern, `\A`) {
		pattern = `^\s*` + pattern
	}
	if !strings.HasSuffix(pattern, "$") && !strings.HasSuffix(pattern, `\Z`) {
		pattern += `\s*$`
	}
	re, err := regexp.Compile("(?s)" + pattern)
	if err != nil {
		return nil, false
	}
	m := re.FindStringSubmatch(command)
	if m == nil {
		return nil, false
	}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if _, set := params[name]; set {
			continue
		}
		if m[i] != "" {
			params[name] = unquote(m[i])
		} else if d, ok := defaults[name]; ok {
			params[name] = d
		}
	}
	return params, true
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}
