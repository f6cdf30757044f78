package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/alias"
	"github.com/opsgate/opsgate/executor"
)

func init() {
	registerCLI(func(m *Main) *cobra.Command { return m.aliasCommand() })
	registerModule(module{Name: "aliases", Order: 30, Setup: setupAliases})
}

// aliasActionFallback runs aliases that have no `opsgate:` runner block (their action lives in
// StackStorm). The StackStorm module (Order 40) sets it; until then such aliases answer that
// StackStorm is not configured.
var aliasActionFallback alias.Executor

// aliasSecretResolver, when set by the secrets module (Order 10), resolves ${secret:NAME} in
// runner blocks.
var aliasSecretResolver func(ctx context.Context, name string) (string, error)

// setupAliases loads aliases.dir into the pipeline and follows changes to it. Files that do not
// load are logged with file, line and reason; the others work.
func setupAliases(ctx context.Context, m *Main) error {
	cfg := m.Config.Aliases
	if cfg.Dir == "" {
		return nil
	}
	if fi, err := os.Stat(cfg.Dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("aliases.dir %q is not a readable directory", cfg.Dir)
	}
	mode, _ := alias.ParseMode(cfg.Match)
	specs := &specCache{}
	d := &alias.Dir{Path: cfg.Dir, Mode: mode, Interval: cfg.ReloadInterval.D(), Logger: m.Logger, Validate: specs.validate}
	d.Load()
	ex := &executor.Executor{Resolve: aliasSecretResolver}
	r := &alias.Router{
		Aliases: d.Set,
		Execute: func(ctx context.Context, a *alias.Alias, params map[string]string) (*alias.Execution, error) {
			return runAlias(ctx, ex, specs, a, params)
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
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(wctx); close(done) }()
	m.OnStop(func(context.Context) error { cancel(); <-done; return nil })
	return nil
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

func runAlias(ctx context.Context, ex *executor.Executor, specs *specCache, a *alias.Alias, params map[string]string) (*alias.Execution, error) {
	s := specs.get(a)
	if s == nil && a.Runner != nil {
		var err error
		if s, err = executor.ParseSpec(a.Runner); err != nil {
			return nil, opsgate.Errorf(opsgate.EINVALID, "Alias %s: %v", a.Ref(), err)
		}
	}
	if s == nil {
		if aliasActionFallback != nil {
			return aliasActionFallback(ctx, a, params)
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
			if format != "" && dir != "" {
				return usageErrorf("alias match: give --format or --aliases, not both")
			}
			if format == "" && dir == "" {
				dir = m.Config.Aliases.Dir
			}
			if format == "" && dir == "" {
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
			return m.aliasMatch(text, format, dir, md, asJSON)
		},
	}
	f := match.Flags()
	f.StringVar(&format, "format", "", "one alias format string to match against")
	f.StringVar(&dir, "aliases", "", "directory of alias YAML files (default: aliases.dir)")
	f.StringVar(&mode, "match", "", "stackstorm (default) or most_specific")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(match)
	return cmd
}

// aliasMatchOutput is the --json output.
type aliasMatchOutput struct {
	Alias          string              `json:"alias,omitempty"`
	Display        string              `json:"display,omitempty"`
	Representation string              `json:"representation"`
	Parameters     map[string]string   `json:"parameters"`
	ParameterSets  []map[string]string `json:"parameter_sets,omitempty"` // match_multiple: one per occurrence
}

// failMatch prints text (StackStorm's error) on stderr and exits 1.
func (m *Main) failMatch(text string) error {
	fmt.Fprintln(m.Stderr, text)
	return &exitError{code: 1}
}

func (m *Main) aliasMatch(text, format, dir string, mode alias.Mode, asJSON bool) error {
	var out aliasMatchOutput
	if format != "" {
		f, err := alias.CompileFormat(format)
		if err != nil {
			return usageErrorf("alias match: %v", err)
		}
		p, err := f.Extract(text)
		if err != nil {
			return m.failMatch(err.Error())
		}
		out = aliasMatchOutput{Representation: format, Parameters: p}
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
		sets := make([]map[string]string, 0, len(match.Params))
		for _, p := range match.Params {
			p, err := match.Alias.ApplyImmutable(p)
			if err != nil {
				return m.failMatch(err.Error())
			}
			sets = append(sets, p)
		}
		out = aliasMatchOutput{Alias: match.Alias.Ref(), Display: match.Display, Representation: match.Representation, Parameters: sets[0]}
		if len(sets) > 1 {
			out.ParameterSets = sets
		}
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if out.Alias != "" {
		fmt.Fprintf(m.Stdout, "alias:  %s\n", out.Alias)
	}
	fmt.Fprintf(m.Stdout, "format: %s\n", out.Representation)
	if out.Display != "" && out.Display != out.Representation {
		fmt.Fprintf(m.Stdout, "display: %s\n", out.Display)
	}
	sets := out.ParameterSets
	if sets == nil {
		sets = []map[string]string{out.Parameters}
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
			fmt.Fprintf(m.Stdout, "  %s = %q\n", k, p[k])
		}
	}
	return nil
}
