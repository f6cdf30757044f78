package secret

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestResolveRefs(t *testing.T) {
	type slack struct {
		SigningSecret string            `yaml:"signing_secret"`
		BotToken      string            `yaml:"bot_token"`
		Headers       map[string]string `yaml:"headers"`
	}
	type config struct {
		Slack    slack    `yaml:"slack"`
		URLs     []string `yaml:"urls"`
		Ptr      *slack   `yaml:"ptr"`
		Plain    string   `yaml:"plain"`
		Any      any      `yaml:"any"`
		internal string
	}
	vals := map[string]string{"slack-signing": "sign-123", "bot": "xoxb-1", "pw": "p4ss"}
	resolve := func(_ context.Context, name string) (string, error) {
		if v, ok := vals[name]; ok {
			return v, nil
		}
		return "", errors.New("no secret " + name)
	}
	c := &config{
		Slack:    slack{SigningSecret: "${secret:slack-signing}", BotToken: "${secret: bot }", Headers: map[string]string{"X-Auth": "Bearer ${secret:bot}"}},
		URLs:     []string{"https://u:${secret:pw}@h/", "none"},
		Ptr:      &slack{BotToken: "${secret:bot}"},
		Plain:    "plain $text {x}",
		Any:      "${secret:pw}",
		internal: "${secret:pw}",
	}
	if err := ResolveRefs(context.Background(), c, resolve); err != nil {
		t.Fatal(err)
	}
	if c.Slack.SigningSecret != "sign-123" || c.Slack.BotToken != "xoxb-1" || c.Slack.Headers["X-Auth"] != "Bearer xoxb-1" ||
		c.URLs[0] != "https://u:p4ss@h/" || c.URLs[1] != "none" || c.Ptr.BotToken != "xoxb-1" || c.Plain != "plain $text {x}" ||
		c.Any != "p4ss" || c.internal != "${secret:pw}" {
		t.Fatalf("resolved config: %+v %+v", c, c.Ptr)
	}
	bad := &config{Slack: slack{BotToken: "${secret:missing}"}}
	err := ResolveRefs(context.Background(), bad, resolve)
	if err == nil || !strings.HasPrefix(err.Error(), "slack.bot_token: ") {
		t.Fatalf("error should name the key: %v", err)
	}
	if err := ResolveRefs(context.Background(), &config{Plain: "${secret:pw"}, resolve); err == nil {
		t.Fatal("unterminated reference accepted")
	}
}
