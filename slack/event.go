package slack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// ServeEvent handles the Events API: url_verification, and app_mention and direct messages
// (message.im), which run commands like a slash command does.
func (h *Handler) ServeEvent(w http.ResponseWriter, r *http.Request) {
	body, _, ok := h.readVerified(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "event body is not a valid Events API payload")
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		cr, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			refusals.Reject(w, http.StatusBadRequest, "malformed", "url_verification without a challenge")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, cr.Challenge)
	case slackevents.CallbackEvent:
		outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
		if !ok || outer.EventID == "" {
			refusals.Reject(w, http.StatusBadRequest, "malformed", "event_callback without an event_id")
			return
		}
		h.event(context.WithoutCancel(r.Context()), outer.EventID, ev)
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// event runs a verified event once per event_id (HTTP or Socket Mode). Slack retries deliveries
// it thinks failed; the retry carries the same event_id and must not run the command again.
func (h *Handler) event(ctx context.Context, eventID string, ev slackevents.EventsAPIEvent) {
	// A retry may reach another replica: the shared claim decides. If the database cannot answer,
	// the command runs rather than being lost (a rare double run beats a silent drop).
	if !h.seen.First(ctx, eventID) {
		refusals.Count("duplicate_event")
		return
	}
	req := &opsgate.Request{Platform: "slack", OrgID: ev.TeamID, ID: "slack-event:" + eventID}
	conv := &conversation{h: h}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" || e.User == h.BotUserID {
			return
		}
		req.ChannelID, req.UserID = e.Channel, e.User
		req.ThreadID = kit.FirstNonEmpty(e.ThreadTimeStamp, e.TimeStamp)
		req.Text = h.eventText(e.Text)
	case *slackevents.MessageEvent:
		if e.ChannelType != "im" || e.BotID != "" || e.SubType != "" || e.User == "" || e.User == h.BotUserID {
			return
		}
		req.ChannelID, req.UserID, req.Direct = e.Channel, e.User, true
		req.ChannelName = "directmessage"
		req.ThreadID = e.ThreadTimeStamp
		req.Text = h.eventText(e.Text)
	default:
		return
	}
	if req.Text == "" {
		return
	}
	conv.channel, conv.user, conv.thread = req.ChannelID, req.UserID, req.ThreadID
	h.Handle(ctx, req, conv)
}

var (
	leadingMention = regexp.MustCompile(`^\s*(<@[A-Z0-9]+>\s*)+`)
	slackLink      = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]+))?>`)
	unescaper      = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
)

// eventText turns a message as Slack formats it back into what the user typed: without the bot's
// mention or the slash-command prefix, with links unwrapped and entities unescaped.
func (h *Handler) eventText(s string) string {
	s = leadingMention.ReplaceAllString(s, "")
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		p := slackLink.FindStringSubmatch(m)
		if p[2] != "" {
			return p[2]
		}
		return strings.TrimPrefix(strings.TrimPrefix(p[1], "mailto:"), "@")
	})
	s = strings.TrimSpace(unescaper.Replace(s))
	return strings.TrimSpace(strings.TrimPrefix(s, h.CommandPrefix))
}
