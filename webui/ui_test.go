package webui_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	ohttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/scheduler"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
	"github.com/opsgate/opsgate/webui"
)

type env struct {
	url      string
	db       *store.DB
	sessions *store.SessionStore
	grants   *store.GrantService
	ui       *webui.UI
}

const adminPassword = "admin password 123"

// newUI serves the UI on a real listener, with users admin, operator and viewer.
func newUI(t *testing.T, secure bool) *env {
	t.Helper()
	return newUIWith(t, func(ui *webui.UI) { ui.Secure = secure })
}

// newUIWith is newUI with the UI adjusted by configure before it is registered.
func newUIWith(t *testing.T, configure func(*webui.UI)) *env {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	ctx := opsgate.NewContextWithActor(context.Background(), "test")
	users := store.NewUserService(db)
	for _, r := range opsgate.Roles {
		if err := users.CreateUser(ctx, &opsgate.User{Name: string(r), Role: r}, adminPassword); err != nil {
			t.Fatal(err)
		}
	}
	grants := store.NewGrantService(db)
	grants.Platform = kit.ChatPlatform
	auth := access.New(nil)
	reload := func(ctx context.Context) error {
		gs, err := grants.FindGrants(ctx, opsgate.GrantFilter{})
		if err == nil {
			auth.Load(gs)
		}
		return err
	}
	sessions := store.NewSessionStore(db)
	tokens := store.NewTokenService(db)
	tokens.Platform = kit.TokenPlatform
	srv := ohttp.NewServer("127.0.0.1:0", nil)
	ui := &webui.UI{Users: users, Sessions: sessions, Grants: grants, Tokens: tokens, Auth: auth,
		Audit: store.NewAuditService(db), CommandLog: store.NewCommandLogService(db), Secrets: store.NewSecretService(db),
		Reload: reload, Guard: kit.NewGuard(kit.GuardOptions{Burst: 3, Rate: 0.001}),
		Groups: store.NewGroupService(db), Approvals: store.NewApprovalService(db)}
	schedules := store.NewScheduleService(db)
	schedules.Check = scheduler.Check
	ui.Schedules = schedules
	configure(ui)
	if err := ui.Register(srv); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{url: ts.URL, db: db, sessions: sessions, grants: grants, ui: ui}
}

// browser is an HTTP client with cookies that sends what a browser sends on same-origin forms.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (b *browser) get(path string) (*http.Response, string) { return b.do("GET", path, nil, nil) }
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	return b.do("POST", path, form, nil)
}

func (b *browser) login(name, password string) *http.Response {
	b.t.Helper()
	resp, _ := b.post("/ui/login", url.Values{"username": {name}, "password": {password}, "next": {"/ui/grants"}})
	return resp
}

func TestLoginSessionCookieAndLogout(t *testing.T) {
	e := newUI(t, true)
	b := newBrowser(t, e.url)
	resp, _ := b.get("/ui/grants")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login") {
		t.Fatalf("logged out: %d %s, want a redirect to the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := b.get("/ui/login")
	for _, want := range []string{`<label for="username">Username</label>`, `<label for="password">Password</label>`, `>Log in</button>`} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if resp := b.login("admin", "wrong password here"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", resp.StatusCode)
	}
	resp = b.login("admin", adminPassword)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/grants" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "opsgate_session" {
			c = ck
		}
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Expires.IsZero() {
		t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, expiring", c)
	}
	if resp, page := b.get("/ui/grants"); resp.StatusCode != 200 || !strings.Contains(page, "admin (admin)") {
		t.Fatalf("grants page after login: %d", resp.StatusCode)
	}
	b.post("/ui/logout", url.Values{})
	if resp, _ := b.get("/ui/grants"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d, want a redirect to log in", resp.StatusCode)
	}
}

func TestLoginLimitedPerAddress(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	for range 3 {
		b.login("admin", "wrong password here")
	}
	// Past the limit even the right password is not tried: a guess learns nothing.
	resp := b.login("admin", adminPassword)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("past the limit: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestExpiredSessionGoesToLogin(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("admin", adminPassword)
	if resp, _ := b.get("/ui/grants"); resp.StatusCode != 200 {
		t.Fatalf("logged in: %d", resp.StatusCode)
	}
	if err := e.sessions.Expire(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, _ := b.get("/ui/grants?command=x")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login?next=%2Fui%2Fgrants%3Fcommand%3Dx" {
		t.Errorf("expired session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestGrantsAddListDeleteAudited(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	_, page := b.get("/ui/grants")
	for _, l := range []string{"Command", "Subcommand", "Type", "Value", "Name", "Platform", "Expires"} {
		if !strings.Contains(page, ">"+l+"</label>") {
			t.Errorf("grant form lacks the label %q", l)
		}
	}
	resp, _ := b.post("/ui/grants", url.Values{"command": {"network"}, "type": {"user"}, "value": {"U1"}, "name": {"alice"}, "platform": {"web"}, "expires": {"72h"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add grant: %d", resp.StatusCode)
	}
	gs, _ := e.grants.FindGrants(context.Background(), opsgate.GrantFilter{})
	if len(gs) != 1 || gs[0].Subcommand != "*" || gs[0].Platform != "web" || gs[0].ExpiresAt == nil {
		t.Fatalf("stored grants %+v", gs)
	}
	_, page = b.get("/ui/grants")
	if !strings.Contains(page, "Grant 1 added.") || !strings.Contains(page, "<code>U1</code>") {
		t.Errorf("grants page after add lacks the flash or the grant:\n%s", page)
	}
	resp, page = b.post("/ui/grants", url.Values{"command": {"x"}, "type": {"user"}, "value": {"U1"}, "platform": {"irc"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "is not a chat platform opsgate knows") || !strings.Contains(page, `value="x"`) {
		t.Errorf("bad platform: %d; want 400 with the reason and the form kept:\n%s", resp.StatusCode, page)
	}
	if resp, _ := b.post("/ui/grants/1/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	es, _ := store.NewAuditService(e.db).FindAuditEntries(context.Background(), "grant", 10)
	if len(es) != 2 || es[0].Actor != "ui:operator" || es[1].Actor != "ui:operator" {
		t.Errorf("audit: %+v; want create and delete by ui:operator", es)
	}
}

func TestViewerChangesNothing(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("viewer", adminPassword)
	_, page := b.get("/ui/grants")
	if strings.Contains(page, `action="/ui/grants"`+` aria-label="Add a grant"`) || strings.Contains(page, "Add grant") {
		t.Error("viewer is shown the add form")
	}
	for path, form := range map[string]url.Values{
		"/ui/grants":  {"command": {"x"}, "type": {"user"}, "value": {"U1"}},
		"/ui/tokens":  {"platform": {"admin"}},
		"/ui/users":   {"name": {"mallory"}, "role": {"admin"}},
		"/ui/secrets": {"name": {"s"}, "provider": {"environment-variable"}, "params": {"variable=X"}},
	} {
		if resp, _ := b.post(path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	if resp, _ := b.get("/ui/users"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer GET /ui/users: %d, want 403", resp.StatusCode)
	}
	if gs, _ := e.grants.FindGrants(context.Background(), opsgate.GrantFilter{}); len(gs) != 0 {
		t.Errorf("viewer added grants: %+v", gs)
	}
}

func TestCrossSiteFormRefused(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("admin", adminPassword)
	resp, _ := b.do("POST", "/ui/grants", url.Values{"command": {"x"}, "type": {"user"}, "value": {"U1"}},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", resp.StatusCode)
	}
	if gs, _ := e.grants.FindGrants(context.Background(), opsgate.GrantFilter{}); len(gs) != 0 {
		t.Errorf("cross-site post added grants: %+v", gs)
	}
}

func TestAccessCheckCreatesSuggestedGrant(t *testing.T) {
	e := newUI(t, false)
	ctx := context.Background()
	for _, g := range []*opsgate.Grant{{Command: "*", Type: "organization", Value: "T1"}, {Command: "*", Type: "channel", Value: "*"}} {
		e.grants.CreateGrant(ctx, g)
	}
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	b.get("/ui/grants") // nothing
	q := "/ui/access?org=T1&channel=C1&user=U9&command=deploy"
	b.post("/ui/grants", url.Values{"command": {"other"}, "type": {"user"}, "value": {"U0"}}) // reloads the index
	_, page := b.get(q)
	if !strings.Contains(page, "Denied") || !strings.Contains(page, "Create the suggested grant") {
		t.Fatalf("denied check lacks the decision or the fix button:\n%s", page)
	}
	resp, _ := b.post("/ui/access/fix", url.Values{"command": {"deploy"}, "subcommand": {"*"}, "type": {"user"}, "value": {"U9"}, "back": {q}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != q {
		t.Fatalf("fix: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page = b.get(q); !strings.Contains(page, `<span class="ok">Allowed</span>`) {
		t.Errorf("after the fix the check is not allowed")
	}
}

func TestTokenShownOnce(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("admin", adminPassword)
	resp, page := b.post("/ui/tokens", url.Values{"platform": {"admin"}, "comment": {"st2"}})
	i := strings.Index(page, `<code id="new-token">`)
	if resp.StatusCode != 200 || i < 0 {
		t.Fatalf("add token: %d, no token shown", resp.StatusCode)
	}
	tok := page[i+len(`<code id="new-token">`):]
	tok = tok[:strings.Index(tok, "<")]
	if _, err := store.NewTokenService(e.db).VerifyToken(context.Background(), "admin", tok); err != nil {
		t.Errorf("shown token does not verify: %v", err)
	}
	if _, page := b.get("/ui/tokens"); strings.Contains(page, tok) || !strings.Contains(page, "st2") {
		t.Error("token list shows the token again, or not the comment")
	}
}

func TestAnnouncementReachesUsersChat(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("viewer", adminPassword)
	if _, err := e.ui.Announce("viewer").Send(context.Background(), opsgate.Textf("deploy *finished*")); err != nil {
		t.Fatal(err)
	}
	e.ui.Announce("").Send(context.Background(), opsgate.Textf("to the channel"))
	_, page := b.get("/ui/chat")
	if !strings.Contains(page, "deploy <strong>finished</strong>") || !strings.Contains(page, "to the channel") {
		t.Errorf("chat lacks the announcements:\n%s", page)
	}
	o := newBrowser(t, e.url)
	o.login("operator", adminPassword)
	if _, page := o.get("/ui/chat"); strings.Contains(page, "deploy") {
		t.Error("another user's chat shows a whisper to viewer")
	}
}

func TestEditGrant(t *testing.T) {
	e := newUI(t, false)
	ctx := context.Background()
	g := &opsgate.Grant{Command: "deploy", Type: "user", Value: "U1"}
	e.grants.CreateGrant(ctx, g)
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	_, page := b.get("/ui/grants?edit=1")
	if !strings.Contains(page, `action="/ui/grants/1"`) || !strings.Contains(page, `value="deploy"`) || !strings.Contains(page, "Save grant") {
		t.Fatalf("edit form not filled in:\n%s", page)
	}
	resp, _ := b.post("/ui/grants/1", url.Values{"command": {"deploy"}, "subcommand": {"prod"}, "type": {"user"}, "value": {"U1"}, "platform": {"web"}, "expires": {"24h"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	gs, _ := e.grants.FindGrants(ctx, opsgate.GrantFilter{})
	if len(gs) != 1 || gs[0].Subcommand != "prod" || gs[0].Platform != "web" || gs[0].ExpiresAt == nil {
		t.Errorf("after edit: %+v", gs[0])
	}
	v := newBrowser(t, e.url)
	v.login("viewer", adminPassword)
	if resp, _ := v.post("/ui/grants/1", url.Values{"command": {"x"}, "type": {"user"}, "value": {"U1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer edit: %d, want 403", resp.StatusCode)
	}
}

func TestTokenPlatformCheckedByService(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("admin", adminPassword)
	resp, page := b.post("/ui/tokens", url.Values{"platform": {"slack"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "is not a platform that takes command tokens") {
		t.Errorf("token for slack: %d; want 400 naming the platforms that take tokens", resp.StatusCode)
	}
}

func TestSecretConstraintOfRole(t *testing.T) {
	e := newUI(t, false)
	e.ui.SecretLimits = map[opsgate.Role]opsgate.SecretConstraint{
		opsgate.RoleOperator: {Provider: "environment-variable", Param: "variable", Prefix: "NAPALM_"}}
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	resp, page := b.post("/ui/secrets", url.Values{"name": {"db"}, "provider": {"text-file"}, "params": {"path=/etc/shadow"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "may only add secrets of provider environment-variable") {
		t.Errorf("secret outside the constraint: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/ui/secrets", url.Values{"name": {"napalm"}, "provider": {"environment-variable"}, "params": {"variable=NAPALM_PASSWORD"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("secret within the constraint: %d", resp.StatusCode)
	}
	ss, _ := store.NewSecretService(e.db).FindSecrets(context.Background())
	if len(ss) != 1 || ss[0].Name != "napalm" {
		t.Errorf("stored secrets: %+v", ss)
	}
	// An admin's secret outside the constraint cannot be deleted by the operator.
	admin := newBrowser(t, e.url)
	admin.login("admin", adminPassword)
	admin.post("/ui/secrets", url.Values{"name": {"root"}, "provider": {"environment-variable"}, "params": {"variable=ROOT_PW"}})
	if resp, _ := b.post("/ui/secrets/root/delete", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("operator deleting a secret outside its constraint: %d, want 403", resp.StatusCode)
	}
}

func TestSecretsGroupFromTheBrowser(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	b.post("/ui/secrets", url.Values{"name": {"napalm"}, "provider": {"environment-variable"}, "params": {"variable=NAPALM_PASSWORD"}})
	if resp, _ := b.post("/ui/secret-groups", url.Values{"name": {"devices"}, "description": {"NAPALM"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add group: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/ui/secret-groups/devices/member", url.Values{"access_type": {"Generic"}, "secret_type": {"password"}, "secret": {"napalm"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set member: %d", resp.StatusCode)
	}
	if resp, page := b.post("/ui/secret-groups/devices/member", url.Values{"access_type": {"Telnet"}, "secret_type": {"password"}, "secret": {"napalm"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown access type: %d\n%s", resp.StatusCode, page)
	}
	g, err := store.NewSecretService(e.db).FindSecretsGroupByName(context.Background(), "devices")
	if err != nil || g.Member(opsgate.AccessGeneric, opsgate.SecretTypePassword) == nil {
		t.Fatalf("group %+v, %v: want the member set", g, err)
	}
	if _, page := b.get("/ui/secrets"); !strings.Contains(page, "Generic / password: napalm") {
		t.Error("secrets page lacks the group's member")
	}
	if resp, _ := b.post("/ui/secret-groups/devices/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete group: %d", resp.StatusCode)
	}
}

func TestFlushSecretCacheAudited(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	svc := store.NewSecretService(e.db)
	before, _ := svc.SecretCacheGeneration(context.Background())
	if resp, _ := b.post("/ui/secrets-flush", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("flush: %d", resp.StatusCode)
	}
	if after, _ := svc.SecretCacheGeneration(context.Background()); after == before {
		t.Error("the flush was not recorded")
	}
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
