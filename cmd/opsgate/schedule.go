package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/scheduler"
)

func init() {
	registerCLI(func(m *Main) *cobra.Command { return m.scheduleCommand() })
	registerModule(module{Name: "schedules", Order: 90, Setup: setupSchedules})
}

// setupSchedules runs the scheduler in `serve` (not in a terminal chat): every replica ticks,
// claims decide which one runs each planned time.
func setupSchedules(_ context.Context, m *Main) error {
	m.Schedules.Check = scheduler.Check // the admin API adds schedules too
	if !m.Serving {
		return nil
	}
	r := &scheduler.Runner{Store: m.Schedules, Claim: m.claim, Unclaim: m.unclaim, Now: m.DB.Now, Logger: m.Logger,
		Handle: m.runHere, Open: m.openChannel}
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx, m.Config.GrantReloadInterval.D())
	m.OnStop(func(context.Context) error { cancel(); return nil })
	return nil
}

func (m *Main) scheduleCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "schedule", Short: "Manage scheduled commands"}
	var s opsgate.Schedule
	add := &cobra.Command{
		Use:   `add --cron "0 9 * * 1-5" --platform P --channel C --as USER [flags] "command text"`,
		Short: "Schedule a command, run through the pipeline as USER (grants apply at run time)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("schedule add takes the command text as one argument (quote it), got %d", len(args))
			}
			s.Text = args[0]
			s.Normalize()
			if err := platformFlag(&s.Platform, true); err != nil {
				return err
			}
			if err := s.Validate(); err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := scheduler.Check(&s); err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			m.Schedules.Check = scheduler.Check
			if err := m.Schedules.CreateSchedule(actorContext(cmd.Context()), &s); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "schedule %d added\n", s.ID)
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&s.Cron, "cron", "", `when: five cron fields (minute hour day-of-month month day-of-week) or @hourly, @daily, "@every 10m"`)
	f.StringVar(&s.TimeZone, "tz", "UTC", "the IANA time zone the cron fields are in, like Europe/Paris")
	f.StringVar(&s.Platform, "platform", "", "chat platform to run on: "+strings.Join(kit.Names(kit.IsChat), ", "))
	f.StringVar(&s.OrgID, "org", "", "organization id (team, tenant) of the channel")
	f.StringVar(&s.ChannelID, "channel", "", "channel id the command runs in and answers to")
	f.StringVar(&s.UserID, "as", "", "user id the command runs as (their grants apply)")
	f.StringVar(&s.Missed, "missed", opsgate.MissedSkip, "runs missed while opsgate was down: skip, or run_once (the latest, once)")
	for _, req := range []string{"cron", "platform", "channel", "as"} {
		add.MarkFlagRequired(req)
	}

	list := listCommand(m, "List scheduled commands", "ID\tCRON\tTZ\tPLATFORM\tCHANNEL\tAS\tMISSED\tTEXT",
		func(ctx context.Context) ([]*opsgate.Schedule, error) { return m.Schedules.FindSchedules(ctx) }, func(s *opsgate.Schedule) []any {
			return []any{s.ID, s.Cron, s.TimeZone, s.Platform, s.ChannelID, s.UserID, s.Missed, s.Text}
		})
	del := m.deleteByIDCommand("schedule", "Delete a scheduled command", func(ctx context.Context, id int64) error {
		return m.Schedules.DeleteSchedule(ctx, id)
	})
	cmd.AddCommand(add, list, del)
	return cmd
}
