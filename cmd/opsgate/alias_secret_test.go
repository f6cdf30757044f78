package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// An alias's runner gets a secret by reference from the alias file; the program sees the value,
// chat and the logs see [REDACTED].
func TestAliasRunnerReceivesSecret(t *testing.T) {
	dsn := sqliteDSN(t)
	dir := t.TempDir()
	writeAliasFile(t, dir, "ops/aliases/deploy.yaml", `
name: deploy
pack: ops
action_ref: ops.deploy
formats: ["deploy {{ app }}"]
result:
  format: "{{ execution.result.stdout }}"
opsgate:
  runner: exec
  command: ["sh", "-c", "echo deploying $1 with $DEPLOY_TOKEN; echo length $(printf %s \"$DEPLOY_TOKEN\" | wc -c)", "sh", "{{ app }}"]
  env:
    DEPLOY_TOKEN: "${secret:deploy_token}"
`)
	cfg := writeAliasFile2(t, "aliases:\n  dir: "+dir+"\nsecrets:\n  env_prefixes: [DEPLOY_]\n")
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}, {"ops", "*", "user", "alice", "alice"}})
	mustRun(t, dsn, "secret", "add", "--name", "deploy_token", "--provider", "environment-variable", "--param", "variable=DEPLOY_TOKEN_PROD")

	const value = "s3cr3t-deploy-token-42"
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader("deploy billing\ndeploy " + value + "\n"), Stdout: &out, Stderr: &errb,
		Environ: []string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LOG_LEVEL=debug", "DEPLOY_TOKEN_PROD=" + value}}
	if code := m.Run(context.Background(), []string{"--config", cfg, "chat", "--org", "acme", "--channel", "ops", "--user", "alice"}); code != 0 {
		t.Fatalf("chat exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "deploying billing with [REDACTED]") || !strings.Contains(out.String(), "length 22") {
		t.Fatalf("runner output:\n%s\nlogs:\n%s", out.String(), errb.String())
	}
	log := mustRun(t, dsn, "log", "commands", "--json")
	for name, s := range map[string]string{"chat": out.String(), "logs": errb.String(), "command log": log} {
		if strings.Contains(s, value) {
			t.Errorf("secret value leaked into %s:\n%s", name, s)
		}
	}
}
