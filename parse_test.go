package opsgate

import (
	"slices"
	"strings"
	"testing"
)

var splitCases = []string{"", "   ", "whoami", "network status nyc", " a\tb\nc\rd  ", "a\vb\fc", "x=1,y=2 --flag",
	`say "hello world"`, `it's`, `a\ b`, "“smart” ‘quotes’", "nbsp\u00a0here", "héllo wörld", "bad \xff utf8"}

// Words come out as a shell splits them: at blanks, with quotes grouping and backslashes
// escaping, smart quotes and non-breaking spaces read as what the user meant.
func TestSplitWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  whoami ", []string{"whoami"}},
		{"network  status\tnyc\n", []string{"network", "status", "nyc"}},
		{"a\vb", []string{"a\vb"}}, // only space, tab, CR and LF separate
		{`say "hello world"`, []string{"say", "hello world"}},
		{"say “hello world”", []string{"say", "hello world"}},
		{`a\ b`, []string{"a b"}},
		{`unbalanced "quote`, []string{"unbalanced", `"quote`}},
		{"nbsp\u00a0here", []string{"nbsp", "here"}},
	} {
		if got := SplitWords(c.in); !slices.Equal(got, c.want) {
			t.Errorf("SplitWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Plain ASCII text takes a shortcut: it must split exactly as the shell-like splitter does.
func FuzzPlainSplit(f *testing.F) {
	for _, s := range splitCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := plainSplit(s); ok {
			if want, _ := shellSplit(s); !slices.Equal(got, want) {
				t.Fatalf("plainSplit(%q) = %q, shellSplit %q", s, got, want)
			}
		}
		if got, want := NormalizeText(s), strings.TrimSpace(quoteReplacer.Replace(s)); got != want {
			t.Fatalf("NormalizeText(%q) = %q, want %q", s, got, want)
		}
	})
}

func BenchmarkSplitWords(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		SplitWords("network status nyc")
	}
}
