package main

import (
	"strings"
	"testing"
)

func TestChatConfigValidation(t *testing.T) {
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=s"}, "slack.bot_token is required"},
		{[]string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_BOT_TOKEN=xoxb-1"}, "slack.signing_secret (HTTP endpoints) or slack.app_token"},
		{[]string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_BOT_TOKEN=xoxb-1", "OPSGATE_SLACK_APP_TOKEN=xoxb-2"}, "slack.app_token must be an app-level token"},
		{[]string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_BOT_TOKEN=xoxb-1", "OPSGATE_SLACK_SIGNING_SECRET=s", "OPSGATE_SLACK_API_URL=slack.local"}, "slack.api_url"},
		{[]string{"OPSGATE_MATTERMOST_ENABLED=true", "OPSGATE_MATTERMOST_API_TOKEN=t"}, "mattermost.url is required"},
		{[]string{"OPSGATE_MATTERMOST_ENABLED=true", "OPSGATE_MATTERMOST_URL=chat.example.com:8065", "OPSGATE_MATTERMOST_API_TOKEN=t"}, "mattermost.url: \"chat.example.com:8065\" is not an http(s) URL"},
		{[]string{"OPSGATE_MATTERMOST_ENABLED=true", "OPSGATE_MATTERMOST_URL=https://chat.example.com:8065"}, "mattermost.api_token is required"},
	}
	for _, c := range cases {
		_, err := LoadConfig("", c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.env, err, c.want)
		}
	}
	cfg, err := LoadConfig("", []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_BOT_TOKEN=xoxb-1", "OPSGATE_SLACK_APP_TOKEN=xapp-1",
		"OPSGATE_MATTERMOST_ENABLED=true", "OPSGATE_MATTERMOST_URL=http://mm:8065", "OPSGATE_MATTERMOST_API_TOKEN=t"})
	if err != nil || !cfg.Slack.Enabled || cfg.Mattermost.URL != "http://mm:8065" {
		t.Fatalf("valid config: %v %+v", err, cfg)
	}
}
