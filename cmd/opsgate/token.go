package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func (m *Main) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage command tokens (Mattermost slash commands, webhooks)"}
	var t opsgate.CommandToken
	var plain string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a command token; prints it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := kit.TokenPlatform(t.Platform)
			if err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			t.Platform = p
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			tok, err := m.Tokens.CreateToken(actorContext(cmd.Context()), &t, plain)
			if err != nil {
				return err
			}
			if plain != "" {
				fmt.Fprintf(m.Stdout, "token %d added for %s (prefix %s)\n", t.ID, t.Platform, t.Prefix)
				return nil
			}
			fmt.Fprintf(m.Stdout, "token %d added for %s; it is shown only now:\n%s\n", t.ID, t.Platform, tok)
			return nil
		},
	}
	add.Flags().StringVar(&t.Platform, "platform", "", "platform the token authenticates: "+strings.Join(kit.Names(kit.TakesTokens), ", ")+" (required)")
	add.Flags().StringVar(&t.Comment, "comment", "", "what the token is for")
	add.Flags().StringVar(&plain, "token", "", "import an existing token (e.g. the one Mattermost shows) instead of generating one")
	add.MarkFlagRequired("platform")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List command tokens (prefixes only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			ts, err := m.Tokens.FindTokens(cmd.Context(), "")
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m, ts)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPLATFORM\tPREFIX\tCOMMENT\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\n", t.ID, t.Platform, t.Prefix, t.Comment, t.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	del := m.deleteByIDCommand("token", "Delete a command token", func(ctx context.Context, id int64) error {
		return m.Tokens.DeleteToken(ctx, id)
	})
	cmd.AddCommand(add, list, del)
	return cmd
}
