package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func TestSecretCLI(t *testing.T) {
	dsn := sqliteDSN(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "opsgate.yaml")
	os.WriteFile(cfg, []byte("secrets:\n  file_roots: ["+dir+"]\n  env_prefixes: [NAPALM_]\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "csr1.txt"), []byte("file-pw-1\n"), 0o600)
	cli := func(env []string, args ...string) result {
		t.Helper()
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Environ: append([]string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LOG_LEVEL=warn"}, env...)}
		code := m.Run(context.Background(), append([]string{"--config", cfg}, args...))
		return result{code, out.String(), errb.String()}
	}
	ok := func(args ...string) string {
		t.Helper()
		r := cli(nil, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d %s%s", args, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	ok("secret", "add", "--name", "NAPALM Secret", "--provider", "environment-variable", "--param", "variable=NAPALM_SECRET", "--description", "napalm")
	ok("secret", "add", "--name", "Device Password", "--provider", "text-file", "--param", "path="+dir+"/{{ obj.name }}.txt")

	// check prints the seed's error form, or ok, and never the value.
	r := cli(nil, "secret", "check", "NAPALM Secret")
	if r.code != 1 || r.stdout != `SecretValueNotFoundError: Secret "NAPALM Secret" (provider "EnvironmentVariableSecretsProvider"): Undefined environment variable "NAPALM_SECRET"!`+"\n" {
		t.Fatalf("check unset: %+v", r)
	}
	r = cli([]string{"NAPALM_SECRET=env-pw-1"}, "secret", "check", "NAPALM Secret")
	if r.code != 0 || r.stdout != "ok\n" || strings.Contains(r.stdout+r.stderr, "env-pw-1") {
		t.Fatalf("check set: %+v", r)
	}
	if r := cli(nil, "secret", "check", "Device Password", "--obj-json", `{"name":"csr1"}`); r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("check templated: %+v", r)
	}
	if r := cli(nil, "secret", "check", "Device Password", "--obj-json", `{"name":"../../etc/passwd"}`); r.code != 1 || !strings.HasPrefix(r.stdout, "SecretParametersError: ") {
		t.Fatalf("check escaping path: %+v", r)
	}
	if r := cli(nil, "secret", "check", "Device Password", "--obj-json", `[1]`); r.code != 2 {
		t.Fatalf("bad obj json: %+v", r)
	}

	// add refuses what no rendering could fix.
	for _, bad := range [][]string{
		{"--name", "x", "--provider", "nope"},
		{"--name", "x", "--provider", "environment-variable", "--param", "variable=OTHER_TOKEN"}, // outside env_prefixes
		{"--name", "x", "--provider", "text-file", "--param", "path=/etc/passwd"},                // outside file_roots
		{"--name", "x", "--provider", "text-file", "--param", "novalue"},
	} {
		if r := cli(nil, append([]string{"secret", "add"}, bad...)...); r.code != 2 {
			t.Errorf("add %v: exit %d %s", bad, r.code, r.stderr)
		}
	}
	if r := cli(nil, "secret", "add", "--name", "napalm secret", "--provider", "environment-variable", "--param", "variable=NAPALM_X"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate: %+v", r)
	}

	var listed []opsgate.Secret
	if err := json.Unmarshal([]byte(ok("secret", "list", "--json")), &listed); err != nil || len(listed) != 2 || listed[1].Parameters["variable"] != "NAPALM_SECRET" {
		t.Fatalf("list: %v %v", listed, err)
	}
	if out := ok("secret", "list"); !regexp.MustCompile(`(?m)^NAPALM Secret +environment-variable +variable=NAPALM_SECRET +napalm$`).MatchString(out) {
		t.Fatalf("list table:\n%s", out)
	}

	ok("secret", "group", "add", "--name", "napalm", "--description", "device access")
	ok("secret", "group", "set", "napalm", "--access-type", "generic", "--secret-type", "password", "--secret", "Device Password")
	ok("secret", "group", "set", "napalm", "--access-type", "Generic", "--secret-type", "username", "--secret", "NAPALM Secret")
	if r := cli(nil, "secret", "group", "set", "napalm", "--access-type", "telnet", "--secret-type", "password", "--secret", "x"); r.code != 2 {
		t.Fatalf("bad access type: %+v", r)
	}
	if r := cli(nil, "secret", "group", "set", "napalm", "--access-type", "SSH", "--secret-type", "password"); r.code != 2 {
		t.Fatalf("neither --secret nor --remove: %+v", r)
	}
	if r := cli(nil, "secret", "delete", "Device Password"); r.code != 1 || !strings.Contains(r.stderr, "used by secrets group napalm") {
		t.Fatalf("delete used secret: %+v", r)
	}
	if out := ok("secret", "group", "list"); !regexp.MustCompile(`(?m)^napalm +Generic +password +Device Password$`).MatchString(out) {
		t.Fatalf("group list:\n%s", out)
	}
	ok("secret", "group", "set", "napalm", "--access-type", "Generic", "--secret-type", "password", "--remove")
	ok("secret", "delete", "Device Password")
	ok("secret", "group", "delete", "napalm")
	if r := cli(nil, "secret", "delete", "Device Password"); r.code != 1 {
		t.Fatalf("second delete: %+v", r)
	}
	ok("secret", "flush")
	var audit []opsgate.AuditEntry
	json.Unmarshal([]byte(ok("log", "audit", "--json")), &audit)
	actions := map[string]int{}
	for _, a := range audit {
		actions[a.Object+" "+a.Action]++
		if !strings.HasPrefix(a.Actor, "cli:") {
			t.Errorf("audit actor %q", a.Actor)
		}
	}
	if actions["secret create"] != 2 || actions["secret delete"] != 1 || actions["secrets_group create"] != 1 ||
		actions["secrets_group update"] != 3 || actions["secrets_group delete"] != 1 || actions["secret_cache flush"] != 1 {
		t.Fatalf("audit: %v", actions)
	}
}

func TestSecretsConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"secrets:\n  file_roots: [relative/dir]\n":                                                         "secrets.file_roots[0]",
		"secrets:\n  vaults:\n    main:\n      auth: {method: token, token: x}\n":                          "secrets.vaults.main.url is required",
		"secrets:\n  vaults:\n    main:\n      url: http://v\n      auth: {method: kerberos}\n":            "secrets.vaults.main.auth.method",
		"secrets:\n  vaults:\n    main:\n      url: http://v\n      auth: {method: approle, role_id: r}\n": "secrets.vaults.main.auth.role_id and secrets.vaults.main.auth.secret_id",
		"secrets:\n  aws: {endpoint: localhost:4566}\n":                                                    "secrets.aws.endpoint",
		"secrets:\n  cache_tll: 5m\n":                                                                      "cache_tll",
	}
	for body, want := range cases {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(body), 0o600)
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: []string{"OPSGATE_DATABASE=" + sqliteDSN(t)}}
		if code := m.Run(context.Background(), []string{"--config", p, "migrate"}); code == 0 || !strings.Contains(errb.String(), want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", body, code, errb.String(), want)
		}
	}
	// A ${secret:NAME} reference that does not resolve stops start-up, naming the key.
	p := filepath.Join(dir, "ref.yaml")
	os.WriteFile(p, []byte("secrets:\n  vaults:\n    main:\n      url: http://127.0.0.1:1\n      auth: {method: token, token: '${secret:nope}'}\n"), 0o600)
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader("help\n"), Stdout: &out, Stderr: &errb, Environ: []string{"OPSGATE_DATABASE=" + sqliteDSN(t)}}
	if code := m.Run(context.Background(), []string{"--config", p, "chat"}); code == 0 || !strings.Contains(errb.String(), "secrets.vaults.main.auth.token") ||
		!strings.Contains(errb.String(), `Secret "nope"`) {
		t.Fatalf("unresolved reference: exit %d %s", code, errb.String())
	}
}

func TestSecretFlushReachesServer(t *testing.T) {
	dsn := sqliteDSN(t)
	_, logs := startServer(t, dsn, "OPSGATE_SECRETS_FLUSH_POLL_INTERVAL=50ms")
	mustRun(t, dsn, "secret", "flush")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logs.String(), "secret cache flushed") {
			return
		}
	}
	t.Fatalf("the server did not notice the flush: %s", logs.String())
}
