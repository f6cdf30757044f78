package stackstorm

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/metrics"
	"github.com/opsgate/opsgate/st2fake"
)

type loginEnv struct {
	st2      *st2fake.Server
	sessions *Sessions
	store    *MemoryStore
	web      *httptest.Server
	clk      *clock
	router   *Router
}

func newLoginEnv(t *testing.T) (*loginEnv, func(text string) (string, error)) {
	clk := newClock()
	s := newFake(t, clk)
	c := newClient(s, clk)
	sealer, _ := NewSealer(make([]byte, 32))
	store := &MemoryStore{}
	sess := &Sessions{Client: c, Store: store, Sealer: sealer, Now: clk.Now, LinkTTL: 10 * time.Minute}
	mux := http.NewServeMux()
	mux.Handle("/stackstorm/login", sess.LoginHandler(nil))
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	sess.PublicURL = web.URL
	env := &loginEnv{st2: s, sessions: sess, store: store, web: web, clk: clk, router: &Router{Client: c, Sessions: sess}}
	dm := func(text string) (string, error) {
		req := termReq(text)
		req.Direct = true
		_, out, err := run(t, env.router, req)
		return out, err
	}
	return env, dm
}

func linkFrom(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "http://")
	if i < 0 {
		t.Fatalf("no link in %q", out)
	}
	return strings.Fields(out[i:])[0]
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, link string, form url.Values) (int, string) {
	t.Helper()
	u, _ := url.Parse(link)
	form.Set("uuid", u.Query().Get("uuid"))
	resp, err := http.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoginAllThreeKinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		form func(env *loginEnv) url.Values
		kind string
	}{
		{"password", func(*loginEnv) url.Values {
			return url.Values{"method": {"password"}, "username": {"alice"}, "password": {"alicepw"}}
		}, KindToken},
		{"token", func(env *loginEnv) url.Values {
			return url.Values{"method": {"token"}, "token": {env.st2.IssueToken("alice", time.Hour)}}
		}, KindToken},
		{"api_key", func(*loginEnv) url.Values { return url.Values{"method": {"api_key"}, "api_key": {"alice-key"}} }, KindAPIKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, dm := newLoginEnv(t)
			out, err := dm("st2session")
			if err != nil {
				t.Fatal(err)
			}
			link := linkFrom(t, out)
			code, page := get(t, link)
			if code != 200 || !strings.Contains(page, `name="method" value="api_key"`) || strings.Contains(page, "http://") && strings.Contains(page, "<script") {
				t.Fatalf("form: %d %s", code, page)
			}
			code, page = post(t, link, tc.form(env))
			if code != 200 || !strings.Contains(page, "You are logged in to StackStorm as alice.") {
				t.Fatalf("submit: %d %s", code, page)
			}
			c, err := env.store.FindCredential(context.Background(), "terminal", "U1")
			if err != nil || c.Kind != tc.kind || c.St2User != "alice" {
				t.Fatalf("stored = %+v, %v", c, err)
			}
			if strings.Contains(string(c.Sealed), "alice") {
				t.Fatal("credential stored in clear")
			}
			// From now on the user's commands run as alice.
			if _, _, err := run(t, env.router, termReq("st2 pack install x")); err != nil {
				t.Fatal(err)
			}
			calls := env.st2.CallsTo("/api/v1/aliasexecution/match_and_execute")
			if len(calls) != 1 || calls[0].User != "alice" || calls[0].AuthKind != tc.kind {
				t.Fatalf("executed as %+v", calls)
			}
			// The link is single-use.
			if code, page := post(t, link, tc.form(env)); code != http.StatusGone || !strings.Contains(page, "expired or was already used") {
				t.Fatalf("reuse: %d %s", code, page)
			}
			if code, _ := get(t, link); code != http.StatusGone {
				t.Fatalf("reuse get: %d", code)
			}
			out, _ = dm("st2session status")
			if !strings.Contains(out, "run as `alice`") {
				t.Fatalf("status: %q", out)
			}
			out, _ = dm("st2session end")
			if _, err := env.store.FindCredential(context.Background(), "terminal", "U1"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
				t.Fatalf("after end: %v (%s)", err, out)
			}
		})
	}
}

func TestLoginLinkExpiresAndRefusedCredentials(t *testing.T) {
	env, dm := newLoginEnv(t)
	refused := func(reason string) float64 {
		return testutil.ToFloat64(metrics.FormsRefused.WithLabelValues(LoginForm, reason))
	}
	before := map[string]float64{}
	for _, r := range []string{"expired_link", "bad_credentials", "bad_link"} {
		before[r] = refused(r)
	}
	out, _ := dm("st2session")
	link := linkFrom(t, out)
	env.clk.Add(11 * time.Minute)
	if code, page := get(t, link); code != http.StatusGone || !strings.Contains(page, "expired") {
		t.Fatalf("expired get: %d %s", code, page)
	}
	if code, _ := post(t, link, url.Values{"method": {"api_key"}, "api_key": {"alice-key"}}); code != http.StatusGone {
		t.Fatalf("expired post: %d", code)
	}

	out, _ = dm("st2session")
	link = linkFrom(t, out)
	code, page := post(t, link, url.Values{"method": {"password"}, "username": {"alice"}, "password": {"nope"}})
	if code != 400 || !strings.Contains(page, "StackStorm refused these credentials: Invalid or missing credentials") ||
		!strings.Contains(page, `name="password"`) {
		t.Fatalf("wrong password: %d %s", code, page)
	}
	code, page = post(t, link, url.Values{"method": {"token"}, "token": {"bogus"}})
	if code != 400 || !strings.Contains(page, "unknown or expired") {
		t.Fatalf("bad token: %d %s", code, page)
	}
	// Third refusal burns the link.
	code, page = post(t, link, url.Values{"method": {"api_key"}, "api_key": {"bogus"}})
	if code != 400 || !strings.Contains(page, "already used") || strings.Contains(page, `name="password"`) {
		t.Fatalf("third refusal: %d %s", code, page)
	}
	if code, _ := post(t, link, url.Values{"method": {"api_key"}, "api_key": {"alice-key"}}); code != http.StatusGone {
		t.Fatalf("after 3 refusals: %d", code)
	}
	if code, _ := get(t, env.web.URL+"/stackstorm/login?uuid=forged"); code != http.StatusNotFound {
		t.Fatalf("unknown link: %d", code)
	}
	// Every refusal is counted by reason: expired (get, post, after the burn), credentials (3), unknown link.
	for r, n := range map[string]float64{"expired_link": 3, "bad_credentials": 3, "bad_link": 1} {
		if got := refused(r) - before[r]; got != n {
			t.Errorf("opsgate_form_refused_total{reason=%q} rose by %v, want %v", r, got, n)
		}
	}
	if _, err := dm("st2session nonsense"); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("bad subcommand: %v", err)
	}
	// Not in a channel: the link would be visible to others.
	if _, _, err := run(t, env.router, termReq("st2session")); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("session in a channel: %v", err)
	}
}

func TestExpiredUserTokenAsksForNewLogin(t *testing.T) {
	env, dm := newLoginEnv(t)
	out, _ := dm("st2session")
	if code, page := post(t, linkFrom(t, out), url.Values{"method": {"password"}, "username": {"alice"}, "password": {"alicepw"}}); code != 200 {
		t.Fatalf("login: %d %s", code, page)
	}
	env.clk.Add(25 * time.Hour)
	_, _, err := run(t, env.router, termReq("st2 pack install x"))
	if opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED || !strings.Contains(opsgate.ErrorMessage(err), "st2session") {
		t.Fatalf("expired session: %v", err)
	}
}

func TestRequireLoginAndServiceUser(t *testing.T) {
	env, _ := newLoginEnv(t)
	env.sessions.RequireLogin = true
	if _, _, err := run(t, env.router, termReq("st2 pack install x")); opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
		t.Fatalf("require login: %v", err)
	}
	env.sessions.ServiceUser, env.sessions.Username, env.sessions.Password = ServiceUserNickname, "svc", "svcpw"
	env.sessions.TrustUserNames = true
	if _, _, err := run(t, env.router, termReq("st2 pack install x")); err != nil {
		t.Fatal(err)
	}
	calls := env.st2.CallsTo("/api/v1/aliasexecution/match_and_execute")
	if len(calls) != 1 || calls[0].User != "alice" {
		t.Fatalf("service user token for nickname alice-chat@terminal: %+v", calls)
	}
	tok := env.st2.CallsTo("/auth/v1/tokens")
	if b := tok[len(tok)-1].Body; b["impersonate_user"] != "alice-chat" || b["nickname_origin"] != "terminal" {
		t.Fatalf("token request body %v", b)
	}
}

// Without TrustUserNames a chat user name (which users can change) never chooses the st2 user:
// the service user maps only "<platform>:<user id>", and nicknames are the platform user id.
func TestServiceUserIgnoresChangeableNames(t *testing.T) {
	env, _ := newLoginEnv(t)
	env.sessions.ServiceUser, env.sessions.Username, env.sessions.Password = ServiceUserName, "svc", "svcpw"
	env.sessions.UserMap = map[string]string{"alice-chat": "admin"}
	_, _, err := run(t, env.router, termReq("st2 pack install x"))
	if opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED || !strings.Contains(opsgate.ErrorMessage(err), "No StackStorm user is mapped to your chat account (terminal:U1)") {
		t.Fatalf("unmapped user: %v", err)
	}
	if n := len(env.st2.CallsTo("/api/v1/aliasexecution/match_and_execute")); n != 0 {
		t.Fatalf("an unmapped user's command reached st2 (%d calls)", n)
	}
	env.sessions.UserMap = map[string]string{"terminal:U1": "alice"}
	if _, _, err := run(t, env.router, termReq("st2 pack install x")); err != nil {
		t.Fatal(err)
	}
	if calls := env.st2.CallsTo("/api/v1/aliasexecution/match_and_execute"); len(calls) != 1 || calls[0].User != "alice" {
		t.Fatalf("mapped by id: %+v", calls)
	}
}
