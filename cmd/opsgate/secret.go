package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/aws"
	"github.com/opsgate/opsgate/secret"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/vault"
)

func init() {
	registerModule(module{Name: "secrets", Order: 10, Setup: setupSecrets})
	registerCLI(func(m *Main) *cobra.Command { return m.secretCommand() })
}

// setupSecrets builds the secret service, installs its redactor on the pipeline, the announcement
// targets and the logger,
// and resolves ${secret:NAME} references in the whole configuration before any later module reads it.
func setupSecrets(ctx context.Context, m *Main) error {
	svc, cfgErr, err := m.newSecretService(ctx)
	if err != nil {
		return err
	} else if cfgErr != nil {
		return cfgErr
	}
	red := svc.Redactor()
	m.Pipeline.SetRedactor(red)
	m.Announce.SetRedactor(red)
	if err := secret.ResolveRefs(ctx, &m.Config, svc.Resolve); err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "config: %s", err.Error())
	}
	m.Secrets = svc

	// Follow `opsgate secret flush` run anywhere (another process, another replica).
	gen, err := store.NewSecretService(m.DB).SecretCacheGeneration(ctx)
	if err != nil {
		return err
	}
	interval := m.Config.Secrets.FlushPollInterval.D()
	if interval <= 0 {
		interval = 5 * time.Second
	}
	pctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		defs := store.NewSecretService(m.DB)
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			g, err := defs.SecretCacheGeneration(pctx)
			if err != nil {
				if pctx.Err() == nil {
					m.Logger.Warn("secret cache flush check failed", "err", err)
				}
				continue
			}
			if g != gen {
				gen = g
				svc.Flush()
				m.Logger.Info("secret cache flushed")
			}
		}
	}()
	m.OnStop(func(context.Context) error { cancel(); <-done; return nil })
	m.Logger.Debug("secrets ready", "providers", strings.Join(svc.Providers(), ","), "redacting", red.Len())
	return nil
}

// newSecretService builds the service on the open database with every configured provider.
// The secrets section is resolved first with only the local providers (environment-variable,
// text-file), so a vault's token or secret_id can itself be a ${secret:NAME} reference. A
// reference that does not resolve is returned as cfgErr with a usable service all the same, so
// that `secret add` can define the very secret the configuration refers to.
func (m *Main) newSecretService(ctx context.Context) (svc *secret.Service, cfgErr, err error) {
	if err := m.openDB(ctx); err != nil {
		return nil, nil, err
	}
	cfg := &m.Config.Secrets
	ttl, neg := cfg.CacheTTL.D(), cfg.NegativeTTL.D()
	if ttl == 0 {
		ttl = secret.DefaultTTL
	}
	if neg == 0 {
		neg = secret.DefaultNegativeTTL
	}
	red, logger := m.Redactor, m.Logger
	if red == nil {
		red = secret.NewRedactor()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// m.Logger already redacts through m.Redactor, the one the service adds values to.
	svc = secret.NewService(store.NewSecretService(m.DB), secret.Options{Cache: secret.NewCache(max(ttl, 0), max(neg, 0)),
		Redactor: red, Logger: logger})
	env := envLookup(m.Environ)
	svc.Register(&secret.EnvProvider{Prefixes: cfg.EnvPrefixes, LookupEnv: env})
	svc.Register(&secret.FileProvider{Roots: cfg.FileRoots})
	if err := secret.ResolveRefs(ctx, cfg, svc.Resolve); err != nil {
		// An *opsgate.Error so the CLI prints the whole line, key and secret error alike.
		cfgErr = opsgate.Errorf(opsgate.EINVALID, "config: secrets.%s", err.Error())
	}
	vaults := map[string]vault.Config{}
	for name, v := range cfg.Vaults {
		vaults[name] = vault.Config{URL: v.URL, Namespace: v.Namespace, CACert: v.CACert, Timeout: v.Timeout.D(),
			Auth: vault.Auth{Method: v.Auth.Method, Token: v.Auth.Token, RoleID: v.Auth.RoleID, SecretID: v.Auth.SecretID, Mount: v.Auth.Mount}}
	}
	vp, err := vault.New(vaults)
	if err != nil {
		return nil, nil, fmt.Errorf("config: secrets.vaults: %w", err)
	}
	svc.Register(vp)
	svc.Register(aws.New(aws.Config{Region: cfg.AWS.Region, Endpoint: cfg.AWS.Endpoint}))
	return svc, cfgErr, nil
}

// envLookup reads variables from Main's environment (the process's, or a test's).
func envLookup(environ []string) func(string) (string, bool) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func (m *Main) secretCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "secret", Short: "Manage secret references (values are never stored or shown)"}

	var sec opsgate.Secret
	var params []string
	add := &cobra.Command{
		Use:   "add --name N --provider P --param k=v ... [--description D]",
		Short: "Add a secret: where its value is fetched from",
		Long: `Add a secret. Providers and their parameters:
  environment-variable  variable
  text-file             path (absolute, under secrets.file_roots)
  hashicorp-vault       path, key, mount_point (secret), kv_version (v2), vault (default)
  aws-secrets-manager   name, region, key
Parameters may be Jinja2 templates using obj, e.g. --param 'path=/secrets/{{ obj.site }}/{{ obj.name }}.txt'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sec.Parameters = map[string]string{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return usageErrorf("--param %q must be key=value", p)
				}
				sec.Parameters[strings.TrimSpace(k)] = v
			}
			svc, _, err := m.newSecretService(cmd.Context())
			if err != nil {
				return err
			}
			if err := svc.ValidateDefinition(&sec); err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := store.NewSecretService(m.DB).CreateSecret(actorContext(cmd.Context()), &sec); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "secret %q added\n", sec.Name)
			return nil
		},
	}
	add.Flags().StringVar(&sec.Name, "name", "", "secret name (required)")
	add.Flags().StringVar(&sec.Provider, "provider", "", "provider: environment-variable, text-file, hashicorp-vault, aws-secrets-manager (required)")
	add.Flags().StringArrayVar(&params, "param", nil, "provider parameter key=value (repeatable)")
	add.Flags().StringVar(&sec.Description, "description", "", "what the secret is for")
	add.MarkFlagRequired("name")
	add.MarkFlagRequired("provider")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List secrets (definitions only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			ss, err := store.NewSecretService(m.DB).FindSecrets(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if ss == nil {
					ss = []*opsgate.Secret{}
				}
				return writeJSON(m, ss)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPROVIDER\tPARAMETERS\tDESCRIPTION")
			for _, s := range ss {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Provider, formatParams(s.Parameters), s.Description)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a secret",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewSecretService(m.DB).DeleteSecret(actorContext(cmd.Context()), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "secret %q deleted\n", args[0])
			return nil
		},
	}

	var objJSON string
	check := &cobra.Command{
		Use:   "check NAME [--obj-json JSON]",
		Short: "Check that a secret resolves: prints ok (exit 0) or the error class and message (exit 1), never the value",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			obj, err := parseObj(objJSON)
			if err != nil {
				return err
			}
			svc, cfgErr, err := m.newSecretService(cmd.Context())
			if err != nil {
				return err
			}
			if cfgErr != nil {
				fmt.Fprintln(m.Stderr, "opsgate: warning: "+svc.Redactor().Redact(cfgErr.Error()))
			}
			if err := svc.Check(cmd.Context(), args[0], obj); err != nil {
				var se *opsgate.SecretError
				if !errors.As(err, &se) {
					return err
				}
				// Scrubbed all the same: a provider's message is not ours to trust.
				fmt.Fprintln(m.Stdout, svc.Redactor().Redact(se.Error()))
				return &exitError{code: 1}
			}
			fmt.Fprintln(m.Stdout, "ok")
			return nil
		},
	}
	check.Flags().StringVar(&objJSON, "obj-json", "", `the object templated parameters see as obj, e.g. '{"name":"csr1","site":{"slug":"nyc"}}'`)

	flush := &cobra.Command{
		Use:   "flush",
		Short: "Make every running opsgate drop its cached secret values",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewSecretService(m.DB).FlushSecretCache(actorContext(cmd.Context())); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, "secret cache flush requested")
			return nil
		},
	}
	cmd.AddCommand(add, list, del, check, flush, m.secretGroupCommand())
	return cmd
}

func (m *Main) secretGroupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Manage secrets groups: (access type, secret type) -> secret"}
	var g opsgate.SecretsGroup
	add := &cobra.Command{
		Use:   "add --name N [--description D]",
		Short: "Add an empty secrets group",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewSecretService(m.DB).CreateSecretsGroup(actorContext(cmd.Context()), &g); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "secrets group %q added\n", g.Name)
			return nil
		},
	}
	add.Flags().StringVar(&g.Name, "name", "", "group name (required)")
	add.Flags().StringVar(&g.Description, "description", "", "what the group is for")
	add.MarkFlagRequired("name")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List secrets groups and their members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			gs, err := store.NewSecretService(m.DB).FindSecretsGroups(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if gs == nil {
					gs = []*opsgate.SecretsGroup{}
				}
				return writeJSON(m, gs)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GROUP\tACCESS TYPE\tSECRET TYPE\tSECRET")
			for _, g := range gs {
				if len(g.Members) == 0 {
					fmt.Fprintf(tw, "%s\t-\t-\t-\n", g.Name)
				}
				for _, mb := range g.Members {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Name, mb.AccessType, mb.SecretType, mb.Secret)
				}
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var access, typ, secretName string
	var remove bool
	set := &cobra.Command{
		Use:   "set GROUP --access-type A --secret-type T (--secret NAME | --remove)",
		Short: "Assign a secret to an (access type, secret type) pair of a group, or remove the pair",
		Long: `Assign a secret to an (access type, secret type) pair of a group, replacing what the pair had.
Access types: Generic, Console, gNMI, HTTP(S), NETCONF, REST, RESTCONF, SNMP, SSH.
Secret types: authentication-key, authentication-protocol, key, notes, password, private-algorithm,
private-key, secret, token, url, username.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (secretName == "") == !remove {
				return usageErrorf("secret group set: give either --secret NAME or --remove")
			}
			a, err := opsgate.ParseSecretAccessType(access)
			if err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			t, err := opsgate.ParseSecretType(typ)
			if err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewSecretService(m.DB).SetSecretsGroupMember(actorContext(cmd.Context()), args[0], a, t, secretName); err != nil {
				return err
			}
			if remove {
				fmt.Fprintf(m.Stdout, "secrets group %q: %s / %s removed\n", args[0], a, t)
			} else {
				fmt.Fprintf(m.Stdout, "secrets group %q: %s / %s = %q\n", args[0], a, t, secretName)
			}
			return nil
		},
	}
	set.Flags().StringVar(&access, "access-type", "", "access type (required)")
	set.Flags().StringVar(&typ, "secret-type", "", "secret type (required)")
	set.Flags().StringVar(&secretName, "secret", "", "the secret's name")
	set.Flags().BoolVar(&remove, "remove", false, "remove the pair instead")
	set.MarkFlagRequired("access-type")
	set.MarkFlagRequired("secret-type")

	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a secrets group (its secrets stay)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewSecretService(m.DB).DeleteSecretsGroup(actorContext(cmd.Context()), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "secrets group %q deleted\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(add, list, set, del)
	return cmd
}

func parseObj(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return nil, usageErrorf("--obj-json is not a JSON object: %v", err)
	}
	return obj, nil
}

func formatParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, " ")
}
