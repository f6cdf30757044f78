package main

import (
	"strings"
	"testing"
)

// teams.enabled without the bot's credentials, or with a URL that is not one, stops start-up
// with one line naming the key (and the variable that set it).
func TestTeamsConfigValidation(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_TEAMS_ENABLED=true", "OPSGATE_TEAMS_APP_PASSWORD=pw"}, "teams.app_id is required when teams.enabled is true"},
		{[]string{"OPSGATE_TEAMS_ENABLED=true", "OPSGATE_TEAMS_APP_ID=app"}, "teams.app_password is required when teams.enabled is true"},
		{[]string{"OPSGATE_TEAMS_ENABLED=true", "OPSGATE_TEAMS_APP_ID=app", "OPSGATE_TEAMS_APP_PASSWORD=pw", "OPSGATE_TEAMS_OPENID_URL=login.example"},
			`teams.openid_url: "login.example" is not an http(s) URL with a host (include the scheme, e.g. https://) (set by environment variable OPSGATE_TEAMS_OPENID_URL)`},
		{[]string{"OPSGATE_TEAMS_ENABLED=true", "OPSGATE_TEAMS_APP_ID=app", "OPSGATE_TEAMS_APP_PASSWORD=pw", "OPSGATE_TEAMS_TOKEN_URL=/token"}, "teams.token_url"},
		{[]string{"OPSGATE_TEAMS_ENABLD=true"}, "environment variable OPSGATE_TEAMS_ENABLD names no setting"},
	} {
		_, err := LoadConfig("", c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v, want %q", c.env, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%v: the error shows the password: %v", c.env, err)
		}
	}
	cfg, err := LoadConfig("", []string{"OPSGATE_TEAMS_ENABLED=true", "OPSGATE_TEAMS_APP_ID=app", "OPSGATE_TEAMS_APP_PASSWORD=${secret:teams}",
		"OPSGATE_TEAMS_TENANT_ID=t1", "OPSGATE_TEAMS_OPENID_URL=https://login.example/openid", "OPSGATE_TEAMS_TOKEN_URL=https://login.example/token"})
	if err != nil || !cfg.Teams.Enabled || cfg.Teams.AppPassword != "${secret:teams}" || cfg.Teams.TenantID != "t1" || cfg.Teams.TokenURL != "https://login.example/token" {
		t.Fatalf("valid config: %v %+v", err, cfg.Teams)
	}
	// Disabled, nothing is required.
	if _, err := LoadConfig("", []string{"OPSGATE_TEAMS_APP_ID=app"}); err != nil {
		t.Fatal(err)
	}
}
