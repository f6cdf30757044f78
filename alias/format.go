package alias

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// The format language is StackStorm's (st2common action_alias_utils): a format is a Python regular
// expression in which {{param}} and {{param=default}} are replaced by named groups. Python's re and
// Go's RE2 agree on the constructs the generated expression uses except the lookarounds st2 uses to
// strip quotes, which are rewritten below as alternatives; RE2 and Python both pick the match a
// backtracking engine would (leftmost-first), so values come out the same.

// Snippets mirror st2's: a key is a non-spaced string; a value is quoted, a {json} blob or one word;
// a default ("ext value") may also be unquoted text.
const (
	snipKey      = `\s*(\S+?)\s*`
	snipValue    = `""|''|"(.+?)"|'(.+?)'|(\{.+?\})|(\S+)`
	snipExtValue = `""|''|"(.+?)"|'(.+?)'|(\{.+?\})|(.+?)`
	snipPairs    = `(?:^|\s+)` + snipKey + `=(` + snipValue + `)`
	snipDefault  = `\s*=\s*(?:` + snipExtValue + `)\s*`
	snipOptional = `\{\{` + snipKey + snipDefault + `\}\}`
	snipRequired = `\{\{` + snipKey + `\}\}`
)

var (
	// reEnding finds the trailing run of key=value pairs (group 1).
	reEnding = regexp.MustCompile(`(?s)^.*?((?:` + snipPairs + `\s*)*)$`)
	rePairs  = regexp.MustCompile(`(?s)` + snipPairs)
	// reOptional and reRequired find {{...}} in a format; group 1 is the whitespace before it,
	// which becomes part of the (optional) parameter.
	reOptional = regexp.MustCompile(`(?s)(\s*)` + snipOptional)
	reRequired = regexp.MustCompile(`(?s)(\s*)` + snipRequired)
	reName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Format is one compiled alias format (a "representation").
type Format struct {
	// Source is the format as written.
	Source   string
	re       *regexp.Regexp
	groups   []paramGroup // capture groups that are parameters, by group index
	defaults []optional   // optional parameters in format order
	// Index data: the literal text every match starts with (after leading whitespace).
	prefix    string
	firstWord string // set when prefix holds a whole first word
	literals  int    // literal non-space characters outside parameters (most_specific)
	required  []requiredParam
}

type paramGroup struct {
	index int
	name  string
}

type optional struct {
	name, def string
}

// FormatError is a format that cannot be compiled.
type FormatError struct {
	Format string
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("format %q: %s", e.Format, e.Reason)
}

// CompileFormat compiles a format string, refusing what st2 would refuse (invalid or duplicate
// group names) and what RE2 cannot run (lookarounds, backreferences).
func CompileFormat(src string) (*Format, error) {
	f := &Format{Source: src}
	bad := func(format string, args ...any) error {
		return &FormatError{Format: src, Reason: fmt.Sprintf(format, args...)}
	}

	for _, m := range reOptional.FindAllStringSubmatch(src, -1) {
		f.defaults = append(f.defaults, optional{name: m[2], def: m[3] + m[4] + m[5] + m[6]})
	}

	// Substitute optional then required parameters, as st2 does (two passes of re.sub).
	var names []string
	sub := func(re *regexp.Regexp, s string, opt bool) (string, error) {
		var b strings.Builder
		last := 0
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			ws, name := s[m[2]:m[3]], s[m[4]:m[5]]
			if !reName.MatchString(name) {
				return "", bad("bad parameter name %q", name)
			}
			names = append(names, name)
			b.WriteString(s[last:m[0]])
			b.WriteString(paramPattern(ws, name, opt))
			last = m[1]
		}
		b.WriteString(s[last:])
		return b.String(), nil
	}
	reg, err := sub(reOptional, src, true)
	if err != nil {
		return nil, err
	}
	if reg, err = sub(reRequired, reg, false); err != nil {
		return nil, err
	}
	reg = strings.ReplaceAll(reg, `\Z`, `\z`) // Python's \Z is RE2's \z

	tree, err := syntax.Parse(reg, syntax.Perl|syntax.DotNL)
	if err != nil {
		return nil, bad("%s", reasonOf(err))
	}
	begin, end := hasAnchor(tree, syntax.OpBeginText), hasAnchor(tree, syntax.OpEndText)
	full := reg
	if !begin {
		full = `^\s*` + full
	}
	if !end {
		full = full + `\s*$`
	}
	if f.re, err = regexp.Compile(`(?s)` + full); err != nil {
		return nil, bad("%s", reasonOf(err))
	}

	// Every named group is a parameter; st2 (Python) refuses a name defined twice. Each of our
	// parameters owns three groups of its name, a raw (?P<name>...) group one.
	ours, captures := map[string]int{}, map[string]int{}
	for _, n := range names {
		ours[n]++
	}
	for i, n := range f.re.SubexpNames() {
		if n != "" {
			captures[n]++
			f.groups = append(f.groups, paramGroup{index: i, name: n})
		}
	}
	for n, c := range captures {
		if ours[n]+(c-3*ours[n]) > 1 {
			return nil, bad("redefinition of group name %q", n)
		}
	}

	ftree, err := syntax.Parse(`(?s)`+full, syntax.Perl)
	if err != nil {
		return nil, bad("%s", reasonOf(err))
	}
	f.prefix = literalPrefix(ftree)
	if i := strings.IndexAny(f.prefix, " \t\n\f\r"); i > 0 {
		f.firstWord = f.prefix[:i]
	}
	f.literals = countLiterals(tree)
	f.required = requiredParams(src)
	return f, nil
}

// paramPattern is st2's parameter group: the whitespace before it, an optional quote, then a value
// that is the text up to a matching closing quote, a {json} blob, or any text (lazy). st2 writes
// the quote rule with lookbehind/lookahead; RE2 has neither, so each case is an alternative with
// its own group of the same name (the first one that took part holds the value).
func paramPattern(ws, name string, opt bool) string {
	p := regexp.QuoteMeta(ws) + `(?:'(?P<` + name + `>.+?)'|"(?P<` + name + `>.+?)"|["']?(?P<` + name + `>\{.+?\}|.+?)["']?)`
	if opt {
		return `(?:` + p + `)?`
	}
	return p
}

func reasonOf(err error) string {
	if se, ok := err.(*syntax.Error); ok && strings.HasPrefix(se.Expr, "(?P") && se.Code == syntax.ErrInvalidPerlOp {
		return "regular expression (?P=name) is not supported (no backreference in RE2)"
	}
	var se *syntax.Error
	if e, ok := err.(*syntax.Error); ok {
		se = e
		switch se.Code {
		case syntax.ErrMissingRepeatArgument, syntax.ErrInvalidPerlOp, syntax.ErrInvalidNamedCapture:
			if strings.HasPrefix(se.Expr, "(?=") || strings.HasPrefix(se.Expr, "(?!") || strings.HasPrefix(se.Expr, "(?<=") ||
				strings.HasPrefix(se.Expr, "(?<!") || strings.HasPrefix(se.Expr, "(?P=") {
				return fmt.Sprintf("regular expression %s is not supported (no lookaround or backreference in RE2)", se.Expr)
			}
		}
		switch se.Code {
		case syntax.ErrMissingParen:
			return `a "(" is never closed`
		case syntax.ErrMissingBracket:
			return `a "[" is never closed`
		case syntax.ErrUnexpectedParen:
			return `a ")" has no matching "("`
		}
		// Expr is the offending fragment, but for some codes the whole expression so far, which
		// holds the groups generated for parameters: the person who wrote the format never saw those.
		if strings.Contains(se.Expr, `(?:'(?P<`) {
			return fmt.Sprintf("regular expression does not compile: %s", se.Code)
		}
		return fmt.Sprintf("regular expression does not compile: %s: %s", se.Code, se.Expr)
	}
	return err.Error()
}

// hasAnchor reports whether the expression holds op where st2 (search_regex_tokens) looks for
// it: at top level and in groups, not under a repetition, and of an alternation only in the
// second branch (st2 inspects branch[1] only; reproduced so the same formats get anchored).
func hasAnchor(re *syntax.Regexp, op syntax.Op) bool {
	switch re.Op {
	case op:
		return true
	case syntax.OpConcat, syntax.OpCapture:
		for _, s := range re.Sub {
			if hasAnchor(s, op) {
				return true
			}
		}
	case syntax.OpAlternate:
		return len(re.Sub) > 1 && hasAnchor(re.Sub[1], op)
	}
	return false
}

// literalPrefix returns the literal text a match must start with, after the leading anchor and
// whitespace; "" when the format starts with a parameter or a construct other than a literal.
func literalPrefix(re *syntax.Regexp) string {
	items := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		items = re.Sub
	}
	var b strings.Builder
	for _, it := range items {
		switch {
		case it.Op == syntax.OpBeginText && b.Len() == 0:
		case b.Len() == 0 && onlySpace(it):
		case it.Op == syntax.OpLiteral && it.Flags&syntax.FoldCase == 0:
			for _, r := range it.Rune {
				if b.Len() == 0 && isSpace(r) {
					continue
				}
				b.WriteRune(r)
			}
		default:
			return b.String()
		}
	}
	return b.String()
}

func onlySpace(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpStar, syntax.OpQuest, syntax.OpPlus, syntax.OpRepeat:
		return onlySpace(re.Sub[0])
	case syntax.OpCharClass:
		for i := 0; i < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if !isSpace(r) {
					return false
				}
			}
		}
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if !isSpace(r) {
				return false
			}
		}
		return true
	}
	return false
}

// isSpace is RE2's \s, which the index must agree with.
func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

// countLiterals counts the non-space literal characters every match of the format must contain:
// parameters, optional and repeated parts and alternatives do not count.
func countLiterals(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if !isSpace(r) {
				n++
			}
		}
		return n
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += countLiterals(s)
		}
		return n
	case syntax.OpCapture:
		if re.Name != "" {
			return 0
		}
		return countLiterals(re.Sub[0])
	case syntax.OpPlus:
		return countLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return countLiterals(re.Sub[0])
		}
	}
	return 0
}

// Literals is the number of literal characters the format requires (the most_specific rank).
func (f *Format) Literals() int { return f.literals }

// MatchError is a command that does not match a format.
type MatchError struct{ Command, Format string }

func (e *MatchError) Error() string {
	return fmt.Sprintf(`Command "%s" doesn't match format string "%s"`, e.Command, e.Format)
}

// errNoValue is st2's refusal of an empty command for a format whose parameters have no defaults.
var errNoValue = fmt.Errorf("No value supplied and no default value found.")

// stream is a command prepared once for matching against many formats: the trailing key=value
// pairs cut off, as st2 does before trying a format.
type stream struct {
	orig  string
	text  string     // " " + command without trailing pairs + " "
	pairs [][]string // key, value
	first string     // first word of text (RE2 whitespace)
	trim  string     // text without leading whitespace
}

func newStream(command string) *stream {
	s := &stream{orig: command}
	text := command
	if m := reEnding.FindStringSubmatchIndex(command); m != nil && m[3] > m[2] {
		tail := command[m[2]:m[3]]
		for _, p := range rePairs.FindAllStringSubmatch(tail, -1) {
			s.pairs = append(s.pairs, []string{p[1], p[3] + p[4] + p[5] + p[6]})
		}
		// st2 uses str.replace, which removes every occurrence of the tail, not just the last.
		text = strings.ReplaceAll(command, tail, "")
	}
	s.text = " " + text + " "
	s.trim = strings.TrimLeft(s.text, " \t\n\f\r")
	end := strings.IndexAny(s.trim, " \t\n\f\r")
	if end < 0 {
		end = len(s.trim)
	}
	s.first = s.trim[:end]
	return s
}

// Extract matches command against the format and returns the parameters, with st2's semantics.
func (f *Format) Extract(command string) (map[string]string, error) {
	res, err := f.extract(newStream(command), false)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// ExtractAll is Extract for match_multiple formats: one parameter set per non-overlapping match.
func (f *Format) ExtractAll(command string) ([]map[string]string, error) {
	return f.extract(newStream(command), true)
}

// couldMatch is the index's cheap pre-check: a match must start with the literal prefix.
func (f *Format) couldMatch(s *stream) bool {
	return strings.HasPrefix(s.trim, f.prefix)
}

func (f *Format) extract(s *stream, multiple bool) ([]map[string]string, error) {
	var all [][]int
	if multiple {
		all = f.re.FindAllStringSubmatchIndex(s.text, -1)
	} else if m := f.re.FindStringSubmatchIndex(s.text); m != nil {
		all = [][]int{m}
	}
	if len(all) == 0 {
		return nil, &MatchError{Command: s.orig, Format: f.Source}
	}
	out := make([]map[string]string, 0, len(all))
	for _, m := range all {
		res := make(map[string]string, len(f.groups)+len(s.pairs))
		for _, g := range f.groups {
			if _, done := res[g.name]; done {
				continue
			}
			if m[2*g.index] >= 0 {
				res[g.name] = s.text[m[2*g.index]:m[2*g.index+1]]
			}
		}
		for _, o := range f.defaults {
			if res[o.name] == "" {
				res[o.name] = o.def
			}
		}
		for _, p := range s.pairs {
			res[p[0]] = p[1]
		}
		if f.Source != "" && strings.TrimSpace(s.text) == "" {
			any := false
			for _, v := range res {
				if v != "" {
					any = true
					break
				}
			}
			if !any {
				return nil, errNoValue
			}
		}
		out = append(out, res)
	}
	return out, nil
}
