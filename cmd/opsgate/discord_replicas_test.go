package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/discord"
	"github.com/opsgate/opsgate/discordfake"
	"github.com/opsgate/opsgate/rocketchat"
	"github.com/opsgate/opsgate/rocketchatfake"
)

// A signed Discord interaction copied to another replica sharing the database, and a Rocket.Chat
// message its server retried to another replica, run once.
func TestDiscordAndRocketChatOnceAcrossReplicas(t *testing.T) {
	dsn := sqliteDSN(t)
	hook := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "rocketchat")))
	dc := discordfake.New("app1", "bot-token")
	t.Cleanup(dc.Close)
	rc := rocketchatfake.New("botid", "bot-auth")
	t.Cleanup(rc.Close)
	env := []string{"OPSGATE_DISCORD_ENABLED=true", "OPSGATE_DISCORD_APPLICATION_ID=app1", "OPSGATE_DISCORD_PUBLIC_KEY=" + dc.PublicKeyHex(),
		"OPSGATE_DISCORD_BOT_TOKEN=bot-token", "OPSGATE_DISCORD_API_URL=" + dc.APIURL(),
		"OPSGATE_ROCKETCHAT_ENABLED=true", "OPSGATE_ROCKETCHAT_URL=" + rc.URL, "OPSGATE_ROCKETCHAT_USER_ID=botid", "OPSGATE_ROCKETCHAT_AUTH_TOKEN=bot-auth"}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	a, _ := startServer(t, dsn, env...)
	b, _ := startServer(t, dsn, env...)

	in := dc.Command(discordfake.Who{Guild: "G1", Channel: "C1", UserID: "111", UserName: "alice"}, "whoami", "")
	body, _ := json.Marshal(in)
	hdr := dc.Sign(body, dc.Now())
	if code, _, err := discordfake.Send(a+discord.PathInteractions, body, hdr); err != nil || code != 200 {
		t.Fatalf("first delivery: %d %v", code, err)
	}
	for _, base := range []string{b, a} {
		if code, out, _ := discordfake.Send(base+discord.PathInteractions, body, hdr); code != http.StatusConflict {
			t.Fatalf("replay to %s: %d %s", base, code, out)
		}
	}

	m := rocketchatfake.Message{Token: hook, ChannelID: "GENERAL", UserID: "aliceid", UserName: "alice", Text: "!whoami", TriggerWord: "!"}
	for _, base := range []string{a, b} {
		if code, out, err := rc.Outgoing(base+rocketchat.PathOutgoing, "same-id", m); err != nil || code != 200 {
			t.Fatalf("delivery to %s: %d %s %v", base, code, out, err)
		}
	}
	rc.WaitPosted(1)
	if code, _, _ := rc.Outgoing(a+rocketchat.PathOutgoing, "other-id", m); code != 200 {
		t.Fatal("second message")
	}
	if p := rc.WaitPosted(2); len(p) != 2 {
		t.Fatalf("posted %d answers, want 2 (the retried message once)", len(p))
	}
}
