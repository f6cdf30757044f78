package alias

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func mustParse(t testing.TB, src string) *Alias {
	t.Helper()
	a, err := Parse([]byte(src), "test.yaml", "test")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testSet(t testing.TB, mode Mode, srcs ...string) *Set {
	var as []*Alias
	for _, s := range srcs {
		as = append(as, mustParse(t, s))
	}
	return NewSet(as, mode)
}

const (
	yamlRemote = `
name: remote_shell_cmd
pack: examples
action_ref: core.remote
description: Execute a command on a remote host via SSH.
formats:
  - "run {{cmd}} on {{hosts}}"
`
	yamlBanana = `
name: banana
pack: fruit
action_ref: core.local
formats:
  - "Lorem ipsum {{ fruit }} dolor sit {{ other }} amet."
`
	yamlPineapple = `
name: pineapple
pack: fruit
action_ref: core.local
formats:
  - "Lorem ipsum banana dolor sit {{ other }} amet."
`
	yamlStatus = `
name: apu_status
pack: apu
action_ref: apu.status
description: Status of a role
formats:
  - display: "apu status <role>"
    representation:
      - "apu status {{ role }}"
      - "apu st {{ role }}"
  - representation: "status of {{ role }}"
  - display: "apu status (all roles)"
immutable_parameters:
  env: prod
`
	yamlIssues = `
name: jira
pack: jira
action_ref: jira.show
formats:
  - display: "OPS-<number>"
    representation:
      - '(?:\s|^)(?P<issue_key>[A-Z]+-[0-9]+)(?:\s|$)'
    match_multiple: true
`
)

func TestSetMatch(t *testing.T) {
	s := testSet(t, ModeStackStorm, yamlRemote, yamlBanana, yamlPineapple, yamlStatus, yamlIssues)

	m, err := s.Match("run date on localhost")
	if err != nil {
		t.Fatal(err)
	}
	if m.Alias.Ref() != "examples.remote_shell_cmd" || !reflect.DeepEqual(m.Params[0], map[string]string{"cmd": "date", "hosts": "localhost"}) {
		t.Fatalf("match = %s %q", m.Alias.Ref(), m.Params)
	}

	// Several representations of one display; representation-only formats match too.
	for _, c := range []string{"apu st web", "status of web"} {
		m, err := s.Match(c)
		if err != nil || m.Alias.Name != "apu_status" || m.Params[0]["role"] != "web" {
			t.Fatalf("%q: %v %v", c, m, err)
		}
	}

	_, err = s.Match("hello donny")
	if err == nil || err.Error() != "Command 'hello donny' matched no patterns" {
		t.Fatalf("err = %v", err)
	}

	_, err = s.Match("Lorem ipsum banana dolor sit pineapple amet.")
	var ae *AmbiguityError
	if !errors.As(err, &ae) || err.Error() != "Command 'Lorem ipsum banana dolor sit pineapple amet.' matched more than 1 pattern" || len(ae.Matches) != 2 {
		t.Fatalf("err = %v", err)
	}
	if n := ae.Names(); !strings.Contains(n, "fruit.banana: ") || !strings.Contains(n, "fruit.pineapple: ") {
		t.Fatalf("names = %q", n)
	}

	// match_multiple aliases are tried last, and yield one parameter set per occurrence.
	m, err = s.Match("look at OPS-1 and OPS-22 please")
	if err != nil {
		t.Fatal(err)
	}
	if m.Alias.Name != "jira" || len(m.Params) != 2 || m.Params[1]["issue_key"] != "OPS-22" {
		t.Fatalf("multi = %q", m.Params)
	}
}

func TestSetMatchMultipleIsLast(t *testing.T) {
	// "show OPS-1" matches both; the ordinary alias wins because match_multiple is only tried when nothing else matched.
	s := testSet(t, ModeStackStorm, yamlIssues, `
name: show
pack: jira
action_ref: jira.show
formats: ["show {{ key }}"]
`)
	m, err := s.Match("show OPS-1")
	if err != nil || m.Alias.Name != "show" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestSetMostSpecific(t *testing.T) {
	for _, mode := range []Mode{ModeStackStorm, ModeMostSpecific} {
		s := testSet(t, mode, yamlBanana, yamlPineapple)
		m, err := s.Match("Lorem ipsum banana dolor sit pineapple amet.")
		if mode == ModeStackStorm {
			if err == nil {
				t.Fatal("stackstorm mode must refuse two matches")
			}
			continue
		}
		if err != nil || m.Alias.Name != "pineapple" {
			t.Fatalf("most_specific: %v %v", m, err)
		}
	}
	// A tie at the top is still an error.
	s := testSet(t, ModeMostSpecific, yamlBanana, strings.Replace(yamlBanana, "name: banana", "name: banana2", 1))
	if _, err := s.Match("Lorem ipsum a dolor sit b amet."); err == nil || !strings.Contains(err.Error(), "more than 1 pattern") {
		t.Fatalf("tie: %v", err)
	}
}

func TestSetDisabledAndHelp(t *testing.T) {
	s := testSet(t, ModeStackStorm, yamlStatus, strings.Replace(yamlRemote, "formats:", "enabled: false\nformats:", 1))
	if _, err := s.Match("run date on localhost"); err == nil {
		t.Fatal("disabled alias matched")
	}
	var got []string
	for _, h := range s.Help() {
		got = append(got, h.Alias.Ref()+" "+h.Display)
	}
	want := []string{"apu.apu_status apu status <role>", "apu.apu_status apu status (all roles)"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("help = %q", got)
	}
	// Display-only formats never match.
	s = testSet(t, ModeStackStorm, "name: d\naction_ref: a.b\nformats:\n  - display: ping everything\n")
	if _, err := s.Match("ping everything"); err == nil {
		t.Fatal("display-only format matched")
	}
}

func TestImmutable(t *testing.T) {
	a := mustParse(t, yamlStatus)
	p, err := a.ApplyImmutable(map[string]string{"role": "web"})
	if err != nil || p["env"] != "prod" || p["role"] != "web" {
		t.Fatalf("%q %v", p, err)
	}
	s := NewSet([]*Alias{a}, ModeStackStorm)
	m, err := s.Match("apu status web env=dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ApplyImmutable(m.Params[0]); err == nil || err.Error() != "Immutable arguments cannot be overriden: env" {
		t.Fatalf("err = %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"name: x\naction_ref: a.b\nformats:\n  - \"run {{a}} {{a}}\"\n", `test.yaml:4: alias test.x: format "run {{a}} {{a}}": redefinition of group name "a"`},
		{"name: x\naction_ref: a.b\nformatz: []\n", `test.yaml:3: unknown key "formatz"`},
		{"name: x\naction_ref: a.b\nformats:\n  - display: d\n    represent: [x]\n", `test.yaml:5: alias x: unknown format key "represent"`},
		{"name: x\naction_ref: a.b\nformats:\n  - [a, b]\n", "test.yaml:4: alias x: format 1 is neither a string"},
		{"name: x\nformats: [a]\n", "test.yaml:1: alias x: action_ref is required"},
		{"name: [x\n", "test.yaml:1: did not find expected"},
		{"name: x\naction_ref: a.b\nformats:\n  - 'run (?<=a){{a}}'\n", "test.yaml:4: alias test.x: format"},
		{"", "test.yaml:1: empty file"},
		{"name: x\naction_ref: a.b\nformats: [x]\nresult:\n  format: \"{{ x\"\n", `test.yaml:5: alias test.x: result.format: '}}' expected here (line 1, column 5)`},
		{"name: x\naction_ref: a.b\nformats: [x]\nack: {format: \"{% if x %}\"}\n", `test.yaml:4: alias test.x: ack.format: {% if %}: Unexpected EOF`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src), "test.yaml", "test")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want prefix %q", tt.src, err, tt.want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDirLoadAndReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "examples", "aliases", "remote.yaml"), strings.Replace(yamlRemote, "pack: examples\n", "", 1))
	writeFile(t, filepath.Join(dir, "apu", "status.yml"), yamlStatus)
	writeFile(t, filepath.Join(dir, "broken.yaml"), "name: broken\naction_ref: a.b\nformats:\n  - 'x {{a}} {{a}}'\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not an alias")

	d := &Dir{Path: dir, Interval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	errs := d.Load()
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), filepath.Join(dir, "broken.yaml")+":4: ") {
		t.Fatalf("errs = %v", errs)
	}
	var refs []string
	for _, a := range d.Set().Aliases {
		refs = append(refs, a.Ref())
	}
	sort.Strings(refs)
	if !reflect.DeepEqual(refs, []string{"apu.apu_status", "examples.remote_shell_cmd"}) {
		t.Fatalf("refs = %q", refs)
	}

	// A change is picked up by Run.
	loaded := make(chan *Set, 10)
	d.OnLoad = func(s *Set, _ []error) { loaded <- s }
	ctx, cancel := contextWithCancel(t)
	defer cancel()
	go d.Run(ctx)
	writeFile(t, filepath.Join(dir, "broken.yaml"), "name: fixed\npack: p\naction_ref: a.b\nformats:\n  - 'fix {{a}}'\n")
	select {
	case s := <-loaded:
		if m, err := s.Match("fix it"); err != nil || m.Alias.Name != "fixed" {
			t.Fatalf("after reload: %v %v", m, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload")
	}
	if _, err := d.Set().Match("run date on h"); err != nil {
		t.Fatalf("other aliases still work: %v", err)
	}
}

func TestDuplicateRef(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), yamlRemote)
	writeFile(t, filepath.Join(dir, "b.yaml"), yamlRemote)
	as, errs := LoadDir(dir)
	if len(as) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "already defined in") {
		t.Fatalf("%d %v", len(as), errs)
	}
}

// thousandAliases builds 1,000 aliases over 100 verbs and 10 nouns, plus a few that start with a
// parameter (they are candidates for every message).
func thousandAliases(tb testing.TB) *Set {
	var as []*Alias
	for v := 0; v < 100; v++ {
		for n := 0; n < 10; n++ {
			src := fmt.Sprintf("name: a%d_%d\npack: p%d\naction_ref: p.a\nformats:\n  - \"verb%d noun%d {{ target }} {{ mode = fast }}\"\n  - display: \"verb%d noun%d help\"\n    representation: [\"verb%d noun%d --json {{ target }}\"]\n",
				v, n, v, v, n, v, n, v, n)
			as = append(as, mustParse(tb, src))
		}
	}
	as = append(as, mustParse(tb, "name: captain\npack: x\naction_ref: x.y\nformats: [\"{{ who }} is my captain\"]\n"))
	return NewSet(as, ModeStackStorm)
}

func TestThousandAliases(t *testing.T) {
	s := thousandAliases(t)
	m, err := s.Match("verb42 noun7 web-01 mode=slow")
	if err != nil {
		t.Fatal(err)
	}
	if m.Alias.Name != "a42_7" || m.Params[0]["target"] != "web-01" || m.Params[0]["mode"] != "slow" {
		t.Fatalf("%s %q", m.Alias.Name, m.Params)
	}
	if m, err := s.Match("Mal is my captain"); err != nil || m.Params[0]["who"] != "Mal" {
		t.Fatalf("%v %v", m, err)
	}
}

func BenchmarkMatch1000(b *testing.B) {
	s := thousandAliases(b)
	msgs := []string{"verb42 noun7 web-01", "verb9 noun3 \"db 1\" slow", "verb99 noun0 --json {\"a\": 1}", "nothing matches this"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Match(msgs[i%len(msgs)])
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// Poke (another replica saw the shared files change) reloads now, whatever the interval.
func TestDirPokeReloadsNow(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "apu", "status.yml"), yamlStatus)
	d := &Dir{Path: dir, Interval: time.Hour, Logger: slog.New(slog.DiscardHandler)}
	d.Load()
	loaded := make(chan *Set, 10)
	d.OnLoad = func(s *Set, _ []error) { loaded <- s }
	ctx, cancel := contextWithCancel(t)
	defer cancel()
	go d.Run(ctx)
	writeFile(t, filepath.Join(dir, "fixed.yaml"), "name: fixed\npack: p\naction_ref: a.b\nformats:\n  - 'fix {{a}}'\n")
	d.Poke()
	select {
	case s := <-loaded:
		if m, err := s.Match("fix it"); err != nil || m.Alias.Name != "fixed" {
			t.Fatalf("after poke: %v %v", m, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a poke did not reload the directory")
	}
}
