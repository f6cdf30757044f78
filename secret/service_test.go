package secret

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func TestServiceSeedError(t *testing.T) {
	s := NewService(newMemDefs(envSecret("NAPALM Secret", "NAPALM_SECRET")), Options{})
	s.Register(&EnvProvider{LookupEnv: func(string) (string, bool) { return "", false }})
	_, err := s.Value(context.Background(), "NAPALM Secret", nil)
	want := `SecretValueNotFoundError: Secret "NAPALM Secret" (provider "EnvironmentVariableSecretsProvider"): Undefined environment variable "NAPALM_SECRET"!`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if !errors.Is(err, ErrValueNotFound) || !errors.Is(err, ErrSecret) || errors.Is(err, ErrProvider) || errors.Is(err, ErrParameters) {
		t.Fatalf("errors.Is classes wrong for %v", err)
	}
	var se *opsgate.SecretError
	if !errors.As(err, &se) || se.ClassName() != "SecretValueNotFoundError" {
		t.Fatalf("errors.As: %#v", se)
	}
	// Unknown secret and unknown provider.
	if _, err := s.Value(context.Background(), "nope", nil); !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), `Secret "nope"`) {
		t.Fatalf("unknown secret: %v", err)
	}
	if err := s.ValidateDefinition(&opsgate.Secret{Name: "x", Provider: "magic"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("unknown provider: %v", err)
	}
	if err := s.ValidateDefinition(envSecret("x", "A-B")); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("bad variable: %v", err)
	}
	if err := s.ValidateDefinition(envSecret("x", "A_{{ obj.name }}")); err != nil {
		t.Fatalf("templated parameters are checked after rendering: %v", err)
	}
}

func TestServiceTemplatedWithRules(t *testing.T) {
	vars := map[string]string{"GIT_TOKEN_GOLDEN_CONFIG": "tok-golden", "OTHER": "x-other-x"}
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	p := &EnvProvider{Prefixes: []string{"GIT_TOKEN_"}, LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	s := newTestService(t, clk, p, envSecret("Git Token", "GIT_TOKEN_{{ obj.slug | replace('-', '_') | upper }}"),
		envSecret("Sneaky", "{{ obj.var }}"))
	ctx := context.Background()
	v, err := s.Value(ctx, "Git Token", map[string]any{"slug": "golden-config"})
	if err != nil || v.Reveal() != "tok-golden" {
		t.Fatalf("templated: %v %v", v, err)
	}
	// Missing field: error, not GIT_TOKEN_.
	if _, err := s.Value(ctx, "Git Token", map[string]any{"name": "x"}); !errors.Is(err, ErrParameters) {
		t.Fatalf("undefined obj field: %v", err)
	}
	// Prefix rule applies to the rendered name, so a template cannot reach other variables.
	_, err = s.Value(ctx, "Sneaky", map[string]any{"var": "OTHER"})
	if !errors.Is(err, ErrParameters) || !strings.Contains(err.Error(), `"OTHER"`) {
		t.Fatalf("rendered name outside the prefixes: %v", err)
	}
	// Every value handed out is registered for redaction.
	if got := s.Redactor().Redact("token tok-golden"); got != "token "+Redacted {
		t.Fatalf("resolved value not redacted: %q", got)
	}
}

func TestGroupValue(t *testing.T) {
	vars := map[string]string{"NC_USER": "netconf-user", "NC_PASS": "netconf-pass"}
	defs := newMemDefs(envSecret("nc-user", "NC_USER"), envSecret("nc-pass", "NC_PASS"))
	defs.groups["netconf-credentials"] = &opsgate.SecretsGroup{Name: "netconf-credentials", Members: []*opsgate.SecretsGroupMember{
		{AccessType: opsgate.AccessNETCONF, SecretType: opsgate.SecretTypeUsername, Secret: "nc-user"},
		{AccessType: opsgate.AccessNETCONF, SecretType: opsgate.SecretTypePassword, Secret: "nc-pass"},
	}}
	s := NewService(defs, Options{})
	s.Register(&EnvProvider{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	ctx := context.Background()
	v, err := s.GroupValue(ctx, "netconf-credentials", opsgate.AccessNETCONF, opsgate.SecretTypePassword, nil)
	if err != nil || v.Reveal() != "netconf-pass" {
		t.Fatalf("group value: %v", err)
	}
	if _, err := s.GroupValue(ctx, "netconf-credentials", opsgate.AccessSSH, opsgate.SecretTypePassword, nil); !errors.Is(err, ErrSecret) {
		t.Fatalf("missing pair: %v", err)
	}
	if _, err := s.GroupValue(ctx, "nope", opsgate.AccessSSH, opsgate.SecretTypePassword, nil); !errors.Is(err, ErrSecret) {
		t.Fatalf("missing group: %v", err)
	}
}

func TestParseTypes(t *testing.T) {
	if a, err := opsgate.ParseSecretAccessType("https"); err != nil || a != opsgate.AccessHTTP {
		t.Fatal(a, err)
	}
	if a, err := opsgate.ParseSecretAccessType("gnmi"); err != nil || a != opsgate.AccessGNMI {
		t.Fatal(a, err)
	}
	if _, err := opsgate.ParseSecretType("pin"); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatal(err)
	}
}
