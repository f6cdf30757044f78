package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeAliasFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAliasMatchFormatCLI(t *testing.T) {
	dsn := sqliteDSN(t)
	r := runCLI(t, dsn, "", "alias", "match", "--format", "run {{cmd}} on {{ hosts = localhost }}", "run", `"ls -la"`, "on", "web1", "extra=1")
	if r.code != 0 || !strings.Contains(r.stdout, `cmd = "ls -la"`) || !strings.Contains(r.stdout, `hosts = "web1"`) || !strings.Contains(r.stdout, `extra = "1"`) {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, dsn, "", "alias", "match", "--json", "--format", "run {{cmd}} on {{ hosts = localhost }}", "run date on")
	var out struct {
		Representation string            `json:"representation"`
		Parameters     map[string]string `json:"parameters"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Parameters["cmd"] != "date" || out.Parameters["hosts"] != "localhost" {
		t.Fatalf("%+v %+v", r, out)
	}
	r = runCLI(t, dsn, "", "alias", "match", "--format", "foo bar ponies", "foo lulz ponies")
	if r.code != 1 || r.stderr != "Command \"foo lulz ponies\" doesn't match format string \"foo bar ponies\"\n" || r.stdout != "" {
		t.Fatalf("%+v", r)
	}
	for _, args := range [][]string{
		{"alias", "match", "--format", "x"},
		{"alias", "match", "--format", "x", "--aliases", ".", "x"},
		{"alias", "match", "x"}, // no aliases.dir configured
		{"alias", "match", "--format", "run {{a}} {{a}}", "run 1 2"},
		{"alias", "match", "--match", "best", "--format", "x", "x"},
	} {
		if r := runCLI(t, dsn, "", args...); r.code != 2 {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestAliasMatchDirCLI(t *testing.T) {
	dsn := sqliteDSN(t)
	dir := t.TempDir()
	writeAliasFile(t, dir, "fruit/aliases/banana.yaml", "name: banana\naction_ref: core.local\nformats:\n  - \"Lorem ipsum {{ fruit }} dolor sit {{ other }} amet.\"\n")
	writeAliasFile(t, dir, "fruit/aliases/pineapple.yaml", "name: pineapple\naction_ref: core.local\nformats:\n  - display: \"Lorem pineapple\"\n    representation: [\"Lorem ipsum banana dolor sit {{ other }} amet.\"]\nimmutable_parameters:\n  color: yellow\n")
	writeAliasFile(t, dir, "broken.yml", "name: broken\naction_ref: a.b\nformats:\n  - 'x (?<=y)'\n")

	text := "Lorem ipsum banana dolor sit pineapple amet."
	r := runCLI(t, dsn, "", "alias", "match", "--aliases", dir, text)
	want := "Command 'Lorem ipsum banana dolor sit pineapple amet.' matched more than 1 pattern\n" +
		"fruit.banana: Lorem ipsum {{ fruit }} dolor sit {{ other }} amet.\n" +
		"fruit.pineapple: Lorem ipsum banana dolor sit {{ other }} amet.\n"
	if r.code != 1 || !strings.HasSuffix(r.stderr, want) || !strings.Contains(r.stderr, "broken.yml:4: ") {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, dsn, "", "alias", "match", "--aliases", dir, "--match", "most_specific", "--json", text)
	var out aliasMatchOutput
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Alias != "fruit.pineapple" || out.Display != "Lorem pineapple" ||
		out.Parameters["other"] != "pineapple" || out.Parameters["color"] != "yellow" {
		t.Fatalf("%+v %+v", r, out)
	}
	r = runCLI(t, dsn, "", "alias", "match", "--aliases", dir, "hello donny")
	if r.code != 1 || !strings.HasSuffix(r.stderr, "Command 'hello donny' matched no patterns\n") {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, dsn, "", "alias", "match", "--aliases", dir, "--match", "most_specific", text+" color=red")
	if r.code != 1 || !strings.HasSuffix(r.stderr, "Immutable arguments cannot be overriden: color\n") {
		t.Fatalf("%+v", r)
	}
}

// TestAliasChat runs aliases end to end: config, module, pipeline with grants, exec runner, result
// template, command log.
func TestAliasChat(t *testing.T) {
	dsn := sqliteDSN(t)
	dir := t.TempDir()
	writeAliasFile(t, dir, "svc/aliases/restart.yaml", `
name: restart
pack: svc
action_ref: svc.restart
description: Restart a service
formats:
  - "restart {{ service }} {{ host = localhost }}"
ack:
  format: "Restarting {{ execution.parameters.service }}..."
result:
  format: "{{ execution.parameters.service }} on {{ execution.parameters.host }}: {{ execution.result.stdout }}"
opsgate:
  runner: exec
  command: ["printf", "%s restarted", "{{ service }}"]
  timeout: 5s
`)
	writeAliasFile(t, dir, "svc/aliases/fail.yaml", `
name: fail
pack: svc
action_ref: svc.fail
formats: ["break {{ thing }}"]
opsgate:
  runner: exec
  command: ["sh", "-c", "echo cannot break $1 >&2; exit 4", "sh", "{{ thing }}"]
`)
	writeAliasFile(t, dir, "svc/aliases/st2only.yaml", "name: st2only\npack: svc\naction_ref: core.local\nformats: [\"remote {{ cmd }}\"]\n")
	writeAliasFile(t, dir, "svc/aliases/badrunner.yaml", "name: bad\npack: svc\naction_ref: x.y\nformats: [\"bad\"]\nopsgate:\n  runner: exec\n  command: [\"{{ prog }}\"]\n")
	cfg := writeAliasFile2(t, "aliases:\n  dir: "+dir+"\n")
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"},
		{"svc", "*", "user", "alice", "alice"}, {"help", "*", "user", "alice", "alice"}})

	r := runCLI(t, dsn, "help\nrestart nginx web1\nbreak glass\nremote ls\nrestart nginx\n", "--config", cfg, "chat", "--org", "acme", "--channel", "ops", "--user", "alice")
	for _, want := range []string{
		"restart {{ service }} {{ host = localhost }}", // help lists the display form
		"Restarting nginx...",
		"nginx on web1: nginx restarted",
		"nginx on localhost: nginx restarted",
		"Action svc.fail failed (exit status 4):", "cannot break glass",
		"Alias svc.st2only runs the StackStorm action core.local, and StackStorm is not configured.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "badrunner.yaml:6: alias svc.bad: opsgate.command[0] (the program) must be a literal path") {
		t.Errorf("refused alias not logged with file and line:\n%s", r.stderr)
	}
	log := mustRun(t, dsn, "log", "commands", "--json")
	var entries []map[string]any
	json.Unmarshal([]byte(log), &entries)
	statuses := map[string]int{}
	for _, e := range entries {
		if e["command"] == "svc" {
			statuses[e["subcommand"].(string)+":"+e["status"].(string)]++
		}
	}
	if statuses["restart:succeeded"] != 2 || statuses["fail:failed"] != 1 {
		t.Fatalf("command log: %v\n%s", statuses, log)
	}

	// Someone without a grant for the pack is refused before anything runs.
	r = runCLI(t, dsn, "restart nginx\n", "--config", cfg, "chat", "--org", "acme", "--channel", "ops", "--user", "bob")
	if strings.Contains(r.stdout, "restarted") || !strings.Contains(r.stdout, "not permitted by user bob") {
		t.Fatalf("bob: %s", r.stdout)
	}
}

func writeAliasFile2(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "opsgate.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAliasDatabase(t *testing.T) {
	dsn := sqliteDSN(t)
	dir := t.TempDir()
	writeAliasFile(t, dir, "hello.yaml", `
name: hello
pack: greet
action_ref: greet.hello
formats: ["hello {{ who = world }}"]
result: {format: "{{ execution.result.stdout }}"}
opsgate: {runner: exec, command: [printf, "hi %s", "{{ who }}"]}
`)
	writeAliasFile(t, dir, "bad.yaml", "name: bad\npack: p\naction_ref: a.b\nformats:\n  - 'x {{a}} {{a}}'\n")
	writeAliasFile(t, dir, "nopack.yaml", "name: np\naction_ref: a.b\nformats: [x]\n")
	if out := mustRun(t, dsn, "alias", "add", filepath.Join(dir, "hello.yaml")); out != "alias greet.hello saved\n" {
		t.Fatalf("add: %q", out)
	}
	if r := runCLI(t, dsn, "", "alias", "add", filepath.Join(dir, "bad.yaml")); r.code != 1 || !strings.Contains(r.stderr, "bad.yaml:5: alias p.bad: ") {
		t.Fatalf("bad add: %+v", r)
	}
	if r := runCLI(t, dsn, "", "alias", "add", filepath.Join(dir, "nopack.yaml")); r.code != 1 || !strings.Contains(r.stderr, "needs a pack") {
		t.Fatalf("nopack add: %+v", r)
	}
	if out := mustRun(t, dsn, "alias", "list"); !strings.HasPrefix(out, "greet.hello  updated ") {
		t.Fatalf("list: %q", out)
	}
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}, {"greet", "*", "user", "alice", "alice"}})
	r := runCLI(t, dsn, "hello\nhello bob\n", "chat", "--org", "acme", "--channel", "ops", "--user", "alice")
	if !strings.Contains(r.stdout, "hi world") || !strings.Contains(r.stdout, "hi bob") {
		t.Fatalf("chat with a stored alias:\n%s\n%s", r.stdout, r.stderr)
	}
	if audit := mustRun(t, dsn, "log", "audit", "--object", "alias"); !strings.Contains(audit, "greet.hello") {
		t.Fatalf("audit: %s", audit)
	}
	mustRun(t, dsn, "alias", "delete", "greet.hello")
	if r := runCLI(t, dsn, "", "alias", "delete", "greet.hello"); r.code != 1 || !strings.Contains(r.stderr, "Alias greet.hello does not exist.") {
		t.Fatalf("delete twice: %+v", r)
	}
	r = runCLI(t, dsn, "hello\n", "chat", "--org", "acme", "--channel", "ops", "--user", "alice")
	if strings.Contains(r.stdout, "hi world") {
		t.Fatalf("deleted alias still runs:\n%s", r.stdout)
	}
}

// st2 accepts an empty format: the command is then only key=value pairs (anything else does not match).
func TestAliasMatchEmptyFormat(t *testing.T) {
	dsn := sqliteDSN(t)
	r := runCLI(t, dsn, "", "alias", "match", "--format", "", "a=1 b='two words'")
	if r.code != 0 || !strings.Contains(r.stdout, `a = "1"`) || !strings.Contains(r.stdout, `b = "two words"`) {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, dsn, "", "alias", "match", "--format", "", "hello")
	if r.code != 1 || r.stderr != "Command \"hello\" doesn't match format string \"\"\n" {
		t.Fatalf("%+v", r)
	}
}

// --json prints the text as the user typed it: no \u003c for < or \u0026 for &.
func TestAliasMatchJSONKeepsMarkup(t *testing.T) {
	r := runCLI(t, sqliteDSN(t), "", "alias", "match", "--json", "--format", "say {{ msg }}", "say <b>cats & dogs</b>")
	if r.code != 0 || !strings.Contains(r.stdout, `"msg": "<b>cats & dogs</b>"`) || !strings.Contains(r.stdout, `"representation": "say {{ msg }}"`) {
		t.Fatalf("%+v", r)
	}
}

// immutable_parameters keep their YAML/JSON types in `alias match` (st2 casts only strings).
func TestAliasMatchImmutableTypes(t *testing.T) {
	dir := t.TempDir()
	writeAliasFile(t, dir, "ops/aliases/deploy.yaml", `
name: deploy
action_ref: ops.deploy
formats: ["deploy {{ app }}"]
immutable_parameters:
  hosts: [web1, web2]
  options: {force: true, batch: 2}
  retries: 3
  env: prod
`)
	r := runCLI(t, sqliteDSN(t), "", "alias", "match", "--json", "--aliases", dir, "deploy shop")
	var out struct {
		Parameters map[string]any `json:"parameters"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("%+v", r)
	}
	want := map[string]any{"app": "shop", "hosts": []any{"web1", "web2"}, "options": map[string]any{"force": true, "batch": float64(2)},
		"retries": float64(3), "env": "prod"}
	if !reflect.DeepEqual(out.Parameters, want) {
		t.Fatalf("parameters %#v\nwant %#v", out.Parameters, want)
	}
	r = runCLI(t, sqliteDSN(t), "", "alias", "match", "--aliases", dir, "deploy shop")
	if !strings.Contains(r.stdout, `hosts = ["web1","web2"]`) || !strings.Contains(r.stdout, `app = "shop"`) || !strings.Contains(r.stdout, `retries = 3`) {
		t.Fatalf("%+v", r)
	}
}

// Text that names an alias but stops before its required parameters gets a prompt, not "I don't
// know the command"; the answer runs the alias (access checked again), through the real pipeline.
func TestAliasPromptsForMissingParameters(t *testing.T) {
	dir := t.TempDir()
	writeAliasFile(t, dir, "svc/aliases/restart.yaml", `
name: restart
pack: svc
action_ref: svc.restart
formats:
  - "restart {{ service }} {{ host = localhost }}"
result:
  format: "{{ execution.parameters.service }} on {{ execution.parameters.host }}: {{ execution.result.stdout }}"
opsgate:
  runner: exec
  command: ["printf", "%s restarted", "{{ service }}"]
`)
	writeAliasFile(t, dir, "svc/aliases/copy.yaml", `
name: copy
pack: svc
action_ref: svc.copy
formats: ["copy {{ src }} to {{ dst }}"]
opsgate: {runner: exec, command: ["printf", "%s -> %s", "{{ src }}", "{{ dst }}"]}
`)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}, {"svc", "*", "user", "alice", "alice"}})
	cfg := writeAliasFile2(t, "aliases:\n  dir: "+dir+"\n")
	c := startChat(t, dsn, cfg, "--org", "acme", "--channel", "ops", "--user", "alice")
	c.say(t, "restart")
	c.waitOut(t, "svc restart: please enter service")
	c.say(t, "nginx web")
	c.waitOut(t, "nginx web on localhost: nginx web restarted")
	// A required parameter in the middle: "copy a" still lacks dst, which the answer supplies.
	c.say(t, "copy a.txt to")
	c.waitOut(t, "svc copy: please enter dst")
	c.say(t, "b.txt")
	out := c.waitOut(t, "a.txt -> b.txt")
	if strings.Contains(out, "I don't know the command") {
		t.Fatalf("alias answered as unknown:\n%s", out)
	}
	// Someone without a grant for the pack is refused, not prompted.
	c2 := startChat(t, dsn, cfg, "--org", "acme", "--channel", "ops", "--user", "bob")
	c2.say(t, "restart")
	if out := c2.waitOut(t, "not permitted by user bob"); strings.Contains(out, "please enter") {
		t.Fatalf("bob was prompted:\n%s", out)
	}
}
