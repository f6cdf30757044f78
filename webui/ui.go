// Package webui is opsgate's admin web UI and web chat, served under /ui/: pages rendered on the
// server with html/template, assets embedded, plain forms that work without JavaScript and a
// little script only for live updates (server-sent events). Every change goes through the same
// services as the CLI and the admin API, audited with the actor "ui:<user>".
package webui

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

//go:embed templates static
var assets embed.FS

// Platform is the chat platform name of the web chat: grants may be scoped to it.
const Platform = "web"

var _ = kit.Register(kit.Platform{Name: Platform, Kind: kit.Chat, Can: kit.Blocks | kit.Menus | kit.Dialogs | kit.Ephemeral})

var (
	logins = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_ui_logins_total", Help: "Web UI login attempts, by result (ok, refused, limited, error).",
	}, []string{"result"})
	refused = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_ui_refused_total", Help: "Web UI requests refused, by reason (forbidden, invalid, not_found, conflict, internal).",
	}, []string{"reason"})
)

// Mux is where the UI registers its routes: opsgate's HTTP server. HandleForm must refuse
// cross-origin requests; every route that changes state is registered with it.
type Mux interface {
	Handle(pattern string, h http.Handler)
	HandleForm(form, pattern string, h http.Handler)
}

// UI serves the pages. Services left nil hide their pages' forms and say so.
type UI struct {
	Users      opsgate.UserService
	Sessions   scs.CtxStore
	Grants     opsgate.GrantService
	Tokens     opsgate.TokenService
	Auth       opsgate.Authorizer
	Audit      opsgate.AuditService
	CommandLog opsgate.CommandLogService
	Secrets    opsgate.SecretService
	// Groups, Approvals and Schedules serve their pages when set.
	Groups    opsgate.GroupService
	Approvals opsgate.ApprovalService
	Schedules opsgate.ScheduleService
	// CheckSecret resolves a secret: "ok", or its error's class and message (never the value);
	// err only for failures that are not the secret's.
	CheckSecret func(ctx context.Context, name string) (result string, err error)
	// ValidateSecret checks a definition's provider and parameters; SecretProviders lists them.
	ValidateSecret  func(s *opsgate.Secret) error
	SecretProviders []string
	// ListAliases lists the aliases in force.
	ListAliases func(ctx context.Context) ([]AliasView, error)
	// SaveAlias stores an alias definition (StackStorm's YAML, with a pack) as `alias add` does and
	// returns its pack.name; DeleteAlias removes a stored one.
	SaveAlias   func(ctx context.Context, definition string) (ref string, err error)
	DeleteAlias func(ctx context.Context, ref string) error
	// TryAlias tells which alias and parameters match a command text.
	TryAlias func(ctx context.Context, text string) (*AliasMatch, error)
	// Chat runs web chat messages through the pipeline.
	Chat Chat
	// Lookups find a platform's id from a name, by platform name.
	Lookups map[string]Lookup
	// Reload makes this replica's access decisions follow a grant change at once.
	Reload func(ctx context.Context) error
	// Status lists health checks for the status page.
	Status func(ctx context.Context) []Check
	// TokenPlatforms lists the platforms tokens can be added for.
	TokenPlatforms []string
	// SecretLimits constrains roles to some secrets (the zero constraint: all).
	SecretLimits map[opsgate.Role]opsgate.SecretConstraint
	// OIDC, when set, offers single sign-on on the login page.
	OIDC *OIDC
	// Guard limits refused logins per client address.
	Guard  *kit.Guard
	Logger *slog.Logger
	// Secure marks the cookie Secure (opsgate serves HTTPS, or sits behind a TLS proxy).
	Secure bool
	// Lifetime ends a session this long after login; IdleTimeout after this long unused.
	Lifetime, IdleTimeout time.Duration
	Version               string
	Now                   func() time.Time
	// Stopping ends live streams (server-sent events) when the server shuts down, which waits
	// for open requests.
	Stopping <-chan struct{}

	sm    *scs.SessionManager
	pages map[string]*template.Template
	hub   *hub
}

// Check is one line of the status page.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// AliasMatch is what "try a command" shows.
type AliasMatch struct {
	Alias  string
	Format string
	Params map[string]string
}

// Lookup finds the platform id of a channel or user from its name.
type Lookup func(ctx context.Context, kind, name string) (id, display string, err error)

// Register adds the UI's routes to mux.
func (u *UI) Register(mux Mux) error {
	if u.Logger == nil {
		u.Logger = slog.New(slog.DiscardHandler)
	}
	if u.Now == nil {
		u.Now = time.Now
	}
	if u.Guard == nil {
		u.Guard = kit.NewGuard(kit.GuardOptions{})
	}
	if u.Lifetime <= 0 {
		u.Lifetime = 12 * time.Hour
	}
	if u.IdleTimeout <= 0 {
		u.IdleTimeout = time.Hour
	}
	if err := u.parse(); err != nil {
		return err
	}
	u.hub = newHub()
	sm := scs.New()
	sm.Store = u.Sessions
	sm.Lifetime, sm.IdleTimeout = u.Lifetime, u.IdleTimeout
	sm.Cookie.Name = "opsgate_session"
	sm.Cookie.Path = "/ui/"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = u.Secure
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		u.Logger.Error("web ui: session", "err", err)
		http.Error(w, "Sessions are unavailable now; try again later.", http.StatusServiceUnavailable)
	}
	u.sm = sm

	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", cacheStatic(http.FileServerFS(static))))
	mux.Handle("GET /ui/{$}", u.loggedIn(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/grants", http.StatusSeeOther)
	}))
	mux.Handle("GET /ui/login", sm.LoadAndSave(http.HandlerFunc(u.loginPage)))
	mux.HandleForm("ui_login", "POST /ui/login", sm.LoadAndSave(http.HandlerFunc(u.login)))
	mux.HandleForm("ui_logout", "POST /ui/logout", sm.LoadAndSave(http.HandlerFunc(u.logout)))
	if u.OIDC != nil {
		mux.Handle("GET /ui/login/oidc", sm.LoadAndSave(http.HandlerFunc(u.oidcStart)))
		mux.Handle("GET /ui/login/oidc/callback", sm.LoadAndSave(http.HandlerFunc(u.oidcCallback)))
	}

	get := func(pattern string, kind opsgate.Kind, h handler) {
		mux.Handle("GET "+pattern, u.allowed(kind, opsgate.View, h))
	}
	post := func(pattern string, kind opsgate.Kind, action opsgate.Action, h handler) {
		mux.HandleForm("ui_"+string(kind), "POST "+pattern, u.allowed(kind, action, h))
	}
	get("/ui/grants", opsgate.KindGrant, u.grantsPage)
	post("/ui/grants", opsgate.KindGrant, opsgate.Add, u.addGrant)
	post("/ui/grants/{id}", opsgate.KindGrant, opsgate.Change, u.updateGrant)
	post("/ui/grants/{id}/delete", opsgate.KindGrant, opsgate.Delete, u.deleteGrant)
	get("/ui/access", opsgate.KindAccess, u.accessPage)
	post("/ui/access/fix", opsgate.KindGrant, opsgate.Add, u.fixAccess)
	get("/ui/tokens", opsgate.KindToken, u.tokensPage)
	post("/ui/tokens", opsgate.KindToken, opsgate.Add, u.addToken)
	post("/ui/tokens/{id}/delete", opsgate.KindToken, opsgate.Delete, u.deleteToken)
	get("/ui/log", opsgate.KindLog, u.logPage)
	get("/ui/log/events", opsgate.KindLog, u.logEvents)
	get("/ui/audit", opsgate.KindLog, u.auditPage)
	get("/ui/chat", opsgate.KindChat, u.chatPage)
	post("/ui/chat", opsgate.KindChat, opsgate.Add, u.chatSend)
	get("/ui/chat/events", opsgate.KindChat, u.chatEvents)
	get("/ui/users", opsgate.KindUser, u.usersPage)
	post("/ui/users", opsgate.KindUser, opsgate.Add, u.addUser)
	post("/ui/users/{name}/delete", opsgate.KindUser, opsgate.Delete, u.deleteUser)
	get("/ui/secrets", opsgate.KindSecret, u.secretsPage)
	post("/ui/secrets", opsgate.KindSecret, opsgate.Add, u.addSecret)
	post("/ui/secrets/{name}/delete", opsgate.KindSecret, opsgate.Delete, u.deleteSecret)
	post("/ui/secrets/{name}/check", opsgate.KindSecret, opsgate.View, u.checkSecret)
	post("/ui/secrets-flush", opsgate.KindSecret, opsgate.Change, u.flushSecrets)
	post("/ui/secret-groups", opsgate.KindSecret, opsgate.Add, u.addGroup)
	post("/ui/secret-groups/{name}/member", opsgate.KindSecret, opsgate.Change, u.setGroupMember)
	post("/ui/secret-groups/{name}/delete", opsgate.KindSecret, opsgate.Delete, u.deleteGroup)
	get("/ui/aliases", opsgate.KindAlias, u.aliasesPage)
	post("/ui/aliases", opsgate.KindAlias, opsgate.Add, u.saveAlias)
	post("/ui/aliases/{ref}/delete", opsgate.KindAlias, opsgate.Delete, u.deleteAlias)
	get("/ui/status", opsgate.KindStatus, u.statusPage)
	if u.Groups != nil {
		get("/ui/groups", opsgate.KindGroup, u.groupsPage)
		post("/ui/groups", opsgate.KindGroup, opsgate.Add, u.addUserGroup)
		post("/ui/groups/{name}/delete", opsgate.KindGroup, opsgate.Delete, u.deleteGroupOfUsers)
		post("/ui/groups/{name}/members", opsgate.KindGroup, opsgate.Change, u.groupMember)
	}
	if u.Approvals != nil {
		get("/ui/approvals", opsgate.KindApproval, u.approvalsPage)
		post("/ui/approvals", opsgate.KindApproval, opsgate.Add, u.addApprovalRule)
		post("/ui/approvals/{id}/delete", opsgate.KindApproval, opsgate.Delete, u.deleteApprovalRule)
	}
	if u.Schedules != nil {
		get("/ui/schedules", opsgate.KindSchedule, u.schedulesPage)
		post("/ui/schedules", opsgate.KindSchedule, opsgate.Add, u.addSchedule)
		post("/ui/schedules/{id}/delete", opsgate.KindSchedule, opsgate.Delete, u.deleteSchedule)
	}
	return nil
}

// cacheStatic lets browsers keep the embedded assets for an hour.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// handler serves a page for the logged-in user; an error becomes the page's message.
type handler func(w http.ResponseWriter, r *http.Request, user *opsgate.User) error

type ctxKey struct{}

// session keys
const (
	keyUser  = "user"
	keyStamp = "stamp"
	keyFlash = "flash"
)

// currentUser returns the session's user, or nil when there is none or it no longer holds: the
// account was deleted or its password changed since login (UpdatedAt moved).
func (u *UI) currentUser(r *http.Request) (*opsgate.User, error) {
	name := u.sm.GetString(r.Context(), keyUser)
	if name == "" {
		return nil, nil
	}
	if role := u.sm.GetString(r.Context(), keySSORole); role != "" {
		if u.OIDC == nil { // single sign-on was turned off since
			return nil, nil
		}
		return &opsgate.User{Name: name, Role: opsgate.Role(role)}, nil
	}
	user, err := u.Users.FindUserByName(r.Context(), name)
	if opsgate.ErrorCode(err) == opsgate.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if u.sm.GetInt64(r.Context(), keyStamp) != user.UpdatedAt.UnixMicro() {
		return nil, nil
	}
	return user, nil
}

// loggedIn runs h for a logged-in user; others go to the login page, which brings them back.
func (u *UI) loggedIn(h http.HandlerFunc) http.Handler {
	return u.allowed(opsgate.KindStatus, opsgate.View, func(w http.ResponseWriter, r *http.Request, _ *opsgate.User) error {
		h(w, r)
		return nil
	})
}

// allowed runs h when a user is logged in and their role permits action on kind.
func (u *UI) allowed(kind opsgate.Kind, action opsgate.Action, h handler) http.Handler {
	return u.sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := u.currentUser(r)
		if err != nil {
			u.fail(w, r, nil, err)
			return
		}
		if user == nil {
			next := "/ui/"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/ui/login?next="+urlQueryEscape(next), http.StatusSeeOther)
			return
		}
		if !user.Role.Permits(kind, action) {
			refused.WithLabelValues("forbidden").Inc()
			u.Logger.Info("web ui: refused", "user", user.Name, "role", user.Role, "kind", kind, "action", action)
			u.renderStatus(w, r, user, http.StatusForbidden, "error", "Not allowed", nil,
				"Your role ("+string(user.Role)+") cannot "+string(action)+" "+plural(kind)+".")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		ctx := opsgate.NewContextWithActor(r.Context(), "ui:"+user.Name)
		if err := h(w, r.WithContext(ctx), user); err != nil {
			u.fail(w, r, user, err)
		}
	}))
}

func plural(k opsgate.Kind) string {
	switch k {
	case opsgate.KindLog:
		return "logs"
	case opsgate.KindChat:
		return "the chat"
	case opsgate.KindStatus:
		return "the status"
	case opsgate.KindAccess:
		return "access"
	}
	return string(k) + "s"
}

var statusOf = map[string]int{
	opsgate.EINVALID: http.StatusBadRequest, opsgate.EUNAUTHORIZED: http.StatusUnauthorized, opsgate.EFORBIDDEN: http.StatusForbidden,
	opsgate.ENOTFOUND: http.StatusNotFound, opsgate.ECONFLICT: http.StatusConflict,
}

// fail shows an error page: the message of an opsgate error, "Internal error." for others (logged).
func (u *UI) fail(w http.ResponseWriter, r *http.Request, user *opsgate.User, err error) {
	code := opsgate.ErrorCode(err)
	refused.WithLabelValues(code).Inc()
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
		u.Logger.Error("web ui", "path", r.URL.Path, "err", err)
	} else {
		u.Logger.Info("web ui: refused", "path", r.URL.Path, "code", code, "msg", opsgate.ErrorMessage(err))
	}
	u.renderStatus(w, r, user, status, "error", "Error", nil, opsgate.ErrorMessage(err))
}

// flash keeps a message for the next page (after a redirect).
func (u *UI) flash(r *http.Request, msg string) { u.sm.Put(r.Context(), keyFlash, msg) }

// back redirects to path with 303, so a reload does not post the form again.
func back(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func formID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, opsgate.Errorf(opsgate.EINVALID, "Id %q is not a number.", r.PathValue("id"))
	}
	return id, nil
}

// safeNext keeps a post-login redirect on opsgate's own /ui/ pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return next
}

var errNoService = errors.New("service not configured")

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// statusFor is the HTTP status of a service error.
func statusFor(err error) int {
	if s, ok := statusOf[opsgate.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}
