package acl

import (
	"fmt"
	"unicode/utf8"
)

// Glob is a compiled Python fnmatch pattern, matched the way fnmatch.fnmatchcase does: case-sensitive,
// against the whole string, where "*" crosses every character (including "/" and "@"), "?" is one
// character, "[seq]" and "[!seq]" are sets, and an unclosed "[" is a literal. Go's path.Match differs on
// each of these points, which is why Errbot ACLs need their own matcher. The zero Glob matches only "".
type Glob struct {
	src  string
	toks []token
}

type tokKind uint8

const (
	tLit  tokKind = iota // one literal rune
	tAny                 // ?
	tStar                // *
	tSet                 // [...]
	tNone                // a set Python reduces to nothing: never matches
)

type token struct {
	kind   tokKind
	r      rune
	negate bool
	ranges []runeRange // tSet members, single runes are lo == hi
}

type runeRange struct{ lo, hi rune }

// String returns the pattern as written.
func (g Glob) String() string { return g.src }

// CompileGlob compiles pattern with Python's fnmatch rules. It fails only on invalid UTF-8,
// which Python could not have read from the file either.
func CompileGlob(pattern string) (Glob, error) {
	if !utf8.ValidString(pattern) {
		return Glob{}, fmt.Errorf("pattern %q is not valid UTF-8", pattern)
	}
	pat := []rune(pattern)
	g := Glob{src: pattern}
	n := len(pat)
	for i := 0; i < n; {
		c := pat[i]
		i++
		switch c {
		case '*':
			// Consecutive stars mean the same as one.
			if len(g.toks) == 0 || g.toks[len(g.toks)-1].kind != tStar {
				g.toks = append(g.toks, token{kind: tStar})
			}
		case '?':
			g.toks = append(g.toks, token{kind: tAny})
		case '[':
			tok, next, ok := parseSet(pat, i)
			if !ok {
				g.toks = append(g.toks, token{kind: tLit, r: '['})
				continue
			}
			g.toks = append(g.toks, tok)
			i = next
		default:
			g.toks = append(g.toks, token{kind: tLit, r: c})
		}
	}
	return g, nil
}

// parseSet reads a bracket expression whose body starts at pat[i] (just after "["). It follows
// CPython's fnmatch.translate: "!" first negates, a "]" first (after the optional "!") is a member,
// there are no escapes, a "-" first or last is literal, and ranges whose ends are reversed are dropped
// together with their ends ("[z-a]" matches nothing, "[!z-a]" any character).
func parseSet(pat []rune, i int) (token, int, bool) {
	n := len(pat)
	j := i
	if j < n && pat[j] == '!' {
		j++
	}
	if j < n && pat[j] == ']' {
		j++
	}
	for j < n && pat[j] != ']' {
		j++
	}
	if j >= n {
		return token{}, i, false
	}
	// chunks are runs of literal runes; consecutive chunks are joined by a range from the last rune
	// of one to the first rune of the next.
	var chunks [][]rune
	hasDash := false
	for _, r := range pat[i:j] {
		if r == '-' {
			hasDash = true
			break
		}
	}
	if !hasDash {
		chunks = [][]rune{append([]rune(nil), pat[i:j]...)}
	} else {
		start := i
		k := i + 1
		if pat[i] == '!' {
			k = i + 2
		}
		for {
			k = indexRune(pat, '-', k, j)
			if k < 0 {
				break
			}
			chunks = append(chunks, append([]rune(nil), pat[start:k]...))
			start = k + 1
			k += 3
		}
		if start < j {
			chunks = append(chunks, append([]rune(nil), pat[start:j]...))
		} else {
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], '-')
		}
		for k := len(chunks) - 1; k > 0; k-- {
			prev, cur := chunks[k-1], chunks[k]
			if prev[len(prev)-1] > cur[0] {
				merged := append(append([]rune(nil), prev[:len(prev)-1]...), cur[1:]...)
				chunks[k-1] = merged
				chunks = append(chunks[:k], chunks[k+1:]...)
			}
		}
	}
	next := j + 1
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	if total == 0 {
		return token{kind: tNone}, next, true
	}
	tok := token{kind: tSet}
	if chunks[0][0] == '!' {
		tok.negate = true
		chunks[0] = chunks[0][1:]
		if total == 1 {
			// "[!]" after dropping ranges: Python makes it "." (any character).
			return token{kind: tAny}, next, true
		}
	}
	for ci, c := range chunks {
		for ri, r := range c {
			switch {
			case ci > 0 && ri == 0 && len(tok.ranges) > 0:
				// the end of the range opened by the previous chunk's last rune
				tok.ranges[len(tok.ranges)-1].hi = r
			case ci > 0 && ri == 0:
				// no rune before the "-" (only a "!"): the regex Python builds reads it as a literal "-"
				tok.ranges = append(tok.ranges, runeRange{'-', '-'}, runeRange{r, r})
			default:
				tok.ranges = append(tok.ranges, runeRange{r, r})
			}
		}
	}
	return tok, next, true
}

func indexRune(pat []rune, r rune, from, to int) int {
	for k := from; k < to; k++ {
		if pat[k] == r {
			return k
		}
	}
	return -1
}

func (t *token) matches(r rune) bool {
	switch t.kind {
	case tLit:
		return r == t.r
	case tAny:
		return true
	case tSet:
		in := false
		for _, rg := range t.ranges {
			if rg.lo <= r && r <= rg.hi {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}

// Match reports whether s matches the whole pattern. Every token other than "*" consumes exactly one
// rune, so the classic single-backtrack-point algorithm is exact and linear in practice.
func (g Glob) Match(s string) bool {
	toks := g.toks
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for si < len(s) || ti < len(toks) {
		if ti < len(toks) {
			t := &toks[ti]
			if t.kind == tStar {
				starTi, starSi = ti, si
				ti++
				continue
			}
			if si < len(s) {
				r, size := utf8.DecodeRuneInString(s[si:])
				if t.matches(r) {
					ti++
					si += size
					continue
				}
			}
		}
		if starTi >= 0 && starSi < len(s) {
			_, size := utf8.DecodeRuneInString(s[starSi:])
			starSi += size
			ti, si = starTi+1, starSi
			continue
		}
		return false
	}
	return true
}
