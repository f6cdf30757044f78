package main

// SecretsConfig configures secret providers (issue 5 fills it in).
type SecretsConfig struct{}
