package secret

import (
	"context"
	"errors"
	"testing"
)

func TestEnvProvider(t *testing.T) {
	t.Setenv("NAPALM_PASSWORD", "pw-from-env")
	t.Setenv("OTHER_TOKEN", "other")
	p := &EnvProvider{}
	v, err := p.Get(context.Background(), map[string]string{"variable": "NAPALM_PASSWORD"})
	if err != nil || v != "pw-from-env" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	_, err = p.Get(context.Background(), map[string]string{"variable": "NAPALM_SECRET_UNSET"})
	if !errors.Is(err, ErrValueNotFound) || err.Error() != `SecretValueNotFoundError: Undefined environment variable "NAPALM_SECRET_UNSET"!` {
		t.Fatalf("unset: %v", err)
	}

	p.Prefixes = []string{"NAPALM_", "GIT_TOKEN_"}
	if _, err := p.Get(context.Background(), map[string]string{"variable": "OTHER_TOKEN"}); !errors.Is(err, ErrParameters) {
		t.Fatalf("prefix not enforced: %v", err)
	}
	if v, err := p.Get(context.Background(), map[string]string{"variable": "NAPALM_PASSWORD"}); err != nil || v != "pw-from-env" {
		t.Fatalf("allowed prefix: %q %v", v, err)
	}
	for _, bad := range []map[string]string{{}, {"variable": ""}, {"variable": "NAPALM_X-Y"}, {"variable": "NAPALM_X", "path": "/x"}, {"variable": "1NAPALM"}} {
		if err := p.Validate(bad); !errors.Is(err, ErrParameters) {
			t.Errorf("Validate(%v) = %v, want SecretParametersError", bad, err)
		}
	}
}
