package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// DefaultWindow is how far X-Signature-Timestamp may be from our clock, either way. Discord does
// not document one; a signed request replayed later than this is refused, and within it the
// interaction id is remembered (handled once).
const DefaultWindow = 5 * time.Minute

// ParsePublicKey reads the application's public key as the Developer Portal shows it (hex).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not a hex Ed25519 public key (%d hex digits)", 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// verify checks Discord's signature over timestamp + body and the timestamp's age. It returns
// the refusal reason ("" when valid).
func (h *Handler) verify(sigHex, ts string, body []byte) string {
	if sigHex == "" || ts == "" {
		return "missing_signature"
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "bad_signature"
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(h.PublicKey, msg, sig) {
		return "bad_signature"
	}
	// Checked after the signature so that only Discord learns our window.
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "bad_signature"
	}
	if d := h.Now().Sub(time.Unix(sec, 0)); d > h.Window || d < -h.Window {
		return "stale_timestamp"
	}
	return ""
}
