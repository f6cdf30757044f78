package alias

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Cases follow st2's own tests of ActionAliasFormatParser (st2common/tests/unit/test_action_alias_utils.py).
func TestExtract(t *testing.T) {
	tests := []struct {
		name, format, command string
		want                  map[string]string
	}{
		{"empty", "", "", map[string]string{}},
		{"pair only", "", "a=foobar1", map[string]string{"a": "foobar1"}},
		{"pair double quoted", "foo", `foo a="foobar2 poonies bar"`, map[string]string{"a": "foobar2 poonies bar"}},
		{"pair single quoted", "foo", `foo a='foobar2 poonies bar'`, map[string]string{"a": "foobar2 poonies bar"}},
		{"pair json", "foo", `foo a={"foobar2": "poonies"}`, map[string]string{"a": `{"foobar2": "poonies"}`}},
		{"pairs mixed", "", `a=foobar1 b="boobar2 3 4" c='coobar3 4' d={"a": "b"}`,
			map[string]string{"a": "foobar1", "b": "boobar2 3 4", "c": "coobar3 4", "d": `{"a": "b"}`}},
		{"pair empty quotes", "foo", `foo a="" b=''`, map[string]string{"a": "", "b": ""}},
		{"pair with format", "{{ captain }} is my captain", `Malcolm Reynolds is my captain weirdo="River Tam"`,
			map[string]string{"captain": "Malcolm Reynolds", "weirdo": "River Tam"}},
		{"simple", "skip {{a}} more skip {{b}} and skip more.", "skip a1 more skip b1 and skip more.", map[string]string{"a": "a1", "b": "b1"}},
		{"end", "skip {{a}} more skip {{b}}", "skip a1 more skip b1", map[string]string{"a": "a1", "b": "b1"}},
		{"spaced", "skip {{a}} more skip {{b}} and skip more.", `skip "a1 a2" more skip b1 and skip more.`, map[string]string{"a": "a1 a2", "b": "b1"}},
		{"single quoted", "skip {{a}} more", `skip 'a1 a2' more`, map[string]string{"a": "a1 a2"}},
		{"defaults", "acl {{a}} {{b}} {{c}} {{d=1}}", `acl "a1 a2" "b1" "c1"`, map[string]string{"a": "a1 a2", "b": "b1", "c": "c1", "d": "1"}},
		{"optional without space", "acl {{a=test}}", "acl", map[string]string{"a": "test"}},
		{"json", "skip {{a}} more skip.", `skip {"a": "b", "c": "d"} more skip.`, map[string]string{"a": `{"a": "b", "c": "d"}`}},
		{"mixed", "skip {{a}} more skip {{b}}.", `skip {"a": "b", "c": "d"} more skip x.`, map[string]string{"a": `{"a": "b", "c": "d"}`, "b": "x"}},
		{"param spaces", "s {{a}} more {{ b }} more {{ c=99 }} more {{ d = 99 }}", "s one more two more three more",
			map[string]string{"a": "one", "b": "two", "c": "three", "d": "99"}},
		{"enclosed default given", "skip {{ a = value }} more", "skip one more", map[string]string{"a": "one"}},
		{"enclosed default missing", "skip {{ a = value }} more", "skip more", map[string]string{"a": "value"}},
		{"template default", "two by two hands of {{ color = {{ colors.default_color }} }}", "two by two hands of",
			map[string]string{"color": "{{ colors.default_color }}"}},
		{"quoted default", `run {{ x = "a b" }}`, "run", map[string]string{"x": "a b"}},
		{"json default", `run {{ x = {"k": 1} }}`, "run", map[string]string{"x": `{"k": 1}`}},
		{"pair overrides", "testing {{ a }}", "testing value b=value2", map[string]string{"a": "value", "b": "value2"}},
		{"pair overrides param", "somestuff {{a}} more stuff {{b}}", "somestuff ponies more stuff coobar b=foo", map[string]string{"a": "ponies", "b": "foo"}},
		{"pair quoted with default", "testing {{ a=new }}", `testing b="another value"`, map[string]string{"a": "new", "b": "another value"}},
		{"pairs and defaults", "testing {{ b=abc }} {{ c=xyz }}", `testing newvalue d={"1": "2"} e="long value"`,
			map[string]string{"b": "newvalue", "c": "xyz", "d": `{"1": "2"}`, "e": "long value"}},
		{"all defaults", "skip {{d=test1}} more skip {{e=test1}}.", "skip more skip", map[string]string{"d": "test1", "e": "test1"}},
		{"some defaults", "skip {{d=test}} more skip {{e=test}}", "skip ponies more skip", map[string]string{"d": "ponies", "e": "test"}},
		{"all the things", "{{ p0='http' }} g {{ p1=p }} a {{ url }} {{ p2={'a':'b'} }} {{ p3={{ e.i }} }}",
			"g a http://google.com {{ execution.id }} p4='testing' p5={'a':'c'}",
			map[string]string{"p0": "http", "p1": "p", "url": "http://google.com", "p2": "{{ execution.id }}", "p3": "{{ e.i }}",
				"p4": "testing", "p5": "{'a':'c'}"}},
		{"ending pairs", "foo bar", "foo bar pony1=foo pony2=bar", map[string]string{"pony1": "foo", "pony2": "bar"}},
		{"pair in the middle is literal", "run {{cmd}}", "run a=b now", map[string]string{"cmd": "a=b now"}},
		{"regex begin anchor", `^\s*foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)`, "foo ASDF-1234", map[string]string{"issue_key": "ASDF-1234"}},
		{"regex end anchor", `foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)\s*$`, "foo ASDF-1234", map[string]string{"issue_key": "ASDF-1234"}},
		{"regex both anchors", `^\s*foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)\s*$`, "foo ASDF-1234", map[string]string{"issue_key": "ASDF-1234"}},
		{"regex \\A \\Z", `\A\s*foo (?P<k>\d+)\s*\Z`, "foo 12", map[string]string{"k": "12"}},
		{"regex unanchored start", `^\s*.*? (?P<k>\d+)`, "say it 12", map[string]string{"k": "12"}},
		{"dot matches newline", "echo {{text}}", "echo line1\nline2", map[string]string{"text": "line1\nline2"}},
		{"raw group mixed with param", `deploy {{app}} to (?P<env>prod|staging)`, "deploy web to prod", map[string]string{"app": "web", "env": "prod"}},
		{"lazy value", "run {{cmd}} on {{hosts}}", "run date on localhost", map[string]string{"cmd": "date", "hosts": "localhost"}},
		{"lazy value spaces", "run {{cmd}} on {{hosts}}", "run ls -la on web1,web2", map[string]string{"cmd": "ls -la", "hosts": "web1,web2"}},
		{"literal quotes in format", "say '{{msg}}'", "say 'hello world'", map[string]string{"msg": "hello world"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := CompileFormat(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Extract(tt.command)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q, %q) = %q, want %q", tt.format, tt.command, got, tt.want)
			}
		})
	}
}

func TestExtractNoMatch(t *testing.T) {
	tests := []struct{ format, command, want string }{
		{"foo bar ponies", "foo lulz ponies", `Command "foo lulz ponies" doesn't match format string "foo bar ponies"`},
		{"skip {{d}} more skip {{e}}.", "", `Command "" doesn't match format string "skip {{d}} more skip {{e}}."`},
		{`^\s*foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)`, "bar foo ASDF-1234",
			`Command "bar foo ASDF-1234" doesn't match format string "^\s*foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)"`},
		{`foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)\s*$`, "foo ASDF-1234 bar",
			`Command "foo ASDF-1234 bar" doesn't match format string "foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)\s*$"`},
		{`^\s*foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)\s*$`, "bar ASDF-1234",
			`Command "bar ASDF-1234" doesn't match format string "^\s*foo (?P<issue_key>[A-Z][A-Z0-9]+-[0-9]+)\s*$"`},
		// case-sensitive
		{"apu status {{role}}", "APU status web", `Command "APU status web" doesn't match format string "apu status {{role}}"`},
		// implicit anchors: no extra text before or after
		{"apu status", "please apu status", `Command "please apu status" doesn't match format string "apu status"`},
		{"apu status", "apu status now", `Command "apu status now" doesn't match format string "apu status"`},
		// st2 only looks at an alternation's second branch for an anchor: this one still gets ^\s*
		{`(?:^|\s)(?P<k>[A-Z]+-\d+)(?:\s|$)`, "look at OPS-1", `Command "look at OPS-1" doesn't match format string "(?:^|\s)(?P<k>[A-Z]+-\d+)(?:\s|$)"`},
		// a format anchored with ^ gets no leading \s*, and st2 pads the command with a space
		{`^foo`, "foo", `Command "foo" doesn't match format string "^foo"`},
	}
	for _, tt := range tests {
		f, err := CompileFormat(tt.format)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Extract(tt.command)
		var me *MatchError
		if !errors.As(err, &me) || err.Error() != tt.want {
			t.Errorf("Extract(%q, %q) error = %v, want %s", tt.format, tt.command, err, tt.want)
		}
	}
}

func TestExtractNoValue(t *testing.T) {
	// st2 refuses an all-empty command for a format with parameters but no values anywhere.
	f, err := CompileFormat(`{{x=""}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Extract(""); err == nil || err.Error() != "No value supplied and no default value found." {
		t.Fatalf("err = %v", err)
	}
}

func TestExtractAll(t *testing.T) {
	// With both anchors written by the author, st2 adds none and finds every occurrence. (st2 only
	// looks at an alternation's second branch for anchors, hence \s|^ rather than ^|\s.)
	f, err := CompileFormat(`(?:\s|^)(?P<issue>[A-Z]+-\d+)(?:\s|$)`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.ExtractAll("look at OPS-1 and OPS-22 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{{"issue": "OPS-1"}, {"issue": "OPS-22"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestCompileFormatErrors(t *testing.T) {
	tests := []struct{ format, reason string }{
		{"run {{a}} and {{a}}", `redefinition of group name "a"`},
		{"run {{a}} (?P<a>x)", `redefinition of group name "a"`},
		{"run {{a.b}}", `bad parameter name "a.b"`},
		{"run (?=x){{a}}", "not supported"},
		{"run (?P<x>a)(?P=x)", "not supported"},
		{"run (unclosed {{a}}", `a "(" is never closed`},
	}
	for _, tt := range tests {
		_, err := CompileFormat(tt.format)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("CompileFormat(%q) = %v, want %q", tt.format, err, tt.reason)
		}
	}
}

func TestFormatIndexData(t *testing.T) {
	tests := []struct{ format, prefix, word string }{
		{"apu status {{role}}", "apu status ", "apu"},
		{"apu {{x=1}}", "apu", ""},
		{"{{x}} is my captain", "", ""},
		{`^\s*foo (?P<k>\d+)`, "foo ", "foo"},
		{`(?i)foo bar`, "", ""},
	}
	for _, tt := range tests {
		f, err := CompileFormat(tt.format)
		if err != nil {
			t.Fatal(err)
		}
		if f.prefix != tt.prefix || f.firstWord != tt.word {
			t.Errorf("%q: prefix %q word %q, want %q %q", tt.format, f.prefix, f.firstWord, tt.prefix, tt.word)
		}
	}
}

// A format that does not compile is explained in the terms of the format as written: never a
// fragment of the regular expression opsgate generates from it.
func TestCompileFormatErrorsSpeakTheFormat(t *testing.T) {
	for format, want := range map[string]string{
		"run {{ x }} (":      `format "run {{ x }} (": a "(" is never closed`,
		"run {{ x }} [a-":    `format "run {{ x }} [a-": a "[" is never closed`,
		"run (x))) {{ y }}":  `format "run (x))) {{ y }}": a ")" has no matching "("`,
		"run {{ x }} a{2,1}": `format "run {{ x }} a{2,1}": regular expression does not compile: invalid repeat count: {2,1}`,
		"run {{x}} (?i":      `format "run {{x}} (?i": regular expression does not compile: invalid or unsupported Perl syntax: (?i`,
	} {
		_, err := CompileFormat(format)
		if err == nil || err.Error() != want {
			t.Errorf("CompileFormat(%q):\n got %v\nwant %s", format, err, want)
		}
	}
}
