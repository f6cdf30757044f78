package opsgate

import (
	"strings"
	"unicode/utf8"
)

// quoteReplacer turns what chat clients "improve" back into what the user typed.
var quoteReplacer = strings.NewReplacer(
	"\u201c", `"`, "\u201d", `"`, "\u201e", `"`, "\u00ab", `"`, "\u00bb", `"`,
	"\u2018", "'", "\u2019", "'", "\u201a", "'",
	"\u00a0", " ", "\u2007", " ", "\u202f", " ",
)

// NormalizeText replaces smart quotes with straight ones and non-breaking spaces with spaces,
// and trims the result.
func NormalizeText(s string) string {
	if ascii(s) { // nothing to replace, and the replacer allocates even then
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(quoteReplacer.Replace(s))
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// SplitWords splits command text into words the way a POSIX shell does (quotes group, backslash
// escapes). Text with unbalanced quotes falls back to splitting on whitespace, as the incumbents do,
// rather than failing.
func SplitWords(s string) []string {
	s = NormalizeText(s)
	if words, ok := plainSplit(s); ok {
		return words
	}
	if words, ok := shellSplit(s); ok {
		return words
	}
	return strings.Fields(s)
}

// plainSplit splits s as shellSplit does when s is ASCII without quotes or backslashes (most
// commands): at blanks only, into substrings of s, one allocation in all.
func plainSplit(s string) ([]string, bool) {
	n, inTok := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf || c == '\'' || c == '"' || c == '\\':
			return nil, false
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			inTok = false
		case !inTok:
			n, inTok = n+1, true
		}
	}
	if n == 0 {
		return nil, true
	}
	words := make([]string, 0, n)
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' {
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return words, true
}

func shellSplit(s string) ([]string, bool) {
	var (
		words []string
		cur   strings.Builder
		inTok bool
		quote rune
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			if r == '"' {
				quote = 0
			} else if r == '\\' && i+1 < len(rs) && strings.ContainsRune(`"\$`+"`", rs[i+1]) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inTok = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inTok = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inTok {
				words = append(words, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, false
	}
	if inTok {
		words = append(words, cur.String())
	}
	return words, true
}

// QuoteWord quotes w so that SplitWords returns it as one word (used to re-run a command with a chosen value).
func QuoteWord(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\r\n'\"\\") {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'"'"'`) + "'"
}
