package main

// StackStormConfig configures the StackStorm integration (issue 6 fills it in).
type StackStormConfig struct {
	Enabled bool `yaml:"enabled"`
}
