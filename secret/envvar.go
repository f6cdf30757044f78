package secret

import (
	"context"
	"os"
	"strings"

	"github.com/opsgate/opsgate"
)

// EnvProvider is the environment-variable provider (parameter "variable").
type EnvProvider struct {
	// Prefixes, when set, limits the variables secrets may name (e.g. "NAPALM_"): anyone who can
	// define a secret could otherwise read any variable of opsgate's process.
	Prefixes []string
	// LookupEnv is os.LookupEnv unless a test replaces it.
	LookupEnv func(string) (string, bool)
}

var _ opsgate.SecretsProvider = (*EnvProvider)(nil)

func (*EnvProvider) Slug() string { return "environment-variable" }
func (*EnvProvider) Name() string { return "EnvironmentVariableSecretsProvider" }

// Validate checks the rendered variable name against the syntax of a name and the prefixes.
func (p *EnvProvider) Validate(params map[string]string) error {
	v, ok := params["variable"]
	if !ok || v == "" {
		return paramsError(`The "variable" parameter is mandatory!`)
	}
	for k := range params {
		if k != "variable" {
			return paramsError(`Unknown parameter "` + k + `" (this provider takes "variable").`)
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return paramsError(`Invalid environment variable name "` + v + `".`)
		}
	}
	if len(p.Prefixes) > 0 {
		allowed := false
		for _, pre := range p.Prefixes {
			if strings.HasPrefix(v, pre) {
				allowed = true
				break
			}
		}
		if !allowed {
			return paramsError(`Environment variable "` + v + `" does not start with an allowed prefix (` +
				strings.Join(p.Prefixes, ", ") + `).`)
		}
	}
	return nil
}

// Get returns the variable's value.
func (p *EnvProvider) Get(_ context.Context, params map[string]string) (string, error) {
	if err := p.Validate(params); err != nil {
		return "", err
	}
	lookup := p.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(params["variable"])
	if !ok {
		return "", opsgate.NewSecretError(ErrValueNotFound, `Undefined environment variable "`+params["variable"]+`"!`, nil)
	}
	return v, nil
}
