// Package callback signs and verifies the tokens opsgate puts into interactive chat elements
// (buttons, menus, text prompts, dialogs). A token carries what to re-run (the command prefix)
// and who may answer, never a platform's command token, and expires.
//
// Tokens are compact (binary, base64url) because Slack limits action_id and block_id to 255
// characters. The MAC is HMAC-SHA256 truncated to 128 bits, which is plenty for an online
// forgery attempt against a token that expires.
package callback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/opsgate/opsgate"
)

// Kind says what a token answers.
type Kind byte

const (
	KindMenu       Kind = 'm' // a pick from a menu: Prefix + " " + value
	KindText       Kind = 't' // a free-text answer: Prefix + " " + value
	KindDialog     Kind = 'd' // a dialog submission: Prefix + each value
	KindButton     Kind = 'b' // a button: runs Prefix as is
	KindOpenDialog Kind = 'o' // re-runs Prefix to get a fresh dialog with a fresh trigger id
	KindCancel     Kind = 'c' // cancels a prompt
)

const (
	version = 1
	macLen  = 16
	// DefaultTTL matches Slack's response_url lifetime: past it, answering could not reply anyway.
	DefaultTTL = 30 * time.Minute
)

// Payload is what a token carries. Empty strings cost one byte.
type Payload struct {
	Kind   Kind
	Prefix string
	// UserID is who may answer ("" for anyone in the conversation).
	UserID   string
	UserName string
	// Where the prompt was shown. Platforms whose interaction requests are not authenticated
	// (Mattermost) take the answering request's identity from here rather than from the request.
	OrgID       string
	OrgName     string
	ChannelID   string
	ChannelName string
	ThreadID    string
	// Offset is the first menu choice shown (paging past a platform's item limit).
	Offset  int
	Expires time.Time
}

// Errors returned by Verify; their messages are shown to the person who pressed the button.
var (
	ErrForged  = opsgate.Errorf(opsgate.EUNAUTHORIZED, "This prompt is not valid: it was not issued by this opsgate. Run the command again.")
	ErrExpired = opsgate.Errorf(opsgate.EUNAUTHORIZED, "This prompt has expired. Run the command again.")
)

// Signer signs and verifies tokens with one key. Safe for concurrent use.
type Signer struct {
	key []byte
	// Now is the clock deciding expiry.
	Now func() time.Time
	// TTL is how long a token is valid after signing.
	TTL time.Duration
}

// New returns a Signer using key for platform. The key is derived per platform so a token issued
// on one platform is never accepted by another.
func New(key []byte, platform string) *Signer {
	return &Signer{key: DeriveKey(key, platform), Now: time.Now, TTL: DefaultTTL}
}

// DeriveKey returns HMAC-SHA256(secret, "opsgate callback v1 " + label): a key for callbacks derived
// from a secret the deployment already has (Slack's signing secret, Mattermost's API token), so
// replicas agree on it without another setting.
func DeriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("opsgate callback v1 " + label))
	return m.Sum(nil)
}

// Sign returns the token for p. A zero p.Expires is set to now + TTL.
func (s *Signer) Sign(p Payload) string {
	if p.Expires.IsZero() {
		p.Expires = s.Now().Add(s.TTL)
	}
	b := make([]byte, 0, 32+len(p.Prefix)+len(p.UserID)+len(p.UserName)+len(p.OrgID)+len(p.OrgName)+len(p.ChannelID)+len(p.ChannelName)+len(p.ThreadID))
	b = append(b, version, byte(p.Kind))
	b = binary.AppendUvarint(b, uint64(p.Expires.Unix()))
	b = binary.AppendUvarint(b, uint64(max(p.Offset, 0)))
	for _, f := range []string{p.UserID, p.UserName, p.OrgID, p.OrgName, p.ChannelID, p.ChannelName, p.ThreadID, p.Prefix} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = append(b, s.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Signer) mac(b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(b)
	return m.Sum(nil)[:macLen]
}

// Verify returns the payload of token. Returns ErrForged when the token was not signed with this
// key (or is damaged) and ErrExpired when it is past its expiry.
func (s *Signer) Verify(token string) (*Payload, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2+macLen {
		return nil, ErrForged
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, s.mac(body)) {
		return nil, ErrForged
	}
	p, err := decode(body)
	if err != nil {
		return nil, ErrForged
	}
	if !s.Now().Before(p.Expires) {
		return nil, ErrExpired
	}
	return p, nil
}

var errShort = errors.New("callback: short token")

func decode(b []byte) (*Payload, error) {
	if b[0] != version {
		return nil, errShort
	}
	p := &Payload{Kind: Kind(b[1])}
	b = b[2:]
	uv := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, errShort
		}
		b = b[n:]
		return v, nil
	}
	exp, err := uv()
	if err != nil {
		return nil, err
	}
	off, err := uv()
	if err != nil {
		return nil, err
	}
	p.Expires, p.Offset = time.Unix(int64(exp), 0), int(off)
	for _, f := range []*string{&p.UserID, &p.UserName, &p.OrgID, &p.OrgName, &p.ChannelID, &p.ChannelName, &p.ThreadID, &p.Prefix} {
		n, err := uv()
		if err != nil || n > uint64(len(b)) {
			return nil, errShort
		}
		*f, b = string(b[:n]), b[n:]
	}
	if len(b) != 0 {
		return nil, errShort
	}
	return p, nil
}

// Answer returns the command text an answer re-runs: the prefix followed by each value quoted so
// that the parser sees exactly one word per value.
func (p *Payload) Answer(values ...string) string {
	n := len(p.Prefix)
	for _, v := range values {
		n += len(v) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, p.Prefix...)
	for _, v := range values {
		b = append(b, ' ')
		b = append(b, opsgate.QuoteWord(v)...)
	}
	return string(b)
}

// MayAnswer reports whether userID may answer the prompt.
func (p *Payload) MayAnswer(userID string) bool {
	return p.UserID == "" || hmac.Equal([]byte(p.UserID), []byte(userID))
}
