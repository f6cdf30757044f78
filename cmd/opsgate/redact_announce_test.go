package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// chatCanary is a secret value opsgate resolves at start-up (a ${secret:...} reference in the
// configuration). Its characters are ones URL encoders treat differently: '@', ' ', '/', '!'.
const chatCanary = "Tok3n@ops gate/9Zq!x"

// encodeURIComponent is JavaScript's: every byte percent-encoded (upper-case hex) except
// A-Z a-z 0-9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// lowerHex rewrites every %XX escape of s with lower-case hex digits, as some encoders write them.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = byte(strings.ToLower(string(b[i+1]))[0]), byte(strings.ToLower(string(b[i+2]))[0])
		}
	}
	return string(b)
}

// canaryForms are the texts a careless system would post: the value and its percent-encodings
// (upper and lower hex, %20 or + for the space, encodeURIComponent's set and RFC 3986's).
func canaryForms() map[string]string {
	return map[string]string{
		"raw":                        chatCanary,
		"encodeURIComponent":         encodeURIComponent(chatCanary),
		"encodeURIComponent lower":   lowerHex(encodeURIComponent(chatCanary)),
		"path escape":                url.PathEscape(chatCanary),
		"path escape lower":          lowerHex(url.PathEscape(chatCanary)),
		"query escape":               url.QueryEscape(chatCanary),
		"query escape lower":         lowerHex(url.QueryEscape(chatCanary)),
		"RFC 3986 strict (%20, %21)": strings.ReplaceAll(encodeURIComponent(chatCanary), "!", "%21"),
	}
}

// A value opsgate resolved is redacted in what the webhook and st2's stream announcements post to
// Slack: the same redactor as command replies, in every encoding of the value.
func TestAnnouncementsAreRedacted(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	cfg := st2Config(t, s, "  default_platform: slack\nslack:\n  enabled: true\n  signing_secret: "+e2eSecret+
		"\n  bot_token: xoxb-test\n  api_url: "+fs.GetAPIURL()+"\n  bot_user_id: "+testBotUser+
		"\n  callback_secret: ${secret:chat-canary}\nsecrets:\n  env_prefixes: [CANARY_]\n")
	mustRun(t, dsn, "secret", "add", "--name", "chat-canary", "--provider", "environment-variable", "--param", "variable=CANARY_CHAT")
	tok := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook", "--comment", "st2")))
	base := startServerConfig(t, dsn, cfg, freePort(t), "CANARY_CHAT="+chatCanary)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	forms := canaryForms()
	var lines []string
	for name, f := range forms {
		lines = append(lines, name+": "+f+" (end)")
	}
	text := strings.Join(lines, "\n")

	body := fmt.Sprintf(`{"channel": "slack:C5", "message": %q}`, "webhook{~}"+text)
	req, _ := http.NewRequest(http.MethodPost, base+"/chatops/message", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	s.Announce("opsgate", map[string]any{"message": "stream{~}" + text, "channel": "slack:C9",
		"extra": map[string]any{"slack": map[string]any{"attachments": []any{map[string]any{"title": "title " + chatCanary,
			"fields": []any{map[string]any{"title": "pw", "value": lowerHex(encodeURIComponent(chatCanary))}}}}}}})

	posts := rec.wait(t, "/chat.postMessage", 2)
	for _, p := range posts {
		got := p.Form.Get("blocks") + p.Form.Get("text")
		var leaked []string
		for name, f := range forms {
			if strings.Contains(got, f) {
				leaked = append(leaked, name)
			}
		}
		if len(leaked) > 0 || strings.Count(got, "[REDACTED] (end)") < len(forms) {
			t.Errorf("post to %s holds the secret (forms %v):\n%s", p.Form.Get("channel"), leaked, got)
		}
	}
}

// An announcement longer than the platform's limit is split into several posts; a secret where
// the text is cut is redacted whole, not posted as two halves the redactor cannot recognise.
func TestSplitAnnouncementIsRedacted(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	// "    slack: 40" continues st2Config's message_limits.
	cfg := st2Config(t, s, "    slack: 40\n  default_platform: slack\nslack:\n  enabled: true\n  signing_secret: "+e2eSecret+
		"\n  bot_token: xoxb-test\n  api_url: "+fs.GetAPIURL()+"\n  bot_user_id: "+testBotUser+
		"\n  callback_secret: ${secret:chat-canary}\nsecrets:\n  env_prefixes: [CANARY_]\n")
	mustRun(t, dsn, "secret", "add", "--name", "chat-canary", "--provider", "environment-variable", "--param", "variable=CANARY_CHAT")
	startServerConfig(t, dsn, cfg, freePort(t), "CANARY_CHAT="+chatCanary)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	// Cut at 40 characters, at the last space: the one inside the value.
	long := strings.Repeat("x", 25) + " " + chatCanary + " and the rest of the line"
	s.Announce("opsgate", map[string]any{"message": long, "channel": "slack:C9",
		"extra": map[string]any{"slack": map[string]any{"attachments": []any{map[string]any{"text": long}}}}})
	posts := rec.wait(t, "/chat.postMessage", 4) // two pieces each of the message and the attachment
	var all []string
	for _, p := range posts {
		all = append(all, p.Form.Get("text"))
	}
	got := strings.Join(all, "\n")
	half := chatCanary[:strings.IndexByte(chatCanary, ' ')]
	if strings.Contains(got, half) || strings.Count(got, "[REDACTED]") < 2 {
		t.Fatalf("the value was split before it was redacted:\n%s", got)
	}
}
