package webexfake

import "encoding/json"

// The JSON shapes of Webex's REST API (developer.webex.com, v1), kept apart from package webex
// so the stand-in checks opsgate's client rather than mirroring it.

// Person is a Webex person (GET /people/me answers one for the bot).
type Person struct {
	ID          string   `json:"id"`
	Emails      []string `json:"emails"`
	DisplayName string   `json:"displayName"`
	NickName    string   `json:"nickName,omitempty"`
	FirstName   string   `json:"firstName,omitempty"`
	LastName    string   `json:"lastName,omitempty"`
	OrgID       string   `json:"orgId"`
	Created     string   `json:"created"`
	Type        string   `json:"type"` // "person" or "bot"
}

// Message is a Webex message.
type Message struct {
	ID              string       `json:"id"`
	ParentID        string       `json:"parentId,omitempty"`
	RoomID          string       `json:"roomId"`
	RoomType        string       `json:"roomType"` // "direct" or "group"
	ToPersonID      string       `json:"toPersonId,omitempty"`
	ToPersonEmail   string       `json:"toPersonEmail,omitempty"`
	Text            string       `json:"text,omitempty"`
	Markdown        string       `json:"markdown,omitempty"`
	HTML            string       `json:"html,omitempty"`
	Files           []string     `json:"files,omitempty"`
	PersonID        string       `json:"personId"`
	PersonEmail     string       `json:"personEmail"`
	MentionedPeople []string     `json:"mentionedPeople,omitempty"`
	Attachments     []Attachment `json:"attachments,omitempty"`
	Created         string       `json:"created"`
}

// Attachment is a message attachment: an Adaptive Card.
type Attachment struct {
	ContentType string          `json:"contentType"`
	Content     json.RawMessage `json:"content"`
}

// CardContentType is the only attachment content type Webex accepts.
const CardContentType = "application/vnd.microsoft.card.adaptive"

// Action is an attachment action: a press of an Action.Submit on a card.
type Action struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"` // "submit"
	MessageID string         `json:"messageId"`
	Inputs    map[string]any `json:"inputs"`
	PersonID  string         `json:"personId"`
	RoomID    string         `json:"roomId"`
	Created   string         `json:"created"`
}

// Webhook is a registered webhook.
type Webhook struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	TargetURL string `json:"targetUrl"`
	Resource  string `json:"resource"`
	Event     string `json:"event"`
	Filter    string `json:"filter,omitempty"`
	Secret    string `json:"secret,omitempty"`
	Status    string `json:"status"`
	Created   string `json:"created"`
	OrgID     string `json:"orgId,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"`
	AppID     string `json:"appId,omitempty"`
	OwnedBy   string `json:"ownedBy,omitempty"`
}

// Envelope is the body of a webhook delivery: the webhook's fields, the actor, and data that
// holds only ids (Webex never sends message content in a webhook).
type Envelope struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	TargetURL string `json:"targetUrl"`
	Resource  string `json:"resource"`
	Event     string `json:"event"`
	OrgID     string `json:"orgId"`
	CreatedBy string `json:"createdBy"`
	AppID     string `json:"appId"`
	OwnedBy   string `json:"ownedBy"`
	Status    string `json:"status"`
	Created   string `json:"created"`
	ActorID   string `json:"actorId"`
	Data      any    `json:"data"`
}

// apiError is Webex's error body.
type apiError struct {
	Message    string        `json:"message"`
	Errors     []errorDetail `json:"errors"`
	TrackingID string        `json:"trackingId"`
}

type errorDetail struct {
	Description string `json:"description"`
}
