// Package executor runs what an alias stands for without StackStorm: a local program (exec) or
// an HTTP request (http), described by the alias's `opsgate:` block.
package executor

import (
	"fmt"
	"github.com/opsgate/opsgate/jinja"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Runner names.
const (
	RunnerExec = "exec"
	RunnerHTTP = "http"
)

// Defaults and bounds.
const (
	DefaultTimeout       = 60 * time.Second
	MaxTimeout           = time.Hour
	DefaultExecOutput    = 64 << 10 // per stream
	DefaultHTTPOutput    = 1 << 20
	MaxRetries           = 10
	defaultBackoff       = 500 * time.Millisecond
	maxBackoff           = 30 * time.Second
	maxRetryAfterHonored = 5 * time.Minute
)

// Spec is an alias's `opsgate:` block. Strings marked "templated" are Jinja rendered with the
// alias's parameters as variables; those marked "secrets" may also hold ${secret:NAME}
// references, which are resolved from the secret store and never from chat text.
type Spec struct {
	Runner string `yaml:"runner"`

	// exec: Command[0] is the program (literal, not templated); the other elements are templated,
	// one argument each, and never pass through a shell.
	Command []string          `yaml:"command"`
	Env     map[string]string `yaml:"env"` // templated, secrets
	Dir     string            `yaml:"dir"`

	// http
	Method  string            `yaml:"method"`  // templated; default GET
	URL     string            `yaml:"url"`     // templated (not the scheme and host), secrets
	Headers map[string]string `yaml:"headers"` // templated, secrets
	Body    string            `yaml:"body"`    // templated, secrets
	Retries int               `yaml:"retries"` // extra attempts on connection errors, 429 and 5xx

	Timeout   time.Duration `yaml:"timeout"`    // per run (exec) or per attempt (http)
	MaxOutput int           `yaml:"max_output"` // bytes kept per output stream / response body
}

// ParseSpec reads an `opsgate:` block (as decoded from YAML) strictly: an unknown key is an error.
func ParseSpec(raw map[string]any) (*Spec, error) {
	b, err := yaml.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var s Spec
	d := yaml.NewDecoder(strings.NewReader(string(b)))
	d.KnownFields(true)
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("opsgate block: %s", strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", " "), "yaml: "))
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var reEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the block and compiles its templates, so mistakes surface when aliases load.
func (s *Spec) Validate() error {
	if s.Timeout < 0 || s.Timeout > MaxTimeout {
		return fmt.Errorf("opsgate.timeout must be between 0 and %s", MaxTimeout)
	}
	if s.MaxOutput < 0 {
		return fmt.Errorf("opsgate.max_output must not be negative")
	}
	switch s.Runner {
	case RunnerExec:
		if len(s.Command) == 0 || s.Command[0] == "" {
			return fmt.Errorf("opsgate.command is required for the exec runner: [program, arg, ...]")
		}
		if isTemplated(s.Command[0]) || hasSecretRef(s.Command[0]) {
			return fmt.Errorf("opsgate.command[0] (the program) must be a literal path")
		}
		for i, a := range s.Command[1:] {
			if hasSecretRef(a) {
				return fmt.Errorf("opsgate.command[%d]: secrets are not allowed in arguments (any user of the machine can read them); pass them in env", i+1)
			}
			if err := checkTemplate(a); err != nil {
				return fmt.Errorf("opsgate.command[%d]: %v", i+1, err)
			}
		}
		for k, v := range s.Env {
			if !reEnvName.MatchString(k) {
				return fmt.Errorf("opsgate.env: bad variable name %q", k)
			}
			if err := checkTemplate(v); err != nil {
				return fmt.Errorf("opsgate.env.%s: %v", k, err)
			}
		}
		if s.Method != "" || s.URL != "" || s.Headers != nil || s.Body != "" || s.Retries != 0 {
			return fmt.Errorf("opsgate: method, url, headers, body and retries are for the http runner")
		}
	case RunnerHTTP:
		if s.URL == "" {
			return fmt.Errorf("opsgate.url is required for the http runner")
		}
		if err := checkURLTemplate(s.URL); err != nil {
			return err
		}
		if s.Retries < 0 || s.Retries > MaxRetries {
			return fmt.Errorf("opsgate.retries must be between 0 and %d", MaxRetries)
		}
		for name, src := range map[string]string{"method": s.Method, "url": s.URL, "body": s.Body} {
			if name == "method" && hasSecretRef(src) {
				return fmt.Errorf("opsgate.method: secrets are not allowed here")
			}
			if err := checkTemplate(src); err != nil {
				return fmt.Errorf("opsgate.%s: %v", name, err)
			}
		}
		for k, v := range s.Headers {
			if err := checkTemplate(v); err != nil {
				return fmt.Errorf("opsgate.headers.%s: %v", k, err)
			}
		}
		if s.Command != nil || s.Env != nil || s.Dir != "" {
			return fmt.Errorf("opsgate: command, env and dir are for the exec runner")
		}
	case "":
		return fmt.Errorf("opsgate.runner is required (exec or http)")
	default:
		return fmt.Errorf("opsgate.runner %q is unknown (exec or http)", s.Runner)
	}
	return nil
}

// checkURLTemplate refuses a URL whose scheme or host come from a template: chat text must not
// choose where a request goes.
func checkURLTemplate(src string) error {
	scheme, rest, ok := strings.Cut(src, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return fmt.Errorf("opsgate.url must start with http:// or https://")
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if isTemplated(host) || hasSecretRef(host) || host == "" {
		return fmt.Errorf("opsgate.url: the host must be literal, not templated")
	}
	if _, err := url.Parse(scheme + "://" + host); err != nil {
		return fmt.Errorf("opsgate.url: %v", err)
	}
	return nil
}

func isTemplated(s string) bool { return jinja.IsTemplated(s) }

func (s *Spec) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Spec) maxOutput(def int) int {
	if s.MaxOutput > 0 {
		return s.MaxOutput
	}
	return def
}

// MaxDuration is the longest a run of s can take (all attempts and waits of an http run, with
// Retry-After at its cap ignored), so a caller can give the run that long before cutting it off.
func (s *Spec) MaxDuration() time.Duration {
	d := s.timeout()
	if s.Runner == RunnerHTTP {
		for i := 0; i < s.Retries; i++ {
			d += s.timeout() + backoff(i)
		}
	}
	return d
}
