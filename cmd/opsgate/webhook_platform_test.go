package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/opsgate/opsgate"
)

// A webhook post to a platform opsgate does not know, or does not serve, is the caller's mistake:
// 400 naming the platform, never a post to the default platform or a 502 "Internal error.".
func TestWebhookUnknownPlatformThroughServe(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	cfg := st2Config(t, s, "  default_platform: testchat\n")
	var mu sync.Mutex
	var posted []string
	testChatTarget = func(_ context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
		mu.Lock()
		defer mu.Unlock()
		posted = append(posted, channel)
		return dispatchFunc(func(opsgate.Message) {}), nil
	}
	t.Cleanup(func() { testChatTarget = nil })
	base := startServerConfig(t, dsn, cfg, freePort(t))
	tok := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook")))
	for _, c := range []struct{ channel, want string }{
		{"nope:C1", `"nope"`},   // no such platform
		{"slack:C1", `"slack"`}, // known, but Slack is not enabled here
	} {
		req, _ := http.NewRequest(http.MethodPost, base+"/chatops/message", strings.NewReader(`{"channel": "`+c.channel+`", "message": "hi"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: %d %q, want 400 naming %s", c.channel, resp.StatusCode, e.Error, c.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posted) != 0 {
		t.Fatalf("posted to %v", posted)
	}
}
