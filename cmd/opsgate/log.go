package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func (m *Main) logCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "log", Short: "Read the command log and the audit log"}
	var limit int
	var asJSON bool
	commands := &cobra.Command{
		Use:   "commands",
		Short: "Show recent command runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			es, err := m.CommandLog.FindCommandLogEntries(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m, es)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "START\tRUNTIME\tPLATFORM\tUSER\tCHANNEL\tCOMMAND\tSTATUS\tDETAILS")
			for _, e := range es {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Start.Format(time.RFC3339), e.Runtime.Round(time.Millisecond),
					e.Platform, nameID(e.UserName, e.UserID), nameID(e.ChannelName, e.ChannelID),
					strings.TrimSpace(e.Command+" "+e.Subcommand), e.Status, cut(e.Details, 60))
			}
			return tw.Flush()
		},
	}
	var object string
	audit := &cobra.Command{
		Use:   "audit",
		Short: "Show recent configuration changes, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			es, err := m.Audit.FindAuditEntries(cmd.Context(), object, limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m, es)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tOBJECT\tBEFORE\tAFTER")
			for _, e := range es {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\n", e.Time.Format(time.RFC3339), e.Actor, e.Action, e.Object, e.ObjectID, e.Before, e.After)
			}
			return tw.Flush()
		},
	}
	audit.Flags().StringVar(&object, "object", "", "only this kind of object (grant, token, secret, ...)")
	for _, c := range []*cobra.Command{commands, audit} {
		c.PreRunE = func(*cobra.Command, []string) error {
			if limit < 1 { // the store reads 0 or less as its own larger default
				return usageErrorf("--limit must be at least 1")
			}
			return nil
		}
		c.Flags().IntVar(&limit, "limit", 50, "how many entries")
		c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	}
	cmd.AddCommand(commands, audit)
	return cmd
}

// nameID shows who or where as "name (id)", or the id alone when there is no other name.
func nameID(name, id string) string {
	if name == "" || name == id {
		return id
	}
	return name + " (" + id + ")"
}

// cut folds s onto one line (a multi-line error would break the table) and shortens it to n
// characters, visibly.
func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
