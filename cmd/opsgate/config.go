package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/queue"
)

// Config is opsgate's configuration: defaults, then the YAML file, then OPSGATE_* environment
// variables, then command-line flags.
type Config struct {
	Listen   string `yaml:"listen"`
	Database string `yaml:"database"`
	// DatabaseShared lets several `serve` processes use one SQLite file at once (each must set it):
	// replays of signed requests are then decided by a database write per request. Off, one serve
	// at a time holds the file and decides them in memory (docs/scaling.md).
	DatabaseShared bool   `yaml:"database_shared"`
	LogLevel       string `yaml:"log_level"`
	// Nautobot ChatOps settings (seed 000).
	DeleteInputOnSubmission bool `yaml:"delete_input_on_submission"`
	RestrictHelp            bool `yaml:"restrict_help"`
	// CommandTimeout bounds each command run; ShutdownTimeout bounds the wait for running commands at stop.
	CommandTimeout  Duration `yaml:"command_timeout"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// GrantReloadInterval is how often a replica checks the database for grant changes made elsewhere.
	GrantReloadInterval Duration `yaml:"grant_reload_interval"`
	// TrustedProxies (IPs and CIDRs) are the peers whose X-Forwarded-For names the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// LeaseTTL bounds how long a connection only one replica may hold (XMPP, Slack Socket Mode)
	// stays down after its replica dies, before another takes it over.
	LeaseTTL Duration `yaml:"lease_ttl"`
	// PprofListen, when set, serves Go's net/http/pprof profiles on this separate address (off by default).
	PprofListen string `yaml:"pprof_listen"`
	// MemoryLimit is the Go runtime's soft memory limit (e.g. 64MiB); empty leaves Go's default.
	MemoryLimit string `yaml:"memory_limit"`

	Slack      SlackConfig      `yaml:"slack"`
	Mattermost MattermostConfig `yaml:"mattermost"`
	Teams      TeamsConfig      `yaml:"teams"`
	Webex      WebexConfig      `yaml:"webex"`
	Discord    DiscordConfig    `yaml:"discord"`
	RocketChat RocketChatConfig `yaml:"rocketchat"`
	Matrix     MatrixConfig     `yaml:"matrix"`
	XMPP       XMPPConfig       `yaml:"xmpp"`
	Aliases    AliasesConfig    `yaml:"aliases"`
	ACL        ACLConfig        `yaml:"acl"`
	Secrets    SecretsConfig    `yaml:"secrets"`
	StackStorm StackStormConfig `yaml:"stackstorm"`
	TLS        TLSConfig        `yaml:"tls"`
	UI         UIConfig         `yaml:"ui"`
	NATS       NATSConfig       `yaml:"nats"`
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
		LeaseTTL:            Duration(kit.DefaultLeaseTTL),
		UI:                  defaultUIConfig(),
		NATS:                NATSConfig{StreamPrefix: "OPSGATE", AckWait: Duration(queue.DefaultAckWait)},
	}
}

// Duration is a time.Duration written as "30s" in YAML and the environment.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &valueError{line: n.Line, value: n.Value, want: "a duration like 30s or 5m"}
	}
	*d = Duration(v)
	return nil
}

// valueError is a scalar the file holds that its field cannot take; yamlError names the key.
type valueError struct {
	line        int
	value, want string
}

func (e *valueError) Error() string {
	return fmt.Sprintf("line %d: %q is not %s", e.line, e.value, e.want)
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
		if errors.Is(err, fs.ErrNotExist) {
			return cfg, fmt.Errorf("config: file %s does not exist", path)
		} else if err != nil {
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
			return cfg, fmt.Errorf("config %s: %s", path, yamlError(data, err))
		}
	}
	env, known := envMap(environ), map[string]string{}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), "OPSGATE", "", env, known); err != nil {
		return cfg, err
	}
	if err := unknownEnv(env, known, cfg.Secrets.EnvPrefixes); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, blameEnv(err, env, known)
	}
	return cfg, nil
}

// blameEnv adds the environment variables that set the keys a validation error names: the file
// may not mention them at all.
func blameEnv(err error, env map[string]string, known map[string]string) error {
	var vars []string
	for name, key := range known {
		if _, set := env[name]; set && strings.Contains(err.Error(), key) {
			vars = append(vars, name)
		}
	}
	if len(vars) == 0 {
		return err
	}
	sort.Strings(vars)
	return fmt.Errorf("%w (set by environment variable %s)", err, strings.Join(vars, ", "))
}

var (
	reUnknownKey = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)
	reNotMapping = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(\w+)(?: .*)? into (main\.\S+)$`)
	reWrongType  = regexp.MustCompile("^line (\\d+): cannot unmarshal !!\\w+ `(.*)` into (bool|int|int64|float64|string|\\[\\]string)$")
	typeWords    = map[string]string{"bool": "true or false", "int": "a whole number", "int64": "a whole number",
		"float64": "a number", "string": "a string", "[]string": "a list"}
)

// yamlError words a decoding error as the file spells things: an unknown key by its full path
// (slack.enabld), a section that is not a mapping by its name, never Go's type names.
func yamlError(data []byte, err error) string {
	var root yaml.Node
	var ve *valueError
	if errors.As(err, &ve) {
		_ = yaml.Unmarshal(data, &root) // it parsed as far as the bad value
		if p := keyPath(&root, "", func(_, v *yaml.Node) bool { return v.Line == ve.line && v.Value == ve.value }); p != "" {
			return fmt.Sprintf("line %d: %s: %q is not %s", ve.line, p, ve.value, ve.want)
		}
		return ve.Error()
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	_ = yaml.Unmarshal(data, &root) // it decoded into Config, so it parses
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		msgs[i] = e
		if m := reUnknownKey.FindStringSubmatch(e); m != nil {
			line, _ := strconv.Atoi(m[1])
			if p := keyPath(&root, "", func(k, _ *yaml.Node) bool { return k.Line == line && k.Value == m[2] }); p != "" {
				msgs[i] = fmt.Sprintf("line %d: unknown key %q", line, p)
			}
		} else if m := reNotMapping.FindStringSubmatch(e); m != nil {
			line, _ := strconv.Atoi(m[1])
			what := keyPath(&root, "", func(_, v *yaml.Node) bool { return v.Line == line && v.Kind != yaml.MappingNode })
			if m[3] == "main.Config" {
				what = "the file"
			}
			if what != "" {
				msgs[i] = fmt.Sprintf("line %d: %s must be a mapping of keys, not %s", line, what, yamlKind(m[2]))
			}
		} else if m := reWrongType.FindStringSubmatch(e); m != nil {
			line, _ := strconv.Atoi(m[1])
			if p := keyPath(&root, "", func(_, v *yaml.Node) bool { return v.Line == line && v.Value == m[2] }); p != "" {
				msgs[i] = fmt.Sprintf("line %d: %s must be %s, not %q", line, p, typeWords[m[3]], m[2])
			}
		}
	}
	return strings.Join(msgs, "; ")
}

// keyPath returns the dotted path of the first mapping key (under n) for which match holds, or "".
func keyPath(n *yaml.Node, prefix string, match func(k, v *yaml.Node) bool) string {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if p := keyPath(c, prefix, match); p != "" {
				return p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if match(k, v) {
				return prefix + k.Value
			}
			if p := keyPath(v, prefix+k.Value+".", match); p != "" {
				return p
			}
		}
	}
	return ""
}

func yamlKind(tag string) string {
	switch tag {
	case "seq":
		return "a list"
	case "str":
		return "a string"
	case "int", "float":
		return "a number"
	case "bool":
		return "true or false"
	case "null":
		return "empty"
	}
	return "!!" + tag
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

// envNotSettings are the OPSGATE_* variables opsgate reads that are not settings: the storage
// tests' server overrides (store/storetest) and the Matrix test's switch to a real homeserver.
var envNotSettings = map[string]bool{"OPSGATE_TEST_POSTGRES": true, "OPSGATE_TEST_MYSQL": true, "OPSGATE_TEST_DENDRITE": true}

// unknownEnv refuses an OPSGATE_* variable that names no setting (a typo such as
// OPSGATE_SLAK_ENABLED would otherwise be ignored in silence), except envNotSettings and
// variables under a secrets.env_prefixes prefix, which hold secret values.
func unknownEnv(env map[string]string, known map[string]string, secretPrefixes []string) error {
	var names []string
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
next:
	for _, k := range names {
		if _, ok := known[k]; ok || envNotSettings[k] {
			continue
		}
		for _, p := range secretPrefixes {
			if strings.HasPrefix(k, p) {
				continue next
			}
		}
		return fmt.Errorf("config: environment variable %s names no setting (see README.md, Configuration)", k)
	}
	return nil
}

// applyEnv sets every scalar field whose OPSGATE_<UPPER_SNAKE_PATH> variable is set, and records
// every variable name it knows in known, with its key.
func applyEnv(v reflect.Value, prefix, keyPrefix string, env map[string]string, known map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		name, key := prefix+"_"+strings.ToUpper(tag), keyPrefix+tag
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration(0)) {
			if err := applyEnv(fv, name, key+".", env, known); err != nil {
				return err
			}
			continue
		}
		known[name] = key
		raw, ok := env[name]
		if !ok {
			continue
		}
		if err := setScalar(fv, raw); err != nil {
			return fmt.Errorf("config: environment variable %s (%s): %v", name, key, err)
		}
	}
	return nil
}

func setScalar(fv reflect.Value, raw string) error {
	if fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() != reflect.Struct {
		// An optional setting (*bool: nil means "the default"): set a new value, keep nil on error.
		v := reflect.New(fv.Type().Elem())
		if err := setScalar(v.Elem(), raw); err != nil {
			return err
		}
		fv.Set(v)
		return nil
	}
	if fv.Type() == reflect.TypeOf(Duration(0)) {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s or 5m", raw)
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
	case !isHostPort(c.Listen):
		return fmt.Errorf("config: listen %q is not host:port (e.g. 127.0.0.1:8080, or :8080 for every address)", c.Listen)
	case c.Database == "":
		return errors.New("config: database is required (e.g. sqlite://opsgate.db)")
	case c.CommandTimeout <= 0:
		return errors.New("config: command_timeout must be positive")
	case c.ShutdownTimeout <= 0:
		return errors.New("config: shutdown_timeout must be positive")
	case c.GrantReloadInterval <= 0:
		return errors.New("config: grant_reload_interval must be positive")
	case c.LeaseTTL < Duration(time.Second):
		return errors.New("config: lease_ttl must be at least 1s")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if _, err := parseSize(c.MemoryLimit); err != nil {
		return err
	}
	if _, err := kit.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("config: trusted_proxies: %v", err)
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

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	return err == nil && port != ""
}
