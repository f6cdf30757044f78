package teams

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Platform is the name requests from Teams carry.
const Platform = "teams"

// MaxActivityBytes bounds an incoming activity body; Teams messages are at most about 100 KB.
const MaxActivityBytes = 256 << 10

// Activity is a Bot Framework activity, with the fields opsgate reads or writes.
type Activity struct {
	Type         string               `json:"type"`
	ID           string               `json:"id,omitempty"`
	Timestamp    string               `json:"timestamp,omitempty"`
	ServiceURL   string               `json:"serviceUrl,omitempty"`
	ChannelID    string               `json:"channelId,omitempty"`
	From         *ChannelAccount      `json:"from,omitempty"`
	Conversation *ConversationAccount `json:"conversation,omitempty"`
	Recipient    *ChannelAccount      `json:"recipient,omitempty"`
	TextFormat   string               `json:"textFormat,omitempty"`
	Text         string               `json:"text,omitempty"`
	Summary      string               `json:"summary,omitempty"`
	Locale       string               `json:"locale,omitempty"`
	ReplyToID    string               `json:"replyToId,omitempty"`
	Entities     []Entity             `json:"entities,omitempty"`
	Attachments  []Attachment         `json:"attachments,omitempty"`
	ChannelData  *ChannelData         `json:"channelData,omitempty"`
	Value        json.RawMessage      `json:"value,omitempty"`
	Name         string               `json:"name,omitempty"`
}

// Activity types opsgate handles or sends.
const (
	TypeMessage = "message"
	TypeTyping  = "typing"
)

// ChannelAccount is a user or bot.
type ChannelAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
	Role        string `json:"role,omitempty"`
}

// ConversationAccount is a conversation: personal (1:1), groupChat or channel.
type ConversationAccount struct {
	ID               string `json:"id"`
	Name             string `json:"name,omitempty"`
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
}

// Entity is an activity entity; opsgate reads mentions.
type Entity struct {
	Type      string          `json:"type"`
	Mentioned *ChannelAccount `json:"mentioned,omitempty"`
	Text      string          `json:"text,omitempty"`
}

// Attachment is a card (or file) attached to an activity.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     any    `json:"content,omitempty"`
}

// ChannelData is Teams' own part of an activity.
type ChannelData struct {
	Tenant  *IDName `json:"tenant,omitempty"`
	Team    *IDName `json:"team,omitempty"`
	Channel *IDName `json:"channel,omitempty"`
}

// IDName is a Teams tenant, team or channel.
type IDName struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// ParseActivity decodes an activity body, refusing one without the fields verification and
// replies need.
func ParseActivity(body []byte) (*Activity, error) {
	if len(body) > MaxActivityBytes {
		return nil, opsgate.Errorf(opsgate.EINVALID, "activity is larger than %d bytes", MaxActivityBytes)
	}
	var a Activity
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "activity is not valid JSON")
	}
	if a.Type == "" || a.ServiceURL == "" || a.Conversation == nil || a.Conversation.ID == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "activity lacks type, serviceUrl or conversation.id")
	}
	return &a, nil
}

// TenantID is the activity's tenant: channelData.tenant.id, else conversation.tenantId.
func (a *Activity) TenantID() string {
	if a.ChannelData != nil && a.ChannelData.Tenant != nil && a.ChannelData.Tenant.ID != "" {
		return a.ChannelData.Tenant.ID
	}
	if a.Conversation != nil {
		return a.Conversation.TenantID
	}
	return ""
}

// ChannelKey is the conversation the grants apply to: conversation.id without the
// ";messageid=..." Teams appends for a thread in a channel, so one grant covers every thread.
func (a *Activity) ChannelKey() string {
	id := a.Conversation.ID
	if i := strings.Index(id, ";messageid="); i >= 0 {
		return id[:i]
	}
	return id
}

// Request turns a verified message activity into an opsgate request: organization = tenant,
// channel = conversation, user = the Entra object id (from.aadObjectId).
func Request(a *Activity) (*opsgate.Request, error) {
	if a.From == nil || a.From.AADObjectID == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "activity has no from.aadObjectId")
	}
	r := &opsgate.Request{
		Platform:  Platform,
		OrgID:     a.TenantID(),
		ChannelID: a.ChannelKey(),
		UserID:    a.From.AADObjectID,
		UserName:  a.From.Name,
		Direct:    a.Conversation.ConversationType == "personal",
		Text:      StripMentions(a),
		ID:        kit.Prefixed("teams-activity:", a.ID),
	}
	r.ChannelName = a.Conversation.Name
	if a.ChannelData != nil {
		if a.ChannelData.Channel != nil && a.ChannelData.Channel.Name != "" {
			r.ChannelName = a.ChannelData.Channel.Name
		}
		if a.ChannelData.Team != nil {
			r.OrgName = a.ChannelData.Team.Name
		}
	}
	if r.ChannelID != a.Conversation.ID {
		r.ThreadID = a.Conversation.ID
	}
	return r, nil
}

var atTag = regexp.MustCompile(`(?s)<at>(.*?)</at>`)

// StripMentions returns the text without mentions of the bot (the recipient): the entity texts
// of mentions naming the bot, and any <at>..</at> tag leading the text when Teams sent no
// entities. Mentions of other people keep their name, without the tags.
func StripMentions(a *Activity) string {
	text := strings.ReplaceAll(a.Text, "&nbsp;", " ")
	bot := ""
	if a.Recipient != nil {
		bot = a.Recipient.ID
	}
	found := false
	for _, e := range a.Entities {
		if e.Type != "mention" || e.Mentioned == nil || e.Text == "" {
			continue
		}
		found = true
		if e.Mentioned.ID == bot {
			text = cut(text, e.Text)
		}
	}
	if !found {
		for {
			t := strings.TrimSpace(text)
			m := atTag.FindStringIndex(t)
			if m == nil || m[0] != 0 {
				break
			}
			text = t[m[1]:]
		}
	}
	text = atTag.ReplaceAllString(text, "$1")
	return strings.TrimSpace(text)
}

// cut removes every occurrence of mention with the blanks around it, leaving one space.
func cut(text, mention string) string {
	for {
		i := strings.Index(text, mention)
		if i < 0 {
			return text
		}
		before := strings.TrimRight(text[:i], " \t\n")
		after := strings.TrimLeft(text[i+len(mention):], " \t\n")
		text = before + " " + after
	}
}

// Submission is what a submitted card carries: the signed callback token opsgate put into the
// action's data, and the values of the card's inputs.
type Submission struct {
	Token string
	// Value is the menu choice or the text answer.
	Value string
	// Fields are a dialog's values in field order.
	Fields []string
}

// Keys of the data opsgate's cards submit (Teams merges the input values into the action's data).
const (
	dataToken  = "ogToken"
	inputMenu  = "ogChoice"
	inputText  = "ogText"
	inputField = "ogField"
	dataFields = "ogFields"
	// maxDialogFields bounds a submitted dialog; nobody fills in more.
	maxDialogFields = 100
	// NextValue is the menu choice asking for the next page of choices.
	NextValue = "opsgate:next"
)

// DecodeSubmission returns the submission of a message activity sent by Action.Submit, and false
// when the activity is not one (an ordinary message).
func DecodeSubmission(a *Activity) (*Submission, bool, error) {
	if a.Type != TypeMessage || len(a.Value) == 0 || string(a.Value) == "null" {
		return nil, false, nil
	}
	var data map[string]any
	if err := json.Unmarshal(a.Value, &data); err != nil {
		return nil, false, opsgate.Errorf(opsgate.EINVALID, "card submission value is not a JSON object")
	}
	tok, _ := data[dataToken].(string)
	if tok == "" {
		return nil, false, opsgate.Errorf(opsgate.EINVALID, "card submission carries no opsgate token")
	}
	s := &Submission{Token: tok}
	if v, ok := data[inputMenu]; ok {
		s.Value = str(v)
	} else if v, ok := data[inputText]; ok {
		s.Value = str(v)
	}
	// The card states its field count: Teams may leave an empty optional input out of the data.
	if n, ok := data[dataFields].(float64); ok && n > 0 && n <= maxDialogFields {
		for i := range int(n) {
			s.Fields = append(s.Fields, str(data[fmt.Sprintf("%s%d", inputField, i)]))
		}
	}
	return s, true, nil
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// ConversationReference is what a proactive message (a StackStorm announcement, a webhook post)
// needs to reach a conversation later; store it from a verified activity, and Trust its
// ServiceURL again when loading it.
type ConversationReference struct {
	ServiceURL     string `json:"serviceUrl"`
	ConversationID string `json:"conversationId"`
	TenantID       string `json:"tenantId"`
	BotID          string `json:"botId"`
}

// Reference returns the conversation reference of a verified activity.
func Reference(a *Activity) ConversationReference {
	r := ConversationReference{ServiceURL: a.ServiceURL, ConversationID: a.Conversation.ID, TenantID: a.TenantID()}
	if a.Recipient != nil {
		r.BotID = a.Recipient.ID
	}
	return r
}
