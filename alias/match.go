package alias

import (
	"fmt"
	"slices"
	"strings"
)

// Mode is how a command that matches several formats is resolved.
type Mode int

const (
	// ModeStackStorm is st2's rule: more than one match is an error; match_multiple aliases are
	// tried only when nothing else matched.
	ModeStackStorm Mode = iota
	// ModeMostSpecific picks the match whose format has the most literal characters; a tie at the
	// top is still an error.
	ModeMostSpecific
)

// ParseMode reads the `match` option: "" or "stackstorm", or "most_specific".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "stackstorm":
		return ModeStackStorm, nil
	case "most_specific":
		return ModeMostSpecific, nil
	}
	return 0, fmt.Errorf("unknown match mode %q (want stackstorm or most_specific)", s)
}

// Match is a command matched to one alias format.
type Match struct {
	Alias          *Alias
	Display        string
	Representation string
	Format         *Format
	// Params holds one parameter set, or one per occurrence for a match_multiple format.
	Params []map[string]string
}

// AmbiguityError is st2's ActionAliasAmbiguityException: no match, or more than one.
type AmbiguityError struct {
	Command string
	Matches []*Match
	Multi   bool // the match_multiple pass
}

func (e *AmbiguityError) Error() string {
	switch {
	case len(e.Matches) == 0:
		return fmt.Sprintf("Command '%s' matched no patterns", e.Command)
	case e.Multi:
		return fmt.Sprintf("Command '%s' matched more than 1 (multi) pattern", e.Command)
	}
	return fmt.Sprintf("Command '%s' matched more than 1 pattern", e.Command)
}

// Names lists the matches as "pack.name: representation", one per line, for a person to fix.
func (e *AmbiguityError) Names() string {
	var b strings.Builder
	for _, m := range e.Matches {
		fmt.Fprintf(&b, "%s: %s\n", m.Alias.Ref(), m.Representation)
	}
	return b.String()
}

type entry struct {
	alias    *Alias
	spec     *FormatSpec
	rep      string
	format   *Format
	multiple bool // st2 runs this entry in the match_multiple pass
}

// index narrows the formats worth running a regular expression for: by the command's first word,
// by a literal prefix of it, or always (formats that start with a parameter or a raw regex).
type index struct {
	entries []entry
	byWord  map[string][]int32
	byPart  map[string][]int32 // literal prefix ending inside the first word
	maxPart int
	wild    []int32
}

func newIndex(entries []entry) *index {
	ix := &index{entries: entries, byWord: map[string][]int32{}, byPart: map[string][]int32{}}
	for i, e := range entries {
		switch f := e.format; {
		case f.firstWord != "":
			ix.byWord[f.firstWord] = append(ix.byWord[f.firstWord], int32(i))
		case f.prefix != "":
			ix.byPart[f.prefix] = append(ix.byPart[f.prefix], int32(i))
			ix.maxPart = max(ix.maxPart, len(f.prefix))
		default:
			ix.wild = append(ix.wild, int32(i))
		}
	}
	return ix
}

// candidates appends the entries that could match s, in load order.
func (ix *index) candidates(s *stream, buf []int32) []int32 {
	buf = append(buf, ix.byWord[s.first]...)
	for n := 1; n <= len(s.first) && n <= ix.maxPart; n++ {
		buf = append(buf, ix.byPart[s.first[:n]]...)
	}
	buf = append(buf, ix.wild...)
	slices.Sort(buf)
	return buf
}

// Set is an immutable collection of aliases ready for matching.
type Set struct {
	Aliases []*Alias
	mode    Mode
	single  *index // st2's first pass
	multi   *index // aliases with match_multiple formats
}

var emptySet = NewSet(nil, ModeStackStorm)

// NewSet indexes the enabled aliases. st2 queries aliases "with a format that is not
// match_multiple" for the first pass and "with a match_multiple format" for the second, and
// tries every format of each alias found; this reproduces that.
func NewSet(aliases []*Alias, mode Mode) *Set {
	var single, multi []entry
	for _, a := range aliases {
		if !a.Enabled {
			continue
		}
		hasSingle, hasMulti := false, false
		for _, fs := range a.Formats {
			if fs.MatchMultiple {
				hasMulti = true
			} else {
				hasSingle = true
			}
		}
		for i := range a.Formats {
			fs := &a.Formats[i]
			for j, f := range fs.compiled {
				e := entry{alias: a, spec: fs, rep: fs.Representations[j], format: f}
				if hasSingle {
					single = append(single, e)
				}
				if hasMulti {
					e.multiple = true
					multi = append(multi, e)
				}
			}
		}
	}
	return &Set{Aliases: aliases, mode: mode, single: newIndex(single), multi: newIndex(multi)}
}

// Match finds the alias format command matches. The error is an *AmbiguityError (no match or
// more than one) with st2's text, or st2's "No value supplied" refusal.
func (s *Set) Match(command string) (*Match, error) {
	st := newStream(command)
	var buf [64]int32
	for pass, ix := range []*index{s.single, s.multi} {
		var matches []*Match
		for _, i := range ix.candidates(st, buf[:0]) {
			e := &ix.entries[i]
			if !e.format.couldMatch(st) {
				continue
			}
			params, err := e.format.extract(st, e.multiple)
			if err != nil {
				continue // st2 skips a format on any ParseException, "No value supplied" included
			}
			matches = append(matches, &Match{Alias: e.alias, Display: e.spec.Display, Representation: e.rep, Format: e.format, Params: params})
		}
		if s.mode == ModeMostSpecific && len(matches) > 1 {
			matches = mostSpecific(matches)
		}
		switch {
		case len(matches) == 1:
			return matches[0], nil
		case len(matches) > 1:
			return nil, &AmbiguityError{Command: command, Matches: matches, Multi: pass == 1}
		}
	}
	return nil, &AmbiguityError{Command: command}
}

// mostSpecific keeps the matches whose format has the most literal characters.
func mostSpecific(ms []*Match) []*Match {
	best := -1
	var out []*Match
	for _, m := range ms {
		switch n := m.Format.Literals(); {
		case n > best:
			best, out = n, append(out[:0], m)
		case n == best:
			out = append(out, m)
		}
	}
	return out
}

// HelpLine is one display form of an alias.
type HelpLine struct {
	Alias   *Alias
	Display string
}

// Help returns the display forms of the enabled aliases, in load order; representation-only
// formats stay hidden.
func (s *Set) Help() []HelpLine {
	var out []HelpLine
	for _, a := range s.Aliases {
		if !a.Enabled {
			continue
		}
		for _, fs := range a.Formats {
			if fs.Display != "" {
				out = append(out, HelpLine{Alias: a, Display: fs.Display})
			}
		}
	}
	return out
}
