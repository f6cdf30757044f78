package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// SecretsConfig configures where secret values may come from and how long they are cached.
type SecretsConfig struct {
	// FileRoots are the directories text-file secrets may read (absolute). Empty: text-file
	// secrets are refused.
	FileRoots []string `yaml:"file_roots"`
	// EnvPrefixes, when set, limits environment-variable secrets to variables starting with one of them.
	EnvPrefixes []string `yaml:"env_prefixes"`
	// CacheTTL is how long a resolved value is reused (0: 5m; negative: not cached).
	CacheTTL Duration `yaml:"cache_ttl"`
	// NegativeTTL is how long "not found" is remembered (0: 10s; negative: not cached).
	NegativeTTL Duration `yaml:"negative_ttl"`
	// FlushPollInterval is how often a replica checks for `opsgate secret flush` (0: 5s).
	FlushPollInterval Duration `yaml:"flush_poll_interval"`
	// Vaults are the HashiCorp Vault servers, by the name secrets use in their "vault" parameter.
	Vaults map[string]VaultConfig `yaml:"vaults"`
	AWS    AWSSecretsConfig       `yaml:"aws"`
}

// VaultConfig is one Vault server.
type VaultConfig struct {
	URL       string          `yaml:"url"`
	Namespace string          `yaml:"namespace"`
	CACert    string          `yaml:"ca_cert"`
	Timeout   Duration        `yaml:"timeout"`
	Auth      VaultAuthConfig `yaml:"auth"`
}

// VaultAuthConfig says how opsgate logs in to a vault. Token and SecretID may be ${secret:NAME}
// references to environment-variable or text-file secrets.
type VaultAuthConfig struct {
	Method   string `yaml:"method"` // token | approle
	Token    string `yaml:"token"`
	RoleID   string `yaml:"role_id"`
	SecretID string `yaml:"secret_id"`
	Mount    string `yaml:"mount"` // AppRole mount path (default approle)
}

// AWSSecretsConfig configures the aws-secrets-manager provider; credentials come from the SDK's
// usual chain (environment, shared files, instance role).
type AWSSecretsConfig struct {
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
}

// Validate checks the secrets section, naming the key at fault.
func (c *SecretsConfig) Validate() error {
	for i, r := range c.FileRoots {
		if !filepath.IsAbs(r) || filepath.Clean(r) != r {
			return fmt.Errorf("secrets.file_roots[%d] %q must be an absolute, clean path", i, r)
		}
	}
	for i, p := range c.EnvPrefixes {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("secrets.env_prefixes[%d] is empty", i)
		}
	}
	names := make([]string, 0, len(c.Vaults))
	for n := range c.Vaults {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := c.Vaults[n]
		key := "secrets.vaults." + n
		switch {
		case v.URL == "":
			return fmt.Errorf("%s.url is required", key)
		case !strings.HasPrefix(v.URL, "http://") && !strings.HasPrefix(v.URL, "https://"):
			return fmt.Errorf("%s.url %q must start with http:// or https://", key, v.URL)
		}
		switch v.Auth.Method {
		case "token":
			if v.Auth.Token == "" {
				return fmt.Errorf("%s.auth.token is required when %s.auth.method is token", key, key)
			}
		case "approle":
			if v.Auth.RoleID == "" || v.Auth.SecretID == "" {
				return fmt.Errorf("%s.auth.role_id and %s.auth.secret_id are required when %s.auth.method is approle", key, key, key)
			}
		default:
			return fmt.Errorf("%s.auth.method %q must be token or approle", key, v.Auth.Method)
		}
	}
	if c.AWS.Endpoint != "" && !strings.HasPrefix(c.AWS.Endpoint, "http://") && !strings.HasPrefix(c.AWS.Endpoint, "https://") {
		return fmt.Errorf("secrets.aws.endpoint %q must start with http:// or https://", c.AWS.Endpoint)
	}
	return nil
}
