package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what every printed form of a Value shows.
const Redacted = "[REDACTED]"

// Value is a resolved secret. Every way of printing it (fmt verbs, JSON, YAML, slog) shows
// [REDACTED]; only Reveal returns the secret. The string sits behind a pointer so that even a
// Value in an unexported struct field, which fmt prints without calling its methods, prints as
// an address rather than the secret.
type Value struct{ p *string }

// NewValue wraps s.
func NewValue(s string) Value { return Value{p: &s} }

// Reveal returns the secret. Call it only where the value is handed to what needs it.
func (v Value) Reveal() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// IsZero reports whether v holds nothing.
func (v Value) IsZero() bool { return v.p == nil || *v.p == "" }

func (v Value) String() string   { return Redacted }
func (v Value) GoString() string { return Redacted }

// Format prints [REDACTED] for every verb, %q included.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
func (v Value) MarshalYAML() (any, error)    { return Redacted, nil }
func (v Value) LogValue() slog.Value         { return slog.StringValue(Redacted) }
