package main

import (
	"context"

	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/teams"
)

func init() {
	registerModule(module{Name: "teams", Order: 50, Setup: setupTeams})
}

// setupTeams serves the Teams messaging endpoint under `serve` and makes Teams conversations and
// people reachable by StackStorm announcements and webhook posts.
func setupTeams(ctx context.Context, m *Main) error {
	c := m.Config.Teams
	if !c.Enabled || !m.Serving {
		return nil
	}
	p := kit.Plumbing{Logger: m.Logger.With("platform", "teams")}
	p.Defaults(teams.MaxActivityBytes)
	tokens := teams.NewTokenSource(c.TokenURL, c.TenantID, c.AppID, c.AppPassword, p.HTTPClient)
	h := teams.New(teams.Options{
		Verifier:    teams.NewVerifier(c.AppID, c.OpenIDURL, p.HTTPClient),
		Client:      teams.NewClient(tokens, p.HTTPClient),
		Handle:      pipelineHandle(m),
		Callbacks:   callback.New([]byte(c.AppPassword), "teams"),
		References:  teamsReferences{store.NewTeamsService(m.DB)},
		DeleteInput: m.Config.DeleteInputOnSubmission,
		Claim:       m.claim,
		Unclaim:     m.unclaim,
		Redactor:    m.Announce.Redactor(),
		Plumbing:    p,
	})
	h.Register(m.HTTP)
	m.Announce.Register(teams.Platform, h.Conversation)
	return nil
}

// teamsReferences keeps Teams conversation references in the database.
type teamsReferences struct{ s *store.TeamsService }

func (r teamsReferences) SaveConversation(ctx context.Context, c teams.ConversationReference) error {
	return r.s.SaveConversation(ctx, store.TeamsConversation{ConversationID: c.ConversationID, ServiceURL: c.ServiceURL, TenantID: c.TenantID, BotID: c.BotID})
}

func (r teamsReferences) FindConversation(ctx context.Context, id string) (*teams.ConversationReference, error) {
	c, err := r.s.FindConversation(ctx, id)
	if err != nil {
		return nil, err
	}
	return &teams.ConversationReference{ConversationID: c.ConversationID, ServiceURL: c.ServiceURL, TenantID: c.TenantID, BotID: c.BotID}, nil
}

func (r teamsReferences) SaveUser(ctx context.Context, u teams.UserReference) error {
	return r.s.SaveUser(ctx, store.TeamsUser{AADObjectID: u.AADObjectID, UserID: u.UserID, ServiceURL: u.ServiceURL,
		TenantID: u.TenantID, BotID: u.BotID, PersonalConversationID: u.PersonalConversationID})
}

func (r teamsReferences) FindUser(ctx context.Context, aadObjectID string) (*teams.UserReference, error) {
	u, err := r.s.FindUser(ctx, aadObjectID)
	if err != nil {
		return nil, err
	}
	ref := teams.UserReference{AADObjectID: u.AADObjectID, UserID: u.UserID, ServiceURL: u.ServiceURL, TenantID: u.TenantID,
		BotID: u.BotID, PersonalConversationID: u.PersonalConversationID}
	return &ref, nil
}
