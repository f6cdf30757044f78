package main

import (
	"reflect"
	"strings"
	"testing"
)

// A local alias file whose action lives in StackStorm (no `opsgate:` runner) runs that action in
// st2 when StackStorm is configured: parameters cast to the action's types, result rendered locally.
func TestLocalAliasRunsStackStormAction(t *testing.T) {
	s := newSt2(t)
	s.AddAction("core.remote", map[string]string{"cmd": "string", "hosts": "array", "timeout": "integer"})
	s.Run = func(ref string, params map[string]any) any {
		return map[string]any{"stdout": ref + " ran " + params["cmd"].(string) + " on " + strings.Join(toStrings(params["hosts"]), "+")}
	}
	dir := t.TempDir()
	writeAliasFile(t, dir, "ops/aliases/remote.yaml", `
name: remote
pack: ops
action_ref: core.remote
formats: ["remote {{ cmd }} on {{ hosts }} {{ timeout = 60 }}"]
result:
  format: "{{ execution.result.stdout }}"
`)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}, {"ops", "*", "user", "alice", "alice"}})
	cfg := st2Config(t, s, "aliases:\n  dir: "+dir+"\n")
	c := startChat(t, dsn, cfg, "--org", "acme", "--channel", "ops", "--user", "alice")
	c.say(t, "remote uptime on web1,web2")
	c.waitOut(t, "core.remote ran uptime on web1+web2")
	call := s.CallsTo("/api/v1/executions")[0]
	if p := call.Body["parameters"].(map[string]any); p["timeout"] != float64(60) {
		t.Fatalf("parameters sent to st2: %v", p)
	}
	// st2's refusal comes back in its own words.
	c.say(t, "remote uptime on web1 soon")
	c.waitOut(t, `Alias ops.remote: parameter timeout: "soon" is not a valid integer.`)
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// An alias's immutable list or object reaches st2 as a list or object; only strings are cast.
func TestImmutableParametersKeepTheirTypesInStackStorm(t *testing.T) {
	s := newSt2(t)
	s.AddAction("ops.deploy", map[string]string{"app": "string", "hosts": "array", "options": "object", "batch": "integer", "zones": "array",
		"labels": "", "ports": ""}) // labels, ports: schemas without a type (st2 passes any JSON value through)
	dir := t.TempDir()
	writeAliasFile(t, dir, "ops/aliases/deploy.yaml", `
name: deploy
pack: ops
action_ref: ops.deploy
formats: ["deploy {{ app }}"]
immutable_parameters:
  hosts: ["web1", "web 2,3"]
  options: {force: true, tags: [a, b]}
  batch: "5"
  zones: "eu-1,eu-2"
  labels: {team: web}
  ports: [80, 443]
result:
  format: "deployed {{ execution.parameters.app }}"
`)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}, {"ops", "*", "user", "alice", "alice"}})
	c := startChat(t, dsn, st2Config(t, s, "aliases:\n  dir: "+dir+"\n"), "--org", "acme", "--channel", "ops", "--user", "alice")
	c.say(t, "deploy shop")
	c.waitOut(t, "deployed shop")
	got := s.CallsTo("/api/v1/executions")[0].Body["parameters"]
	want := map[string]any{"app": "shop", "hosts": []any{"web1", "web 2,3"}, "options": map[string]any{"force": true, "tags": []any{"a", "b"}},
		"batch": float64(5), "zones": []any{"eu-1", "eu-2"}, "labels": map[string]any{"team": "web"}, "ports": []any{float64(80), float64(443)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parameters sent to st2:\n got %#v\nwant %#v", got, want)
	}
}
