package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/approval"
	"github.com/opsgate/opsgate/kit"
)

func init() {
	registerCLI(func(m *Main) *cobra.Command { return m.approvalCommand() })
	registerModule(module{Name: "approval", Order: 5, Setup: setupApproval})
}

// setupApproval puts the approval gate in the pipeline, with `approve` and `deny`.
func setupApproval(ctx context.Context, m *Main) error {
	g := &approval.Gate{Store: m.Approvals, Groups: m.Groups, Log: m.CommandLog, Logger: m.Logger,
		Handle: m.runHere, Open: m.openChannel}
	if err := g.Reload(ctx); err != nil {
		return fmt.Errorf("loading approval rules: %w", err)
	}
	m.Pipeline.SetGate(g)
	for _, c := range g.Commands() {
		m.Pipeline.Register(c)
	}
	// Rules changed elsewhere and requests past their time are picked up like grant changes.
	rctx, cancel := context.WithCancel(context.Background())
	go g.Run(rctx, m.Config.GrantReloadInterval.D())
	m.OnStop(func(context.Context) error { cancel(); return nil })
	return nil
}

func (m *Main) approvalCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "approval", Short: "Manage two-person approval rules and see held requests"}
	var r opsgate.ApprovalRule
	var timeout string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add an approval rule: matching commands wait until enough approvers approve",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout != "" {
				d, err := time.ParseDuration(timeout)
				if err != nil {
					return usageErrorf("--timeout %q is not a duration like 30m or 4h", timeout)
				}
				r.Timeout = d
			}
			r.Normalize()
			if err := platformFlag(&r.Platform, true); err != nil {
				return err
			}
			if err := r.Validate(); err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := m.Approvals.CreateApprovalRule(actorContext(cmd.Context()), &r); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "approval rule %d added\n", r.ID)
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&r.Command, "command", "", "command, or * for all (required)")
	f.StringVar(&r.Subcommand, "subcommand", "", "subcommand, a pattern like redeploy-*, or * for all (default *)")
	f.StringVar(&r.Platform, "platform", "", "only on this chat platform: "+strings.Join(kit.Names(kit.IsChat), ", "))
	f.StringArrayVar(&r.Approvers, "approver", nil, "user id of an approver; repeat for several")
	f.StringArrayVar(&r.Groups, "group", nil, "a group whose members may approve; repeat for several")
	f.IntVar(&r.Required, "required", 1, "how many approvals are needed")
	f.StringVar(&timeout, "timeout", "1h", "how long a request waits before it expires")
	add.MarkFlagRequired("command")

	list := listCommand(m, "List approval rules", "ID\tPLATFORM\tCOMMAND\tSUBCOMMAND\tREQUIRED\tAPPROVERS\tGROUPS\tTIMEOUT",
		func(ctx context.Context) ([]*opsgate.ApprovalRule, error) { return m.Approvals.FindApprovalRules(ctx) }, func(r *opsgate.ApprovalRule) []any {
			return []any{r.ID, orAny(r.Platform), r.Command, r.Subcommand, r.Required, strings.Join(r.Approvers, " "), strings.Join(r.Groups, " "), r.Timeout}
		})

	var status string
	var limit int
	requests := listCommand(m, "List requests held for approval, newest first", "ID\tSTATUS\tPLATFORM\tCHANNEL\tUSER\tTEXT\tAPPROVALS\tEXPIRES",
		func(ctx context.Context) ([]*opsgate.ApprovalRequest, error) {
			return m.Approvals.FindApprovalRequests(ctx, status, limit)
		},
		func(a *opsgate.ApprovalRequest) []any {
			return []any{a.ID, a.Status, a.Request.Platform, a.Request.ChannelID, a.Request.UserID, a.Request.Text,
				fmt.Sprintf("%d/%d %s", len(a.Approvals), a.Required, strings.Join(a.Approvals, " ")), a.ExpiresAt.Format(time.RFC3339)}
		})
	requests.Use = "requests"
	requests.Flags().StringVar(&status, "status", "", "only this status: awaiting_approval, approved, denied, expired")
	requests.Flags().IntVar(&limit, "limit", 50, "at most this many")

	del := m.deleteByIDCommand("approval rule", "Delete an approval rule", func(ctx context.Context, id int64) error {
		return m.Approvals.DeleteApprovalRule(ctx, id)
	})
	cmd.AddCommand(add, list, requests, del)
	return cmd
}
