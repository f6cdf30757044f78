package st2fake

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The stream is framed exactly as st2stream writes it: "event: NAME\ndata: JSON\n\n", a bare "\n" heartbeat.
func TestStreamFraming(t *testing.T) {
	s := New()
	defer s.Close()
	s.HeartbeatInterval = 20 * time.Millisecond
	s.AddUser("bot", User{Password: "pw"})
	tok := s.IssueToken("bot", time.Hour)
	req, _ := http.NewRequest(http.MethodGet, s.StreamURL()+"/stream?events=st2.announcement__r", nil)
	req.Header.Set("X-Auth-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); line != "\n" {
		t.Fatalf("heartbeat = %q", line)
	}
	for s.Streams() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Announce("other", map[string]any{"message": "filtered out"})
	s.Announce("r", map[string]any{"message": "hi"})
	var frame strings.Builder
	for !strings.HasSuffix(frame.String(), "}\n\n") {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line != "\n" || frame.Len() > 0 {
			frame.WriteString(line)
		}
	}
	want := `event: st2.announcement__r` + "\n" + `data: {"payload":{"message":"hi"},"trace_context":null}` + "\n\n"
	if frame.String() != want {
		t.Fatalf("frame = %q, want %q", frame.String(), want)
	}
}

func TestAuthErrors(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddUser("bot", User{Password: "pw"})
	call := func(method, url string, h map[string]string, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	if code, m := call("GET", s.APIURL()+"/actionalias", nil, ""); code != 401 || m["faultstring"] != "Unauthorized - One of Token or API key required." {
		t.Fatalf("no auth: %d %v", code, m)
	}
	tok := s.IssueToken("bot", time.Hour)
	if code, m := call("GET", s.APIURL()+"/actionalias", map[string]string{"X-Auth-Token": tok, "St2-Api-Key": "k"}, ""); code != 401 ||
		m["faultstring"] != "Unauthorized - Only one of Token or API key expected." {
		t.Fatalf("both: %d %v", code, m)
	}
	if code, _ := call("GET", s.APIURL()+"/actionalias?limit=101&x-auth-token="+tok, nil, ""); code != 403 {
		t.Fatalf("limit > 100: %d", code)
	}
	s.ExpireTokens()
	if code, m := call("GET", s.APIURL()+"/actionalias", map[string]string{"X-Auth-Token": tok}, ""); code != 401 || m["faultstring"] != "Unauthorized - Token has expired." {
		t.Fatalf("expired: %d %v", code, m)
	}
	if code, m := call("POST", s.AuthURL()+"/tokens", map[string]string{"Authorization": "Basic Ym90Om5v"}, `{}`); code != 401 || m["faultstring"] != "Invalid or missing credentials" {
		t.Fatalf("bad password: %d %v", code, m)
	}
	if code, m := call("POST", s.AuthURL()+"/tokens", map[string]string{"Authorization": "Basic Ym90OnB3"}, `{"ttl": 999999}`); code != 400 || !strings.Contains(m["faultstring"].(string), "greater than max allowed") {
		t.Fatalf("ttl: %d %v", code, m)
	}
	code, m := call("POST", s.AuthURL()+"/tokens", map[string]string{"Authorization": "Basic Ym90OnB3"}, `{"ttl": 60}`)
	if code != 201 || m["user"] != "bot" || m["token"] == "" || !strings.HasSuffix(m["expiry"].(string), "Z") {
		t.Fatalf("token: %d %v", code, m)
	}
}
