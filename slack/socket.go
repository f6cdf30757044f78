package slack

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode receives Slack's requests over a Socket Mode connection (app token, no public URL
// needed) and answers them with the same code as the HTTP endpoints. It blocks until ctx ends.
// Slack authenticates the connection, so envelopes carry no signature to check.
func (h *Handler) RunSocketMode(ctx context.Context, client *socketmode.Client) error {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				// Each on its own, as HTTP requests are: a command's acknowledgement may wait for
				// its reply (cmd/opsgate's replyBeforeAck), which must not hold up the next envelope.
				go h.socketEvent(ctx, client, evt)
			}
		}
	}()
	return client.RunContext(ctx)
}

func (h *Handler) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			client.Ack(*evt.Request)
			return
		}
		// The ack waits for the reply at most a second (then the run goes on); a refusal
		// (overloaded) travels in it, as it does in the HTTP answer.
		if refusal := h.slashCommand(ctx, &sc); refusal != "" {
			client.Ack(*evt.Request, map[string]string{"response_type": "ephemeral", "text": refusal})
			return
		}
		client.Ack(*evt.Request)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			client.Ack(*evt.Request)
			return
		}
		out := h.interaction(ctx, &cb)
		if out.reason != "" {
			refusals.Count(out.reason)
		}
		if out.body != nil {
			client.Ack(*evt.Request, out.body)
		} else {
			client.Ack(*evt.Request)
		}
	case socketmode.EventTypeEventsAPI:
		client.Ack(*evt.Request)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		if outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && outer.EventID != "" {
			h.event(ctx, outer.EventID, ev)
		}
	}
}
