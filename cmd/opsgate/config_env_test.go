package main

import (
	"os"
	"path/filepath"
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
