package stackstorm

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ActionAlias is the part of st2's ActionAliasAPI that opsgate uses.
type ActionAlias struct {
	ID          string         `json:"id"`
	Ref         string         `json:"ref"`
	Pack        string         `json:"pack"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Enabled     bool           `json:"enabled"`
	ActionRef   string         `json:"action_ref"`
	Formats     []any          `json:"formats"` // strings or {display, representation}
	Ack         *AliasTemplate `json:"ack,omitempty"`
	Result      *AliasTemplate `json:"result,omitempty"`
}

// AliasTemplate is an alias's ack or result section. Enabled and AppendURL default to true when absent.
type AliasTemplate struct {
	Enabled   *bool          `json:"enabled,omitempty"`
	Format    string         `json:"format,omitempty"`
	AppendURL *bool          `json:"append_url,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
}

func (t *AliasTemplate) enabled() bool   { return t == nil || t.Enabled == nil || *t.Enabled }
func (t *AliasTemplate) appendURL() bool { return t == nil || t.AppendURL == nil || *t.AppendURL }

// Match is st2's answer to POST /api/v1/actionalias/match.
type Match struct {
	ActionAlias    ActionAlias `json:"actionalias"`
	Display        string      `json:"display"`
	Representation string      `json:"representation"`
}

// Match asks st2 which alias command matches. st2 answers 400 with "Command '<c>' matched no
// patterns" or "... matched more than 1 pattern": returned as *APIError.
func (c *Client) Match(ctx context.Context, auth Auth, command string) (*Match, error) {
	var m Match
	if _, err := c.api(ctx, auth, http.MethodPost, "/actionalias/match", nil, map[string]string{"command": command}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// HelpString is one entry of GET /api/v1/actionalias/help.
type HelpString struct {
	Pack        string `json:"pack"`
	Display     string `json:"display"`
	Description string `json:"description"`
}

// HelpQuery filters the alias help; zero fields are not sent.
type HelpQuery struct {
	Pack, Filter  string
	Limit, Offset int
}

// Help is st2's alias help: Available is the count matching the filter, before paging.
type Help struct {
	Available   int          `json:"available"`
	HelpStrings []HelpString `json:"helpstrings"`
}

// Help runs GET /api/v1/actionalias/help.
func (c *Client) Help(ctx context.Context, auth Auth, q HelpQuery) (*Help, error) {
	v := url.Values{}
	if q.Pack != "" {
		v.Set("pack", q.Pack)
	}
	if q.Filter != "" {
		v.Set("filter", q.Filter)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var h Help
	if _, err := c.api(ctx, auth, http.MethodGet, "/actionalias/help", v, nil, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// ListAliases runs GET /api/v1/actionalias with paging and returns the page and X-Total-Count (-1 if absent).
func (c *Client) ListAliases(ctx context.Context, auth Auth, limit, offset int) ([]ActionAlias, int, error) {
	v := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}
	var out []ActionAlias
	h, err := c.api(ctx, auth, http.MethodGet, "/actionalias", v, nil, &out)
	if err != nil {
		return nil, 0, err
	}
	return out, totalCount(h), nil
}

// Execution is the part of st2's ActionExecutionAPI that opsgate shows.
type Execution struct {
	ID         string         `json:"id"`
	Status     string         `json:"status"`
	Action     map[string]any `json:"action,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Result     any            `json:"result,omitempty"`
	Context    map[string]any `json:"context,omitempty"`
	WebURL     string         `json:"web_url,omitempty"`
}

// ExecutionRequest is the body of POST /api/v1/aliasexecution/match_and_execute.
type ExecutionRequest struct {
	Command             string `json:"command"`
	User                string `json:"user,omitempty"`
	SourceChannel       string `json:"source_channel,omitempty"`
	NotificationChannel string `json:"notification_channel,omitempty"`
	NotificationRoute   string `json:"notification_route,omitempty"`
}

// ExecutionResult is one entry of match_and_execute's results (several for match_multiple aliases).
// Raw keeps the whole entry so the ack template sees every field st2 sent.
type ExecutionResult struct {
	Execution   Execution      `json:"execution"`
	ActionAlias ActionAlias    `json:"actionalias"`
	Message     string         `json:"message,omitempty"`
	Extra       map[string]any `json:"extra,omitempty"`
	Raw         map[string]any `json:"-"`
}

// MatchAndExecute runs POST /api/v1/aliasexecution/match_and_execute (201 {"results": [...]}).
func (c *Client) MatchAndExecute(ctx context.Context, auth Auth, r ExecutionRequest) ([]ExecutionResult, error) {
	var out struct {
		Results []map[string]any `json:"results"`
	}
	if _, err := c.api(ctx, auth, http.MethodPost, "/aliasexecution/match_and_execute", nil, r, &out); err != nil {
		return nil, err
	}
	res := make([]ExecutionResult, 0, len(out.Results))
	for _, raw := range out.Results {
		var er ExecutionResult
		if err := remarshal(raw, &er); err != nil {
			return nil, err
		}
		er.Raw = raw
		res = append(res, er)
	}
	return res, nil
}

// Rule is the part of st2's RuleAPI that the doctor inspects.
type Rule struct {
	Ref      string         `json:"ref"`
	Enabled  bool           `json:"enabled"`
	Trigger  map[string]any `json:"trigger"`
	Criteria map[string]any `json:"criteria"`
	Action   map[string]any `json:"action"`
}

// Rules runs GET /api/v1/rules (first 100).
func (c *Client) Rules(ctx context.Context, auth Auth) ([]Rule, error) {
	var out []Rule
	_, err := c.api(ctx, auth, http.MethodGet, "/rules", url.Values{"limit": {"100"}}, nil, &out)
	return out, err
}
