package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Whoever captures a signed slash command or interaction (a proxy log, a leaked HAR file) could
// post it again within Slack's 5-minute window and run the command again. Each runs once.
func TestSignedRequestRunsOnce(t *testing.T) {
	e := newEnv(t, false)
	body := slashForm("U1", "/network", "reboot core1").Encode()
	hdr := e.signedHeader(body, e.Now())
	if code, _ := e.send(PathSlashCommand, "application/x-www-form-urlencoded", body, hdr); code != 200 {
		t.Fatal(code)
	}
	e.Next()

	before := testutil.ToFloat64(rejected.WithLabelValues("replay"))
	upper := http.Header{"X-Slack-Request-Timestamp": hdr["X-Slack-Request-Timestamp"],
		"X-Slack-Signature": {"v0=" + strings.ToUpper(strings.TrimPrefix(hdr.Get("X-Slack-Signature"), "v0="))}}
	e.Advance(4 * time.Minute) // still inside the window
	for _, h := range []http.Header{hdr, upper} {
		code, msg := e.send(PathSlashCommand, "application/x-www-form-urlencoded", body, h)
		if code != http.StatusConflict || !strings.Contains(msg, "already handled") || strings.Count(msg, "\n") != 1 {
			t.Fatalf("replayed slash command: %d %q", code, msg)
		}
		e.None()
	}
	if got := testutil.ToFloat64(rejected.WithLabelValues("replay")); got != before+2 {
		t.Fatalf("rejected{reason=replay} = %v, want %v", got, before+2)
	}

	// The same command typed again is a new request (new timestamp): it runs.
	if code, _ := e.slash(slashForm("U1", "/network", "reboot core1")); code != 200 {
		t.Fatal(code)
	}
	e.Next()

	// An interaction (a menu pick) is run once too.
	e.slash(slashForm("U1", "/site", ""))
	e.Next()
	actionID, blockID, _ := menuOf(t, e.slack.waitCalls(t, "chat.postEphemeral", 1)[0])
	pick := url.Values{"payload": {mustJSON(t, blockActions("U1", e.slack.responseURL(), actionID, blockID, selected("site-2")))}}.Encode()
	ih := e.signedHeader(pick, e.Now())
	if code, _ := e.send(PathInteraction, "application/x-www-form-urlencoded", pick, ih); code != 200 {
		t.Fatal(code)
	}
	if r := e.Next(); r.Text != "site site-2" {
		t.Fatalf("pick ran %q", r.Text)
	}
	if code, msg := e.send(PathInteraction, "application/x-www-form-urlencoded", pick, ih); code != http.StatusConflict {
		t.Fatalf("replayed interaction: %d %q", code, msg)
	}
	e.None()
}

// With several replicas the shared claim decides; if the database cannot answer, the command
// runs on this replica's own record rather than being lost.
func TestSignedRequestClaim(t *testing.T) {
	e := newEnv(t, false)
	var claimed []string
	answer := func(ctx context.Context, sig string) (bool, error) {
		claimed = append(claimed, sig)
		return false, nil // another replica ran it
	}
	e.h.ClaimRequest = func(ctx context.Context, sig string) (bool, error) { return answer(ctx, sig) }
	if code, _ := e.slash(slashForm("U1", "/network", "status")); code != http.StatusConflict {
		t.Fatalf("claimed elsewhere: %d", code)
	}
	e.None()
	if len(claimed) != 1 || len(claimed[0]) != 64 {
		t.Fatalf("claimed %q, want one hex signature", claimed)
	}

	answer = func(context.Context, string) (bool, error) { return false, errors.New("database is down") }
	e.Advance(time.Second)
	if code, _ := e.slash(slashForm("U1", "/network", "status")); code != 200 {
		t.Fatalf("claim error: %d", code)
	}
	e.Next()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
