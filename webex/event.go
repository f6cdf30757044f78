package webex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Platform is the name requests from Webex carry.
const Platform = "webex"

// Envelope is the JSON body of a webhook delivery. Data holds ids only: Webex never puts message
// content into a webhook, so it is fetched with the bot's token.
type Envelope struct {
	ID        string `json:"id"` // the webhook's id
	Name      string `json:"name"`
	TargetURL string `json:"targetUrl"`
	Resource  string `json:"resource"` // "messages" or "attachmentActions"
	Event     string `json:"event"`    // "created"
	// OrgID is the organization of the webhook's owner (the bot), per Webex's documentation.
	OrgID   string `json:"orgId"`
	ActorID string `json:"actorId"`
	Data    struct {
		ID          string `json:"id"`
		RoomID      string `json:"roomId"`
		RoomType    string `json:"roomType"`
		PersonID    string `json:"personId"`
		PersonEmail string `json:"personEmail"`
		MessageID   string `json:"messageId"` // attachment actions: the message holding the card
	} `json:"data"`
}

// ParseEnvelope decodes a webhook body. Returns EINVALID with a one-line message when it is not
// a messages or attachmentActions "created" event with a data id.
func ParseEnvelope(body []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "webhook body is not JSON")
	}
	if e.Event != "created" || (e.Resource != "messages" && e.Resource != "attachmentActions") {
		return nil, opsgate.Errorf(opsgate.EINVALID, "webhook for %.40q/%.40q is not one opsgate handles", e.Resource, e.Event)
	}
	if e.Data.ID == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "webhook carries no data.id")
	}
	return &e, nil
}

// Person is a Webex person; GET /people/me answers the bot's.
type Person struct {
	ID          string   `json:"id"`
	Emails      []string `json:"emails"`
	DisplayName string   `json:"displayName"`
	NickName    string   `json:"nickName"`
	FirstName   string   `json:"firstName"`
	OrgID       string   `json:"orgId"`
	Type        string   `json:"type"`
}

// Message is a Webex message as GET /messages/{id} answers it.
type Message struct {
	ID              string       `json:"id"`
	ParentID        string       `json:"parentId"`
	RoomID          string       `json:"roomId"`
	RoomType        string       `json:"roomType"` // "direct" or "group"
	Text            string       `json:"text"`
	Markdown        string       `json:"markdown"`
	HTML            string       `json:"html"`
	PersonID        string       `json:"personId"`
	PersonEmail     string       `json:"personEmail"`
	MentionedPeople []string     `json:"mentionedPeople"`
	Attachments     []Attachment `json:"attachments"`
	Created         time.Time    `json:"created"`
}

// AttachmentAction is a card submission: Action.Submit's data merged with the card's inputs.
type AttachmentAction struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	MessageID string         `json:"messageId"`
	Inputs    map[string]any `json:"inputs"`
	PersonID  string         `json:"personId"`
	RoomID    string         `json:"roomId"`
	Created   time.Time      `json:"created"`
}

// MessageRequest turns a messages/created webhook into a request: it fetches the message and
// strips the bot's mention. It returns nil (and no error) for the bot's own messages, which Webex
// delivers too; the envelope's personId is checked first so they cost no fetch. /people/me is
// called once per Client, however many events arrive.
func (c *Client) MessageRequest(ctx context.Context, e *Envelope) (*opsgate.Request, error) {
	me, err := c.Me(ctx)
	if err != nil {
		return nil, err
	}
	if e.Data.PersonID == me.ID {
		return nil, nil
	}
	m, err := c.Message(ctx, e.Data.ID)
	if err != nil {
		return nil, err
	}
	if m.PersonID == me.ID {
		return nil, nil
	}
	if err := c.fresh(m.Created); err != nil {
		return nil, err
	}
	thread := m.ParentID
	if thread == "" {
		thread = m.ID // a reply to a top-level message starts its thread
	}
	return &opsgate.Request{
		Platform: Platform, OrgID: e.OrgID, ChannelID: m.RoomID, UserID: m.PersonID, UserName: m.PersonEmail,
		Direct: m.RoomType == "direct", ThreadID: thread, Text: stripMention(m, me), ID: kit.Prefixed("webex-message:", m.ID),
	}, nil
}

// ErrStale is returned for a delivery whose message or card submission is older than
// Client.MaxAge: Webex signs no timestamp, so a captured delivery could otherwise be replayed
// once its id has left the deduplication memory.
var ErrStale = opsgate.Errorf(opsgate.EINVALID, "the delivery's message is older than opsgate remembers deliveries")

func (c *Client) fresh(created time.Time) error {
	if c.MaxAge <= 0 {
		return nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if created.IsZero() || created.Before(now().Add(-c.MaxAge)) {
		return ErrStale
	}
	return nil
}

var mentionRE = regexp.MustCompile(`(?s)<spark-mention\b([^>]*)>(.*?)</spark-mention>`)
var objectIDRE = regexp.MustCompile(`data-object-id\s*=\s*"([^"]*)"`)

// stripMention removes the bot's mention from the message text. Webex writes a mention into text
// as the name shown in the client (which the user may have shortened), and into html as a
// <spark-mention> whose data-object-id is the bot's uuid or API id; failing that, the bot's
// names at the start of text in a group space are taken as the mention.
func stripMention(m *Message, me *Person) string {
	text := strings.TrimSpace(m.Text)
	for _, mm := range mentionRE.FindAllStringSubmatch(m.HTML, -1) {
		id := objectIDRE.FindStringSubmatch(mm[1])
		if id == nil || !isMe(id[1], me.ID) {
			continue
		}
		name := strings.TrimSpace(html.UnescapeString(stripTags(mm[2])))
		if name == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(text, name); ok {
			return strings.TrimSpace(rest)
		}
		if i := strings.Index(text, name); i >= 0 {
			return strings.TrimSpace(strings.TrimRight(text[:i], " ") + " " + strings.TrimLeft(text[i+len(name):], " "))
		}
	}
	if m.RoomType == "group" {
		for _, name := range []string{me.DisplayName, me.NickName, me.FirstName} {
			if name == "" {
				continue
			}
			if rest, ok := strings.CutPrefix(text, name); ok && (rest == "" || rest[0] == ' ' || rest[0] == ',' || rest[0] == ':') {
				return strings.TrimSpace(strings.TrimLeft(rest, ",:"))
			}
		}
	}
	return text
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

func stripTags(s string) string { return tagRE.ReplaceAllString(s, "") }

// isMe reports whether a spark-mention's data-object-id names the bot: Webex writes either the
// API id (base64 of ciscospark://us/PEOPLE/<uuid>) or the bare uuid.
func isMe(objectID, botID string) bool {
	if objectID == botID {
		return true
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding, base64.StdEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(botID); err == nil {
			s := string(b)
			return strings.EqualFold(s[strings.LastIndexByte(s, '/')+1:], objectID)
		}
	}
	return false
}

// Submission is a card submission turned into what the pipeline needs: who and where (Request,
// without text: the signed token decides what runs), the message holding the card, and the answer.
type Submission struct {
	Request   opsgate.Request
	MessageID string
	Answer    Answer
}

// ActionSubmission turns an attachmentActions/created webhook into a Submission: it fetches the
// action and decodes its inputs. Returns EINVALID when the inputs carry no opsgate token.
func (c *Client) ActionSubmission(ctx context.Context, e *Envelope) (*Submission, error) {
	a, err := c.AttachmentAction(ctx, e.Data.ID)
	if err != nil {
		return nil, err
	}
	if err := c.fresh(a.Created); err != nil {
		return nil, err
	}
	ans, err := DecodeInputs(a.Inputs)
	if err != nil {
		return nil, err
	}
	return &Submission{
		Request:   opsgate.Request{Platform: Platform, OrgID: e.OrgID, ChannelID: a.RoomID, UserID: a.PersonID},
		MessageID: a.MessageID, Answer: *ans,
	}, nil
}

// Answer is what a card submission carries.
type Answer struct {
	// Token is the signed callback token of the pressed action.
	Token string
	// Values are the answer: the chosen or typed value of a menu or text prompt, or each dialog
	// field in order; none for a button or Cancel.
	Values []string
	// Page is set for Next/Previous on a paged menu: show the menu again at the token's offset.
	Page bool
}

// Input and data keys opsgate's cards use (short: they are repeated in every submission).
const (
	keyToken = "og" // Action.Submit data: the signed callback token
	keyValue = "v"  // the menu choice or text prompt input; a choice button's data
	keyPage  = "p"  // Action.Submit data of Next/Previous
	keyField = "f"  // dialog inputs f0, f1, ...
	maxField = 100  // a dialog never has more fields than this
	maxInput = 4096 // bytes of one input opsgate accepts
)

// DecodeInputs reads an attachment action's inputs. Webex sends inputs as strings; anything else
// is refused with EINVALID and a one-line message.
func DecodeInputs(in map[string]any) (*Answer, error) {
	str := func(k string) (string, bool, error) {
		v, ok := in[k]
		if !ok {
			return "", false, nil
		}
		s, isStr := v.(string)
		if !isStr {
			return "", true, opsgate.Errorf(opsgate.EINVALID, "card input %q is not a string", k)
		}
		if len(s) > maxInput {
			return "", true, opsgate.Errorf(opsgate.EINVALID, "card input %q is longer than %d bytes", k, maxInput)
		}
		return s, true, nil
	}
	tok, ok, err := str(keyToken)
	if err != nil {
		return nil, err
	}
	if !ok || tok == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "card submission carries no opsgate token")
	}
	a := &Answer{Token: tok}
	if _, ok := in[keyPage]; ok {
		a.Page = true
		return a, nil
	}
	if v, ok, err := str(keyValue); err != nil {
		return nil, err
	} else if ok {
		a.Values = []string{v}
		return a, nil
	}
	for i := 0; i < maxField; i++ {
		v, ok, err := str(fmt.Sprintf("%s%d", keyField, i))
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		a.Values = append(a.Values, v)
	}
	return a, nil
}
