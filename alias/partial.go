package alias

import (
	"regexp"
	"strconv"
	"strings"
)

// A user who types an alias's words but not its required values ("restart", "copy a.txt to") is
// asked for them, as for any command. The pipeline's answer is the prompt's prefix followed by the
// values, so a value can be asked for only where appending it makes the whole command match: the
// check below appends placeholder values and requires each to land in its own parameter.

// Partial is text that names an alias format but stops before required parameters.
type Partial struct {
	Alias *Alias
	// Prefix is the command text a prompt's answers are appended to: the text as typed, plus the
	// format's literal words before the first missing value ("copy a.txt" → "copy a.txt to").
	Prefix string
	// Missing lists the parameters to ask for, in format order: all the remaining ones when only
	// whitespace separates them (one dialog), else the next one (the answer asks for the rest).
	Missing []string
}

// requiredParam is a {{ name }} of a format, with the literal text before it ("" when there is
// none, or when that text is a regular expression and cannot be typed for the user).
type requiredParam struct {
	name      string
	glue      string
	glueTyped bool // glue is literal text (so a prompt can add it)
}

var reMeta = regexp.MustCompile(`[\\.+*?()\[\]{}|^$]`)

// requiredParams lists the required parameters of src in order, with their glue.
func requiredParams(src string) []requiredParam {
	type span struct {
		start, end int
		name       string
		optional   bool
	}
	var spans []span
	masked := []byte(src)
	for _, m := range reOptional.FindAllStringSubmatchIndex(src, -1) {
		spans = append(spans, span{m[0], m[1], src[m[4]:m[5]], true})
		for i := m[0]; i < m[1]; i++ {
			masked[i] = 0 // st2 substitutes optional parameters first: they cannot be required ones
		}
	}
	for _, m := range reRequired.FindAllSubmatchIndex(masked, -1) {
		spans = append(spans, span{m[0], m[1], src[m[4]:m[5]], false})
	}
	// Order by position (two short lists; insertion sort keeps it dependency-free).
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var out []requiredParam
	prev := 0
	for _, s := range spans {
		seg := strings.TrimSpace(src[prev:s.start])
		prev = s.end
		if s.optional {
			continue
		}
		out = append(out, requiredParam{name: s.name, glue: seg, glueTyped: !reMeta.MatchString(seg)})
	}
	return out
}

// placeholder is a value no one types: it shows where an appended answer would land.
func placeholder(i int) string { return "\x00" + strconv.Itoa(i) + "\x00" }

// partial reports whether text stops before required parameters of f that answers appended to
// the returned prefix would fill.
func (f *Format) partial(text string) (prefix string, missing []string, ok bool) {
	req := f.required
	text = strings.TrimSpace(text)
	// Cheap first: the text and the format's literal start must agree as far as both go.
	if len(req) == 0 || !(strings.HasPrefix(text, f.prefix) || strings.HasPrefix(f.prefix, text)) {
		return "", nil, false
	}
	for i := range req {
		prefixes := []string{text}
		if req[i].glue != "" && req[i].glueTyped && !strings.HasSuffix(text, req[i].glue) {
			prefixes = append(prefixes, text+" "+req[i].glue)
		}
		for _, p := range prefixes {
			full, oneDialog, typed := p+" "+placeholder(i), true, true
			for j := i + 1; j < len(req); j++ {
				if req[j].glue != "" {
					oneDialog = false
					typed = typed && req[j].glueTyped
					full += " " + req[j].glue
				}
				full += " " + placeholder(j)
			}
			if !typed {
				continue
			}
			st := newStream(full)
			if !f.couldMatch(st) {
				continue
			}
			sets, err := f.extract(st, false)
			if err != nil {
				continue
			}
			good := true
			for j := i; j < len(req); j++ {
				good = good && sets[0][req[j].name] == placeholder(j)
			}
			if !good {
				continue
			}
			if !oneDialog {
				return p, []string{req[i].name}, true
			}
			for j := i; j < len(req); j++ {
				missing = append(missing, req[j].name)
			}
			return p, missing, true
		}
	}
	return "", nil, false
}

// Partial finds the one alias whose format text names but leaves required parameters out of;
// nil when none does, or when formats of several aliases do (the user is told the command is
// unknown rather than asked about a guess).
func (s *Set) Partial(text string) *Partial {
	st := newStream(text)
	var found *Partial
	var buf [64]int32
	for _, i := range s.single.candidates(st, buf[:0]) {
		e := &s.single.entries[i]
		prefix, missing, ok := e.format.partial(text)
		if !ok {
			continue
		}
		if found != nil && found.Alias != e.alias {
			return nil
		}
		if found == nil {
			found = &Partial{Alias: e.alias, Prefix: prefix, Missing: missing}
		}
	}
	return found
}
