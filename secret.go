package opsgate

import (
	"context"
	"errors"
	"time"
)

// Secret is a reference to a credential: how to fetch it, never the value. Parameters are
// Jinja2 templates rendered with the requesting object as obj before the provider sees them.
type Secret struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Provider    string            `json:"provider"` // provider slug, e.g. "environment-variable"
	Parameters  map[string]string `json:"parameters"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// SecretAccessType is how a secret in a group is used (the seed's access types).
type SecretAccessType string

// SecretType is what a secret in a group is (the seed's secret types).
type SecretType string

// Access types, spelled as Nautobot stores them so groups can be carried over.
const (
	AccessGeneric  SecretAccessType = "Generic"
	AccessConsole  SecretAccessType = "Console"
	AccessGNMI     SecretAccessType = "gNMI"
	AccessHTTP     SecretAccessType = "HTTP(S)"
	AccessNETCONF  SecretAccessType = "NETCONF"
	AccessREST     SecretAccessType = "REST"
	AccessRESTCONF SecretAccessType = "RESTCONF"
	AccessSNMP     SecretAccessType = "SNMP"
	AccessSSH      SecretAccessType = "SSH"
)

// Secret types.
const (
	SecretTypeAuthenticationKey      SecretType = "authentication-key"
	SecretTypeAuthenticationProtocol SecretType = "authentication-protocol"
	SecretTypeKey                    SecretType = "key"
	SecretTypeNotes                  SecretType = "notes"
	SecretTypePassword               SecretType = "password"
	SecretTypePrivateAlgorithm       SecretType = "private-algorithm"
	SecretTypePrivateKey             SecretType = "private-key"
	SecretTypeSecret                 SecretType = "secret"
	SecretTypeToken                  SecretType = "token"
	SecretTypeURL                    SecretType = "url"
	SecretTypeUsername               SecretType = "username"
)

// SecretAccessTypes lists every access type, in the seed's order.
var SecretAccessTypes = []SecretAccessType{AccessGeneric, AccessConsole, AccessGNMI, AccessHTTP,
	AccessNETCONF, AccessREST, AccessRESTCONF, AccessSNMP, AccessSSH}

// SecretTypes lists every secret type, in the seed's order.
var SecretTypes = []SecretType{SecretTypeAuthenticationKey, SecretTypeAuthenticationProtocol, SecretTypeKey,
	SecretTypeNotes, SecretTypePassword, SecretTypePrivateAlgorithm, SecretTypePrivateKey, SecretTypeSecret,
	SecretTypeToken, SecretTypeURL, SecretTypeUsername}

// ParseSecretAccessType returns the access type spelled s (case-insensitively, "https" and "http" for HTTP(S)).
func ParseSecretAccessType(s string) (SecretAccessType, error) {
	for _, t := range SecretAccessTypes {
		if equalFoldASCII(string(t), s) {
			return t, nil
		}
	}
	if equalFoldASCII(s, "http") || equalFoldASCII(s, "https") {
		return AccessHTTP, nil
	}
	return "", Errorf(EINVALID, "Access type %q is not one of Generic, Console, gNMI, HTTP(S), NETCONF, REST, RESTCONF, SNMP, SSH.", s)
}

// ParseSecretType returns the secret type spelled s (case-insensitively).
func ParseSecretType(s string) (SecretType, error) {
	for _, t := range SecretTypes {
		if equalFoldASCII(string(t), s) {
			return t, nil
		}
	}
	return "", Errorf(EINVALID, "Secret type %q is not one of authentication-key, authentication-protocol, key, notes, "+
		"password, private-algorithm, private-key, secret, token, url, username.", s)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// SecretsGroup gives secrets a purpose: each (access type, secret type) pair names one secret.
type SecretsGroup struct {
	ID          int64                 `json:"id"`
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	Members     []*SecretsGroupMember `json:"members"`
	CreatedAt   time.Time             `json:"created_at"`
	UpdatedAt   time.Time             `json:"updated_at"`
}

// SecretsGroupMember assigns a secret to one (access type, secret type) pair of a group.
type SecretsGroupMember struct {
	AccessType SecretAccessType `json:"access_type"`
	SecretType SecretType       `json:"secret_type"`
	Secret     string           `json:"secret"` // the secret's name
}

// Member returns the group's member for the pair, nil when there is none.
func (g *SecretsGroup) Member(access SecretAccessType, typ SecretType) *SecretsGroupMember {
	for _, m := range g.Members {
		if m.AccessType == access && m.SecretType == typ {
			return m
		}
	}
	return nil
}

// SecretService stores secret definitions and secrets groups (never values). Every change is audited.
type SecretService interface {
	// FindSecrets returns all secrets ordered by name.
	FindSecrets(ctx context.Context) ([]*Secret, error)
	// FindSecretByName returns ENOTFOUND when no secret has that name.
	FindSecretByName(ctx context.Context, name string) (*Secret, error)
	// CreateSecret stores s, setting ID and times. Returns EINVALID for a bad name or provider
	// and ECONFLICT when the name is taken.
	CreateSecret(ctx context.Context, s *Secret) error
	// DeleteSecret removes a secret. Returns ENOTFOUND if it does not exist and ECONFLICT while a
	// group still uses it.
	DeleteSecret(ctx context.Context, name string) error

	// FindSecretsGroups returns all groups with their members, ordered by name.
	FindSecretsGroups(ctx context.Context) ([]*SecretsGroup, error)
	// FindSecretsGroupByName returns ENOTFOUND when no group has that name.
	FindSecretsGroupByName(ctx context.Context, name string) (*SecretsGroup, error)
	// CreateSecretsGroup stores an empty group (members are set with SetSecretsGroupMember).
	// Returns ECONFLICT when the name is taken.
	CreateSecretsGroup(ctx context.Context, g *SecretsGroup) error
	// SetSecretsGroupMember assigns secret to (access, typ) in group, replacing any previous
	// assignment of that pair; an empty secret removes the pair. Returns ENOTFOUND for an unknown
	// group or secret.
	SetSecretsGroupMember(ctx context.Context, group string, access SecretAccessType, typ SecretType, secret string) error
	// DeleteSecretsGroup removes a group and its members. Returns ENOTFOUND if it does not exist.
	DeleteSecretsGroup(ctx context.Context, name string) error

	// FlushSecretCache asks every replica to drop its cached values (audited); SecretCacheGeneration
	// reports how many flushes were asked for, so replicas notice by polling.
	FlushSecretCache(ctx context.Context) error
	SecretCacheGeneration(ctx context.Context) (int64, error)
}

// SecretsProvider fetches secret values from one kind of source. Implementations live in their
// own package (one per technology) and are registered with the secret service by Slug.
type SecretsProvider interface {
	// Slug is the provider name secrets refer to, e.g. "environment-variable".
	Slug() string
	// Name is the provider's name in error messages, e.g. "EnvironmentVariableSecretsProvider".
	Name() string
	// Validate checks rendered parameters without fetching anything; it returns a
	// *SecretError of class ErrSecretParameters naming the problem.
	Validate(params map[string]string) error
	// Get returns the value for rendered, validated parameters. Errors are *SecretError
	// (ErrSecretValueNotFound, ErrSecretProvider, ErrSecretParameters) and never contain the value.
	Get(ctx context.Context, params map[string]string) (string, error)
}

// Secret error classes (the seed's), matchable with errors.Is. Every class also matches ErrSecret.
var (
	ErrSecret              = errors.New("SecretError")
	ErrSecretParameters    = errors.New("SecretParametersError")
	ErrSecretValueNotFound = errors.New("SecretValueNotFoundError")
	ErrSecretProvider      = errors.New("SecretProviderError")
)

// SecretError is a failure to get a secret's value, in the seed's form:
// `SecretValueNotFoundError: Secret "NAPALM Secret" (provider "EnvironmentVariableSecretsProvider"): Undefined environment variable "NAPALM_SECRET"!`.
// Providers leave Secret and Provider empty; the secret service fills them in.
type SecretError struct {
	Class    error // one of ErrSecret, ErrSecretParameters, ErrSecretValueNotFound, ErrSecretProvider
	Secret   string
	Provider string
	Message  string
	// Err is the underlying cause, for logs; it must not contain the value.
	Err error
}

// NewSecretError returns a provider's error of class with a message for a person.
func NewSecretError(class error, message string, cause error) *SecretError {
	return &SecretError{Class: class, Message: message, Err: cause}
}

func (e *SecretError) Error() string {
	class := ErrSecret
	if e.Class != nil {
		class = e.Class
	}
	s := class.Error() + ": "
	switch {
	case e.Secret != "" && e.Provider != "":
		s += `Secret "` + e.Secret + `" (provider "` + e.Provider + `"): `
	case e.Secret != "":
		s += `Secret "` + e.Secret + `": `
	case e.Provider != "":
		s += `Provider "` + e.Provider + `": `
	}
	return s + e.Message
}

// ClassName returns the error class, e.g. "SecretValueNotFoundError".
func (e *SecretError) ClassName() string {
	if e.Class == nil {
		return ErrSecret.Error()
	}
	return e.Class.Error()
}

// Is makes errors.Is(err, ErrSecret) true for every class, and errors.Is(err, class) for its own.
func (e *SecretError) Is(target error) bool {
	return target == ErrSecret || (e.Class != nil && target == e.Class)
}

func (e *SecretError) Unwrap() error { return e.Err }
