package stackstorm

import (
	"encoding/json"
	"strings"
)

// Announcement is one message st2 (chatops.post_message / post_result, or the webhook) wants posted.
type Announcement struct {
	// ID is the stream event id when st2 sent one ("" otherwise: st2 does not number its events).
	ID string
	// Key names the announcement alike on every replica that receives it: the stream's event key
	// ("id:<event id>", else "sha:<hash of the event>"), or the webhook client's Idempotency-Key
	// ("webhook:token-<id>:<key>"; "" without one). A queue stores one announcement per key.
	Key string
	// Platform is where to post: taken from a "platform:" prefix of the channel (opsgate sends
	// source_channel as "<platform>:<channel id>"), else "" for the default platform.
	Platform string
	Channel  string
	User     string
	Whisper  bool
	// Pretext is the part of the message before the first "{~}" (empty when there is none);
	// Message is the rest. hubot-stackstorm's convention, used by chatops.post_result formats.
	Pretext string
	Message string
	// Extra is the payload's "extra": platforms use Extra[platform] (e.g. Slack attachments/blocks).
	Extra   map[string]any
	Context map[string]any
}

// PretextSeparator splits an st2 chat message into pretext and body.
const PretextSeparator = "{~}"

// announcementPayload is the JSON of an st2.announcement__<route> event's "payload" and of the webhook body.
type announcementPayload struct {
	Channel string         `json:"channel"`
	Message string         `json:"message"`
	User    string         `json:"user"`
	Whisper bool           `json:"whisper"`
	Extra   map[string]any `json:"extra"`
	Context map[string]any `json:"context"`
}

func (p *announcementPayload) announcement(platforms []string) Announcement {
	a := Announcement{User: p.User, Whisper: p.Whisper, Extra: p.Extra, Context: p.Context}
	a.Platform, a.Channel = SplitChannel(p.Channel, platforms)
	a.Pretext, a.Message = SplitPretext(p.Message)
	if a.Platform != "" {
		// The user was sent with the same platform prefix as the channel, or bare.
		if pl, u := SplitChannel(a.User, platforms); pl == a.Platform {
			a.User = u
		}
	}
	return a
}

// parseEvent decodes the data of an st2.announcement__<route> event: {"payload": {...}, "trace_context": ...}.
func parseEvent(data []byte, platforms []string) (Announcement, error) {
	var ev struct {
		Payload announcementPayload `json:"payload"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return Announcement{}, err
	}
	return ev.Payload.announcement(platforms), nil
}

// SplitPretext splits st2's "pretext{~}message" form.
func SplitPretext(s string) (pretext, message string) {
	if p, m, ok := strings.Cut(s, PretextSeparator); ok {
		return strings.TrimSpace(p), strings.TrimLeft(m, "\n")
	}
	return "", s
}

// SplitChannel splits "platform:id" when platform is one of platforms; otherwise it returns ("", s).
func SplitChannel(s string, platforms []string) (platform, id string) {
	if p, rest, ok := strings.Cut(s, ":"); ok {
		for _, known := range platforms {
			if p == known {
				return p, rest
			}
		}
	}
	return "", s
}

// JoinChannel is the inverse of SplitChannel: what opsgate sends st2 as source_channel.
func JoinChannel(platform, id string) string { return platform + ":" + id }
