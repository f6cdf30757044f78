package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// listCommand is a `list [--json]` subcommand: find's rows as JSON (an empty list, never null), or
// as a table with header's tab-separated columns and row's cells. find runs after the database
// is open, so it must not be a method value taken before (the services are nil until then).
func listCommand[T any](m *Main, short, header string, find func(ctx context.Context) ([]T, error), row func(T) []any) *cobra.Command {
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			rows, err := find(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if rows == nil {
					rows = []T{}
				}
				return writeJSON(m, rows)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, header)
			format := strings.Repeat("%v\t", strings.Count(header, "\t")) + "%v\n"
			for _, r := range rows {
				fmt.Fprintf(tw, format, row(r)...)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return list
}
