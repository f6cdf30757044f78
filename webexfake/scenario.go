package webexfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
)

// AddPerson adds a user of the bot's organization.
func (s *Server) AddPerson(displayName, email string) Person {
	p := Person{ID: NewID("PEOPLE"), Emails: []string{email}, DisplayName: displayName, OrgID: s.OrgID, Created: now(), Type: "person"}
	s.mu.Lock()
	s.people[p.ID] = p
	s.mu.Unlock()
	return p
}

// GroupRoom adds a group space the bot is a member of and returns its id.
func (s *Server) GroupRoom() string {
	id := NewID("ROOM")
	s.mu.Lock()
	s.rooms[id] = "group"
	s.mu.Unlock()
	return id
}

// DirectRoom returns the 1:1 space between p and the bot.
func (s *Server) DirectRoom(p Person) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.directRoom(p.ID)
}

// Say stores the message p types in room, as the Webex client sends it: in a group space the bot
// only sees messages that mention it, so the mention (its display name) starts text and is a
// <spark-mention> in html, whose data-object-id is the person's uuid (not the API id).
func (s *Server) Say(room string, p Person, text string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{ID: NewID("MESSAGE"), RoomID: room, RoomType: s.rooms[room], Text: text, PersonID: p.ID,
		PersonEmail: p.Emails[0], Created: now()}
	m.HTML = "<p>" + html.EscapeString(text) + "</p>"
	if m.RoomType == "group" {
		name := s.Bot.DisplayName
		m.Text = name + " " + text
		m.HTML = `<p><spark-mention data-object-type="person" data-object-id="` + uuidOf(s.Bot.ID) + `">` +
			html.EscapeString(name) + `</spark-mention> ` + html.EscapeString(text) + `</p>`
		m.MentionedPeople = []string{s.Bot.ID}
	}
	s.messages[m.ID] = m
	return *m
}

// Store keeps m as is (for messages the helpers cannot shape, e.g. the bot's own) and returns it
// with an id.
func (s *Server) Store(m Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ID == "" {
		m.ID = NewID("MESSAGE")
	}
	if m.Created == "" {
		m.Created = now()
	}
	c := m
	s.messages[m.ID] = &c
	return m
}

// Press stores the attachment action a Webex client creates when p presses the action at index
// of the card on messageID, with values typed into the card's inputs (by input id): the inputs
// are merged with the action's data, as Action.Submit defines.
func (s *Server) Press(messageID string, index int, p Person, values map[string]string) (Action, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[messageID]
	if !ok || len(m.Attachments) != 1 {
		return Action{}, fmt.Errorf("webexfake: message %s has no card", messageID)
	}
	var card struct {
		Actions []struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(m.Attachments[0].Content, &card); err != nil {
		return Action{}, err
	}
	if index < 0 || index >= len(card.Actions) || card.Actions[index].Type != "Action.Submit" {
		return Action{}, fmt.Errorf("webexfake: the card has no Action.Submit at %d", index)
	}
	inputs := map[string]any{}
	for k, v := range values {
		inputs[k] = v
	}
	for k, v := range card.Actions[index].Data {
		inputs[k] = v
	}
	a := &Action{ID: NewID("ATTACHMENT_ACTION"), Type: "submit", MessageID: messageID, Inputs: inputs, PersonID: p.ID,
		RoomID: m.RoomID, Created: now()}
	s.actions[a.ID] = a
	return *a, nil
}

// MessageData is the data of a messages/created webhook: ids and no content.
func MessageData(m Message) map[string]any {
	d := map[string]any{"id": m.ID, "roomId": m.RoomID, "roomType": m.RoomType, "personId": m.PersonID,
		"personEmail": m.PersonEmail, "created": m.Created}
	if len(m.MentionedPeople) > 0 {
		d["mentionedPeople"] = m.MentionedPeople
	}
	return d
}

// ActionData is the data of an attachmentActions/created webhook.
func ActionData(a Action) map[string]any {
	return map[string]any{"id": a.ID, "type": a.Type, "messageId": a.MessageID, "personId": a.PersonID,
		"roomId": a.RoomID, "created": a.Created}
}

// Delivery is one webhook POST the stand-in made and how the target answered.
type Delivery struct {
	Webhook string
	Body    []byte
	Status  int
}

// Fire delivers data to every active webhook for resource/event, signed with the webhook's secret
// in X-Spark-Signature (no header when it has none), and returns the deliveries.
func (s *Server) Fire(ctx context.Context, resource, event, actorID string, data map[string]any) ([]Delivery, error) {
	s.mu.Lock()
	var hooks []Webhook
	for _, h := range s.webhooks {
		if h.Resource == resource && h.Event == event && h.Status == "active" {
			hooks = append(hooks, *h)
		}
	}
	s.mu.Unlock()
	var out []Delivery
	for _, h := range hooks {
		body, _ := json.Marshal(Envelope{ID: h.ID, Name: h.Name, TargetURL: h.TargetURL, Resource: h.Resource, Event: h.Event,
			OrgID: s.OrgID, CreatedBy: s.Bot.ID, AppID: NewID("APPLICATION"), OwnedBy: "creator", Status: h.Status,
			Created: h.Created, ActorID: actorID, Data: data})
		req, err := http.NewRequestWithContext(ctx, "POST", h.TargetURL, bytes.NewReader(body))
		if err != nil {
			return out, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "webexfake")
		if h.Secret != "" {
			m := hmac.New(sha1.New, []byte(h.Secret))
			m.Write(body)
			req.Header.Set("X-Spark-Signature", hex.EncodeToString(m.Sum(nil)))
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return out, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out = append(out, Delivery{Webhook: h.ID, Body: body, Status: resp.StatusCode})
	}
	return out, nil
}
