package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/acl"
)

// aclReloadInterval is how often the ACL file is checked for changes.
const aclReloadInterval = 2 * time.Second

func init() {
	registerCLI(func(m *Main) *cobra.Command { return m.aclCommand() })
	registerModule(module{Name: "acl", Order: 30, Setup: setupACL})
}

// setupACL enforces the Errbot ACL file named by acl.file, reloading it when it changes. A file that
// does not load stops start-up; a later bad edit is logged and the previous ACL stays in force.
func setupACL(ctx context.Context, m *Main) error {
	path := m.Config.ACL.File
	if path == "" {
		return nil
	}
	p := acl.NewPolicy(&acl.Config{})
	interval := m.Config.ACL.ReloadInterval.D()
	if interval <= 0 {
		interval = aclReloadInterval
	}
	w := &acl.Watcher{Policy: p, Path: path, Interval: interval,
		OnReload: func(c *acl.Config, err error) {
			if err != nil {
				m.Logger.Error("acl reload failed, keeping the previous ACL", "file", path, "err", opsgate.ErrorMessage(err))
				return
			}
			m.Logger.Info("acl reloaded", "file", path, "rules", len(c.Rules))
			m.tellChanged() // replicas reading the same file check it now
		}}
	m.onChanged(w.Poke)
	if err := w.Load(); err != nil {
		if opsgate.ErrorCode(err) == opsgate.EINTERNAL {
			return fmt.Errorf("acl.file: %w", err)
		}
		return err
	}
	p.AdminOnly = func(r *opsgate.Route) bool { return r.AdminOnly }
	m.Pipeline.AddPolicy(p)
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(wctx); close(done) }()
	m.OnStop(func(context.Context) error { cancel(); <-done; return nil })
	m.Logger.Info("acl loaded", "file", path, "rules", len(p.Config().Rules))
	return nil
}

func (m *Main) aclCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "acl", Short: "Errbot-compatible access control lists"}
	var file, user, room, plugin string
	var adminOnly bool
	check := &cobra.Command{
		Use:   "check --acl FILE --user U [--room R] [--plugin P] [--admin-only] TEXT",
		Short: "Show whether an ACL file lets a user run a command: prints allowed (exit 0) or the denial (exit 1)",
		Long: `Show whether an ACL file lets a user run a command. TEXT is the command as typed in chat:
its first word is the command, the rest its arguments. Without --room the check is for a direct
message. U and R may be ids or names (@alice, alice, #ops, C024BE91L). Flags go before TEXT.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("acl check: TEXT (the command to check) is required")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" || user == "" {
				return usageErrorf("acl check: --acl and --user are required")
			}
			c, err := acl.Load(file)
			if err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			text := strings.Join(args, " ")
			words := opsgate.SplitWords(text)
			if len(words) == 0 {
				return usageErrorf("acl check: TEXT is empty")
			}
			s := opsgate.Subject{Platform: "cli", UserID: user, UserName: strings.TrimPrefix(user, "@"), Direct: room == ""}
			if room != "" {
				s.ChannelID, s.ChannelName = room, strings.TrimPrefix(room, "#")
			}
			p := acl.NewPolicy(c)
			p.AdminOnly = func(*opsgate.Route) bool { return adminOnly }
			denial, _ := p.Allow(s, &opsgate.Route{Group: plugin, Command: words[0], Args: words[1:]}, text)
			if denial != "" {
				fmt.Fprintln(m.Stdout, denial)
				return &exitError{code: 1}
			}
			fmt.Fprintln(m.Stdout, "allowed")
			return nil
		},
	}
	// TEXT may contain words that look like flags (deploy web --force): flags must come first.
	check.Flags().SetInterspersed(false)
	f := check.Flags()
	f.StringVar(&file, "acl", "", "ACL file (Errbot ACCESS_CONTROLS etc. as YAML) (required)")
	f.StringVar(&user, "user", "", "user id or name, e.g. @alice (required)")
	f.StringVar(&room, "room", "", "room id or name, e.g. #ops (default: a direct message)")
	f.StringVar(&plugin, "plugin", acl.DefaultPlugin, "the command's plugin: opsgate for built-ins, the alias pack, st2 for StackStorm")
	f.BoolVar(&adminOnly, "admin-only", false, "check the command as an admin-only command (BOT_ADMINS)")
	cmd.AddCommand(check)
	return cmd
}
