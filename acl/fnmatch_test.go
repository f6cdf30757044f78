package acl

import (
	"path"
	"testing"
)

// Expectations were taken from CPython 3.11's fnmatch.fnmatchcase(text, pattern).
var fnmatchCases = []struct {
	pattern, text string
	want          bool
}{
	{"*", "", true},
	{"*", "anything/at@all", true},
	{"", "", true},
	{"", "a", false},
	{"a*b", "a/x@y\nb", true},
	{"a?c", "abc", true},
	{"a?c", "ac", false},
	{"a?c", "a/c", true},
	{"?", "é", true},
	{"??", "é", false},
	{"ABC", "abc", false},
	{"abc", "abc", true},
	{"abc", "abcd", false},
	{"abc", "xabc", false},
	{"[abc]", "b", true},
	{"[abc]", "d", false},
	{"[!abc]", "d", true},
	{"[!abc]", "a", false},
	{"[!abc]", "", false},
	{"[a-c]", "b", true},
	{"[a-c]", "-", false},
	{"[a-]", "-", true},
	{"[a-]", "a", true},
	{"[-a]", "-", true},
	{"[!-a]", "-", false},
	{"[!-a]", "b", true},
	{"[]]", "]", true},
	{"[]a]", "a", true},
	{"[!]]", "]", false},
	{"[!]]", "x", true},
	{"[!]", "[!]", true},
	{"[!]", "x", false},
	{"[", "[", true},
	{"[a", "[a", true},
	{"a[", "a[", true},
	{"[a", "a", false},
	{"[abc", "[abc", true},
	{"x[!", "x[!", true},
	{"[z-a]", "z", false},
	{"[z-a]", "-", false},
	{"[z-a]", "m", false},
	{"[!z-a]", "m", true},
	{"[!z-a]", "z", true},
	{"[!z-a]", "", false},
	{"[a--]", "a", false},
	{"[a--]", "-", false},
	{"[--z]", "a", true},
	{"[--z]", "-", true},
	{"[a-c-e]", "-", true},
	{"[a-c-e]", "d", false},
	{"[a-c-e]", "e", true},
	{"[a-cd-f]", "e", true},
	{"[\\]", "\\", true},
	{"[\\d]", "5", false},
	{"[\\d]", "d", true},
	{"\\*", "\\x", true},
	{"\\*", "*", false},
	{"[^a]", "^", true},
	{"[^a]", "b", false},
	{"[[]", "[", true},
	{"[a&&b]", "&", true},
	{"[a|b]", "|", true},
	{"[~]", "~", true},
	{"*.py", "x/y.py", true},
	{"st2 apu status*", "st2 apu status web", true},
	{"st2 apu*", "st2 apu start", true},
	{"@*", "@alice", true},
	{"*@example.com", "bob@example.com", true},
	{"#chan*", "#channel", true},
	{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	{"*a*", "bab", true},
	{"**", "x", true},
	{"a**b", "ab", true},
	{"[é-ü]", "ö", true},
	{"[!é]", "e", true},
	{".*", "xyz", false},
	{"a.c", "abc", false},
	{"(a)", "(a)", true},
	{"a+", "aa", false},
	{"*\n", "x\n", true},
	{"[\n]", "\n", true},
	{"?", "\n", true},
	{"[b-a-c]", "b", false},
	{"[b-a-c]", "-", true},
	{"[b-a-c]", "c", true},
	{"[b-a-c]", "a", false},
	{"[!a-b-]", "-", false},
	{"[!a-b-]", "c", true},
	{"[z-ab-c]", "b", true},
	{"[z-ab-c]", "z", false},
	{"[z-ab-c]", "a", false},
	{"[z-ab-c]", "c", true},
	{"[!z-ab-c]", "b", false},
	{"[!z-ab-c]", "d", true},
}

func TestGlobMatchesPythonFnmatchcase(t *testing.T) {
	for _, c := range fnmatchCases {
		g, err := CompileGlob(c.pattern)
		if err != nil {
			t.Fatalf("CompileGlob(%q): %v", c.pattern, err)
		}
		if got := g.Match(c.text); got != c.want {
			t.Errorf("fnmatchcase(%q, %q) = %v, want %v", c.text, c.pattern, got, c.want)
		}
	}
}

// The three differences from path.Match the design doc calls out, shown side by side so a
// regression to path.Match would be caught.
func TestGlobDiffersFromPathMatch(t *testing.T) {
	for _, c := range []struct{ pattern, text string }{
		{"team/*", "team/a/b"}, // * crosses "/"
		{"[!a]", "b"},          // ! negates (path.Match wants ^)
		{"[abc", "[abc"},       // unclosed [ is a literal (path.Match: ErrBadPattern)
		{"*@corp.com", "a@corp.com"},
	} {
		g, _ := CompileGlob(c.pattern)
		if !g.Match(c.text) {
			t.Errorf("Glob(%q).Match(%q) = false, want true", c.pattern, c.text)
		}
		if ok, err := path.Match(c.pattern, c.text); ok && err == nil && c.pattern != "*@corp.com" {
			t.Errorf("path.Match(%q, %q) unexpectedly agrees; test no longer shows a difference", c.pattern, c.text)
		}
	}
}

func TestCompileGlobRejectsInvalidUTF8(t *testing.T) {
	if _, err := CompileGlob("a\xffb"); err == nil {
		t.Fatal("CompileGlob accepted invalid UTF-8")
	}
}

func BenchmarkGlobMatch(b *testing.B) {
	g, _ := CompileGlob("*:st2 apu status*")
	b.ReportAllocs()
	for b.Loop() {
		if !g.Match("st2:st2 apu status web-01") {
			b.Fatal("no match")
		}
	}
}
