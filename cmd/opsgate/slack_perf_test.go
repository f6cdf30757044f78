package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
)

// slackStandIn is a Slack Web API stand-in that counts the TCP connections opsgate opens to it
// and the replies (chat.postEphemeral) that reach it.
type slackStandIn struct {
	*httptest.Server
	conns   atomic.Int64
	replies chan string // the user each reply is for
}

func newSlackStandIn(tb testing.TB) *slackStandIn {
	s := &slackStandIn{replies: make(chan string, 1<<16)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.1","message_ts":"1.1"}`)
		if strings.HasSuffix(r.URL.Path, "/chat.postEphemeral") {
			s.replies <- r.PostForm.Get("user")
		}
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// wait receives n replies or fails after a minute (a generous bound, not a timing assertion).
func (s *slackStandIn) wait(tb testing.TB, n int) {
	tb.Helper()
	for i := range n {
		select {
		case <-s.replies:
		case <-time.After(time.Minute):
			tb.Fatalf("%d of %d replies reached the Slack API", i, n)
		}
	}
}

func signedWhoami(tb testing.TB, c *http.Client, base, user string) string {
	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {user}, "user_name": {"bench"},
		"command": {"/whoami"}, "response_url": {"http://127.0.0.1:1/response"}, "trigger_id": {"1.2.3"}}
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", base+oslack.PathSlashCommand, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", oslack.Sign(e2eSecret, ts, []byte(body)))
	resp, err := c.Do(req)
	if err != nil {
		tb.Error(err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Errorf("slash command answered %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

func slackEnv(api string) []string {
	return []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + api + "/api/", "OPSGATE_SLACK_BOT_USER_ID=U0BOT"}
}

// Replies to concurrent commands go over kept-alive connections: a client that keeps only a couple
// of idle connections opens a new one (and leaves a socket in TIME_WAIT) for most replies.
func TestSlackRepliesReuseConnections(t *testing.T) {
	api := newSlackStandIn(t)
	base, _ := startServer(t, sqliteDSN(t), slackEnv(api.URL)...)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const rounds, burst = 10, 48
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range burst {
			wg.Go(func() { signedWhoami(t, c, base, "U"+strconv.Itoa(r*burst+i)) })
		}
		wg.Wait()
		api.wait(t, burst)
	}
	// At most one connection per reply in flight at once (the workers), then reused.
	if n := api.conns.Load(); n > 64 {
		t.Fatalf("opsgate opened %d connections to the Slack API for %d replies; want them kept alive and reused (at most 64)", n, rounds*burst)
	}
}

// BenchmarkServeSlackWhoami measures one completed command through the whole `serve` path: a
// signed /whoami over HTTP, verification, the pipeline, chat.postEphemeral reaching a Slack API
// stand-in, and the command log. It counts completions, not acknowledgements.
func BenchmarkServeSlackWhoami(b *testing.B) {
	api := newSlackStandIn(b)
	m := benchServe(b, append(slackEnv(api.URL), "OPSGATE_DATABASE="+"sqlite://"+b.TempDir()+"/opsgate.db", "OPSGATE_LISTEN=127.0.0.1:0", "OPSGATE_LOG_LEVEL=error"))
	base := m.HTTP.URL()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if body := signedWhoami(b, c, base, "U"+strconv.FormatInt(n.Add(1), 10)); body != "" {
				b.Fatalf("refused: %s", body)
			}
		}
	})
	api.wait(b, int(n.Load()))
}
