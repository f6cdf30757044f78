package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// startReplica runs `opsgate serve` until the returned stop is called (stop waits for it).
func startReplica(t *testing.T, dsn string, env ...string) (stop func()) {
	t.Helper()
	m := &Main{Stdin: strings.NewReader(""), Stdout: &syncBuffer{}, Stderr: &syncBuffer{},
		Environ: append([]string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LISTEN=127.0.0.1:0", "OPSGATE_LEASE_TTL=1s"}, env...)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, []string{"serve"}) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// socketCounter is Slack's Socket Mode end: it counts the connections open now and in all.
type socketCounter struct {
	mu          sync.Mutex
	open, total int
	most        int
}

func (s *socketCounter) counts() (open, total, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open, s.total, s.most
}

// Two replicas share a database and Slack Socket Mode: one holds the connection, and when it
// stops the other connects within the lease's TTL. There is never more than one connection.
func TestSlackSocketModeOneReplica(t *testing.T) {
	dsn := sqliteDSN(t)
	mustRun(t, dsn, "migrate")
	socketModeOneReplica(t, dsn, dsn)
}

// With NATS the lease is in JetStream: two replicas on databases of their own (so the database
// cannot be what keeps the second one standing by) still hold one connection between them.
func TestSlackSocketModeOneReplicaOnNATS(t *testing.T) {
	natsURL := testNATS(t)
	dsnA, dsnB := sqliteDSN(t), sqliteDSN(t)
	mustRun(t, dsnA, "migrate")
	mustRun(t, dsnB, "migrate")
	socketModeOneReplica(t, dsnA, dsnB, "OPSGATE_NATS_URL="+natsURL, "OPSGATE_NATS_STREAM_PREFIX="+testNATSPrefix(t, natsURL))
}

func socketModeOneReplica(t *testing.T, dsnA, dsnB string, extra ...string) {
	sc := &socketCounter{}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		sc.mu.Lock()
		sc.open++
		sc.total++
		sc.most = max(sc.most, sc.open)
		sc.mu.Unlock()
		defer func() { sc.mu.Lock(); sc.open--; sc.mu.Unlock() }()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"connection_info":{"app_id":"A1"}}`))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(ws.Close)
	fs := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"ok":true,"url":%q}`, "ws"+strings.TrimPrefix(ws.URL, "http"))
		})
	})
	fs.Start()
	t.Cleanup(fs.Stop)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_BOT_TOKEN=xoxb-test", "OPSGATE_SLACK_APP_TOKEN=xapp-1-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser}
	env = append(env, extra...)

	stopA := startReplica(t, dsnA, env...)
	waitFor(t, "replica a's connection", func() bool { open, _, _ := sc.counts(); return open == 1 })
	startReplica(t, dsnB, env...)
	time.Sleep(2500 * time.Millisecond) // more than two lease renewals: b stands by
	if open, total, _ := sc.counts(); open != 1 || total != 1 {
		t.Fatalf("with two replicas: %d connections open, %d made; want 1 and 1", open, total)
	}
	stopA()
	waitFor(t, "replica b's connection", func() bool { open, total, _ := sc.counts(); return open == 1 && total == 2 })
	if _, _, most := sc.counts(); most != 1 {
		t.Fatalf("%d connections were open at once, want 1", most)
	}
}
