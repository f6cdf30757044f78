package webex_test

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate/webex"
)

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"id":"W1","resource":"messages","event":"created","data":{"id":"M1"}}`)
	good := webex.Sign(secret, body)
	cases := []struct {
		name, sig string
		body      []byte
		want      webex.Refusal
	}{
		{"genuine", good, body, ""},
		{"genuine, upper-case hex", strings.ToUpper(good), body, ""},
		{"missing", "", body, webex.RefusalMissing},
		{"not hex", strings.Repeat("z", 40), body, webex.RefusalMalformed},
		{"wrong length", good[:38], body, webex.RefusalMalformed},
		{"SHA-256 length", good + good[:24], body, webex.RefusalMalformed},
		{"wrong secret", webex.Sign([]byte("other"), body), body, webex.RefusalMismatch},
		{"body changed after signing", good, []byte(strings.Replace(string(body), "M1", "M2", 1)), webex.RefusalMismatch},
	}
	for _, c := range cases {
		reason, msg := webex.Verify(secret, c.sig, c.body)
		if reason != c.want {
			t.Errorf("%s: reason %q, want %q", c.name, reason, c.want)
		}
		if (reason == "") != (msg == "") || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q is not one line matching the reason", c.name, msg)
		}
		if strings.Contains(msg, string(secret)) || (c.sig != "" && strings.Contains(msg, c.sig)) {
			t.Errorf("%s: message %q repeats a secret or the signature", c.name, msg)
		}
	}
}

func BenchmarkVerify1KB(b *testing.B) {
	secret := []byte("a-webhook-secret-of-usual-length")
	body := []byte(`{"id":"Y2lzY29zcGFyazovL3VzL1dFQkhPT0svZjRlNjA1NjA","name":"opsgate messages","resource":"messages","event":"created","data":{"id":"` + strings.Repeat("x", 1024-130) + `"}}`)
	sig := webex.Sign(secret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := webex.Verify(secret, sig, body); r != "" {
			b.Fatal(r)
		}
	}
}
