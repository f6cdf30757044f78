package main

// SlackConfig configures the Slack platform (issue 3 fills it in).
type SlackConfig struct {
	Enabled bool `yaml:"enabled"`
}

// MattermostConfig configures the Mattermost platform (issue 3 fills it in).
type MattermostConfig struct {
	Enabled bool `yaml:"enabled"`
}
