package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
)

// exemptCommand is the pipeline's built-in command that skips the grants (Command.Exempt).
const exemptCommand = "whoami"

func (m *Main) accessCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "access", Short: "Check and explain access decisions"}
	var s opsgate.Subject
	var explain bool
	check := &cobra.Command{
		Use:   "check [flags] COMMAND [SUBCOMMAND]",
		Short: "Print whether a user may run a command: allowed, or denied with the message the user would see",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageErrorf("access check takes COMMAND [SUBCOMMAND]")
			}
			if s.OrgID == "" || s.ChannelID == "" || s.UserID == "" {
				return usageErrorf("access check needs --org, --channel and --user")
			}
			if err := platformFlag(&s.Platform, true); err != nil {
				return err
			}
			command, sub := args[0], ""
			if len(args) == 2 {
				sub = args[1]
			}
			if strings.EqualFold(command, exemptCommand) {
				fmt.Fprintln(m.Stdout, "allowed")
				if explain {
					fmt.Fprintln(m.Stdout, "  "+exemptCommand+" is exempt from access grants (people without grants need it to learn their ids)")
				}
				return nil
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			gs, err := m.Grants.FindGrants(cmd.Context(), opsgate.GrantFilter{})
			if err != nil {
				return err
			}
			groups, err := m.Groups.FindGroups(cmd.Context(), "")
			if err != nil {
				return err
			}
			d := access.New(gs, groups...).Decide(s, command, sub)
			if d.Allowed {
				fmt.Fprintln(m.Stdout, "allowed")
			} else {
				fmt.Fprintln(m.Stdout, "denied: "+d.Message)
			}
			if explain {
				fmt.Fprint(m.Stdout, access.Explain(d, gs))
			}
			if !d.Allowed {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := check.Flags()
	f.StringVar(&s.Platform, "platform", "", "platform of the request")
	f.StringVar(&s.OrgID, "org", "", "organization id")
	f.StringVar(&s.ChannelID, "channel", "", "channel id")
	f.StringVar(&s.UserID, "user", "", "user id")
	f.StringVar(&s.OrgName, "org-name", "", "organization name (for the message)")
	f.StringVar(&s.ChannelName, "channel-name", "", "channel name (for the message)")
	f.StringVar(&s.UserName, "user-name", "", "user name (for the message)")
	f.BoolVar(&explain, "explain", false, "say which grants allowed it, or which scope failed and the grant that would fix it")
	cmd.AddCommand(check)
	return cmd
}
