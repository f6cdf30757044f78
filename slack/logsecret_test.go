package slack

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A response_url lets whoever holds it post into the conversation (5 times within 30 minutes):
// when posting to it fails, the log says so without the URL.
func TestResponseURLNotLogged(t *testing.T) {
	e := newEnv(t, false)
	var logs syncBuffer
	e.h.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	// A port nothing listens on: posting fails at once with an error naming the URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/actions/T1/5934535486/kMpPm4cHBS1ZrBsvTmFb7dcE"
	ln.Close()

	e.slash(slashForm("U1", "/site", ""))
	e.Next()
	aid, bid, _ := menuOf(t, e.slack.waitCalls(t, "chat.postEphemeral", 1)[0])
	// A wrong user's refusal and the answered prompt's update both go to response_url.
	e.interact(blockActions("U2", dead, aid, bid, selected("site-2")))
	e.interact(blockActions("U1", dead, aid, bid, selected("site-1")))
	e.Next()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "level=WARN") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if strings.Count(out, "level=WARN") < 2 {
		t.Fatalf("failures not logged: %s", out)
	}
	if strings.Contains(out, "kMpPm4cHBS1ZrBsvTmFb7dcE") {
		t.Fatalf("response_url in the log:\n%s", out)
	}
}
