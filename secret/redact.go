package secret

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opsgate/opsgate"
)

// MinRedactLen is the shortest value the Redactor scrubs. Shorter values ("1", "yes") would
// blank out ordinary text everywhere, and are not secrets anyone should rely on.
const MinRedactLen = 4

// minShiftedLen is the shortest base64 fragment scrubbed for a value encoded at an offset
// inside a longer base64 text (e.g. "user:password" in a Basic auth header).
const minShiftedLen = 8

// Redactor scrubs every value it has been given, and the usual encodings of each, from text:
// the forms Encodings lists, and the value with any of its bytes percent-encoded.
// Values are added as they are resolved and never removed: a value once seen may still be in
// a reply being written. Safe for concurrent use; Redact does not lock.
type Redactor struct {
	mu      sync.Mutex
	needles map[string]struct{}
	values  []string // as given, and the base64 forms URLs carry percent-encoded
	rep     atomic.Pointer[redactor]
}

// redactor is one immutable state of a Redactor, swapped in whole when a value is added.
type redactor struct {
	rep *strings.Replacer
	pct percentIndex
}

var _ opsgate.Redactor = (*Redactor)(nil)

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor { return &Redactor{needles: map[string]struct{}{}} }

// Add registers value (and its base64, URL-encoded and JSON-escaped forms) for redaction.
func (r *Redactor) Add(value string) {
	if len(value) < MinRedactLen {
		return
	}
	forms := Encodings(value)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.needles == nil {
		r.needles = map[string]struct{}{}
	}
	added := false
	for _, f := range forms {
		if _, ok := r.needles[f]; !ok {
			r.needles[f] = struct{}{}
			added = true
		}
	}
	if !added {
		return
	}
	r.values = append(r.values, value)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		if f := enc.EncodeToString([]byte(value)); strings.ContainsAny(f, "+/=") {
			r.values = append(r.values, f) // a token in a URL query: %2B, %2F, %3D
		}
	}
	list := make([]string, 0, len(r.needles))
	for n := range r.needles {
		list = append(list, n)
	}
	// Longest first: where one form is a prefix of another (raw and padded base64), the
	// replacer must consume the longer one, or its padding would be left behind.
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	pairs := make([]string, 0, 2*len(list))
	for _, n := range list {
		pairs = append(pairs, n, Redacted)
	}
	r.rep.Store(&redactor{rep: strings.NewReplacer(pairs...), pct: newPercentIndex(r.values)})
}

// Redact returns s with every registered form replaced by [REDACTED], and every value written
// with any of its bytes percent-encoded.
func (r *Redactor) Redact(s string) string {
	rr := r.rep.Load()
	if rr == nil || s == "" {
		return s
	}
	// Percent-encoded first: the replacer would take a base64 form and leave its encoded padding.
	return rr.rep.Replace(rr.pct.redact(s))
}

// Len returns how many strings (values and their forms) are scrubbed.
func (r *Redactor) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.needles)
}

// Encodings returns value and the forms it may take in text: base64 (standard and URL
// alphabets, padded and raw), the fragments of those alphabets that appear when value sits at
// any offset inside a longer base64 text, URL query, path and userinfo encoding, and JSON string escaping.
func Encodings(value string) []string {
	forms := []string{value}
	add := func(f string) {
		if len(f) >= MinRedactLen && f != value {
			forms = append(forms, f)
		}
	}
	b := []byte(value)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		add(enc.EncodeToString(b))
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for off := 0; off <= 2; off++ {
			if f := shiftedBase64(enc, b, off); len(f) >= minShiftedLen {
				add(f)
			}
		}
	}
	add(url.QueryEscape(value))
	add(url.PathEscape(value))
	add(url.User(value).String())                                      // user in a URL
	add(strings.TrimPrefix(url.UserPassword("", value).String(), ":")) // password in a URL
	if j, err := json.Marshal(value); err == nil {
		add(string(j[1 : len(j)-1]))
	}
	return forms
}

// shiftedBase64 returns the characters of the base64 encoding of value preceded by off bytes
// that depend only on value: what any encoding of a text holding value at a byte offset
// congruent to off (mod 3) contains, whatever surrounds it.
func shiftedBase64(enc *base64.Encoding, value []byte, off int) string {
	buf := make([]byte, off+len(value))
	copy(buf[off:], value)
	s := enc.EncodeToString(buf)
	start := (off*8 + 5) / 6          // first character made only of value's bits
	end := (off + len(value)) * 8 / 6 // characters past this mix in what follows
	if end > len(s) {
		end = len(s)
	}
	if start >= end {
		return ""
	}
	return s[start:end]
}
