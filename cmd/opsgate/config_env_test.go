package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every scalar setting can come from the environment, including optional ones (a *bool whose nil
// means "the default"), and the environment wins over the file.
func TestEnvOverridesNestedAndOptionalFields(t *testing.T) {
	p := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(p, []byte("stackstorm:\n  verify_cert: true\n  timeout: 5s\nsecrets:\n  file_roots: [/etc/a]\n"), 0o600)
	cfg, err := LoadConfig(p, []string{"OPSGATE_STACKSTORM_VERIFY_CERT=false", "OPSGATE_STACKSTORM_TIMEOUT=2m",
		"OPSGATE_SECRETS_FILE_ROOTS=/etc/b, /etc/c", "OPSGATE_STACKSTORM_WEBHOOK_RATE=2.5"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StackStorm.VerifyCert == nil || *cfg.StackStorm.VerifyCert {
		t.Errorf("stackstorm.verify_cert from OPSGATE_STACKSTORM_VERIFY_CERT=false: %v", cfg.StackStorm.VerifyCert)
	}
	if cfg.StackStorm.Timeout.D() != 2*time.Minute || cfg.StackStorm.WebhookRate != 2.5 {
		t.Errorf("nested duration/float: %v %v", cfg.StackStorm.Timeout, cfg.StackStorm.WebhookRate)
	}
	if got := cfg.Secrets.FileRoots; len(got) != 2 || got[0] != "/etc/b" || got[1] != "/etc/c" {
		t.Errorf("slice: %q", got)
	}
	// Without a file the optional field is set from the environment alone.
	cfg, err = LoadConfig("", []string{"OPSGATE_STACKSTORM_VERIFY_CERT=true"})
	if err != nil || cfg.StackStorm.VerifyCert == nil || !*cfg.StackStorm.VerifyCert {
		t.Fatalf("verify_cert from the environment only: %v %v", cfg.StackStorm.VerifyCert, err)
	}
	if _, err := LoadConfig("", []string{"OPSGATE_STACKSTORM_VERIFY_CERT=maybe"}); err == nil {
		t.Error("a bad optional bool was accepted")
	}
}

// A mistyped OPSGATE_* variable stops start-up naming it, as an unknown key in the file does;
// the variables opsgate reads that are not settings stay allowed.
func TestUnknownEnvVariableStopsStartUp(t *testing.T) {
	_, err := LoadConfig("", []string{"OPSGATE_SLAK_ENABLED=true", "OPSGATE_LOG_LEVEL=warn"})
	if err == nil || err.Error() != "config: environment variable OPSGATE_SLAK_ENABLED names no setting (see README.md, Configuration)" {
		t.Errorf("OPSGATE_SLAK_ENABLED: %v", err)
	}
	r := runCLI(t, sqliteDSN(t), "", "--database", sqliteDSN(t), "migrate")
	if r.code != 0 {
		t.Fatalf("plain migrate: %+v", r)
	}
	allowed := []string{"OPSGATE_TEST_POSTGRES=postgres://x", "OPSGATE_TEST_MYSQL=mysql://x",
		"OPSGATE_SECRETS_ENV_PREFIXES=OPSGATE_SECRET_", "OPSGATE_SECRET_DB_PASSWORD=x"}
	if _, err := LoadConfig("", allowed); err != nil {
		t.Errorf("allowed variables refused: %v", err)
	}
}

// A bad value names the key in the file, and the variable in the environment.
func TestBadDurationNamesKeyOrVariable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(p, []byte("listen: 127.0.0.1:0\ncommand_timeout: soon\n"), 0o600)
	if _, err := LoadConfig(p, nil); err == nil || !strings.HasSuffix(err.Error(), `line 2: command_timeout: "soon" is not a duration like 30s or 5m`) {
		t.Errorf("file: %v", err)
	}
	p2 := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(p2, []byte("stackstorm:\n  timeout: 5 minutes\n"), 0o600)
	if _, err := LoadConfig(p2, nil); err == nil || !strings.HasSuffix(err.Error(), `line 2: stackstorm.timeout: "5 minutes" is not a duration like 30s or 5m`) {
		t.Errorf("nested: %v", err)
	}
	if _, err := LoadConfig("", []string{"OPSGATE_COMMAND_TIMEOUT=soon"}); err == nil ||
		err.Error() != `config: environment variable OPSGATE_COMMAND_TIMEOUT (command_timeout): "soon" is not a duration like 30s or 5m` {
		t.Errorf("environment: %v", err)
	}
}

// A value that fails validation after coming from the environment names the variable too.
func TestInvalidEnvValueNamesVariable(t *testing.T) {
	_, err := LoadConfig("", []string{"OPSGATE_LOG_LEVEL=loud"})
	if err == nil || !strings.Contains(err.Error(), `log_level "loud" is not one of`) || !strings.Contains(err.Error(), "OPSGATE_LOG_LEVEL") {
		t.Errorf("OPSGATE_LOG_LEVEL=loud: %v", err)
	}
	_, err = LoadConfig("", []string{"OPSGATE_SLACK_ENABLED=true"})
	if err == nil || !strings.Contains(err.Error(), "slack.bot_token is required") || !strings.Contains(err.Error(), "OPSGATE_SLACK_ENABLED") {
		t.Errorf("OPSGATE_SLACK_ENABLED=true alone: %v", err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml"), nil); err == nil || !strings.HasSuffix(err.Error(), "none.yaml does not exist") {
		t.Errorf("missing file: %v", err)
	}
}
