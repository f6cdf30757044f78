package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/alias"
	"github.com/opsgate/opsgate/executor"
	"github.com/opsgate/opsgate/store"
)

func init() {
	registerCLI(func(m *Main) *cobra.Command { return m.aliasCommand() })
	registerModule(module{Name: "aliases", Order: 30, Setup: setupAliases})
}

// setupAliases loads aliases.dir and the aliases stored in the database into the pipeline and
// follows changes to both. Files (or rows) that do not load are logged with file, line and reason;
// the others work.
func setupAliases(ctx context.Context, m *Main) error {
	cfg := m.Config.Aliases
	mode, _ := alias.ParseMode(cfg.Match)
	specs := &specCache{}
	src := &aliasSources{mode: mode, logger: m.Logger}
	src.set.Store(alias.NewSet(nil, mode))
	m.Aliases = src.current
	interval := cfg.ReloadInterval.D()
	if interval <= 0 {
		interval = 2 * time.Second
	}
	wctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	m.OnStop(func(context.Context) error { cancel(); wg.Wait(); return nil })
	if cfg.Dir != "" {
		if fi, err := os.Stat(cfg.Dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("aliases.dir %q is not a readable directory", cfg.Dir)
		}
		var loaded bool
		d := &alias.Dir{Path: cfg.Dir, Mode: mode, Interval: interval, Logger: m.Logger, Validate: specs.validate,
			OnLoad: func(s *alias.Set, _ []error) {
				src.update(s.Aliases, nil, true)
				if loaded {
					m.tellChanged() // replicas reading the same files look at them now
				}
			}}
		d.Load()
		loaded = true
		m.onChanged(d.Poke)
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(wctx) }()
	}
	if m.DB != nil {
		db := &aliasDB{svc: store.NewAliasService(m.DB), audit: m.Audit, specs: specs, src: src, logger: m.Logger,
			poke: make(chan struct{}, 1)}
		m.onChanged(db.Poke)
		if err := db.load(ctx); err != nil {
			return fmt.Errorf("loading aliases from the database: %w", err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); db.run(wctx, interval) }()
	}
	ex := &executor.Executor{}
	if m.Secrets != nil {
		ex.Resolve = m.Secrets.Resolve
	}
	r := &alias.Router{
		Aliases: src.current,
		Execute: func(ctx context.Context, a *alias.Alias, params map[string]string) (*alias.Execution, error) {
			return runAlias(ctx, ex, specs, m.AliasFallback, a, params)
		},
		Timeout: func(a *alias.Alias) time.Duration {
			if s := specs.get(a); s != nil {
				// The runner enforces its own timeout; leave it room to report.
				return max(s.MaxDuration()+5*time.Second, m.Config.CommandTimeout.D())
			}
			return 0
		},
	}
	m.Pipeline.AddRouter(r)
	return nil
}

// aliasSources merges the aliases from files and from the database into one set; on a ref defined
// in both, the file wins.
type aliasSources struct {
	mode   alias.Mode
	logger *slog.Logger
	set    atomic.Pointer[alias.Set]
	mu     sync.Mutex
	files  []*alias.Alias
	rows   []*alias.Alias
}

func (s *aliasSources) current() *alias.Set { return s.set.Load() }

func (s *aliasSources) update(files, rows []*alias.Alias, fromFiles bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fromFiles {
		s.files = files
	} else {
		s.rows = rows
	}
	merged := append([]*alias.Alias(nil), s.files...)
	seen := map[string]bool{}
	for _, a := range s.files {
		seen[a.Ref()] = true
	}
	for _, a := range s.rows {
		if seen[a.Ref()] {
			s.logger.Error("alias in the database ignored: a file defines it", "alias", a.Ref())
			continue
		}
		merged = append(merged, a)
	}
	s.set.Store(alias.NewSet(merged, s.mode))
}

// aliasDB loads stored aliases and reloads them when the audit log moves (a change on any replica).
type aliasDB struct {
	svc    *store.AliasService
	audit  *store.AuditService
	specs  *specCache
	src    *aliasSources
	logger *slog.Logger
	last   int64
	poke   chan struct{}
}

// Poke makes run look at the audit log now (a replica announced a change).
func (d *aliasDB) Poke() {
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

func (d *aliasDB) load(ctx context.Context) error {
	if d.audit != nil {
		id, err := d.audit.LastAuditID(ctx)
		if err != nil {
			return err
		}
		d.last = id
	}
	rows, err := d.svc.FindAliases(ctx)
	if err != nil {
		return err
	}
	var out []*alias.Alias
	for _, r := range rows {
		a, err := parseStoredAlias(r)
		if err == nil {
			err = d.specs.validate(a)
		}
		if err != nil {
			d.logger.Error("stored alias refused", "alias", r.Ref(), "error", err.Error())
			continue
		}
		out = append(out, a)
	}
	d.src.update(nil, out, false)
	return nil
}

func (d *aliasDB) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.poke:
		}
		if d.audit == nil {
			continue
		}
		if id, err := d.audit.LastAuditID(ctx); err == nil && id != d.last {
			if err := d.load(ctx); err != nil && ctx.Err() == nil {
				d.logger.Warn("reloading stored aliases", "err", err)
			}
		}
	}
}

func parseStoredAlias(r *store.StoredAlias) (*alias.Alias, error) {
	a, err := alias.Parse([]byte(r.Definition), "database:"+r.Ref(), r.Pack)
	if err != nil {
		return nil, err
	}
	if a.Pack != r.Pack || a.Name != r.Name {
		return nil, fmt.Errorf("stored as %s but defines %s", r.Ref(), a.Ref())
	}
	return a, nil
}

// specCache keeps each alias's parsed runner block; entries follow the *Alias, which a reload replaces.
type specCache struct{ m sync.Map }

func (c *specCache) validate(a *alias.Alias) error {
	if a.Runner == nil {
		return nil
	}
	s, err := executor.ParseSpec(a.Runner)
	if err != nil {
		return err
	}
	c.m.Store(a, s)
	return nil
}

func (c *specCache) get(a *alias.Alias) *executor.Spec {
	if v, ok := c.m.Load(a); ok {
		return v.(*executor.Spec)
	}
	return nil
}

// runAlias runs a's action: its `opsgate:` runner, else fallback (StackStorm), else an error saying so.
func runAlias(ctx context.Context, ex *executor.Executor, specs *specCache, fallback alias.Executor, a *alias.Alias, params map[string]string) (*alias.Execution, error) {
	s := specs.get(a)
	if s == nil && a.Runner != nil {
		var err error
		if s, err = executor.ParseSpec(a.Runner); err != nil {
			return nil, opsgate.Errorf(opsgate.EINVALID, "Alias %s: %v", a.Ref(), err)
		}
	}
	if s == nil {
		if fallback != nil {
			return fallback(ctx, a, params)
		}
		return nil, opsgate.Errorf(opsgate.EINVALID, "Alias %s runs the StackStorm action %s, and StackStorm is not configured.", a.Ref(), a.ActionRef)
	}
	res, err := ex.Run(ctx, s, params)
	if err != nil {
		return nil, err
	}
	return &alias.Execution{Status: res.Status, Parameters: params, Result: res.Output, Start: res.Start, End: res.End}, nil
}

func (m *Main) aliasCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "alias", Short: "StackStorm-style action aliases"}
	var format, dir, mode string
	var asJSON bool
	match := &cobra.Command{
		Use:   "match [--format F | --aliases DIR] [--json] TEXT",
		Short: "Show which alias and format TEXT matches and the parameters (exit 1 when none or several match)",
		Long: "Matches TEXT as chat would: against one format (--format), the alias files in DIR (--aliases), or\n" +
			"aliases.dir from the configuration. Prints the alias, the format and the parameters; with --json a JSON\n" +
			"object whose \"parameters\" is an object of strings. Exit 1 with StackStorm's error text when nothing or more\n" +
			"than one alias matches, 2 on bad usage or a format that does not compile.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("alias match: TEXT is required")
			}
			hasFormat := cmd.Flags().Changed("format") // st2 accepts an empty format: only key=value pairs
			if hasFormat && dir != "" {
				return usageErrorf("alias match: give --format or --aliases, not both")
			}
			if !hasFormat && dir == "" {
				dir = m.Config.Aliases.Dir
			}
			if !hasFormat && dir == "" {
				return usageErrorf("alias match: give --format F or --aliases DIR (or set aliases.dir)")
			}
			if mode == "" {
				mode = m.Config.Aliases.Match
			}
			md, err := alias.ParseMode(mode)
			if err != nil {
				return usageErrorf("alias match: --match: %v", err)
			}
			text := opsgate.NormalizeText(strings.Join(args, " "))
			return m.aliasMatch(text, format, hasFormat, dir, md, asJSON)
		},
	}
	f := match.Flags()
	f.StringVar(&format, "format", "", "one alias format string to match against")
	f.StringVar(&dir, "aliases", "", "directory of alias YAML files (default: aliases.dir)")
	f.StringVar(&mode, "match", "", "stackstorm (default) or most_specific")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(match, m.aliasAddCommand(), m.aliasListCommand(), m.aliasDeleteCommand())
	return cmd
}

func (m *Main) aliasAddCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "add FILE...",
		Short: "Store alias files (StackStorm format, with pack) in the database; an existing pack.name is replaced",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("alias add: FILE is required")
			}
			var parsed []*store.StoredAlias
			for _, f := range args {
				data, err := os.ReadFile(f)
				if err != nil {
					return usageErrorf("alias add: %v", err)
				}
				a, err := storableAlias(data, f)
				if err != nil {
					return &exitError{code: 1, msg: opsgate.ErrorMessage(err)}
				}
				parsed = append(parsed, a)
			}
			ctx := actorContext(cmd.Context())
			if err := m.openDB(ctx); err != nil {
				return err
			}
			svc := store.NewAliasService(m.DB)
			for _, a := range parsed {
				if err := svc.SaveAlias(ctx, a); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "alias %s saved\n", a.Ref())
			}
			return nil
		},
	}
}

// storableAlias checks an alias definition (StackStorm's YAML with a pack, and a valid runner when
// it has one) for the database, as `alias add` and the web UI take it. file names it in messages.
func storableAlias(data []byte, file string) (*store.StoredAlias, error) {
	a, err := alias.Parse(data, file, "")
	if err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "%s", err.Error())
	}
	if a.Pack == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "%s: an alias stored in the database needs a pack", file)
	}
	if a.Runner != nil {
		if _, err := executor.ParseSpec(a.Runner); err != nil {
			return nil, opsgate.Errorf(opsgate.EINVALID, "%s:%d: alias %s: %v", file, a.RunnerLine, a.Ref(), err)
		}
	}
	return &store.StoredAlias{Pack: a.Pack, Name: a.Name, Definition: string(data)}, nil
}

func (m *Main) aliasListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the aliases stored in the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			rows, err := store.NewAliasService(m.DB).FindAliases(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if rows == nil {
					rows = []*store.StoredAlias{}
				}
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			for _, r := range rows {
				state := ""
				a, err := parseStoredAlias(r)
				switch {
				case err != nil:
					state = "  (refused: " + err.Error() + ")"
				case !a.Enabled:
					state = "  (disabled)"
				}
				fmt.Fprintf(m.Stdout, "%s  updated %s%s\n", r.Ref(), r.UpdatedAt.Format(time.RFC3339), state)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) aliasDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete PACK.NAME",
		Short: "Delete an alias stored in the database",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("alias delete: PACK.NAME is required")
			}
			pack, name, ok := strings.Cut(args[0], ".")
			if !ok || pack == "" || name == "" {
				return usageErrorf("alias delete: %q is not PACK.NAME", args[0])
			}
			ctx := actorContext(cmd.Context())
			if err := m.openDB(ctx); err != nil {
				return err
			}
			if err := store.NewAliasService(m.DB).DeleteAlias(ctx, pack, name); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "alias %s deleted\n", args[0])
			return nil
		},
	}
}

// aliasMatchOutput is the --json output.
type aliasMatchOutput struct {
	Alias          string           `json:"alias,omitempty"`
	Display        string           `json:"display,omitempty"`
	Representation string           `json:"representation"`
	Parameters     map[string]any   `json:"parameters"`
	ParameterSets  []map[string]any `json:"parameter_sets,omitempty"` // match_multiple: one per occurrence
}

func anyMap(p map[string]string) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// failMatch prints text (StackStorm's error) on stderr and exits 1.
func (m *Main) failMatch(text string) error {
	fmt.Fprintln(m.Stderr, text)
	return &exitError{code: 1}
}

func (m *Main) aliasMatch(text, format string, hasFormat bool, dir string, mode alias.Mode, asJSON bool) error {
	var out aliasMatchOutput
	if hasFormat {
		f, err := alias.CompileFormat(format)
		if err != nil {
			return usageErrorf("alias match: %v", err)
		}
		p, err := f.Extract(text)
		if err != nil {
			return m.failMatch(err.Error())
		}
		out = aliasMatchOutput{Representation: format, Parameters: anyMap(p)}
	} else {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return usageErrorf("alias match: %q is not a readable directory", dir)
		}
		aliases, errs := alias.LoadDir(dir)
		for _, e := range errs {
			fmt.Fprintln(m.Stderr, "warning: "+e.Error())
		}
		match, err := alias.NewSet(aliases, mode).Match(text)
		if err != nil {
			var ae *alias.AmbiguityError
			if errors.As(err, &ae) && len(ae.Matches) > 0 {
				return m.failMatch(ae.Error() + "\n" + strings.TrimRight(ae.Names(), "\n"))
			}
			return m.failMatch(err.Error())
		}
		sets := make([]map[string]any, 0, len(match.Params))
		for _, p := range match.Params {
			p, err := match.Alias.ApplyImmutable(p)
			if err != nil {
				return m.failMatch(err.Error())
			}
			sets = append(sets, match.Alias.Typed(p))
		}
		out = aliasMatchOutput{Alias: match.Alias.Ref(), Display: match.Display, Representation: match.Representation, Parameters: sets[0]}
		if len(sets) > 1 {
			out.ParameterSets = sets
		}
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // the text as typed: <, > and & are not HTML here
		return enc.Encode(out)
	}
	if out.Alias != "" {
		fmt.Fprintf(m.Stdout, "alias:   %s\n", out.Alias)
	}
	fmt.Fprintf(m.Stdout, "format:  %s\n", out.Representation)
	if out.Display != "" && out.Display != out.Representation {
		fmt.Fprintf(m.Stdout, "display: %s\n", out.Display)
	}
	sets := out.ParameterSets
	if sets == nil {
		sets = []map[string]any{out.Parameters}
	}
	for i, p := range sets {
		if len(sets) > 1 {
			fmt.Fprintf(m.Stdout, "match %d:\n", i+1)
		}
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if v, ok := p[k].(string); ok {
				fmt.Fprintf(m.Stdout, "  %s = %q\n", k, v)
			} else {
				b, _ := json.Marshal(p[k])
				fmt.Fprintf(m.Stdout, "  %s = %s\n", k, b)
			}
		}
	}
	return nil
}
