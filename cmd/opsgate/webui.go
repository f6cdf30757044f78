package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/alias"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/mattermost"
	oslack "github.com/opsgate/opsgate/slack"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webui"
)

const (
	defaultSessionLifetime = 12 * time.Hour
	defaultIdleTimeout     = time.Hour
)

func init() {
	registerModule(module{Name: "ui", Order: 90, Setup: setupUI})
}

// setupUI serves the web UI and web chat under /ui/ when `serve` runs with ui.enabled.
func setupUI(ctx context.Context, m *Main) error {
	c := m.Config.UI
	if !m.Serving || !c.Enabled {
		return nil
	}
	users := store.NewUserService(m.DB)
	ui := &webui.UI{
		Users: users, Sessions: store.NewSessionStore(m.DB), Grants: m.Grants, Tokens: m.Tokens, Auth: m.Auth,
		Audit: m.Audit, CommandLog: m.CommandLog, Secrets: store.NewSecretService(m.DB),
		Reload: m.Watcher.Reload, Guard: m.Guard, Logger: m.Logger, Secure: m.HTTP.TLS != nil || c.SecureCookies,
		Lifetime: c.SessionLifetime.D(), IdleTimeout: c.IdleTimeout.D(), Version: version(),
		TokenPlatforms: kit.Names(kit.TakesTokens), SecretLimits: map[opsgate.Role]opsgate.SecretConstraint{},
		Lookups: map[string]webui.Lookup{}, Stopping: ctx.Done(),
		Groups: m.Groups, Approvals: m.Approvals, Schedules: m.Schedules,
		Chat: webui.Chat{OrgID: c.Chat.Organization, ChannelID: c.Chat.Channel, Wait: m.Config.CommandTimeout.D(),
			Handle: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (<-chan struct{}, string) {
				j := m.Pipeline.Handle(ctx, req, out)
				return j.Done(), j.Refused()
			}},
	}
	if o := c.OIDC; o.Issuer != "" {
		ui.OIDC = &webui.OIDC{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL,
			RoleClaim: o.RoleClaim, Roles: map[string]opsgate.Role{}}
		for v, r := range o.Roles {
			ui.OIDC.Roles[v], _ = opsgate.ParseRole(r) // validated with the config
		}
	}
	for r, sc := range c.SecretConstraints {
		role, _ := opsgate.ParseRole(r) // validated with the config
		ui.SecretLimits[role] = sc
	}
	if svc := m.Secrets; svc != nil {
		ui.SecretProviders = svc.Providers()
		ui.ValidateSecret = svc.ValidateDefinition
		ui.CheckSecret = func(ctx context.Context, name string) (string, error) {
			err := svc.Check(ctx, name, nil)
			var se *opsgate.SecretError
			if err == nil {
				return "ok", nil
			} else if errors.As(err, &se) {
				return svc.Redactor().Redact(se.Error()), nil
			}
			return "", err
		}
	}
	aliasStore := store.NewAliasService(m.DB)
	ui.SaveAlias = func(ctx context.Context, def string) (string, error) {
		a, err := storableAlias([]byte(def), "the alias")
		if err != nil {
			return "", err
		}
		return a.Ref(), aliasStore.SaveAlias(ctx, a)
	}
	ui.DeleteAlias = func(ctx context.Context, ref string) error {
		pack, name, ok := strings.Cut(ref, ".")
		if !ok || pack == "" || name == "" {
			return opsgate.Errorf(opsgate.EINVALID, "%q is not PACK.NAME.", ref)
		}
		return aliasStore.DeleteAlias(ctx, pack, name)
	}
	if m.Aliases != nil {
		ui.ListAliases = func(context.Context) ([]webui.AliasView, error) { return aliasViews(m.Aliases()), nil }
		ui.TryAlias = func(_ context.Context, text string) (*webui.AliasMatch, error) { return tryAlias(m.Aliases(), text) }
	}
	if s := m.Config.Slack; s.Enabled && s.BotToken != "" {
		apiURL := s.APIURL
		if apiURL == "" {
			apiURL = slack.APIURL
		}
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		api := slack.New(s.BotToken, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(&http.Client{Timeout: 15 * time.Second}))
		ui.Lookups["slack"] = func(ctx context.Context, kind, name string) (string, string, error) {
			return oslack.Lookup(ctx, api, kind, name)
		}
	}
	if mm := m.Config.Mattermost; mm.Enabled && mm.URL != "" && mm.APIToken != "" {
		client := &http.Client{Timeout: 15 * time.Second}
		ui.Lookups["mattermost"] = func(ctx context.Context, kind, name string) (string, string, error) {
			return mattermost.Lookup(ctx, client, mm.URL, mm.APIToken, kind, name)
		}
	}
	if w := m.Config.Webex; w.Enabled && w.Token != "" {
		ui.Lookups["webex"] = (&webex.Client{APIURL: w.APIURL, Token: w.Token}).Lookup
	}
	if tc := m.Config.Teams; tc.Enabled {
		// People are found among the members of the conversations the bot has heard from.
		hc := &http.Client{Timeout: 15 * time.Second}
		client := teams.NewClient(teams.NewTokenSource(tc.TokenURL, tc.TenantID, tc.AppID, tc.AppPassword, hc), hc)
		refs := store.NewTeamsService(m.DB)
		ui.Lookups["teams"] = func(ctx context.Context, kind, name string) (string, string, error) {
			cs, err := refs.FindConversations(ctx, teams.LookupConversations)
			if err != nil {
				return "", "", err
			}
			convs := make([]teams.ConversationReference, len(cs))
			for i, c := range cs {
				convs[i] = teams.ConversationReference{ServiceURL: c.ServiceURL, ConversationID: c.ConversationID, TenantID: c.TenantID, BotID: c.BotID}
			}
			return teams.Lookup(ctx, client, convs, kind, name)
		}
	}
	ui.Status = func(ctx context.Context) []webui.Check { return m.statusChecks(ctx) }
	if err := ui.Register(m.HTTP); err != nil {
		return err
	}
	// StackStorm announcements (and webhook posts) for platform web arrive live: a whisper in its
	// user's chat; a post to the channel in every chat (all web chat users share the one channel).
	m.Announce.Register(webui.Platform, func(_ context.Context, channelID, userID string, private bool) (opsgate.Dispatcher, error) {
		if !private {
			userID = ""
		}
		return ui.Announce(userID), nil
	})
	if n, err := users.FindUsers(ctx); err == nil && len(n) == 0 {
		fmt.Fprintln(m.Stdout, "web UI at /ui/ has no accounts yet: create one with  opsgate user add --name admin --role admin")
	}
	return nil
}

func aliasViews(s *alias.Set) []webui.AliasView {
	if s == nil {
		return nil
	}
	out := make([]webui.AliasView, 0, len(s.Aliases))
	for _, a := range s.Aliases {
		v := webui.AliasView{Ref: a.Ref(), Description: a.Description, Source: a.File}
		if strings.HasPrefix(a.File, "database:") { // parseStoredAlias's name for stored aliases
			v.Source = "database"
		}
		for _, f := range a.Formats {
			v.Formats = append(v.Formats, f.Display)
		}
		out = append(out, v)
	}
	return out
}

// tryAlias is `alias match` against the aliases in force.
func tryAlias(s *alias.Set, text string) (*webui.AliasMatch, error) {
	if s == nil {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "No aliases are loaded.")
	}
	match, err := s.Match(text)
	if err != nil {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "%s", err.Error())
	}
	out := &webui.AliasMatch{Alias: match.Alias.Ref(), Format: match.Representation, Params: map[string]string{}}
	if len(match.Params) > 0 {
		p, err := match.Alias.ApplyImmutable(match.Params[0])
		if err != nil {
			return nil, opsgate.Errorf(opsgate.EINVALID, "%s", err.Error())
		}
		out.Params = p
	}
	return out, nil
}
