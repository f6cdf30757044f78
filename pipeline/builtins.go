package pipeline

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/opsgate/opsgate"
)

// helpCommand lists what the caller can run. With restrict_help only entries a user-scope grant
// allows for the caller are shown; policies (Errbot's HIDE_RESTRICTED_COMMANDS) may hide more.
func (p *Pipeline) helpCommand() *opsgate.Command {
	return &opsgate.Command{
		Name:   "help",
		Help:   "List the commands you can use; `help COMMAND` for one command.",
		Params: []opsgate.Param{{Name: "command", Optional: true}},
		Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			s := inv.Request.Subject()
			only := strings.ToLower(inv.Route.Params["command"])
			byCommand := map[string][]opsgate.HelpEntry{}
			for _, r := range p.routers {
				for _, e := range r.Help() {
					if only != "" && strings.ToLower(e.Command) != only {
						continue
					}
					if p.cfg.RestrictHelp && e.Command != "help" && e.Command != "whoami" && !p.auth.UserAllowed(s, e.Command, e.Subcommand) {
						continue
					}
					if !p.visible(s, e) {
						continue
					}
					byCommand[e.Command] = append(byCommand[e.Command], e)
				}
			}
			if len(byCommand) == 0 {
				if only != "" {
					return opsgate.Errorf(opsgate.ENOTFOUND, "There is no command %q you can use.", only)
				}
				return opsgate.Errorf(opsgate.ENOTFOUND, "There are no commands you can use yet. Send `whoami` and give the ids to your administrator.")
			}
			names := make([]string, 0, len(byCommand))
			for n := range byCommand {
				names = append(names, n)
			}
			sort.Strings(names)
			var b strings.Builder
			for _, n := range names {
				for _, e := range byCommand[n] {
					fmt.Fprintf(&b, "`%s` %s\n", e.Usage, e.Help)
				}
			}
			_, err := inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{
				opsgate.Header{Text: "Commands you can use"}, opsgate.Text{Markdown: strings.TrimRight(b.String(), "\n")},
			}})
			return err
		},
	}
}

func (p *Pipeline) visible(s opsgate.Subject, e opsgate.HelpEntry) bool {
	for _, pol := range p.policies {
		if !pol.Visible(s, e) {
			return false
		}
	}
	return true
}

// whoamiCommand shows the caller the ids an administrator needs to write grants for them. It is
// exempt from grants: a user without any grant needs it to ask for one.
func whoamiCommand() *opsgate.Command {
	return &opsgate.Command{
		Name:   "whoami",
		Help:   "Show your platform, organization, channel and user ids (what an administrator needs for a grant).",
		Exempt: true,
		Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			r := inv.Request
			_, err := inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Fields{Fields: []opsgate.Field{
				{Name: "Platform", Value: r.Platform},
				{Name: "Organization", Value: idName(r.OrgID, r.OrgName)},
				{Name: "Channel", Value: idName(r.ChannelID, r.ChannelName)},
				{Name: "User", Value: idName(r.UserID, r.UserName)},
			}}}})
			return err
		},
	}
}

func idName(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return id + " (" + name + ")"
}
