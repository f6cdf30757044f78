package kit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCallJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "tok" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(401)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/slow") {
			w.Header().Set("Retry-After", "1.5")
			w.WriteHeader(429)
			w.Write([]byte(`{"retry_after": 1.5}`))
			return
		}
		w.Write([]byte(`{"id": "m1"}`))
	}))
	defer srv.Close()
	p := Plumbing{}
	p.Defaults(1024)
	var out struct{ ID string }
	hdr := http.Header{"X-Auth-Token": {"tok"}}
	if err := p.CallJSON(context.Background(), "rocketchat", "POST", srv.URL+"/ok", hdr, map[string]string{"a": "b"}, &out); err != nil || out.ID != "m1" {
		t.Fatalf("ok call: %v %+v", err, out)
	}
	err := p.CallJSON(context.Background(), "discord", "POST", srv.URL+"/slow/secret-token", hdr, map[string]string{}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != 1500*time.Millisecond || !strings.Contains(string(ae.Body), "retry_after") {
		t.Fatalf("429: %v", err)
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("the error names the URL: %v", err)
	}
}

func TestReadAPIErrorRetriesOnlyWhatIsSafe(t *testing.T) {
	for _, c := range []struct {
		method string
		err    error
		retry  bool
	}{
		{"POST", &APIError{Status: 429, RetryAfter: time.Second}, true},
		{"POST", &APIError{Status: 502}, false},
		{"POST", context.DeadlineExceeded, false},
		{"PUT", &APIError{Status: 502}, true},
		{"PUT", context.DeadlineExceeded, true},
		{"DELETE", &APIError{Status: 404}, false},
	} {
		_, retry := Retry{Read: func(err error) (Failure, bool) { return ReadAPIError(c.method, err) }}.Wait(c.err, 1)
		if retry != c.retry {
			t.Errorf("%s after %v: retry %v, want %v", c.method, c.err, retry, c.retry)
		}
	}
}
