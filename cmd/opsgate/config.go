package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is opsgate's configuration: defaults, then the YAML file, then OPSGATE_* environment
// variables, then command-line flags.
type Config struct {
	Listen   string `yaml:"listen"`
	Database string `yaml:"database"`
	LogLevel string `yaml:"log_level"`
	// Nautobot ChatOps settings (seed 000).
	DeleteInputOnSubmission bool `yaml:"delete_input_on_submission"`
	RestrictHelp            bool `yaml:"restrict_help"`
	// CommandTimeout bounds each command run; ShutdownTimeout bounds the wait for running commands at stop.
	CommandTimeout  Duration `yaml:"command_timeout"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// GrantReloadInterval is how often a replica checks the database for grant changes made elsewhere.
	GrantReloadInterval Duration `yaml:"grant_reload_interval"`

	Slack      SlackConfig      `yaml:"slack"`
	Mattermost MattermostConfig `yaml:"mattermost"`
	Aliases    AliasesConfig    `yaml:"aliases"`
	ACL        ACLConfig        `yaml:"acl"`
	Secrets    SecretsConfig    `yaml:"secrets"`
	StackStorm StackStormConfig `yaml:"stackstorm"`
}

// DefaultConfig returns the settings used when nothing is configured.
func DefaultConfig() Config {
	return Config{
		Listen:              "127.0.0.1:8080",
		Database:            "sqlite://opsgate.db",
		LogLevel:            "info",
		CommandTimeout:      Duration(60 * time.Second),
		ShutdownTimeout:     Duration(30 * time.Second),
		GrantReloadInterval: Duration(2 * time.Second),
	}
}

// Duration is a time.Duration written as "30s" in YAML and the environment.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s or 5m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// maxConfigSize bounds the config file so a wrong path (a log, a binary) fails fast.
const maxConfigSize = 1 << 20

// LoadConfig reads path (none when ""), applies the environment and validates the result.
// Errors name the key at fault in one line.
func LoadConfig(path string, environ []string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		if len(data) > maxConfigSize {
			return cfg, fmt.Errorf("config %s: larger than %d bytes", path, maxConfigSize)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %s", path, yamlError(err))
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), "OPSGATE", envMap(environ)); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func yamlError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "OPSGATE_") {
			m[k] = v
		}
	}
	return m
}

// applyEnv sets every scalar field whose OPSGATE_<UPPER_SNAKE_PATH> variable is set.
func applyEnv(v reflect.Value, prefix string, env map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration(0)) {
			if err := applyEnv(fv, name, env); err != nil {
				return err
			}
			continue
		}
		raw, ok := env[name]
		if !ok {
			continue
		}
		if err := setScalar(fv, raw); err != nil {
			return fmt.Errorf("environment %s: %v", name, err)
		}
	}
	return nil
}

func setScalar(fv reflect.Value, raw string) error {
	if fv.Type() == reflect.TypeOf(Duration(0)) {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s", raw)
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		fv.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		fv.SetFloat(n)
	case reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot be set from the environment")
		}
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		fv.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

type validator interface{ Validate() error }

// Validate checks the core settings, then every section that has a Validate method.
func (c *Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("config: listen is required (e.g. 127.0.0.1:8080)")
	case c.Database == "":
		return errors.New("config: database is required (e.g. sqlite://opsgate.db)")
	case c.CommandTimeout <= 0:
		return errors.New("config: command_timeout must be positive")
	case c.ShutdownTimeout <= 0:
		return errors.New("config: shutdown_timeout must be positive")
	case c.GrantReloadInterval <= 0:
		return errors.New("config: grant_reload_interval must be positive")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if s, ok := v.Field(i).Addr().Interface().(validator); ok && v.Field(i).Kind() == reflect.Struct {
			if err := s.Validate(); err != nil {
				return fmt.Errorf("config: %w", err)
			}
		}
	}
	return nil
}
