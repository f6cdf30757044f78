package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Window is how far a request's timestamp may be from now, in either direction, before it is
// refused as a possible replay (Slack's documented 5 minutes).
const Window = 5 * time.Minute

// verify checks X-Slack-Signature: "v0=" + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)),
// compared in constant time, with the timestamp within Window of now. slack-go's SecretsVerifier
// does the same but reads the wall clock; this one takes now so the window can be tested.
// It returns the signature (hex, lower case: one request, one key however the header spells it)
// and the second it was signed when the request is genuine, else a metric reason and a one-line
// message.
func verify(macs *macs, h http.Header, body []byte, now time.Time) (sig signature, reason, msg string) {
	hsig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	refuse := func(reason, msg string) (signature, string, string) { return signature{}, reason, msg }
	if hsig == "" || ts == "" {
		return refuse("missing_headers", "missing X-Slack-Signature or X-Slack-Request-Timestamp header")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return refuse("bad_timestamp", "X-Slack-Request-Timestamp is not a unix time")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return refuse("stale_timestamp", "request timestamp is more than 5 minutes from now")
	}
	var want [sha256.Size]byte
	if len(hsig) != 3+2*sha256.Size || hsig[:3] != "v0=" {
		return refuse("bad_signature", "signature does not match")
	}
	m := macs.get()
	defer macs.put(m)
	if _, err := hex.Decode(want[:], append(m.hex[:0], hsig[3:]...)); err != nil {
		return refuse("bad_signature", "signature does not match")
	}
	m.h.Write(append(append(append(m.pre[:0], "v0:"...), ts...), ':'))
	m.h.Write(body)
	if !hmac.Equal(m.h.Sum(m.sum[:0]), want[:]) {
		return refuse("bad_signature", "signature does not match")
	}
	return signature{mac: want, at: sec}, "", ""
}

// signature is a verified request's.
type signature struct {
	mac [sha256.Size]byte
	at  int64 // the unix second it was signed
}

// key is the whole signature in hex, for claims shared with other replicas.
func (s signature) key() string { return hex.EncodeToString(s.mac[:]) }

// short is its first 8 bytes, a key for kit.Replays (the rest of an HMAC adds nothing to tell
// requests apart).
func (s signature) short() uint64 { return binary.BigEndian.Uint64(s.mac[:]) }

// Sign returns the X-Slack-Signature Slack would send for body at ts (for tests and tools).
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// macs hands out HMAC-SHA256 states keyed with the signing secret. A fresh one per request hashed
// the key into its inner and outer pads again and allocated ten objects; a reset one does neither.
type macs struct{ pool sync.Pool }

// mac is one pooled state, with room for what verify hands it: a slice given to a hash.Hash
// escapes, so buffers on verify's stack would be allocated anew for every request.
type mac struct {
	h   hash.Hash
	hex [2 * sha256.Size]byte // the signature's hex digits
	pre [64]byte              // "v0:" + timestamp + ":"
	sum [sha256.Size]byte
}

func newMACs(secret []byte) *macs {
	m := &macs{}
	m.pool.New = func() any { return &mac{h: hmac.New(sha256.New, secret)} }
	return m
}

func (m *macs) get() *mac { return m.pool.Get().(*mac) }

func (m *macs) put(s *mac) {
	s.h.Reset()
	m.pool.Put(s)
}
