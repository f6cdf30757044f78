package slack

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// Forged and genuine requests, interleaved from many goroutines on one handler: each is judged on
// its own bytes (the HMAC states are shared through a pool, and one left dirty by a forgery would
// refuse the next genuine request, or pass a forged one).
func TestSignaturesJudgedOneByOne(t *testing.T) {
	e := newEnv(t, false)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				form := slashForm("U1", "/network", "status "+strconv.Itoa(g*100+i))
				body := form.Encode()
				h := e.signedHeader(body, e.Now())
				if code, out := e.send(PathSlashCommand, "application/x-www-form-urlencoded", body, h); code != http.StatusOK {
					t.Errorf("genuine request: %d %q", code, out)
				}
				h.Set("X-Slack-Signature", h.Get("X-Slack-Signature")[:10]+"0000"+h.Get("X-Slack-Signature")[14:])
				if code, _ := e.send(PathSlashCommand, "application/x-www-form-urlencoded", body+"&x=1", h); code != http.StatusUnauthorized {
					t.Errorf("forged request: %d, want 401", code)
				}
			}
		})
	}
	wg.Wait()
}
