package webexfake

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Room is a space as GET /rooms lists it.
type Room struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"` // "direct" or "group"
}

// NamedRoom adds a group space titled title that the bot is a member of and returns its id.
func (s *Server) NamedRoom(title string) string {
	id := s.GroupRoom()
	s.mu.Lock()
	s.titles[id] = title
	s.mu.Unlock()
	return id
}

// listPeople answers GET /people as Webex does: email (exact) or displayName (the names that
// start with it, any letter case) is required; the bot's own organization only.
func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	email, name := q.Get("email"), strings.ToLower(q.Get("displayName"))
	if email == "" && name == "" && q.Get("id") == "" {
		errorf(w, 400, "Email, displayName, or id list should be specified.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []Person{}
	for _, p := range s.people {
		switch {
		case email != "":
			for _, e := range p.Emails {
				if strings.EqualFold(e, email) {
					items = append(items, p)
				}
			}
		case name != "" && strings.HasPrefix(strings.ToLower(p.DisplayName), name):
			items = append(items, p)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].DisplayName < items[j].DisplayName })
	writeJSON(w, 200, map[string]any{"items": items})
}

// listRooms answers GET /rooms: the spaces the bot is in, paged with max and a Link header.
func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]Room, 0, len(s.rooms))
	for id, typ := range s.rooms {
		all = append(all, Room{ID: id, Title: s.titles[id], Type: typ})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
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
	start = max(0, min(start, len(all)))
	end := min(start+size, len(all))
	if end < len(all) {
		q := url.Values{"max": {strconv.Itoa(size)}, "cursor": {strconv.Itoa(end)}}
		w.Header().Set("Link", `<`+s.URL+`/rooms?`+q.Encode()+`>; rel="next"`)
	}
	writeJSON(w, 200, map[string]any{"items": all[start:end]})
}
