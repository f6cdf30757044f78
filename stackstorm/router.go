package stackstorm

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/opsgate/opsgate"
)

// Group is the ACL plugin name of every StackStorm route ("st2:<alias>" in Errbot-style ACLs).
const Group = "st2"

// Router routes "<prefix> <text>" to st2's aliases, "<prefix>help" to st2's alias help and
// "<prefix>session" to the per-user login. Access is checked by the pipeline per alias:
// Route.Command is the prefix and Route.Subcommand the alias name st2 matched, so an admin can
// grant "st2 pack_install" without granting every alias.
type Router struct {
	Client *Client
	// Prefix is the chat command (default "st2").
	Prefix string
	// NotifyRoute is the notification route st2 announces results on (default "opsgate").
	NotifyRoute string
	// Sessions resolves per-user credentials and serves the login flow; nil: the bot's credentials for everyone.
	Sessions *Sessions
	// Limits are the per-platform text limits (DefaultLimits when nil).
	Limits map[string]int
}

var _ opsgate.Router = (*Router)(nil)

func (r *Router) prefix() string {
	if r.Prefix == "" {
		return "st2"
	}
	return r.Prefix
}

func (r *Router) route() string {
	if r.NotifyRoute == "" {
		return "opsgate"
	}
	return r.NotifyRoute
}

func (r *Router) limit(platform string) int {
	if r.Limits != nil {
		return r.Limits[platform]
	}
	return DefaultLimits[platform]
}

// Help lists the router's commands; the aliases themselves are listed by <prefix>help.
func (r *Router) Help() []opsgate.HelpEntry {
	p := r.prefix()
	out := []opsgate.HelpEntry{
		{Command: p, Usage: p + " <command>", Help: "Run a StackStorm action alias (" + p + "help lists them).", Group: Group},
		{Command: p + "help", Usage: p + "help [--pack P] [--filter F] [--limit N] [--offset N]", Help: "List StackStorm action aliases.", Group: Group},
	}
	if r.Sessions != nil && r.Sessions.PublicURL != "" {
		out = append(out, opsgate.HelpEntry{Command: p + "session", Usage: p + "session [end|status]",
			Help: "In a direct message: get a one-time link to log in to StackStorm, so your commands run as you.", Group: Group})
	}
	return out
}

// Route resolves words. For an alias it asks st2 which alias matches (POST /actionalias/match)
// before the access check, so the grant is checked against the alias name; st2's refusal ("matched
// no patterns", "matched more than 1 pattern") is returned as is.
func (r *Router) Route(ctx context.Context, req *opsgate.Request, words []string) (*opsgate.Route, error) {
	if len(words) == 0 {
		return nil, nil
	}
	p := r.prefix()
	switch words[0] {
	case p:
		return r.aliasRoute(ctx, req, words)
	case p + "help":
		q, err := parseHelpArgs(words[1:])
		if err != nil {
			return nil, err
		}
		return &opsgate.Route{Command: p + "help", Group: Group, Args: words[1:],
			Run: func(ctx context.Context, inv *opsgate.Invocation) error { return r.help(ctx, inv, q) }}, nil
	case p + "session":
		if r.Sessions == nil {
			return nil, nil
		}
		sub := ""
		if len(words) > 1 {
			sub = words[1]
		}
		if sub != "" && sub != "end" && sub != "status" {
			return nil, opsgate.Errorf(opsgate.EINVALID, "Usage: %ssession [end|status]", p)
		}
		return &opsgate.Route{Command: p + "session", Subcommand: sub, Group: Group, Args: words[1:],
			Run: func(ctx context.Context, inv *opsgate.Invocation) error { return r.session(ctx, inv, sub) }}, nil
	}
	return nil, nil
}

// commandText is the text after the prefix as the user typed it (quotes matter to st2's parser).
func commandText(req *opsgate.Request, words []string) string {
	text := opsgate.NormalizeText(req.Text)
	if rest, ok := strings.CutPrefix(text, words[0]); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n') {
		return strings.TrimSpace(rest)
	}
	quoted := make([]string, 0, len(words)-1)
	for _, w := range words[1:] {
		quoted = append(quoted, opsgate.QuoteWord(w))
	}
	return strings.Join(quoted, " ")
}

func (r *Router) aliasRoute(ctx context.Context, req *opsgate.Request, words []string) (*opsgate.Route, error) {
	p := r.prefix()
	text := commandText(req, words)
	if text == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "Usage: %s <command>. %shelp lists the commands.", p, p)
	}
	auth, personal, err := r.auth(ctx, req)
	if err != nil {
		return nil, err
	}
	m, err := r.Client.Match(ctx, auth, text)
	if err != nil {
		return nil, r.userError(err, personal)
	}
	return &opsgate.Route{
		Command: p, Subcommand: m.ActionAlias.Name, Group: Group, Args: words[1:],
		Params: map[string]string{"command": text, "alias": m.ActionAlias.Ref},
		Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			return r.execute(ctx, inv, text)
		},
	}, nil
}

func (r *Router) auth(ctx context.Context, req *opsgate.Request) (Auth, bool, error) {
	if r.Sessions == nil {
		return nil, false, nil
	}
	return r.Sessions.AuthFor(ctx, req)
}

// userError is what the user sees for a failed st2 call; a refused personal credential gets a
// way out rather than st2's bare 401 text.
func (r *Router) userError(err error, personal bool) error {
	if personal && IsUnauthorized(err) {
		return opsgate.Errorf(opsgate.EUNAUTHORIZED, "StackStorm refused your credentials (%s). Send me `%ssession` in a direct message to log in again.",
			strings.TrimPrefix(err.(*APIError).Faultstring, "Unauthorized - "), r.prefix())
	}
	return userError(err)
}

// execute runs POST /aliasexecution/match_and_execute and replies with the ack. The channel and
// user are sent as "<platform>:<id>" so the result announcement finds its way back to the right platform.
func (r *Router) execute(ctx context.Context, inv *opsgate.Invocation, text string) error {
	req := inv.Request
	auth, personal, err := r.auth(ctx, req)
	if err != nil {
		return err
	}
	_ = inv.Out.Busy(ctx)
	results, err := r.Client.MatchAndExecute(ctx, auth, ExecutionRequest{
		Command:           text,
		User:              JoinChannel(req.Platform, req.UserID),
		SourceChannel:     JoinChannel(req.Platform, req.ChannelID),
		NotificationRoute: r.route(),
	})
	if err != nil {
		return r.userError(err, personal)
	}
	for _, res := range results {
		msg, ok := AckText(res)
		if !ok {
			continue
		}
		a := Announcement{Extra: res.Extra}
		a.Pretext, a.Message = SplitPretext(msg)
		for _, m := range a.Messages(req.Platform, r.limit(req.Platform), opsgate.RedactorOf(inv.Out)) {
			m.InThread = true
			if _, err := inv.Out.Send(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseHelpArgs reads --pack P --filter F --limit N --offset N (also --flag=value).
func parseHelpArgs(args []string) (HelpQuery, error) {
	var q HelpQuery
	usage := opsgate.Errorf(opsgate.EINVALID, "Usage: st2help [--pack P] [--filter F] [--limit N] [--offset N]")
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(args[i], "=")
		if !hasVal {
			if i+1 >= len(args) {
				return q, usage
			}
			i++
			val = args[i]
		}
		var err error
		switch name {
		case "--pack":
			q.Pack = val
		case "--filter":
			q.Filter = val
		case "--limit":
			q.Limit, err = strconv.Atoi(val)
		case "--offset":
			q.Offset, err = strconv.Atoi(val)
		default:
			return q, usage
		}
		if err != nil || q.Limit < 0 || q.Offset < 0 {
			return q, usage
		}
	}
	return q, nil
}

// help lists st2's alias help grouped by pack: "[pack]" then "<prefix> <display> - <description>".
func (r *Router) help(ctx context.Context, inv *opsgate.Invocation, q HelpQuery) error {
	auth, personal, err := r.auth(ctx, inv.Request)
	if err != nil {
		return err
	}
	h, err := r.Client.Help(ctx, auth, q)
	if err != nil {
		return r.userError(err, personal)
	}
	p := r.prefix()
	if len(h.HelpStrings) == 0 {
		_, err := inv.Out.Send(ctx, opsgate.Textf("No StackStorm commands match."))
		return err
	}
	var b strings.Builder
	pack := "\x00"
	for _, hs := range h.HelpStrings {
		if hs.Pack != pack {
			pack = hs.Pack
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "*[%s]*\n", pack)
		}
		fmt.Fprintf(&b, "`%s %s`", p, hs.Display)
		if hs.Description != "" {
			fmt.Fprintf(&b, " - %s", hs.Description)
		}
		b.WriteString("\n")
	}
	if shown := q.Offset + len(h.HelpStrings); h.Available > shown {
		fmt.Fprintf(&b, "\nShowing %d-%d of %d: `%shelp --offset %d` for more.", q.Offset+1, shown, h.Available, p, shown)
	}
	a := Announcement{Message: strings.TrimRight(b.String(), "\n")}
	for _, m := range a.Messages(inv.Request.Platform, r.limit(inv.Request.Platform), opsgate.RedactorOf(inv.Out)) {
		if _, err := inv.Out.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
