package executor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func TestHTTPTemplatedRequest(t *testing.T) {
	var got struct {
		method, path, query, auth, ctype, body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.path, got.query, got.auth, got.ctype, got.body = r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"build": 42, "state": "queued"}`)
	}))
	defer srv.Close()
	e := &Executor{Resolve: secrets(map[string]string{"ci_token": "tok-123"})}
	res := run(t, e, map[string]any{"runner": "http", "method": "{{ verb }}", "url": srv.URL + "/jobs/{{ job | urlencode }}/build?ref={{ ref }}",
		"headers": map[string]any{"Authorization": "Bearer ${secret:ci_token}", "Content-Type": "application/json"},
		"body":    `{"ref": {{ ref | tojson }}}`}, map[string]string{"verb": "post", "job": "web app", "ref": "main"})
	if res.Status != opsgate.StatusSucceeded || res.Output["status_code"] != 201 {
		t.Fatalf("%+v", res.Output)
	}
	if got.method != "POST" || got.path != "/jobs/web app/build" || got.query != "ref=main" || got.auth != "Bearer tok-123" || got.body != `{"ref": "main"}` {
		t.Fatalf("request %+v", got)
	}
	if j, ok := res.Output["json"].(map[string]any); !ok || j["build"] != float64(42) {
		t.Fatalf("json = %#v", res.Output["json"])
	}
	if res.Output["body"] != `{"build": 42, "state": "queued"}` || res.Output["headers"].(map[string]any)["Content-Type"] != "application/json" {
		t.Fatalf("%+v", res.Output)
	}
}

// sleeps records the backoff waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func TestHTTPRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case 3:
			w.WriteHeader(http.StatusBadGateway)
		default:
			io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	sl := &sleeps{}
	res := run(t, &Executor{Sleep: sl.sleep}, map[string]any{"runner": "http", "url": srv.URL + "/", "retries": 3}, nil)
	if res.Status != opsgate.StatusSucceeded || res.Output["body"] != "ok" || n.Load() != 4 || res.Output["attempts"] != 4 {
		t.Fatalf("%d requests, %+v", n.Load(), res.Output)
	}
	want := []time.Duration{500 * time.Millisecond, 7 * time.Second, 2 * time.Second}
	if len(sl.d) != 3 || sl.d[0] != want[0] || sl.d[1] != want[1] || sl.d[2] != want[2] {
		t.Fatalf("waits %v want %v", sl.d, want)
	}

	// Out of retries: the last answer is the result.
	n.Store(0)
	sl.d = nil
	res = run(t, &Executor{Sleep: sl.sleep}, map[string]any{"runner": "http", "url": srv.URL + "/", "retries": 1}, nil)
	if res.Status != opsgate.StatusFailed || res.Output["status_code"] != 429 || n.Load() != 2 {
		t.Fatalf("%d %+v", n.Load(), res.Output)
	}
}

func TestHTTPNoRetryOn4xx(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "no such job", http.StatusNotFound)
	}))
	defer srv.Close()
	res := run(t, &Executor{Sleep: (&sleeps{}).sleep}, map[string]any{"runner": "http", "url": srv.URL + "/x", "retries": 3}, nil)
	if res.Status != opsgate.StatusFailed || res.Output["status_code"] != 404 || n.Load() != 1 || res.Output["body"] != "no such job\n" {
		t.Fatalf("%d %+v", n.Load(), res.Output)
	}
}

func TestHTTPTimeoutAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	e := &Executor{Resolve: secrets(map[string]string{"t": "hunter2"}), Sleep: (&sleeps{}).sleep}
	start := time.Now()
	res := run(t, e, map[string]any{"runner": "http", "url": srv.URL + "/slow?token=${secret:t}", "timeout": "150ms", "retries": 1}, nil)
	if time.Since(start) > 5*time.Second {
		t.Fatal("timeout not applied")
	}
	msg, _ := res.Output["error"].(string)
	if res.Status != opsgate.StatusFailed || !strings.HasSuffix(msg, "timed out") || strings.Contains(msg, "hunter2") || res.Output["attempts"] != 2 {
		t.Fatalf("%+v", res.Output)
	}
	// Connection refused.
	srv.Close()
	res = run(t, e, map[string]any{"runner": "http", "url": srv.URL + "/"}, nil)
	if res.Status != opsgate.StatusFailed || !strings.Contains(res.Output["error"].(string), "refused") {
		t.Fatalf("%+v", res.Output)
	}
}

func TestHTTPOversizedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(strings.Repeat("x", 100000))
		w.Write(b)
	}))
	defer srv.Close()
	res := run(t, &Executor{}, map[string]any{"runner": "http", "url": srv.URL + "/", "max_output": 10}, nil)
	body := res.Output["body"].(string)
	if res.Output["body_truncated"] != true || body != `"xxxxxxxxx`+"\n[output truncated: showing the first 10 bytes]" || res.Output["json"] != nil {
		t.Fatalf("%q %+v", body, res.Output["body_truncated"])
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d, ok := retryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now); !ok || d != 30*time.Second {
		t.Fatal(d, ok)
	}
	if d, ok := retryAfter("100000", now); !ok || d != maxRetryAfterHonored {
		t.Fatal(d, ok)
	}
	if _, ok := retryAfter("soon", now); ok {
		t.Fatal("garbage accepted")
	}
}
