package teamsfake

import "net/http"

// Member is a conversation member as the connector lists it (TeamsChannelAccount).
type Member struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	Email             string `json:"email,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	GivenName         string `json:"givenName,omitempty"`
	Surname           string `json:"surname,omitempty"`
	TenantID          string `json:"tenantId,omitempty"`
	UserRole          string `json:"userRole,omitempty"`
}

// Alice is the member who sends Message's activities, in ChannelConv.
var Alice = Member{ID: UserID, Name: "Alice", AADObjectID: UserAAD, Email: "alice@contoso.com", UserPrincipalName: "alice@contoso.com",
	GivenName: "Alice", Surname: "Smith", UserRole: "user"}

// AddMember puts m in conversation conv (ChannelConv has Alice from the start).
func (s *Server) AddMember(conv string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[string][]Member{}
	}
	s.members[conv] = append(s.members[conv], m)
}

// listMembers answers GET /v3/conversations/{id}/members; a conversation it does not know is 404.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, _ []byte, _ map[string]any) {
	conv := r.PathValue("id")
	s.mu.Lock()
	ms, ok := s.members[conv]
	s.mu.Unlock()
	if conv == ChannelConv {
		ms, ok = append([]Member{Alice}, ms...), true
	}
	if !ok {
		connectorError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		return
	}
	for i := range ms {
		ms[i].TenantID = s.TenantID
	}
	writeJSON(w, http.StatusOK, ms)
}
