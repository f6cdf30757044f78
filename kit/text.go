package kit

import (
	"strings"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
)

// Truncate shortens s to at most limit runes, ending in "…" when cut (platforms count
// characters, and a cut inside a rune would be invalid UTF-8).
func Truncate(s string, limit int) string {
	// Counted first: most text fits, and the conversion to runes is an allocation.
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit {
		return s
	}
	if r := []rune(s); len(r) > limit {
		return string(r[:limit-1]) + "…"
	}
	return s
}

// FirstNonEmpty returns the first of ss that is not blank, or "".
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// Undeliverable is the notice a person gets when their command's result could not be posted;
// why says what the platform answered ("" when nothing useful).
func Undeliverable(why string) string {
	if why == "" {
		return "Sorry, opsgate could not deliver the result of your command to this channel."
	}
	return "Sorry, opsgate could not deliver the result of your command to this channel (" + why + ")."
}

// Echo is value as a platform may repeat it in chat outside a dispatcher (the note that closes
// an answered prompt): scrubbed by r, so a secret typed as an answer is not posted back.
func Echo(r opsgate.Redactor, value string) string {
	if r == nil {
		return value
	}
	return r.Redact(value)
}

// Prefixed returns prefix+id, or "" when the platform gave no id: a request's ID (the queue's
// message id) names the platform, so ids of two platforms never collide.
func Prefixed(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}
