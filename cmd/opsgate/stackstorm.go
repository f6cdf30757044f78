package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/queue"
	"github.com/opsgate/opsgate/secret"
	"github.com/opsgate/opsgate/stackstorm"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/terminal"
)

func init() {
	registerModule(module{Name: "stackstorm", Order: 40, Setup: setupStackStorm})
	registerCLI(func(m *Main) *cobra.Command { return m.stackstormCommand() })
}

// knownPlatforms are the names recognised as a "platform:" prefix of st2 channels: the chat
// platforms the platform packages registered with the kit.
func knownPlatforms() []string { return kit.Names(kit.IsChat) }

// stackStorm is the wired integration.
type stackStorm struct {
	cfg      StackStormConfig
	client   *stackstorm.Client
	sessions *stackstorm.Sessions
	router   *stackstorm.Router
	stream   *stackstorm.Stream
	announce *kit.Targets // Main's, filled by the platform modules
	// posts carries announcements and webhook posts to the replica that posts them (nats.url).
	posts  *queue.Posts
	logger *slog.Logger
}

// newStackStorm builds the client and its credentials from the configuration.
func newStackStorm(m *Main) (*stackStorm, error) {
	cfg := m.Config.StackStorm
	for key, v := range map[string]string{"password": cfg.Password, "token": cfg.Token, "api_key": cfg.APIKey, "encryption_key": cfg.EncryptionKey} {
		if secret.HasRef(v) {
			return nil, fmt.Errorf("stackstorm.%s: the ${secret:...} reference was not resolved (configure secrets)", key)
		}
	}
	verify := cfg.VerifyCert == nil || *cfg.VerifyCert
	c := &stackstorm.Client{AuthURL: cfg.AuthURL, APIURL: cfg.APIURL, StreamURL: cfg.StreamURL}
	c.HTTP, c.StreamHTTP = stackstorm.NewHTTPClients(verify, cfg.timeout())
	switch {
	case cfg.APIKey != "":
		c.Auth = &stackstorm.StaticAuth{Cred: stackstorm.Credential{Kind: stackstorm.KindAPIKey, Value: cfg.APIKey}}
	case cfg.Token != "":
		c.Auth = &stackstorm.StaticAuth{Cred: stackstorm.Credential{Kind: stackstorm.KindToken, Value: cfg.Token}}
	default:
		c.Auth = &stackstorm.PasswordAuth{Client: c, Username: cfg.Username, Password: cfg.Password, TTL: cfg.TokenTTL.D()}
	}
	return &stackStorm{cfg: cfg, client: c, announce: &m.Announce, logger: m.Logger.With("component", "stackstorm")}, nil
}

func (s *stackStorm) limit(platform string) int {
	if n, ok := s.cfg.MessageLimits[platform]; ok {
		return n
	}
	return stackstorm.DefaultLimits[platform]
}

// targetFor finds where a goes: its platform, else the default platform, else the only platform
// this opsgate serves.
func (s *stackStorm) targetFor(a stackstorm.Announcement) (target kit.Opener, platform string, names []string) {
	platform = a.Platform
	if platform == "" {
		platform = s.cfg.DefaultPlatform
	}
	target, names = s.announce.Target(platform)
	if target == nil && platform == "" && len(names) == 1 {
		platform = names[0]
		target, _ = s.announce.Target(platform)
	}
	return target, platform, names
}

// route finds where a goes, or says (EINVALID) why it can go nowhere.
func (s *stackStorm) route(a stackstorm.Announcement) (kit.Opener, string, error) {
	target, platform, names := s.targetFor(a)
	if target == nil {
		return nil, "", opsgate.Errorf(opsgate.EINVALID, "No chat platform %q to post to (channel %q; available: %s). Prefix the channel with the platform, e.g. slack:C0123.",
			platform, a.Channel, strings.Join(names, ", "))
	}
	if a.Whisper && a.User == "" {
		return nil, "", opsgate.Errorf(opsgate.EINVALID, "A whisper needs a user.")
	}
	return target, platform, nil
}

// deliver posts an announcement on its platform: the channel, or the user in private for a
// whisper; split into several messages where the platform's size limit requires.
func (s *stackStorm) deliver(ctx context.Context, a stackstorm.Announcement) error {
	target, platform, err := s.route(a)
	if err != nil {
		return err
	}
	d, err := target(ctx, a.Channel, a.User, a.Whisper)
	if err != nil {
		return err
	}
	for _, msg := range a.Messages(platform, s.limit(platform), opsgate.RedactorOf(d)) {
		if _, err := d.Send(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

func setupStackStorm(ctx context.Context, m *Main) error {
	cfg := m.Config.StackStorm
	if !cfg.Enabled {
		return nil
	}
	s, err := newStackStorm(m)
	if err != nil {
		return err
	}
	s.sessions = &stackstorm.Sessions{Client: s.client, PublicURL: cfg.PublicURL, LinkTTL: cfg.LoginLinkTTL.D(),
		RequireLogin: cfg.RequireLogin, ServiceUser: cfg.ServiceUser, Username: cfg.Username, Password: cfg.Password, UserMap: cfg.UserMap,
		TrustUserNames: cfg.TrustUserNames,
		Command:        cfg.prefix() + "session"}
	if cfg.EncryptionKey != "" {
		key, err := stackstorm.ParseKey(cfg.EncryptionKey)
		if err != nil {
			return fmt.Errorf("stackstorm.encryption_key: %w", err)
		}
		if s.sessions.Sealer, err = stackstorm.NewSealer(key); err != nil {
			return err
		}
		s.sessions.Store = store.NewSt2Service(m.DB)
	}
	s.sessions.OnLogin = func(ctx context.Context, platform, userID, st2User string) {
		if target, _ := s.announce.Target(platform); target != nil {
			if d, err := target(ctx, "", userID, true); err == nil {
				_, _ = d.Send(ctx, opsgate.Textf("Your StackStorm commands now run as `%s`.", st2User))
			}
		}
	}
	s.router = &stackstorm.Router{Client: s.client, Prefix: cfg.prefix(), NotifyRoute: cfg.route(), Sessions: s.sessions, Limits: limitsOf(s)}
	m.Pipeline.AddRouter(s.router)
	m.AliasFallback = s.runAction

	if !m.Serving {
		// opsgate chat: announcements for the terminal print in the conversation.
		out := &terminal.Dispatcher{W: m.Stdout}
		m.Announce.Register("terminal", func(_ context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
			where := "#" + channel
			if private {
				where = "private to " + user
			}
			fmt.Fprintf(m.Stdout, "[st2 -> %s]\n", where)
			return out, nil
		})
	}
	login := s.sessions.LoginHandler(m.Logger)
	m.HTTP.HandleForm(stackstorm.LoginForm, "GET /stackstorm/login", login)
	m.HTTP.HandleForm(stackstorm.LoginForm, "POST /stackstorm/login", login)
	if cfg.PublicURL != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is the public URL.
		u, _ := url.Parse(cfg.PublicURL) // validated with the config
		if err := m.HTTP.TrustOrigin(u.Scheme + "://" + u.Host); err != nil {
			return fmt.Errorf("stackstorm.public_url: %w", err)
		}
	}
	// With NATS, announcements and webhook posts go through the post queue and one replica posts
	// each (posts.go); without, the replica that has one posts it.
	deliverWebhook, deliverStream := s.deliverOnce(m), s.deliver
	if m.Config.NATS.URL != "" && m.Serving {
		if s.posts, err = m.newPosts(s.postQueued); err != nil {
			return err
		}
		deliverWebhook, deliverStream = s.publishWebhook, s.publishAnnouncement
	}
	m.HTTP.Handle("POST /chatops/message", &stackstorm.Webhook{
		Verify: func(ctx context.Context, token string) (int64, error) {
			t, err := m.Tokens.VerifyToken(ctx, stackstorm.WebhookPlatform, token)
			if err != nil {
				return 0, err
			}
			return t.ID, nil
		},
		Deliver: deliverWebhook,
		Audit: func(ctx context.Context, id int64, a stackstorm.Announcement) error {
			doc := map[string]any{"platform": a.Platform, "channel": a.Channel, "user": a.User, "whisper": a.Whisper, "chars": len(a.Pretext) + len(a.Message)}
			return m.DB.Tx(ctx, func(tx *sql.Tx) error {
				return m.DB.Audit(ctx, tx, "post", "chatops_message", strconv.FormatInt(id, 10), nil, doc)
			})
		},
		Rate: cfg.WebhookRate, Burst: cfg.WebhookBurst, Logger: m.Logger, Platforms: knownPlatforms(), Guard: m.Guard,
	})

	s.stream = &stackstorm.Stream{Client: s.client, Route: cfg.route(), Deliver: deliverStream, Platforms: knownPlatforms(),
		Logger: m.Logger.With("component", "st2-stream"), HeartbeatTimeout: cfg.HeartbeatTimeout.D()}
	// Only a replica serving the announcement's platform claims (or queues) it (an `opsgate chat`
	// beside a `serve` must not take Slack's announcements, nor serve the terminal's).
	s.stream.Accepts = func(a stackstorm.Announcement) bool {
		target, _, _ := s.targetFor(a)
		return target != nil
	}
	if s.posts == nil { // with the queue, JetStream's duplicate window stores each event once
		claims := store.NewSt2Service(m.DB)
		s.stream.Claim = func(ctx context.Context, key string, at time.Time) (bool, error) {
			return claims.ClaimAnnouncement(ctx, key, at, 10*time.Minute)
		}
	}
	m.HTTP.Handle("GET /stackstorm/health", http.HandlerFunc(s.health))
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.stream.Run(sctx) }()
	m.OnStop(func(context.Context) error { cancel(); <-done; return nil })
	go s.checkRule(sctx, m)
	return nil
}

func limitsOf(s *stackStorm) map[string]int {
	out := map[string]int{}
	for k, v := range stackstorm.DefaultLimits {
		out[k] = v
	}
	for k, v := range s.cfg.MessageLimits {
		out[k] = v
	}
	return out
}

// checkRule warns at start-up when st2 has no notify rule for opsgate's route, showing the rule.
func (s *stackStorm) checkRule(ctx context.Context, m *Main) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rules, err := s.client.Rules(ctx, nil)
	if err != nil {
		m.Logger.Warn("stackstorm: cannot list rules to check the notify rule", "err", err)
		return
	}
	if err := stackstorm.CheckNotifyRule(rules, s.cfg.route()); err != nil {
		m.Logger.Warn("stackstorm: "+err.Error(), "expected_rule", stackstorm.NotifyRule(s.cfg.route()))
	}
}

// health is GET /stackstorm/health: 200 while the stream is connected, 503 otherwise, with the
// stream's state (when the last announcement arrived tells whether the route is right).
func (s *stackStorm) health(w http.ResponseWriter, _ *http.Request) {
	st := s.stream.Status()
	doc := map[string]any{"connected": st.Connected, "route": s.cfg.route(), "event": stackstorm.EventName(s.cfg.route()),
		"reconnects": st.Reconnects, "delivered": st.Delivered, "duplicates": st.Duplicates, "delivery_failures": st.DeliveryFailure}
	if !st.LastEvent.IsZero() {
		doc["last_announcement"] = st.LastEvent.UTC().Format(time.RFC3339)
	}
	if !st.LastLine.IsZero() {
		doc["last_heartbeat"] = st.LastLine.UTC().Format(time.RFC3339)
	}
	w.Header().Set("Content-Type", "application/json")
	if !st.Connected {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(doc)
}

func (m *Main) stackstormCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "stackstorm", Short: "StackStorm integration tools"}
	cmd.AddCommand(&cobra.Command{
		Use:   "doctor",
		Short: "Check st2's endpoints, the credentials and the stream; print the notify rule st2 needs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !m.Config.StackStorm.Enabled {
				return usageErrorf("stackstorm.enabled is false: nothing to check")
			}
			s, err := newStackStorm(m)
			if err != nil {
				return err
			}
			if err := stackstorm.Doctor(cmd.Context(), s.client, s.cfg.route(), m.Stdout); err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			return nil
		},
	})
	return cmd
}
