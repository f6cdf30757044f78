package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	oslack "github.com/opsgate/opsgate/slack"
)

func init() {
	registerModule(module{Name: "slack", Order: 50, Setup: setupSlack})
}

// setupSlack serves Slack's HTTP endpoints (when a signing secret is set) and Socket Mode (when an
// app token is set), both feeding the pipeline. Nothing runs outside `serve`.
func setupSlack(ctx context.Context, m *Main) error {
	c := m.Config.Slack
	if !c.Enabled || !m.Serving {
		return nil
	}
	apiURL := c.APIURL
	if apiURL == "" {
		apiURL = slack.APIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	opts := []slack.Option{slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(&http.Client{Timeout: 15 * time.Second, Transport: kit.APITransport})}
	if c.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(c.AppToken))
	}
	api := slack.New(c.BotToken, opts...)
	botUser := c.BotUserID
	if botUser == "" {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		at, err := api.AuthTestContext(actx)
		cancel()
		if err != nil {
			// Not fatal: Slack may be briefly unreachable. Bot messages are still ignored by bot_id.
			m.Logger.Warn("slack: auth.test failed; set slack.bot_user_id", "err", err)
		} else {
			botUser = at.UserID
		}
	}
	secret := cmpStr(c.CallbackSecret, c.SigningSecret, c.BotToken)
	h := oslack.New(oslack.Options{
		SigningSecret: c.SigningSecret,
		Client:        api,
		APIURL:        apiURL,
		BotToken:      c.BotToken,
		Handle:        replyBeforeAck(m, slackAckWait),
		Callbacks:     callback.New([]byte(secret), "slack"),
		CommandPrefix: c.SlashCommandPrefix,
		BotUserID:     botUser,
		DeleteInput:   m.Config.DeleteInputOnSubmission,
		Claim: func(ctx context.Context, eventID string) (bool, error) {
			return m.claim(ctx, "slack-event", eventID, time.Now(), time.Hour)
		},
		// A signed slash command or interaction runs once, whichever replica a copy reaches; alone
		// on its database, this process knows from memory (m.replays).
		ClaimRequest: func(ctx context.Context, sig string) (bool, error) {
			return m.claim(ctx, "slack-request", sig, time.Now(), oslack.ReplayWindow)
		},
		Replays:  m.replays,
		Redactor: m.Announce.Redactor(),
		Plumbing: kit.Plumbing{Logger: m.Logger.With("platform", "slack")},
	})
	if c.SigningSecret != "" {
		h.Register(m.HTTP)
	}
	// StackStorm announcements and webhook posts for this platform.
	m.Announce.Register("slack", func(_ context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
		return h.Conversation(channel, user, private), nil
	})
	if c.AppToken != "" {
		// One Socket Mode connection across the replicas (issue 11). Slack gives each envelope
		// to one of an app's connections (at most 10), so more would be safe but buy nothing.
		m.runLeased("slack-socket-mode", func(ctx context.Context) error {
			return h.RunSocketMode(ctx, socketmode.New(api))
		})
	}
	return nil
}

// pipelineHandle adapts the pipeline to the platforms' handler: they only need it to accept the
// request; the pipeline replies through the dispatcher.
func pipelineHandle(m *Main) opsgate.RequestHandler {
	return func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
		if m.Queue != nil { // nats.url: any replica runs it, replying through m.Announce
			return m.Queue.Submit(ctx, req)
		}
		return m.Pipeline.Handle(ctx, req, out).Refused()
	}
}

// slackAckWait bounds how long a Slack request's acknowledgement waits for the command's replies:
// well within Slack's 3 seconds, with the pipeline's wait for room (1 s) before it.
const slackAckWait = time.Second

// replyBeforeAck is pipelineHandle for a platform that shows nothing for its acknowledgement
// (Slack's empty 200): the acknowledgement waits up to wait for the command's replies, as a
// hand-written bot does. A busy server's load then waits in the platform's connections, where the
// pipeline's admission can refuse it, instead of queueing behind work already acknowledged
// (under a closed loop that queue was most of every command's latency). A longer command is
// acknowledged at wait and replies when done. With NATS the acknowledgement means "stored", as before.
func replyBeforeAck(m *Main, wait time.Duration) opsgate.RequestHandler {
	queued := pipelineHandle(m)
	return func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
		if m.Queue != nil {
			return queued(ctx, req, out)
		}
		job := m.Pipeline.Handle(ctx, req, out)
		if job.Refused() == "" {
			t := ackTimers.Get().(*time.Timer)
			t.Reset(wait)
			select {
			case <-job.Done():
			case <-t.C:
			}
			t.Stop() // since Go 1.23 a stopped timer's channel holds nothing stale: it can be reused
			ackTimers.Put(t)
		}
		return job.Refused()
	}
}

// ackTimers are replyBeforeAck's timers, reused: a timer per request was three allocations.
var ackTimers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

func cmpStr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
