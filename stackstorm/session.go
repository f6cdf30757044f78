package stackstorm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// Service-user modes: how a chat user maps to the st2 user a service account asks a token for.
const (
	ServiceUserOff      = ""         // no impersonation
	ServiceUserName     = "user"     // "user": <mapped name> (UserMap, else the chat user name)
	ServiceUserNickname = "nickname" // "impersonate_user": <chat user name>, "nickname_origin": <platform>
)

// Sessions decides whose st2 credentials run a chat user's command, and runs the login flow.
// In order: the user's own stored credential (from the login page), a token for the user from a
// service account (ServiceUser), or the bot's credentials, unless RequireLogin.
type Sessions struct {
	Client *Client
	Store  opsgate.St2CredentialService
	Sealer *Sealer
	// PublicURL is opsgate's external base URL; links are <PublicURL>/stackstorm/login?uuid=<uuid>.
	PublicURL string
	// LinkTTL is how long a login link works (default 10 minutes).
	LinkTTL time.Duration
	// MaxAttempts is how many refused submissions a link survives (default 3).
	MaxAttempts int
	// RequireLogin refuses commands from users with no credentials of their own instead of
	// running them as the bot.
	RequireLogin bool
	// ServiceUser, with the bot's Username/Password (a service account), asks st2 for each
	// user's own token. UserMap maps "<platform>:<user id>" or a chat user name to an st2 user.
	ServiceUser        string
	Username, Password string
	UserMap            map[string]string
	// TrustUserNames lets chat user names choose the st2 user (UserMap by name, the name itself,
	// nicknames). Off by default: users can rename themselves on most platforms, so only the
	// platform's immutable user id identifies them.
	TrustUserNames bool
	// OnLogin, when set, is told of a successful login (to confirm it in chat).
	OnLogin func(ctx context.Context, platform, userID, st2User string)
	// Command is the chat command that starts a login, named in messages (default "st2session").
	Command string
	Now     func() time.Time

	mu      sync.Mutex
	service map[string]*PasswordAuth
}

func (s *Sessions) command() string {
	if s.Command == "" {
		return "st2session"
	}
	return s.Command
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// AuthFor returns the credentials for req's user and whether they are the user's own (nil: the bot's).
func (s *Sessions) AuthFor(ctx context.Context, req *opsgate.Request) (Auth, bool, error) {
	if s.Store != nil && s.Sealer != nil {
		c, err := s.Store.FindCredential(ctx, req.Platform, req.UserID)
		switch {
		case err == nil:
			if !c.ExpiresAt.IsZero() && !s.now().Before(c.ExpiresAt) {
				return nil, true, opsgate.Errorf(opsgate.EUNAUTHORIZED,
					"Your StackStorm session expired at %s. Send me `%s` in a direct message to log in again.",
					c.ExpiresAt.UTC().Format(time.RFC3339), s.command())
			}
			plain, err := s.Sealer.Open(c.Sealed, aad(c.Platform, c.UserID))
			if err != nil {
				return nil, true, fmt.Errorf("stackstorm: open credential of %s:%s: %w", c.Platform, c.UserID, err)
			}
			return &StaticAuth{Cred: Credential{Kind: c.Kind, Value: string(plain), User: c.St2User, Until: c.ExpiresAt}}, true, nil
		case opsgate.ErrorCode(err) != opsgate.ENOTFOUND:
			return nil, false, err
		}
	}
	if s.ServiceUser != ServiceUserOff {
		if a := s.serviceAuth(req); a != nil {
			return a, true, nil
		}
		return nil, false, opsgate.Errorf(opsgate.EUNAUTHORIZED,
			"No StackStorm user is mapped to your chat account (%s). Ask your administrator to add it to stackstorm.user_map, or send me `%s` in a direct message to log in.",
			JoinChannel(req.Platform, req.UserID), s.command())
	}
	if s.RequireLogin {
		return nil, false, opsgate.Errorf(opsgate.EUNAUTHORIZED,
			"StackStorm commands run with your own StackStorm account: send me `%s` in a direct message to log in.", s.command())
	}
	return nil, false, nil
}

// st2User maps a chat user to an st2 user name ("" when none is mapped): by "<platform>:<user id>",
// and only with TrustUserNames by chat user name, or as the name itself.
func (s *Sessions) st2User(req *opsgate.Request) string {
	if u := s.UserMap[JoinChannel(req.Platform, req.UserID)]; u != "" {
		return u
	}
	if !s.TrustUserNames {
		return ""
	}
	if u := s.UserMap[req.UserName]; u != "" {
		return u
	}
	return req.UserName
}

// serviceAuth returns the service account's credentials for req's user, nil when no st2 user can
// be named for them. Nicknames are the platform user id unless TrustUserNames.
func (s *Sessions) serviceAuth(req *opsgate.Request) Auth {
	user, origin := s.st2User(req), ""
	if s.ServiceUser == ServiceUserNickname {
		user, origin = req.UserID, req.Platform
		if s.TrustUserNames {
			user = req.UserName
		}
	}
	if user == "" {
		return nil
	}
	key := origin + "\x00" + user
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.service == nil {
		s.service = map[string]*PasswordAuth{}
	}
	a := s.service[key]
	if a == nil {
		a = &PasswordAuth{Client: s.Client, Username: s.Username, Password: s.Password, Impersonate: user, NicknameOrigin: origin}
		s.service[key] = a
	}
	return a
}

func aad(platform, userID string) []byte { return []byte("opsgate-st2:" + platform + ":" + userID) }

func hashLink(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// newUUID returns a random (version 4) UUID: 122 random bits, the link's only secret.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// NewLink creates a one-time login link for req's user.
func (s *Sessions) NewLink(ctx context.Context, req *opsgate.Request) (link string, expires time.Time, err error) {
	if s.PublicURL == "" || s.Store == nil || s.Sealer == nil {
		return "", time.Time{}, opsgate.Errorf(opsgate.EINVALID, "StackStorm logins are not configured (stackstorm.public_url and stackstorm.encryption_key).")
	}
	now := s.now()
	_ = s.Store.DeleteExpiredLoginLinks(ctx, now.Add(-24*time.Hour))
	id := newUUID()
	l := &opsgate.St2LoginLink{Hash: hashLink(id), Platform: req.Platform, UserID: req.UserID, UserName: req.UserName,
		CreatedAt: now, ExpiresAt: now.Add(durationOr(s.LinkTTL, 10*time.Minute))}
	if err := s.Store.CreateLoginLink(ctx, l); err != nil {
		return "", time.Time{}, err
	}
	return strings.TrimRight(s.PublicURL, "/") + "/stackstorm/login?" + url.Values{"uuid": {id}}.Encode(), l.ExpiresAt, nil
}

// session is the <prefix>session command.
func (r *Router) session(ctx context.Context, inv *opsgate.Invocation, sub string) error {
	s, req := r.Sessions, inv.Request
	switch sub {
	case "end":
		err := s.Store.DeleteCredential(ctx, req.Platform, req.UserID)
		if opsgate.ErrorCode(err) == opsgate.ENOTFOUND {
			_, err = inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: "You have no StackStorm session."}}})
			return err
		} else if err != nil {
			return err
		}
		_, err = inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: "Your StackStorm credentials are deleted."}}})
		return err
	case "status":
		c, err := s.Store.FindCredential(ctx, req.Platform, req.UserID)
		text := ""
		switch {
		case opsgate.ErrorCode(err) == opsgate.ENOTFOUND:
			text = "You have no StackStorm session: your commands run as the bot's StackStorm user."
			if s.RequireLogin {
				text = "You have no StackStorm session."
			}
		case err != nil:
			return err
		default:
			text = fmt.Sprintf("Your StackStorm commands run as `%s` (%s)", cmpOr(c.St2User, "unknown user"), strings.ReplaceAll(c.Kind, "_", " "))
			if !c.ExpiresAt.IsZero() {
				text += ", until " + c.ExpiresAt.UTC().Format(time.RFC3339)
			}
			text += "."
		}
		_, err = inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: text}}})
		return err
	}
	if !req.Direct {
		return opsgate.Errorf(opsgate.EINVALID, "Ask me for a StackStorm session in a direct message.")
	}
	link, exp, err := s.NewLink(ctx, req)
	if err != nil {
		return err
	}
	_, err = inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: fmt.Sprintf(
		"Log in to StackStorm here (the link works once, until %s): %s", exp.UTC().Format("15:04 MST"), link)}}})
	return err
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
