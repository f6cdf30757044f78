package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/discord"
	"github.com/opsgate/opsgate/discordfake"
)

// discordAnswer is what the person sees for an interaction: the response itself (type 4), or,
// when it was deferred (type 5, as a busy machine may make it), what followed up.
func discordAnswer(t *testing.T, dc *discordfake.Server, in discordfake.Interaction, resp map[string]any) string {
	t.Helper()
	d, _ := resp["data"].(map[string]any)
	switch resp["type"] {
	case float64(4):
		s, _ := d["content"].(string)
		return s
	case float64(5):
		var got []string
		waitFor(t, "follow-up", func() bool {
			got = nil
			for _, p := range dc.Posted() {
				if p.Where == in.Token() && !strings.HasPrefix(p.Content, "Done: ") {
					got = append(got, p.Content)
				}
			}
			return len(got) > 0
		})
		return strings.Join(got, "\n")
	}
	t.Fatalf("interaction answered %v", resp)
	return ""
}

// Discord end to end through `opsgate serve`: slash commands registered at start-up, whoami, an
// opsgate alias and a StackStorm alias whose ack and result announcements reach the channel, a
// whisper reaching the user's direct messages, forgeries refused and counted.
func TestDiscordThroughServe(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "G1", "guild"}, {"*", "*", "channel", "*", "any"},
		{"st2", "pack_install", "user", "111", "alice"}, {"local", "*", "user", "111", "alice"}})
	aliases := t.TempDir()
	writeAliasFile(t, aliases, "greet.yaml", "name: greet\npack: local\naction_ref: local.greet\nformats:\n  - \"greet\"\nopsgate:\n  runner: exec\n  command: [echo, hello-from-alias]\n")
	dc := discordfake.New("app1", "bot-token")
	t.Cleanup(dc.Close)
	cfg := st2Config(t, s, "aliases:\n  dir: "+aliases+"\ndiscord:\n  enabled: true\n  application_id: app1\n  public_key: "+dc.PublicKeyHex()+
		"\n  bot_token: bot-token\n  api_url: "+dc.APIURL()+"\n  guild_id: G1\n")
	base := startServerConfig(t, dsn, cfg, freePort(t))
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	url := base + discord.PathInteractions

	var cmds []any
	waitFor(t, "slash commands registered", func() bool { cmds, _ = dc.Commands("G1"); return len(cmds) > 0 })
	var names []string
	for _, c := range cmds {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "greet") || !strings.Contains(got, "help") ||
		!strings.Contains(got, "st2") || !strings.Contains(got, "whoami") {
		t.Fatalf("registered commands: %s", got)
	}

	alice := discordfake.Who{Guild: "G1", Channel: "C1", UserID: "111", UserName: "alice"}
	interact := func(in discordfake.Interaction) string {
		t.Helper()
		code, resp, err := dc.Interact(url, in)
		if err != nil || code != 200 {
			t.Fatalf("interaction: %d %v", code, err)
		}
		return discordAnswer(t, dc, in, resp)
	}
	if got := interact(dc.Command(alice, "whoami", "")); !strings.Contains(got, "discord") || !strings.Contains(got, "G1") ||
		!strings.Contains(got, "C1 (ch-C1)") || !strings.Contains(got, "111 (alice)") {
		t.Fatalf("whoami: %q", got)
	}
	if got := interact(dc.Command(alice, "greet", "")); !strings.Contains(got, "hello-from-alias") {
		t.Fatalf("alias: %q", got)
	}

	// StackStorm: st2's ack answers the slash command; the result is announced on st2's stream
	// into the channel.
	if got := interact(dc.Command(alice, "st2", "pack install st2-discord")); !strings.Contains(got, "Installing st2-discord.") {
		t.Fatalf("st2 ack: %q", got)
	}
	waitFor(t, "result in C1", func() bool {
		var all []string
		for _, p := range dc.Posted() {
			if p.Kind == "channel" && p.Where == "C1" {
				all = append(all, p.Content)
			}
		}
		s := strings.Join(all, "\n")
		return strings.Contains(s, "Installed st2-discord")
	})
	if call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]; call.Body["source_channel"] != "discord:C1" || call.Body["user"] != "discord:111" {
		t.Fatalf("match_and_execute body: %v", call.Body)
	}
	s.Announce("opsgate", map[string]any{"message": "your token expires soon", "channel": "discord:C9", "user": "discord:777", "whisper": true})
	waitFor(t, "whisper in the DM", func() bool {
		for _, p := range dc.Posted() {
			if p.Kind == "channel" && p.Where == "dm-777" && strings.Contains(p.Content, "your token expires soon") {
				return true
			}
		}
		return false
	})

	// A webhook post (POST /chatops/message) into a channel, and whispered to a user's DM.
	webhook := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook")))
	for _, body := range []string{`{"channel": "discord:C42", "message": "deployed v2"}`,
		`{"channel": "discord:C42", "user": "discord:888", "whisper": true, "message": "your deploy finished"}`} {
		if code := postWebhook(t, base, webhook, body); code != 200 {
			t.Fatalf("webhook %s: %d", body, code)
		}
	}
	waitFor(t, "webhook posts", func() bool {
		var got []string
		for _, p := range dc.Posted() {
			got = append(got, p.Where+"|"+p.Content)
		}
		all := strings.Join(got, "\n")
		return strings.Contains(all, "C42|deployed v2") && strings.Contains(all, "dm-888|your deploy finished")
	})

	// Forgeries: 401 and counted per reason.
	in := dc.Command(alice, "whoami", "")
	body, _ := json.Marshal(in)
	hdr := dc.Sign(body, dc.Now())
	hdr.Set("X-Signature-Ed25519", strings.Repeat("00", 64))
	if code, _, _ := discordfake.Send(url, body, hdr); code != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d", code)
	}
	_, metrics := get(t, base+"/metrics")
	if metricValue(metrics, `opsgate_requests_rejected_total{platform="discord",reason="bad_signature"}`) < 1 {
		t.Fatal("forgery not counted")
	}
}
