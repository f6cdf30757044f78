package main

import (
	"fmt"

	"github.com/opsgate/opsgate/alias"
)

// AliasesConfig configures StackStorm-style action aliases (see docs/aliases.md).
type AliasesConfig struct {
	// Dir holds alias YAML files (searched recursively); "" disables aliases.
	Dir string `yaml:"dir"`
	// Match is how a command matching several aliases is resolved: "stackstorm" (default: an
	// error, as in st2) or "most_specific" (the format with the most literal characters wins).
	Match string `yaml:"match"`
	// ReloadInterval is how often Dir is checked for changed files (default 2s).
	ReloadInterval Duration `yaml:"reload_interval"`
}

// Validate checks the aliases section.
func (c AliasesConfig) Validate() error {
	if _, err := alias.ParseMode(c.Match); err != nil {
		return fmt.Errorf("aliases.match: %v", err)
	}
	if c.ReloadInterval < 0 {
		return fmt.Errorf("aliases.reload_interval must not be negative")
	}
	return nil
}

// ACLConfig points at an Errbot-style ACL file.
type ACLConfig struct {
	File string `yaml:"file"`
	// ReloadInterval is how often the file is checked for changes.
	ReloadInterval Duration `yaml:"reload_interval"`
}

// Validate checks the acl section.
func (c ACLConfig) Validate() error {
	if c.ReloadInterval < 0 {
		return fmt.Errorf("acl.reload_interval must not be negative")
	}
	return nil
}
