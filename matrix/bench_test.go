package matrix

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"

	"github.com/opsgate/opsgate"
)

// BenchmarkRenderTable measures turning a 1,000-row table into m.notice events (Markdown to HTML,
// split within the event limit): the work of every large answer.
func BenchmarkRenderTable(b *testing.B) {
	t := opsgate.Table{Title: "Devices", Header: []string{"name", "site", "role", "status"}}
	for i := range 1000 {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("leaf-%03d", i), "par1", "leaf", "active"})
	}
	bot := &Bot{Options: Options{Prefix: "!"}}
	m := opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: "**1000 devices**"}, t}}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(notices(bot.markdown(m))); n != 2 {
			b.Fatalf("%d events, want 2", n)
		}
	}
}

// BenchmarkHandleSync measures reading one sync response of 100 room messages, none a command:
// the loop's cost in a busy room.
func BenchmarkHandleSync(b *testing.B) {
	bot, err := New(Options{Homeserver: "http://127.0.0.1:1", UserID: "@opsgate:example.org", AccessToken: "x"})
	if err != nil {
		b.Fatal(err)
	}
	var events []string
	for i := range 100 {
		events = append(events, fmt.Sprintf(`{"type":"m.room.message","sender":"@alice:example.org","event_id":"$e%d","origin_server_ts":1,"content":{"msgtype":"m.text","body":"chatting, message %d"}}`, i, i))
	}
	raw := `{"next_batch":"s1","rooms":{"join":{"!r:example.org":{"timeline":{"events":[` + strings.Join(events, ",") + `]}}}}}`
	b.ReportAllocs()
	for b.Loop() {
		var resp mautrix.RespSync
		if err := json.Unmarshal([]byte(raw), &resp); err != nil {
			b.Fatal(err)
		}
		bot.handleSync(b.Context(), &resp, false, time.Time{})
	}
}
