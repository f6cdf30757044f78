package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate/stackstorm"
	"github.com/opsgate/opsgate/webui"
)

// doctorTTL is how long the status page reuses StackStorm doctor's checks: each run logs in to
// st2 and opens its stream, too much for every page view.
const doctorTTL = 5 * time.Minute

// statusBoard collects what the platforms can tell about their health without calling their
// APIs: the status page reads it on every view.
type statusBoard struct {
	mu     sync.Mutex
	leases map[string]string // lease name → this replica's holder id
	parts  map[string]func(ctx context.Context) (ok bool, detail string)

	doctorMu     sync.Mutex
	doctorAt     time.Time
	doctorChecks []webui.Check
}

// lease records that this replica competes for the lease called name as holder.
func (b *statusBoard) lease(name, holder string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.leases == nil {
		b.leases = map[string]string{}
	}
	b.leases[name] = holder
}

// add gives platform's health line (the adapter knows it; nothing else does).
func (b *statusBoard) add(platform string, f func(ctx context.Context) (bool, string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.parts == nil {
		b.parts = map[string]func(context.Context) (bool, string){}
	}
	b.parts[platform] = f
}

func (b *statusBoard) part(platform string) func(context.Context) (bool, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.parts[platform]
}

func (b *statusBoard) holder(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leases[name]
}

// statusChecks answers the status page: the server's own health endpoints, each enabled platform,
// StackStorm's stream and its doctor's checks (cached for doctorTTL).
func (m *Main) statusChecks(ctx context.Context) []webui.Check {
	probe := func(name, path string) webui.Check {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(ctx, "GET", path, nil)
		m.HTTP.ServeHTTP(rec, req)
		return webui.Check{Name: name, OK: rec.Code == http.StatusOK, Detail: strings.TrimSpace(rec.Body.String())}
	}
	checks := []webui.Check{probe("database (readyz)", "/readyz"),
		{Name: "access grants loaded", OK: true, Detail: fmt.Sprintf("%d grants", m.Auth.Len())}}
	c := m.Config
	endpoint := func(path string) func() (bool, string) {
		return func() (bool, string) { return true, "receives at " + path }
	}
	var disabled []string
	for _, p := range []struct {
		name   string
		on     bool
		health func() (bool, string)
	}{
		{"slack", c.Slack.Enabled, func() (bool, string) {
			if c.Slack.AppToken != "" {
				return m.leaseCheck(ctx, "slack-socket-mode", "Socket Mode")
			}
			return true, "receives at /api/plugins/chatops/slack/"
		}},
		{"mattermost", c.Mattermost.Enabled, endpoint("/api/plugins/chatops/mattermost/")},
		{"teams", c.Teams.Enabled, endpoint("/api/plugins/chatops/ms_teams/messages/")},
		{"webex", c.Webex.Enabled, func() (bool, string) {
			if f := m.status.part("webex"); f != nil {
				return f(ctx)
			}
			return true, "receives at /api/plugins/chatops/webex/"
		}},
		{"discord", c.Discord.Enabled, endpoint("/api/plugins/chatops/discord/interactions/")},
		{"rocketchat", c.RocketChat.Enabled, endpoint("/api/plugins/chatops/rocketchat/")},
		{"xmpp", c.XMPP.Enabled, func() (bool, string) { return m.leaseCheck(ctx, "xmpp", "the XMPP connection") }},
		{"matrix", c.Matrix.Enabled, func() (bool, string) { return m.leaseCheck(ctx, "matrix-sync", "the Matrix sync loop") }},
		{"web chat", c.UI.Enabled, endpoint("/ui/chat")},
	} {
		if !p.on {
			disabled = append(disabled, p.name)
			continue
		}
		ok, detail := p.health()
		checks = append(checks, webui.Check{Name: "platform " + p.name, OK: ok, Detail: detail})
	}
	if len(disabled) > 0 {
		checks = append(checks, webui.Check{Name: "platforms disabled", OK: true, Detail: strings.Join(disabled, ", ")})
	}
	if c.StackStorm.Enabled {
		checks = append(checks, streamCheck(probe("StackStorm stream", "/stackstorm/health")))
		checks = append(checks, m.doctorChecks(ctx)...)
	} else {
		checks = append(checks, webui.Check{Name: "StackStorm", OK: true, Detail: "disabled"})
	}
	for i := range checks { // an adapter's error may quote a resolved secret
		checks[i].Detail = m.Redactor.Redact(checks[i].Detail)
	}
	return checks
}

// leaseCheck tells which replica holds the lease called name (a database read, no platform call).
func (m *Main) leaseCheck(ctx context.Context, name, what string) (bool, string) {
	holder, until, err := m.leaseHolder(ctx, name)
	switch {
	case err != nil:
		return false, "cannot read the lease " + name + ": " + err.Error()
	case holder == "" || !until.After(m.DB.Now()):
		return false, "no replica holds the lease " + name + " (" + what + " is starting or every replica is standing by)"
	case holder == m.status.holder(name):
		return true, what + " runs in this replica (lease " + name + " held by " + holder + ")"
	}
	return true, what + " runs in another replica (lease " + name + " held by " + holder + " until " + until.UTC().Format(time.RFC3339) + ")"
}

// doctorChecks are `opsgate stackstorm doctor`'s checks, run at most once per doctorTTL.
func (m *Main) doctorChecks(ctx context.Context) []webui.Check {
	b := &m.status
	b.doctorMu.Lock()
	defer b.doctorMu.Unlock()
	if b.doctorChecks != nil && time.Since(b.doctorAt) < doctorTTL {
		return b.doctorChecks
	}
	var out []webui.Check
	s, err := newStackStorm(m)
	if err != nil {
		out = []webui.Check{{Name: "StackStorm doctor", Detail: err.Error()}}
	} else {
		var buf bytes.Buffer
		_ = stackstorm.Doctor(ctx, s.client, s.cfg.route(), &buf) // the failures are in the lines
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				break // then the notify rule it prints
			}
			status, rest, _ := strings.Cut(line, " ")
			name, detail, _ := strings.Cut(strings.TrimSpace(rest), " ")
			out = append(out, webui.Check{Name: "StackStorm doctor: " + name, OK: status == "ok", Detail: strings.TrimSpace(detail)})
		}
	}
	at := time.Now()
	for i := range out {
		out[i].Detail += " (checked " + at.UTC().Format(time.RFC3339) + ")"
	}
	b.doctorAt, b.doctorChecks = at, out
	return out
}

// streamCheck words /stackstorm/health's JSON for people.
func streamCheck(c webui.Check) webui.Check {
	var h struct {
		Connected        bool   `json:"connected"`
		Event            string `json:"event"`
		Reconnects       int    `json:"reconnects"`
		Delivered        int    `json:"delivered"`
		LastAnnouncement string `json:"last_announcement"`
	}
	if json.Unmarshal([]byte(c.Detail), &h) != nil {
		return c
	}
	state := "not connected"
	if h.Connected {
		state = "connected"
	}
	c.Detail = fmt.Sprintf("%s, listening for %s; %d announcements delivered, %d reconnects", state, h.Event, h.Delivered, h.Reconnects)
	if h.LastAnnouncement != "" {
		c.Detail += ", the last at " + h.LastAnnouncement
	}
	return c
}
