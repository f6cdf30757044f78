package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func init() {
	registerCLI(func(m *Main) *cobra.Command { return m.groupCommand() })
}

func (m *Main) groupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Manage groups of chat users (for grants with --group)"}
	var g opsgate.Group
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a group, optionally with members",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g.Name = args[0]
			g.Normalize()
			if err := platformFlag(&g.Platform, true); err != nil {
				return err
			}
			if err := g.Validate(); err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := m.Groups.CreateGroup(actorContext(cmd.Context()), &g); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "group %s added (%d members)\n", g.Name, len(g.Members))
			return nil
		},
	}
	add.Flags().StringVar(&g.Platform, "platform", "", "the chat platform whose user ids the members are: "+strings.Join(kit.Names(kit.IsChat), ", ")+" (default: any)")
	add.Flags().StringArrayVar(&g.Members, "member", nil, "a member's user id; repeat for several")

	list := listCommand(m, "List groups and their members", "NAME\tPLATFORM\tMEMBERS",
		func(ctx context.Context) ([]*opsgate.Group, error) { return m.Groups.FindGroups(ctx, "") },
		func(g *opsgate.Group) []any { return []any{g.Name, orAny(g.Platform), strings.Join(g.Members, " ")} })

	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a group (refused while a grant names it)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := m.Groups.DeleteGroup(actorContext(cmd.Context()), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "group %s deleted\n", args[0])
			return nil
		},
	}

	member := &cobra.Command{Use: "member", Short: "Add or remove group members"}
	memberChange := func(use, short, done string, change func(cmd *cobra.Command, name string, users []string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME USER...",
			Short: short,
			RunE: func(cmd *cobra.Command, args []string) error {
				if len(args) < 2 {
					return usageErrorf("%s takes a group name and at least one user id", cmd.CommandPath())
				}
				for _, u := range args[1:] {
					if err := opsgate.ValidateMember(u); err != nil {
						return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
					}
				}
				if err := m.openDB(cmd.Context()); err != nil {
					return err
				}
				if err := change(cmd, args[0], args[1:]); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "group %s: %s %s\n", args[0], done, strings.Join(args[1:], " "))
				return nil
			},
		}
	}
	member.AddCommand(
		memberChange("add", "Add users to a group", "added", func(cmd *cobra.Command, name string, users []string) error {
			return m.Groups.AddGroupMembers(actorContext(cmd.Context()), name, users...)
		}),
		memberChange("remove", "Remove users from a group", "removed", func(cmd *cobra.Command, name string, users []string) error {
			return m.Groups.RemoveGroupMembers(actorContext(cmd.Context()), name, users...)
		}))
	cmd.AddCommand(add, list, del, member)
	return cmd
}
