package kit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestPosterPostsAndReadsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/chat.postMessage" || r.Header.Get("Authorization") != "Bearer xoxb-1" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || string(body) != "channel=C1&text=hi" {
			t.Errorf("got %s %s auth %q type %q body %q", r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body)
		}
		// Long headers, as Slack sends (its OAuth scope lists): past fasthttp's default read buffer.
		w.Header().Set("X-OAuth-Scopes", strings.Repeat("chat:write,", 550))
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	p := NewPoster(nil)
	var ans bytes.Buffer
	for range 3 { // the connection is reused
		ans.Reset()
		if err := p.Post(context.Background(), "slack", "chat.postMessage", srv.URL+"/api/chat.postMessage",
			"application/x-www-form-urlencoded", "Bearer xoxb-1", []byte("channel=C1&text=hi"), &ans); err != nil {
			t.Fatal(err)
		}
		if ans.String() != `{"ok":true}` {
			t.Fatalf("answer %q", ans.String())
		}
	}
}

func TestPosterErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/limited":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		}
	}))
	defer srv.Close()
	p := NewPoster(nil)
	post := func(ctx context.Context, path string) error {
		return p.Post(ctx, "slack", "chat.postMessage", srv.URL+path, "text/plain", "", nil, new(bytes.Buffer))
	}

	var ae *APIError
	if err := post(context.Background(), "/limited"); !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != 7*time.Second ||
		!strings.Contains(string(ae.Body), "ratelimited") {
		t.Fatalf("429: %v", err)
	}
	if err := post(context.Background(), "/moved"); !errors.As(err, &ae) || ae.Status != http.StatusFound {
		t.Fatalf("a redirect is not followed: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := post(ctx, "/slow")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("past the deadline: %v, want a net.Error timing out", err)
	}
	if wait, retry := (Retry{}).Wait(err, 1); !retry || wait <= 0 {
		t.Fatal("Retry does not retry a timed-out post, as it does net/http's")
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := post(ctx, "/limited"); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: %v", err)
	}
}

// A Poster reaches the API through the proxy HTTP_PROXY names, as net/http's default transport does.
func TestPosterUsesTheProxyFromTheEnvironment(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer api.Close()
	var tunnels atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy: CONNECT to the API (whatever name the client asked for), then relay bytes.
		if r.Method != http.MethodConnect || r.Host != "api.example.test:80" {
			http.Error(w, "want CONNECT api.example.test:80, got "+r.Method+" "+r.Host, http.StatusBadRequest)
			return
		}
		up, err := net.Dial("tcp", api.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		tunnels.Add(1)
		w.WriteHeader(http.StatusOK)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		go func() { io.Copy(up, rw); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")

	var ans bytes.Buffer
	if err := NewPoster(nil).Post(context.Background(), "slack", "chat.postMessage", "http://api.example.test/api/chat.postMessage",
		"text/plain", "", []byte("x"), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.String() != "ok" || tunnels.Load() != 1 {
		t.Fatalf("answer %q through %d tunnels, want ok through 1", ans.String(), tunnels.Load())
	}
}

// A proxy variable that cannot be used fails every post with an error that never holds its
// password (the proxy library quotes a malformed one whole).
func TestPosterUnusableProxyKeepsItsSecret(t *testing.T) {
	for _, proxy := range []string{"ftp://user:hunter2@proxy.example.test:21", "http://user:hunter2@proxy example.test"} {
		t.Setenv("HTTP_PROXY", proxy)
		t.Setenv("NO_PROXY", "")
		err := NewPoster(nil).Post(context.Background(), "slack", "chat.postMessage", "http://api.example.test/api/chat.postMessage",
			"text/plain", "", nil, new(bytes.Buffer))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("HTTP_PROXY=%s: err %v, want one without the password", proxy, err)
		}
	}
}

// A proxy that refuses the connection fails the post with the cause still readable (Retry reads
// it), and without the proxy's password in its text.
func TestPosterProxyDialErrorKeepsItsCause(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	t.Setenv("HTTP_PROXY", "http://user:hunter2@"+addr)
	t.Setenv("NO_PROXY", "")
	err = NewPoster(nil).Post(context.Background(), "slack", "chat.postMessage", "http://api.example.test/api/chat.postMessage",
		"text/plain", "", nil, new(bytes.Buffer))
	if !errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err %v, want connection refused, without the password", err)
	}
}
