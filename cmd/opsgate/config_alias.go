package main

// AliasesConfig configures action aliases (issue 4 fills it in).
type AliasesConfig struct {
	Dir string `yaml:"dir"`
}

// ACLConfig points at an Errbot-style ACL file.
type ACLConfig struct {
	File string `yaml:"file"`
}
