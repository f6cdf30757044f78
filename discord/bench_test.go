package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/discordfake"
)

// BenchmarkInteractionAnswered measures an interaction from signed bytes to its answer: the
// Ed25519 check, decoding, the once-claim, the hand-off of a message ready at once and the
// answer written. Discord allows 3 s.
func BenchmarkInteractionAnswered(b *testing.B) {
	dc := discordfake.New("app1", "bot-token")
	b.Cleanup(dc.Close)
	h := New(Options{ApplicationID: "app1", PublicKey: dc.Public, BotToken: "bot-token", APIURL: dc.APIURL(),
		Callbacks: callback.New([]byte("k"), "discord"), AnswerWithin: 10 * time.Second,
		Handle: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
			go out.Send(ctx, opsgate.Textf("ok"))
			return ""
		}})
	type signed struct {
		body []byte
		hdr  http.Header
	}
	reqs := make([]signed, b.N)
	for i := range reqs {
		body, _ := json.Marshal(dc.Command(alice, "whoami", ""))
		reqs[i] = signed{body, dc.Sign(body, time.Now())}
	}
	b.ResetTimer()
	for i := range b.N {
		r := httptest.NewRequest("POST", PathInteractions, bytes.NewReader(reqs[i].body))
		for k, v := range reqs[i].hdr {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeInteraction(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
