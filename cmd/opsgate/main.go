// Command opsgate runs the opsgate ChatOps server and its admin CLI. This is the only package
// that knows every other one: it reads the configuration and wires them together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"sort"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	"github.com/opsgate/opsgate/alias"
	ohttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/pipeline"
	"github.com/opsgate/opsgate/queue"
	"github.com/opsgate/opsgate/secret"
	"github.com/opsgate/opsgate/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program: configuration, the services it opened, and the streams it talks on.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Environ        []string

	ConfigPath string
	Config     Config
	Logger     *slog.Logger
	// Redactor scrubs every secret value resolved so far from logs, replies, the command log and the audit log.
	Redactor *secret.Redactor
	// Secrets resolves secret references; set by the secrets module (Order 10).
	Secrets *secret.Service
	// Announce is where messages nobody asked for in a request (StackStorm announcements, webhook
	// posts) go on each platform; the platform modules register themselves.
	Announce kit.Targets
	// AliasFallback runs aliases whose action opsgate cannot run itself (no `opsgate:` runner):
	// set by the StackStorm module when StackStorm is configured.
	AliasFallback alias.Executor
	// Aliases returns the aliases in force; set by the aliases module (Order 30).
	Aliases func() *alias.Set

	DB         *store.DB
	Grants     *store.GrantService
	Groups     *store.GroupService
	Approvals  *store.ApprovalService
	Schedules  *store.ScheduleService
	Tokens     *store.TokenService
	Audit      *store.AuditService
	CommandLog *store.CommandLogService
	Auth       *access.Authorizer
	Watcher    *access.Watcher
	Pipeline   *pipeline.Pipeline
	HTTP       *ohttp.Server
	// Guard limits refused credentials per client address, shared by every endpoint that checks a token.
	Guard *kit.Guard
	// Serving is true under `serve` (HTTP listening), false under `chat` and admin commands.
	Serving bool
	// Queue, when nats.url is set, carries accepted commands to whichever replica runs them.
	Queue *queue.Queue
	// Posts, when nats.url is set, carries StackStorm announcements and webhook posts to the one
	// replica that posts each: made by the StackStorm module, started by the nats module.
	Posts *queue.Posts
	nc    *nats.Conn // nats.url's connection, shared by the queue, claims and leases (natskv.go)
	kv    *natsKV    // claims and leases in JetStream when nats.url is set
	// replays decides replays of signed requests in memory when this serve alone holds its SQLite
	// database (servelock.go).
	replays *kit.Replays
	// changed run when a replica says on PREFIX.changed that grants, groups, aliases or the ACL changed.
	changed []func()

	// status is what the web UI's status page shows beyond the health endpoints (status.go).
	status statusBoard

	flagDatabase, flagListen string
	verbose, existingDBOnly  bool
	stops                    []func(context.Context) error
}

// NewMain returns a Main on the process's standard streams and environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()}
}

// module is a piece of opsgate wired at start-up (a platform, aliases, secrets, StackStorm).
// Setup runs after the core is built, lowest Order first.
type module struct {
	Name  string
	Order int
	Setup func(ctx context.Context, m *Main) error
}

var (
	modules     []module
	cliCommands []func(m *Main) *cobra.Command
)

func registerModule(mod module) { modules = append(modules, mod) }

func registerCLI(f func(m *Main) *cobra.Command) { cliCommands = append(cliCommands, f) }

// OnStop registers cleanup run at shutdown, last registered first.
func (m *Main) OnStop(f func(context.Context) error) { m.stops = append(m.stops, f) }

// exitError carries an exit status: 1 for a refusal or failure, 2 for bad usage.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// Run runs the CLI with args and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	err := root.ExecuteContext(ctx)
	m.close(context.Background())
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(m.Stderr, "opsgate: "+ee.msg)
		}
		return ee.code
	}
	msg, code := err.Error(), 1
	var oe *opsgate.Error
	if errors.As(err, &oe) {
		msg = oe.Message
		if oe.Code == opsgate.EINVALID {
			code = 2 // bad input, whichever layer found it
		}
	} else if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "required flag") {
		code = 2 // cobra's own usage errors
	}
	fmt.Fprintln(m.Stderr, "opsgate: "+oneLine(msg))
	return code
}

// oneLine folds a multi-line error (drivers like to print one line per address) into one line.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "opsgate",
		Short:         "opsgate runs operations commands from chat, safely.",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := LoadConfig(m.ConfigPath, m.Environ)
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			if m.flagDatabase != "" {
				cfg.Database = m.flagDatabase
			}
			if m.flagListen != "" {
				cfg.Listen = m.flagListen
			}
			if m.flagDatabase != "" || m.flagListen != "" {
				if err := cfg.Validate(); err != nil { // flags obey the rules the file does
					return &exitError{code: 2, msg: err.Error()}
				}
			}
			m.Config = cfg
			m.existingDBOnly = needsExistingDB[strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")]
			level, _ := parseLevel(cfg.LogLevel)
			m.Redactor = secret.NewRedactor()
			m.Logger = slog.New(secret.NewRedactingHandler(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: level}), m.Redactor))
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.PersistentFlags().StringVar(&m.ConfigPath, "config", "", "YAML configuration file")
	root.PersistentFlags().BoolVarP(&m.verbose, "verbose", "v", false, "say which database is used")
	root.PersistentFlags().StringVar(&m.flagDatabase, "database", "", "database DSN: sqlite://PATH, postgres://..., mysql://... (default sqlite://opsgate.db)")
	root.AddCommand(m.serveCommand(), m.migrateCommand(), m.chatCommand(), m.grantCommand(), m.accessCommand(),
		m.tokenCommand(), m.logCommand(), m.versionCommand())
	for _, f := range cliCommands {
		root.AddCommand(f(m))
	}
	rejectUnknownSubcommands(root)
	return root
}

// rejectUnknownSubcommands makes every command group fail with exit 2 on a word that is none of
// its subcommands: cobra only checks that at the root, and below it prints the group's help and
// exits 0, so a script's `opsgate grant dlete 5` looked like a successful deletion.
func rejectUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		rejectUnknownSubcommands(sub)
	}
	if c.HasParent() && c.HasSubCommands() && !c.Runnable() {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return cmd.Help()
		}
	}
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("config: log_level %q is not one of debug, info, warn, error", s)
	}
	return l, nil
}

// openDB opens and migrates the configured database and the stores on it.
func (m *Main) openDB(ctx context.Context) error {
	if m.DB != nil {
		return nil
	}
	m.sayDatabase()
	if err := m.checkDatabaseFile(); err != nil {
		return err
	}
	db, err := store.Open(ctx, m.Config.Database)
	if err != nil {
		return err
	}
	if m.Redactor != nil { // a nil *secret.Redactor in the interface would not be nil
		db.Redactor = m.Redactor
	}
	m.DB = db
	m.Grants, m.Tokens = store.NewGrantService(db), store.NewTokenService(db)
	m.Groups, m.Approvals, m.Schedules = store.NewGroupService(db), store.NewApprovalService(db), store.NewScheduleService(db)
	m.Grants.Platform, m.Tokens.Platform = kit.ChatPlatform, kit.TokenPlatform
	m.Audit, m.CommandLog = store.NewAuditService(db), store.NewCommandLogService(db)
	return nil
}

// build opens the database and assembles the core and every module, without listening.
func (m *Main) build(ctx context.Context) error {
	if err := m.openDB(ctx); err != nil {
		return err
	}
	m.Auth = access.New(nil)
	m.Watcher = &access.Watcher{Auth: m.Auth, Grants: m.Grants, Groups: m.Groups, Audit: m.Audit, Interval: m.Config.GrantReloadInterval.D(), Logger: m.Logger}
	if err := m.Watcher.Reload(ctx); err != nil {
		return fmt.Errorf("loading grants: %w", err)
	}
	m.Pipeline = pipeline.New(pipeline.Config{RestrictHelp: m.Config.RestrictHelp, Timeout: m.Config.CommandTimeout.D()},
		m.Auth, m.CommandLog, m.Logger)
	m.HTTP = ohttp.NewServer(m.Config.Listen, m.Logger)
	m.HTTP.Ready["database"] = m.DB.Ping
	if err := m.setupTLS(); err != nil {
		return err
	}
	proxies, _ := kit.ParseTrustedProxies(m.Config.TrustedProxies) // validated with the config
	m.Guard = kit.NewGuard(kit.GuardOptions{Proxies: proxies})
	(&ohttp.API{Grants: m.Grants, Tokens: m.Tokens, Auth: m.Auth, Audit: m.Audit, CommandLog: m.CommandLog, Approvals: m.Approvals, Groups: m.Groups, Schedules: m.Schedules, Logger: m.Logger, Guard: m.Guard}).Register(m.HTTP)
	mods := append([]module(nil), modules...)
	sort.SliceStable(mods, func(i, j int) bool { return mods[i].Order < mods[j].Order })
	for _, mod := range mods {
		if err := mod.Setup(ctx, m); err != nil {
			return fmt.Errorf("%s: %w", mod.Name, err)
		}
	}
	return nil
}

// close shuts down what build and openDB started.
func (m *Main) close(ctx context.Context) {
	if m.Pipeline != nil {
		sctx, cancel := context.WithTimeout(ctx, m.Config.ShutdownTimeout.D())
		if err := m.Pipeline.Close(sctx); err != nil && m.Logger != nil {
			m.Logger.Warn("shutdown", "err", err)
		}
		cancel()
		m.Pipeline = nil
	}
	for i := len(m.stops) - 1; i >= 0; i-- {
		if err := m.stops[i](ctx); err != nil && m.Logger != nil {
			m.Logger.Warn("shutdown", "err", err)
		}
	}
	m.stops = nil
	if m.DB != nil {
		m.DB.Close()
		m.DB = nil
	}
}

// actorContext marks admin CLI changes with the OS user in the audit log.
func actorContext(ctx context.Context) context.Context {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return opsgate.NewContextWithActor(ctx, "cli:"+name)
}

func (m *Main) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "database %s is up to date\n", store.RedactDSN(m.Config.Database))
			return nil
		},
	}
}

func (m *Main) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the opsgate server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m.Serving = true
			if err := m.build(ctx); err != nil {
				return err
			}
			if err := m.HTTP.Open(); err != nil {
				return err
			}
			wctx, stopWatch := context.WithCancel(context.Background())
			go m.Watcher.Run(wctx)
			m.Logger.Info("opsgate listening", "url", m.HTTP.URL(), "database", store.RedactDSN(m.Config.Database), "grants", m.Auth.Len())
			fmt.Fprintf(m.Stdout, "opsgate listening on %s\n", m.HTTP.URL())
			<-ctx.Done()
			m.Logger.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout.D())
			defer cancel()
			stopWatch()
			return m.HTTP.Close(sctx)
		},
	}
	cmd.Flags().StringVar(&m.flagListen, "listen", "", "address to listen on (default 127.0.0.1:8080)")
	return cmd
}

func (m *Main) chatCommand() *cobra.Command {
	var req opsgate.Request
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Chat with opsgate in the terminal, through the same pipeline as every platform",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := platformFlag(&req.Platform, false); err != nil {
				return err
			}
			for flag, v := range map[string]string{"--org": req.OrgID, "--channel": req.ChannelID, "--user": req.UserID} {
				if strings.TrimSpace(v) == "" {
					return usageErrorf("%s cannot be empty: it is the id grants are checked against", flag)
				}
			}
			if err := m.build(cmd.Context()); err != nil {
				return err
			}
			if req.UserName == "" {
				req.UserName = req.UserID
			}
			prompt := ""
			if f, ok := m.Stdin.(*os.File); ok && isTerminal(f) {
				prompt = "> "
			}
			// Grants changed elsewhere (the CLI, the admin API) apply during the chat too.
			wctx, stopWatch := context.WithCancel(context.Background())
			defer stopWatch()
			go m.Watcher.Run(wctx)
			return runTerminalChat(cmd.Context(), m, req, prompt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Platform, "platform", "terminal", "chat platform the messages claim to come from: "+strings.Join(kit.Names(kit.IsChat), ", ")+" (grants may be platform-scoped)")
	f.StringVar(&req.OrgID, "org", "local", "organization id")
	f.StringVar(&req.OrgName, "org-name", "", "organization name")
	f.StringVar(&req.ChannelID, "channel", "terminal", "channel id")
	f.StringVar(&req.ChannelName, "channel-name", "", "channel name")
	f.StringVar(&req.UserID, "user", currentUser(), "user id")
	f.StringVar(&req.UserName, "user-name", "", "user name (default: the user id)")
	f.BoolVar(&req.Direct, "direct", false, "the conversation is a direct message to the bot")
	return cmd
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "local"
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
