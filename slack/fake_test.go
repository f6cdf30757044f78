package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// call is one Web API (or response_url) request the fake Slack received.
type call struct {
	Method string
	Form   url.Values
	JSON   map[string]any
}

// fakeSlack is slacktest's server with the endpoints opsgate uses recorded, speaking the
// documented Web API: form-encoded requests, {"ok":...} JSON answers.
type fakeSlack struct {
	*slacktest.Server
	mu    sync.Mutex
	calls []call
	// fail, when set, answers a method with a status (and Retry-After) instead of success.
	fail   map[string][]int
	notify chan struct{}
	// connectionsOpen answers apps.connections.open (Socket Mode) when set.
	connectionsOpen http.HandlerFunc
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{fail: map[string][]int{}, notify: make(chan struct{}, 1000)}
	record := func(method string, answer func(w http.ResponseWriter, c call)) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle("/"+method, func(w http.ResponseWriter, r *http.Request) {
				cl := call{Method: method}
				if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
					b, _ := io.ReadAll(r.Body)
					json.Unmarshal(b, &cl.JSON)
				} else {
					r.ParseForm()
					cl.Form = r.PostForm
				}
				f.mu.Lock()
				f.calls = append(f.calls, cl)
				var status int
				if q := f.fail[method]; len(q) > 0 {
					status, f.fail[method] = q[0], q[1:]
				}
				f.mu.Unlock()
				f.notify <- struct{}{}
				if status == 429 {
					w.Header().Set("Retry-After", "2")
				}
				if status != 0 {
					w.WriteHeader(status)
					io.WriteString(w, "busy")
					return
				}
				w.Header().Set("Content-Type", "application/json")
				answer(w, cl)
			})
		}
	}
	ok := func(w http.ResponseWriter, c call) { io.WriteString(w, `{"ok":true}`) }
	var srv *fakeSlack = f
	f.Server = slacktest.NewTestServer(
		record("chat.postMessage", func(w http.ResponseWriter, c call) {
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, c.Form.Get("channel"), srv.n())
		}),
		record("chat.postEphemeral", func(w http.ResponseWriter, c call) {
			fmt.Fprintf(w, `{"ok":true,"message_ts":"1700000000.%06d"}`, srv.n())
		}),
		record("chat.delete", ok),
		record("views.open", func(w http.ResponseWriter, c call) { io.WriteString(w, `{"ok":true,"view":{"id":"V1"}}`) }),
		record("files.getUploadURLExternal", func(w http.ResponseWriter, c call) {
			fmt.Fprintf(w, `{"ok":true,"upload_url":"http://%s/upload/F1","file_id":"F1"}`, srv.ServerAddr)
		}),
		record("upload/F1", func(w http.ResponseWriter, c call) { io.WriteString(w, `OK - 10`) }),
		record("files.completeUploadExternal", func(w http.ResponseWriter, c call) {
			io.WriteString(w, `{"ok":true,"files":[{"id":"F1","title":"t"}]}`)
		}),
		record("response/1", ok),
		func(c slacktest.Customize) {
			c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
				f.mu.Lock()
				h := f.connectionsOpen
				f.mu.Unlock()
				if h == nil {
					http.NotFound(w, r)
					return
				}
				h(w, r)
			})
		},
	)
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

func (f *fakeSlack) n() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.calls) }

func (f *fakeSlack) responseURL() string { return "http://" + f.ServerAddr + "/response/1" }

// waitCalls waits until n calls of method were made and returns them.
func (f *fakeSlack) waitCalls(t *testing.T, method string, n int) []call {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		var got []call
		f.mu.Lock()
		for _, c := range f.calls {
			if c.Method == method {
				got = append(got, c)
			}
		}
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-f.notify:
		case <-deadline:
			t.Fatalf("waited for %d %s calls, saw %d", n, method, len(got))
		}
	}
}

func (f *fakeSlack) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// blocks decodes the blocks of a chat.post* call.
func (c call) blocks(t *testing.T) []map[string]any {
	t.Helper()
	var b []map[string]any
	if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &b); err != nil {
		t.Fatalf("blocks of %s: %v (%q)", c.Method, err, c.Form.Get("blocks"))
	}
	return b
}

// text concatenates every text in the blocks of a call.
func (c call) text(t *testing.T) string {
	var sb strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				sb.WriteString(s + "\n")
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, b := range c.blocks(t) {
		walk(b)
	}
	return sb.String()
}
