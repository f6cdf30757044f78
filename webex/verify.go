package webex

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
)

// SignatureHeader carries hex(HMAC-SHA1(webhook secret, raw body)) on every webhook Webex sends
// for a webhook created with a secret.
const SignatureHeader = "X-Spark-Signature"

// Refusal is why a webhook request was refused; its value is the metric's reason label.
type Refusal string

const (
	RefusalMissing   Refusal = "missing_signature"
	RefusalMalformed Refusal = "malformed_signature"
	RefusalMismatch  Refusal = "bad_signature"
)

// Verify checks sig (the X-Spark-Signature header) against body. It returns "" for a genuine
// request, else the refusal and a one-line message that names neither the secret nor the signature.
// Webex signs no timestamp, so replays are stopped by deduplicating on the webhook's data.id.
func Verify(secret []byte, sig string, body []byte) (Refusal, string) {
	if sig == "" {
		return RefusalMissing, "missing " + SignatureHeader + " header"
	}
	var want [sha1.Size]byte
	if len(sig) != 2*sha1.Size {
		return RefusalMalformed, SignatureHeader + " is not a hex HMAC-SHA1"
	}
	if _, err := hex.Decode(want[:], []byte(sig)); err != nil {
		return RefusalMalformed, SignatureHeader + " is not a hex HMAC-SHA1"
	}
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	var got [sha1.Size]byte
	if !hmac.Equal(m.Sum(got[:0]), want[:]) {
		return RefusalMismatch, "signature does not match the body and webhook secret"
	}
	return "", ""
}

// Sign returns the X-Spark-Signature Webex sends for body (for the stand-in and tools).
func Sign(secret, body []byte) string {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
