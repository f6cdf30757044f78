// Package secret resolves secret references to values: it renders a secret's templated
// parameters, checks them, asks the secret's provider (with a cache), and registers every value
// it hands out with a Redactor so that no log line, error, stored record or chat reply shows it.
package secret

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// Definitions is where secret definitions and groups are read from (the store implements it).
type Definitions interface {
	FindSecretByName(ctx context.Context, name string) (*opsgate.Secret, error)
	FindSecretsGroupByName(ctx context.Context, name string) (*opsgate.SecretsGroup, error)
}

// Service resolves secrets by name. Create it with NewService.
type Service struct {
	defs     Definitions
	cache    *Cache
	redactor *Redactor
	logger   *slog.Logger

	mu        sync.RWMutex
	providers map[string]opsgate.SecretsProvider
}

// Options configures a Service; zero fields take defaults.
type Options struct {
	Cache    *Cache    // default: NewCache(DefaultTTL, DefaultNegativeTTL)
	Redactor *Redactor // default: NewRedactor()
	Logger   *slog.Logger
}

// NewService returns a service reading definitions from defs, with no providers registered.
func NewService(defs Definitions, opt Options) *Service {
	s := &Service{defs: defs, cache: opt.Cache, redactor: opt.Redactor, logger: opt.Logger,
		providers: map[string]opsgate.SecretsProvider{}}
	if s.cache == nil {
		s.cache = NewCache(DefaultTTL, DefaultNegativeTTL)
	}
	if s.redactor == nil {
		s.redactor = NewRedactor()
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// Register adds a provider, replacing any with the same slug.
func (s *Service) Register(p opsgate.SecretsProvider) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.providers[p.Slug()] = p
}

// Provider returns the provider registered for slug.
func (s *Service) Provider(slug string) (opsgate.SecretsProvider, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.providers[slug]
	return p, ok
}

// Providers returns the registered slugs, sorted.
func (s *Service) Providers() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.providers))
	for k := range s.providers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Redactor returns the redactor every resolved value is registered with.
func (s *Service) Redactor() *Redactor { return s.redactor }

// Cache returns the value cache.
func (s *Service) Cache() *Cache { return s.cache }

// Flush drops every cached value (values stay registered for redaction).
func (s *Service) Flush() { s.cache.Flush() }

// ValidateDefinition checks a definition before it is stored: a known provider and, where
// parameters hold no template, parameters that provider accepts.
func (s *Service) ValidateDefinition(sec *opsgate.Secret) error {
	p, ok := s.Provider(sec.Provider)
	if !ok {
		return opsgate.Errorf(opsgate.EINVALID, "Unknown secrets provider %q (known: %s).", sec.Provider, strings.Join(s.Providers(), ", "))
	}
	for _, v := range sec.Parameters {
		if strings.Contains(v, "{{") || strings.Contains(v, "{%") {
			return nil // checked after rendering, when the object is known
		}
	}
	if err := p.Validate(sec.Parameters); err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "%s", fill(err, sec, p).Error())
	}
	return nil
}

// Value resolves the named secret for obj (the object templated parameters see as obj; may be nil).
// Errors are *opsgate.SecretError (errors.Is with ErrSecret and its classes) and never hold the value.
func (s *Service) Value(ctx context.Context, name string, obj map[string]any) (Value, error) {
	sec, err := s.defs.FindSecretByName(ctx, name)
	if err != nil {
		if opsgate.ErrorCode(err) == opsgate.ENOTFOUND {
			return Value{}, &opsgate.SecretError{Class: ErrSecret, Secret: name, Message: "No such secret."}
		}
		return Value{}, &opsgate.SecretError{Class: ErrSecret, Secret: name, Message: "Cannot read the secret's definition.", Err: err}
	}
	return s.ValueOf(ctx, sec, obj)
}

// ValueOf resolves a definition that need not be stored (e.g. one being checked before it is added).
func (s *Service) ValueOf(ctx context.Context, sec *opsgate.Secret, obj map[string]any) (Value, error) {
	p, ok := s.Provider(sec.Provider)
	if !ok {
		return Value{}, &opsgate.SecretError{Class: ErrParameters, Secret: sec.Name, Provider: sec.Provider,
			Message: `Unknown secrets provider "` + sec.Provider + `"!`}
	}
	params, err := RenderParams(sec.Parameters, obj)
	if err != nil {
		return Value{}, fill(err, sec, p)
	}
	if err := p.Validate(params); err != nil {
		return Value{}, fill(err, sec, p)
	}
	start := time.Now()
	val, err := s.cache.Get(ctx, cacheKey(p.Slug(), params), func(ctx context.Context) (string, error) {
		v, err := p.Get(ctx, params)
		if err == nil {
			// Registered before any caller gets it, so no reply can carry it unscrubbed.
			s.redactor.Add(v)
			if v != "" && len(v) < MinRedactLen {
				s.logger.WarnContext(ctx, "secret value too short to be redacted from output", "secret", sec.Name, "min_length", MinRedactLen)
			}
		}
		return v, err
	})
	if err != nil {
		err = fill(err, sec, p)
		s.logger.DebugContext(ctx, "secret not resolved", "secret", sec.Name, "provider", p.Slug(), "error", err)
		return Value{}, err
	}
	s.logger.DebugContext(ctx, "secret resolved", "secret", sec.Name, "provider", p.Slug(), "duration", time.Since(start))
	return NewValue(val), nil
}

// GroupValue resolves the secret a group assigns to (access, typ), for obj.
func (s *Service) GroupValue(ctx context.Context, group string, access opsgate.SecretAccessType, typ opsgate.SecretType, obj map[string]any) (Value, error) {
	g, err := s.defs.FindSecretsGroupByName(ctx, group)
	if err != nil {
		if opsgate.ErrorCode(err) == opsgate.ENOTFOUND {
			return Value{}, &opsgate.SecretError{Class: ErrSecret, Message: `No such secrets group "` + group + `".`}
		}
		return Value{}, &opsgate.SecretError{Class: ErrSecret, Message: `Cannot read secrets group "` + group + `".`, Err: err}
	}
	m := g.Member(access, typ)
	if m == nil {
		return Value{}, &opsgate.SecretError{Class: ErrSecret,
			Message: `Secrets group "` + group + `" has no secret for access type "` + string(access) + `" and secret type "` + string(typ) + `".`}
	}
	return s.Value(ctx, m.Secret, obj)
}

// Check resolves the named secret and reports only whether that worked.
func (s *Service) Check(ctx context.Context, name string, obj map[string]any) error {
	_, err := s.Value(ctx, name, obj)
	return err
}

// Resolve returns the named secret's value, without an object: the function executors and
// configuration take (func(ctx, name) (string, error)).
func (s *Service) Resolve(ctx context.Context, name string) (string, error) {
	return s.Resolver(nil)(ctx, name)
}

// Resolver returns a Resolve function whose templated parameters see obj.
func (s *Service) Resolver(obj map[string]any) func(ctx context.Context, name string) (string, error) {
	return func(ctx context.Context, name string) (string, error) {
		v, err := s.Value(ctx, name, obj)
		if err != nil {
			return "", err
		}
		return v.Reveal(), nil
	}
}

// fill names the secret and provider in a provider's error, keeping its class.
func fill(err error, sec *opsgate.Secret, p opsgate.SecretsProvider) error {
	var se *opsgate.SecretError
	if errors.As(err, &se) {
		cp := *se
		cp.Secret, cp.Provider = sec.Name, p.Name()
		return &cp
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &opsgate.SecretError{Class: ErrProvider, Secret: sec.Name, Provider: p.Name(), Message: "Timed out or cancelled.", Err: err}
	}
	return &opsgate.SecretError{Class: ErrProvider, Secret: sec.Name, Provider: p.Name(), Message: "The provider failed.", Err: err}
}

// cacheKey identifies a rendered reference: two secrets (or two objects) that render to the
// same provider parameters share one cache entry and one fetch.
func cacheKey(slug string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(slug)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}
