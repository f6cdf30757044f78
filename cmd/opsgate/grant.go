package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func (m *Main) grantCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "grant", Short: "Manage access grants"}
	var g opsgate.Grant
	var typ, expires string
	var when []string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add an access grant",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g.Type = opsgate.GrantType(typ)
			g.Normalize()
			if err := platformFlag(&g.Platform, true); err != nil { // checked here too (the service does it) so bad input never opens the database
				return err
			}
			if expires != "" {
				t, err := parseExpiry(expires, time.Now())
				if err != nil {
					return &exitError{code: 2, msg: err.Error()}
				}
				g.ExpiresAt = &t
			}
			g.Conditions = nil
			for _, w := range when {
				c, err := opsgate.ParseCondition(w)
				if err != nil {
					return &exitError{code: 2, msg: "--when: " + opsgate.ErrorMessage(err)}
				}
				g.Conditions = append(g.Conditions, c)
			}
			g.Normalize()
			if err := g.Validate(); err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := m.Grants.CreateGrant(actorContext(cmd.Context()), &g); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "grant %d added\n", g.ID)
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&g.Command, "command", "", "command, or * for all (required)")
	f.StringVar(&g.Subcommand, "subcommand", "", "subcommand, a pattern like get-*, or * for all (default *)")
	f.StringVar(&typ, "type", "", "scope: organization, channel or user (required)")
	f.StringVar(&g.Value, "value", "", "the platform's id for the organization, channel or user, or * for any (required unless --group)")
	f.StringVar(&g.Group, "group", "", "with --type user: allow the members of this group (opsgate group add) instead of one --value")
	f.StringArrayVar(&when, "when", nil, "a condition that must also hold, TYPE=ID like channel=C0123 (organization, channel or user); repeat for several, all must hold")
	f.StringVar(&g.Name, "name", "", "a name for people (display only)")
	f.StringVar(&g.Platform, "platform", "", "limit the grant to one chat platform: "+strings.Join(kit.Names(kit.IsChat), ", "))
	f.StringVar(&expires, "expires", "", "expiry: an RFC 3339 time or a duration from now like 72h")
	for _, req := range []string{"command", "type"} {
		add.MarkFlagRequired(req)
	}

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List access grants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			gs, err := m.Grants.FindGrants(cmd.Context(), opsgate.GrantFilter{})
			if err != nil {
				return err
			}
			now := time.Now()
			expired := func(g *opsgate.Grant) bool { return g.ExpiresAt != nil && !now.Before(*g.ExpiresAt) }
			if asJSON {
				type listed struct {
					*opsgate.Grant
					Expired bool `json:"expired,omitempty"`
				}
				out := make([]listed, len(gs))
				for i, g := range gs {
					out[i] = listed{g, expired(g)}
				}
				return writeJSON(m, out)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPLATFORM\tCOMMAND\tSUBCOMMAND\tTYPE\tVALUE\tNAME\tEXPIRES\tWHEN")
			for _, g := range gs {
				exp := ""
				if g.ExpiresAt != nil {
					exp = g.ExpiresAt.UTC().Format(time.RFC3339)
				}
				if expired(g) { // it stays listed (and audited) until deleted, but allows nothing
					exp += " (expired)"
				}
				var conds []string
				for _, c := range g.Conditions {
					conds = append(conds, c.String())
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, orAny(g.Platform), g.Command, g.Subcommand, g.Type, g.Target(), g.Name, exp, strings.Join(conds, " "))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	del := m.deleteByIDCommand("grant", "Delete an access grant", func(ctx context.Context, id int64) error {
		return m.Grants.DeleteGrant(ctx, id)
	})
	cmd.AddCommand(add, list, del)
	return cmd
}

// deleteByIDCommand is `<noun> delete ID` for objects deleted by numeric id, audited as the CLI user.
func (m *Main) deleteByIDCommand(noun, short string, del func(ctx context.Context, id int64) error) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageErrorf("%s id %q is not a number", noun, args[0])
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := del(actorContext(cmd.Context()), id); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%s %d deleted\n", noun, id)
			return nil
		},
	}
}

// parseExpiry reads --expires: a duration from now or an RFC 3339 time, in the future (a grant
// expired at creation would be stored and listed, yet allow nothing).
func parseExpiry(s string, now time.Time) (time.Time, error) {
	t, err := opsgate.ParseExpiry("--expires", s, now)
	if err != nil {
		return t, errors.New(opsgate.ErrorMessage(err))
	}
	return t, nil
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func writeJSON(m *Main, v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// exactArgs is cobra.ExactArgs with exit status 2.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %d argument(s), got %d; see --help", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}
