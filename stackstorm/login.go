package stackstorm

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/metrics"
)

// LoginForm names the login page in opsgate_form_refused_total{form}; the HTTP server's
// cross-origin protection counts its refusals under the same name.
const LoginForm = "stackstorm_login"

// loginRefused counts a refused login page request by reason.
func loginRefused(reason string) { metrics.FormsRefused.WithLabelValues(LoginForm, reason).Inc() }

// LoginHandler serves the login page: GET /stackstorm/login?uuid=<uuid> shows the form,
// POST /stackstorm/login checks the credentials with st2 and stores the resulting token or API key.
// A link works once; refused credentials may be retried up to MaxAttempts times.
func (s *Sessions) LoginHandler(logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The uuid is in the URL: keep it out of caches and Referer headers; no external content at all.
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		switch r.Method {
		case http.MethodGet:
			s.loginForm(w, r)
		case http.MethodPost:
			s.loginSubmit(w, r, logger)
		default:
			h.Set("Allow", "GET, POST")
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		}
	})
}

type loginPage struct {
	UUID, User, Error, Done string
	Gone                    bool
}

func (s *Sessions) render(w http.ResponseWriter, status int, p loginPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginTemplate.Execute(w, p)
}

func (s *Sessions) goneText() string {
	return "This login link has expired or was already used. Send `" + s.command() + "` to the bot in a direct message for a new one."
}

func (s *Sessions) loginForm(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("uuid")
	l, err := s.Store.FindLoginLink(r.Context(), hashLink(id))
	switch {
	case opsgate.ErrorCode(err) == opsgate.ENOTFOUND || id == "":
		loginRefused("bad_link")
		s.render(w, http.StatusNotFound, loginPage{Error: "This login link is not valid.", Gone: true})
	case err != nil:
		loginRefused("internal")
		s.render(w, http.StatusInternalServerError, loginPage{Error: "Internal error.", Gone: true})
	case l.Used || !s.now().Before(l.ExpiresAt):
		loginRefused("expired_link")
		s.render(w, http.StatusGone, loginPage{Error: s.goneText(), Gone: true})
	default:
		s.render(w, http.StatusOK, loginPage{UUID: id, User: l.UserName})
	}
}

func (s *Sessions) loginSubmit(w http.ResponseWriter, r *http.Request, logger *slog.Logger) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		loginRefused("bad_form")
		s.render(w, http.StatusBadRequest, loginPage{Error: "Bad form.", Gone: true})
		return
	}
	id := r.PostForm.Get("uuid")
	hash := hashLink(id)
	l, err := s.Store.ClaimLoginLink(r.Context(), hash, s.now())
	switch opsgate.ErrorCode(err) {
	case "":
	case opsgate.ENOTFOUND:
		loginRefused("bad_link")
		s.render(w, http.StatusNotFound, loginPage{Error: "This login link is not valid.", Gone: true})
		return
	case opsgate.ECONFLICT:
		loginRefused("expired_link")
		s.render(w, http.StatusGone, loginPage{Error: s.goneText(), Gone: true})
		return
	default:
		logger.Error("st2 login: claim link", "err", err)
		loginRefused("internal")
		s.render(w, http.StatusInternalServerError, loginPage{Error: "Internal error.", Gone: true})
		return
	}
	cred, err := s.check(r.Context(), r.PostForm)
	if err != nil {
		maxA := s.MaxAttempts
		if maxA <= 0 {
			maxA = 3
		}
		if rerr := s.Store.ReleaseLoginLink(r.Context(), hash, maxA); rerr != nil {
			logger.Error("st2 login: release link", "err", rerr)
		}
		logger.Info("st2 login refused", "platform", l.Platform, "user_id", l.UserID, "err", err)
		loginRefused("bad_credentials")
		page := loginPage{UUID: id, User: l.UserName, Error: opsgate.ErrorMessage(err)}
		if l.Attempts+1 >= maxA {
			page = loginPage{Error: opsgate.ErrorMessage(err) + " " + s.goneText(), Gone: true}
		}
		s.render(w, http.StatusBadRequest, page)
		return
	}
	c := &opsgate.St2Credential{Platform: l.Platform, UserID: l.UserID, UserName: l.UserName, Kind: cred.Kind, St2User: cred.User,
		Sealed: s.Sealer.Seal([]byte(cred.Value), aad(l.Platform, l.UserID)), ExpiresAt: cred.Until, CreatedAt: s.now()}
	ctx := opsgate.NewContextWithActor(r.Context(), l.Platform+":"+l.UserID)
	if err := s.Store.SaveCredential(ctx, c); err != nil {
		logger.Error("st2 login: save credential", "err", err)
		loginRefused("internal")
		s.render(w, http.StatusInternalServerError, loginPage{Error: "Internal error.", Gone: true})
		return
	}
	logger.Info("st2 login", "platform", l.Platform, "user_id", l.UserID, "st2_user", cred.User, "kind", cred.Kind)
	if s.OnLogin != nil {
		s.OnLogin(ctx, l.Platform, l.UserID, cred.User)
	}
	done := "You are logged in to StackStorm"
	if cred.User != "" {
		done += " as " + cred.User
	}
	s.render(w, http.StatusOK, loginPage{Done: done + ". You can close this page."})
}

// check validates the submitted credentials with st2 and returns what to keep: a token (from a
// username/password, or given) or an API key. The password itself is never stored.
func (s *Sessions) check(ctx context.Context, f map[string][]string) (Credential, error) {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	refused := func(err error) error {
		if e, ok := err.(*APIError); ok && e.Status < 500 {
			return opsgate.Errorf(opsgate.EUNAUTHORIZED, "StackStorm refused these credentials: %s", e.Faultstring)
		}
		return opsgate.Errorf(opsgate.EUNAUTHORIZED, "StackStorm could not be reached; try again later.")
	}
	switch get("method") {
	case "password":
		user, pass := get("username"), f["password"]
		if user == "" || len(pass) == 0 || pass[0] == "" {
			return Credential{}, opsgate.Errorf(opsgate.EINVALID, "Enter your StackStorm username and password.")
		}
		tok, err := s.Client.CreateToken(ctx, TokenRequest{Username: user, Password: pass[0]})
		if err != nil {
			return Credential{}, refused(err)
		}
		return Credential{Kind: KindToken, Value: tok.Token, User: tok.User, Until: tok.Expiry}, nil
	case "token":
		tok := get("token")
		if tok == "" {
			return Credential{}, opsgate.Errorf(opsgate.EINVALID, "Enter a StackStorm token.")
		}
		valid, err := s.Client.ValidateToken(ctx, tok)
		if err != nil {
			return Credential{}, refused(err)
		}
		if !valid {
			return Credential{}, opsgate.Errorf(opsgate.EUNAUTHORIZED, "StackStorm refused this token: it is unknown or expired.")
		}
		c := Credential{Kind: KindToken, Value: tok}
		c.User, _ = s.Client.Whoami(ctx, &StaticAuth{Cred: c})
		return c, nil
	case "api_key":
		key := get("api_key")
		if key == "" {
			return Credential{}, opsgate.Errorf(opsgate.EINVALID, "Enter a StackStorm API key.")
		}
		c := Credential{Kind: KindAPIKey, Value: key}
		user, err := s.Client.Whoami(ctx, &StaticAuth{Cred: c})
		if e, ok := err.(*APIError); ok && e.Status == http.StatusNotFound {
			// st2 before 3.0 has no /user: any authenticated read proves the key.
			_, _, err = s.Client.ListAliases(ctx, &StaticAuth{Cred: c}, 1, 0)
		}
		if err != nil {
			return Credential{}, refused(err)
		}
		c.User = user
		return c, nil
	}
	return Credential{}, opsgate.Errorf(opsgate.EINVALID, "Choose how to log in.")
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>opsgate: StackStorm login</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:1rem}
label{display:block;margin:.5rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:.8rem;padding:.4rem 1rem}.error{color:#a00;font-weight:600}.done{color:#070;font-weight:600}
</style></head><body>
<h1>StackStorm login</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Done}}<p class="done">{{.Done}}</p>{{else if not .Gone}}
<p>Log in{{if .User}} for chat user <strong>{{.User}}</strong>{{end}} with one of the three forms below. opsgate keeps only
a StackStorm token or API key, encrypted; it never stores your password.</p>
<form method="post" action="login" autocomplete="off"><input type="hidden" name="uuid" value="{{.UUID}}">
<fieldset><legend>Username and password</legend>
<label for="username">Username</label><input type="text" id="username" name="username">
<label for="password">Password</label><input type="password" id="password" name="password">
<button type="submit" name="method" value="password">Log in</button></fieldset></form>
<form method="post" action="login" autocomplete="off"><input type="hidden" name="uuid" value="{{.UUID}}">
<fieldset><legend>Token</legend>
<label for="token">StackStorm token</label><input type="password" id="token" name="token">
<button type="submit" name="method" value="token">Use token</button></fieldset></form>
<form method="post" action="login" autocomplete="off"><input type="hidden" name="uuid" value="{{.UUID}}">
<fieldset><legend>API key</legend>
<label for="api_key">StackStorm API key</label><input type="password" id="api_key" name="api_key">
<button type="submit" name="method" value="api_key">Use API key</button></fieldset></form>
{{end}}
</body></html>
`))
