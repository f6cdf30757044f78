package webexfake

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// maxMessageBytes is Webex's limit on text and markdown ("The maximum message length is 7439 bytes").
const maxMessageBytes = 7439

// maxCardActions is Webex's limit on a card's buttons ("Cards may include up to five buttons").
const maxCardActions = 5

func (s *Server) routes(m *http.ServeMux) {
	m.HandleFunc("GET /v1/people/me", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.Bot) })
	m.HandleFunc("GET /v1/messages/{id}", s.getMessage)
	m.HandleFunc("POST /v1/messages", s.createMessage)
	m.HandleFunc("DELETE /v1/messages/{id}", s.deleteMessage)
	m.HandleFunc("GET /v1/attachment/actions/{id}", s.getAction)
	m.HandleFunc("GET /v1/webhooks", s.listWebhooks)
	m.HandleFunc("POST /v1/webhooks", s.createWebhook)
	m.HandleFunc("PUT /v1/webhooks/{id}", s.updateWebhook)
	m.HandleFunc("DELETE /v1/webhooks/{id}", s.deleteWebhook)
	m.HandleFunc("GET /v1/people", s.listPeople)
	m.HandleFunc("GET /v1/rooms", s.listRooms)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errorf(w, 404, "The requested resource could not be found.")
	})
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m, ok := s.messages[r.PathValue("id")]
	var c Message
	if ok {
		c = *m
	}
	s.mu.Unlock()
	if !ok {
		errorf(w, 404, "Could not find a message with the specified id.")
		return
	}
	writeJSON(w, 200, c)
}

func (s *Server) getAction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a, ok := s.actions[r.PathValue("id")]
	var c Action
	if ok {
		c = *a
	}
	s.mu.Unlock()
	if !ok {
		errorf(w, 404, "Could not find an attachment action with the specified id.")
		return
	}
	writeJSON(w, 200, c)
}

// createMessage is POST /messages, with the checks Webex documents: one destination, a body,
// text and markdown within 7439 bytes, one file, one Adaptive Card of at most five actions.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RoomID        string       `json:"roomId"`
		ParentID      string       `json:"parentId"`
		ToPersonID    string       `json:"toPersonId"`
		ToPersonEmail string       `json:"toPersonEmail"`
		Text          string       `json:"text"`
		Markdown      string       `json:"markdown"`
		Files         []string     `json:"files"`
		Attachments   []Attachment `json:"attachments"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		errorf(w, 400, "Unable to parse the request body: %v", err)
		return
	}
	dest := 0
	for _, d := range []string{in.RoomID, in.ToPersonID, in.ToPersonEmail} {
		if d != "" {
			dest++
		}
	}
	switch {
	case dest != 1:
		errorf(w, 400, "Exactly one of roomId, toPersonId or toPersonEmail must be specified.")
		return
	case in.Text == "" && in.Markdown == "" && len(in.Files) == 0 && len(in.Attachments) == 0:
		errorf(w, 400, "Message must contain text, markdown, files or attachments.")
		return
	case len(in.Text) > maxMessageBytes || len(in.Markdown) > maxMessageBytes:
		errorf(w, 400, "Message length is over the maximum of %d bytes.", maxMessageBytes)
		return
	case len(in.Files) > 1:
		errorf(w, 400, "Only one file is allowed per message.")
		return
	case len(in.Attachments) > 1:
		errorf(w, 400, "Only one card per message is supported.")
		return
	}
	for _, a := range in.Attachments {
		if msg := checkCard(a); msg != "" {
			errorf(w, 400, "%s", msg)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{ID: NewID("MESSAGE"), ParentID: in.ParentID, RoomID: in.RoomID, Text: in.Text, Markdown: in.Markdown,
		Files: in.Files, Attachments: in.Attachments, PersonID: s.Bot.ID, PersonEmail: s.Bot.Emails[0], Created: now()}
	switch {
	case in.RoomID != "":
		t, ok := s.rooms[in.RoomID]
		if !ok {
			errorf(w, 404, "Could not find a room with the specified id.")
			return
		}
		m.RoomType = t
	case in.ToPersonID != "":
		if _, ok := s.people[in.ToPersonID]; !ok {
			errorf(w, 404, "Could not find a person with the specified id.")
			return
		}
		m.ToPersonID, m.RoomID, m.RoomType = in.ToPersonID, s.directRoom(in.ToPersonID), "direct"
	default:
		p, ok := s.personByEmail(in.ToPersonEmail)
		if !ok {
			errorf(w, 404, "Could not find a person with the specified email.")
			return
		}
		m.ToPersonEmail, m.RoomID, m.RoomType = in.ToPersonEmail, s.directRoom(p.ID), "direct"
	}
	if in.ParentID != "" {
		if p, ok := s.messages[in.ParentID]; !ok || p.RoomID != m.RoomID || p.ParentID != "" {
			errorf(w, 400, "The parent message must be a message in the same room that is not itself a reply.")
			return
		}
	}
	if m.Markdown != "" {
		m.HTML = "<p>" + html.EscapeString(m.Markdown) + "</p>"
	}
	s.messages[m.ID] = m
	s.posted = append(s.posted, *m)
	writeJSON(w, 200, m)
}

// checkCard refuses what Webex refuses in an attachment: another content type, a content that is
// not an AdaptiveCard, more than five actions.
func checkCard(a Attachment) string {
	if a.ContentType != CardContentType {
		return "Attachment contentType must be " + CardContentType + "."
	}
	var c struct {
		Type    string            `json:"type"`
		Version string            `json:"version"`
		Actions []json.RawMessage `json:"actions"`
	}
	if err := json.Unmarshal(a.Content, &c); err != nil || c.Type != "AdaptiveCard" || c.Version == "" {
		return "Attachment content must be an AdaptiveCard with a version."
	}
	if len(c.Actions) > maxCardActions {
		return "A card may include up to " + strconv.Itoa(maxCardActions) + " actions."
	}
	return ""
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	m, ok := s.messages[id]
	if !ok {
		errorf(w, 404, "Could not find a message with the specified id.")
		return
	}
	if m.PersonID != s.Bot.ID {
		errorf(w, 403, "A bot may only delete its own messages.")
		return
	}
	delete(s.messages, id)
	s.deleted = append(s.deleted, id)
	w.WriteHeader(http.StatusNoContent)
}

// listWebhooks pages with max and a cursor, announcing the next page in a Link header (RFC 5988),
// as Webex does for long result sets.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := s.pageSize
	if v := r.URL.Query().Get("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errorf(w, 400, "max must be a positive integer.")
			return
		}
		size = min(size, n)
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	start = max(0, min(start, len(s.webhooks)))
	end := min(start+size, len(s.webhooks))
	items := make([]Webhook, 0, end-start)
	for _, h := range s.webhooks[start:end] {
		items = append(items, *h)
	}
	if end < len(s.webhooks) {
		q := url.Values{"max": {strconv.Itoa(size)}, "cursor": {strconv.Itoa(end)}}
		w.Header().Set("Link", `<`+s.URL+`/webhooks?`+q.Encode()+`>; rel="next"`)
	}
	writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in Webhook
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		errorf(w, 400, "Unable to parse the request body: %v", err)
		return
	}
	if in.Name == "" || in.TargetURL == "" || in.Resource == "" || in.Event == "" {
		errorf(w, 400, "name, targetUrl, resource and event are required.")
		return
	}
	if u, err := url.Parse(in.TargetURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errorf(w, 400, "targetUrl must be an http(s) URL.")
		return
	}
	in.ID, in.Status, in.Created = "", "active", ""
	id := s.AddWebhook(in)
	s.mu.Lock()
	var out Webhook
	for _, h := range s.webhooks {
		if h.ID == id {
			out = *h
		}
	}
	s.mu.Unlock()
	writeJSON(w, 200, out)
}

// updateWebhook is PUT /webhooks/{id}: name and targetUrl are required; secret and status optional.
func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name      string  `json:"name"`
		TargetURL string  `json:"targetUrl"`
		Secret    *string `json:"secret"`
		Status    string  `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		errorf(w, 400, "Unable to parse the request body: %v", err)
		return
	}
	if in.Name == "" || in.TargetURL == "" {
		errorf(w, 400, "name and targetUrl are required.")
		return
	}
	if in.Status != "" && in.Status != "active" && in.Status != "inactive" {
		errorf(w, 400, "status must be active or inactive.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.webhooks {
		if h.ID == r.PathValue("id") {
			h.Name, h.TargetURL = in.Name, in.TargetURL
			if in.Secret != nil {
				h.Secret = *in.Secret
			}
			if in.Status != "" {
				h.Status = in.Status
			}
			writeJSON(w, 200, *h)
			return
		}
	}
	errorf(w, 404, "Could not find a webhook with the specified id.")
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.webhooks {
		if h.ID == r.PathValue("id") {
			s.webhooks = append(s.webhooks[:i], s.webhooks[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	errorf(w, 404, "Could not find a webhook with the specified id.")
}

func (s *Server) directRoom(personID string) string {
	if id, ok := s.direct[personID]; ok {
		return id
	}
	id := NewID("ROOM")
	s.rooms[id], s.direct[personID] = "direct", id
	return id
}

func (s *Server) personByEmail(email string) (Person, bool) {
	for _, p := range s.people {
		for _, e := range p.Emails {
			if e == email {
				return p, true
			}
		}
	}
	return Person{}, false
}
