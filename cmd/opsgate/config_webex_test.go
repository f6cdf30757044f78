package main

import (
	"slices"
	"strings"
	"testing"
)

func TestWebexConfigValidation(t *testing.T) {
	on := []string{"OPSGATE_WEBEX_ENABLED=true"}
	valid := slices.Concat(on, []string{"OPSGATE_WEBEX_TOKEN=bot-token", "OPSGATE_WEBEX_WEBHOOK_SECRET=hook-secret"})
	cases := []struct {
		env  []string
		want string
	}{
		{append(on, "OPSGATE_WEBEX_WEBHOOK_SECRET=s"), "webex.token is required"},
		{append(on, "OPSGATE_WEBEX_TOKEN=t"), "webex.webhook_secret is required"},
		{slices.Concat(valid, []string{"OPSGATE_WEBEX_API_URL=webexapis.com/v1"}), `webex.api_url: "webexapis.com/v1" is not an http(s) URL`},
		{slices.Concat(valid, []string{"OPSGATE_WEBEX_PUBLIC_URL=ftp://opsgate"}), "webex.public_url"},
		{append(on, "OPSGATE_WEBEX_TOKN=t"), "OPSGATE_WEBEX_TOKN names no setting"},
	}
	for _, c := range cases {
		_, err := LoadConfig("", c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v, want one line with %q", c.env, err, c.want)
		}
	}
	cfg, err := LoadConfig("", slices.Concat(valid, []string{"OPSGATE_WEBEX_API_URL=http://127.0.0.1:9/v1", "OPSGATE_WEBEX_PUBLIC_URL=https://opsgate.example.com/api/plugins/chatops/webex/"}))
	if err != nil || !cfg.Webex.Enabled || cfg.Webex.Token != "bot-token" || cfg.Webex.WebhookSecret != "hook-secret" ||
		cfg.Webex.APIURL != "http://127.0.0.1:9/v1" || cfg.Webex.PublicURL != "https://opsgate.example.com/api/plugins/chatops/webex/" {
		t.Fatalf("valid config: %v %+v", err, cfg.Webex)
	}
	if _, err := LoadConfig("", []string{"OPSGATE_WEBEX_TOKEN=t"}); err != nil {
		t.Fatalf("disabled webex needs nothing: %v", err)
	}
}
