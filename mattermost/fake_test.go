package mattermost

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// call is one request the fake Mattermost received.
type call struct {
	Method, Path string
	Body         map[string]any
	raw          []byte
}

// fakeMattermost speaks the REST v4 endpoints opsgate uses, checks the bot's bearer token and
// records what was posted.
type fakeMattermost struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []call
	fail   map[string][]int // path -> statuses to answer before succeeding
	notify chan struct{}
}

const apiToken = "bot-access-token"

func newFakeMattermost(t *testing.T) *fakeMattermost {
	f := &fakeMattermost{fail: map[string][]int{}, notify: make(chan struct{}, 1000)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := call{Method: r.Method, Path: r.URL.Path}
		if r.URL.Path == "/api/v4/files" {
			// Uploads are multipart: channel_id and the files.
			if err := r.ParseMultipartForm(1 << 20); err == nil && len(r.MultipartForm.File["files"]) == 1 {
				fh := r.MultipartForm.File["files"][0]
				f, _ := fh.Open()
				data, _ := io.ReadAll(f)
				c.Body = map[string]any{"channel_id": r.FormValue("channel_id"), "filename": fh.Filename, "content": string(data)}
			}
		} else {
			b, _ := io.ReadAll(r.Body)
			c.raw = b
			json.Unmarshal(b, &c.Body)
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		n := len(f.calls)
		var status int
		if q := f.fail[c.Path]; len(q) > 0 {
			status, f.fail[c.Path] = q[0], q[1:]
		}
		f.mu.Unlock()
		defer func() { f.notify <- struct{}{} }()
		w.Header().Set("Content-Type", "application/json")
		isHook := strings.HasPrefix(r.URL.Path, "/hooks/")
		if !isHook && r.Header.Get("Authorization") != "Bearer "+apiToken {
			w.WriteHeader(401)
			io.WriteString(w, `{"id":"api.context.session_expired.app_error","message":"Invalid or expired session, please login again.","status_code":401}`)
			return
		}
		if status != 0 {
			if status == 429 {
				w.Header().Set("Retry-After", "3")
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"id":"fake.error","message":"fake failure","status_code":%d}`, status)
			return
		}
		switch {
		case r.URL.Path == "/api/v4/files":
			w.WriteHeader(201)
			io.WriteString(w, `{"file_infos":[{"id":"file1","name":"graph.png"}],"client_ids":[]}`)
		case r.Method == "GET" && r.URL.Path == "/api/v4/users/me":
			io.WriteString(w, `{"id":"botuser","username":"opsgate","is_bot":true}`)
		case r.Method == "POST" && r.URL.Path == "/api/v4/channels/direct":
			var ids []string
			json.Unmarshal(c.raw, &ids)
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"id":"dm-%s","type":"D","name":%q}`, strings.Join(ids, "-"), strings.Join(ids, "__"))
		case r.Method == "POST" && (r.URL.Path == "/api/v4/posts" || r.URL.Path == "/api/v4/posts/ephemeral"):
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"id":"post%d","channel_id":"x","message":""}`, n)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v4/posts/"):
			// A post as GET /api/v4/posts/{id} returns it: the bot's own posts (as created through
			// POST /api/v4/posts, integration context stripped as Mattermost does), and one by a user.
			id := strings.TrimPrefix(r.URL.Path, "/api/v4/posts/")
			if id == "user-post" {
				io.WriteString(w, `{"id":"user-post","user_id":"u9","channel_id":"ch1","message":"my own words","props":{}}`)
				return
			}
			f.mu.Lock()
			var created *call
			for i := range f.calls {
				if c := &f.calls[i]; c.Method == "POST" && c.Path == "/api/v4/posts" && fmt.Sprintf("post%d", i+1) == id {
					created = c
				}
			}
			f.mu.Unlock()
			if created == nil {
				w.WriteHeader(404)
				io.WriteString(w, `{"id":"app.post.get.app_error","message":"Unable to get the post.","status_code":404}`)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"id": id, "user_id": "botuser", "channel_id": created.Body["channel_id"],
				"message": created.Body["message"], "props": created.Body["props"]})
		default:
			io.WriteString(w, `{"status":"OK"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMattermost) responseURL() string { return f.srv.URL + "/hooks/commands/abc" }

func (f *fakeMattermost) waitCalls(t *testing.T, method, path string, n int) []call {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		got := f.find(method, path)
		if len(got) >= n {
			return got
		}
		select {
		case <-f.notify:
		case <-deadline:
			t.Fatalf("waited for %d %s %s calls, saw %d", n, method, path, len(got))
		}
	}
}

// created returns the POST /api/v4/posts call whose answer was the post id.
func (f *fakeMattermost) created(t *testing.T, id string) call {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.calls {
		if c.Method == "POST" && c.Path == "/api/v4/posts" && fmt.Sprintf("post%d", i+1) == id {
			return c
		}
	}
	t.Fatalf("no post %s was created", id)
	return call{}
}

func (f *fakeMattermost) find(method, path string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var got []call
	for _, c := range f.calls {
		if c.Method == method && c.Path == path {
			got = append(got, c)
		}
	}
	return got
}

// tokens is a TokenService holding SHA-256 hashes, compared in constant time, as the store does.
type tokens struct {
	mu       sync.Mutex
	hashes   map[string]bool
	verifies int
}

func (s *tokens) FindTokens(ctx context.Context, platform string) ([]*opsgate.CommandToken, error) {
	return nil, nil
}
func (s *tokens) CreateToken(ctx context.Context, t *opsgate.CommandToken, token string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := sha256.Sum256([]byte(token))
	s.hashes[hex.EncodeToString(h[:])] = true
	return token, nil
}
func (s *tokens) DeleteToken(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.hashes)
	return nil
}
func (s *tokens) VerifyToken(ctx context.Context, platform, token string) (*opsgate.CommandToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.verifies++
	h := sha256.Sum256([]byte(token))
	sum := hex.EncodeToString(h[:])
	for k := range s.hashes {
		if platform == "mattermost" && subtle.ConstantTimeCompare([]byte(k), []byte(sum)) == 1 {
			return &opsgate.CommandToken{ID: 1, Platform: platform, Hash: k}, nil
		}
	}
	return nil, opsgate.Errorf(opsgate.EUNAUTHORIZED, "Unknown token.")
}
