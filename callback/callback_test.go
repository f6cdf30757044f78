package callback

import (
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := New([]byte("secret"), "slack")
	s.Now = func() time.Time { return now }
	p := Payload{Kind: KindMenu, Prefix: "network status", UserID: "U1", ChannelID: "C1", ThreadID: "1.2", Offset: 99}
	tok := s.Sign(p)
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Prefix != p.Prefix || got.UserID != "U1" || got.ChannelID != "C1" || got.ThreadID != "1.2" || got.Offset != 99 || got.Kind != KindMenu {
		t.Fatalf("payload = %+v", got)
	}
	if got.Answer("new york", "x") != "network status 'new york' x" {
		t.Fatalf("answer = %q", got.Answer("new york", "x"))
	}
	if !got.MayAnswer("U1") || got.MayAnswer("U2") {
		t.Fatal("MayAnswer wrong")
	}

	// Expired exactly at TTL.
	now = now.Add(DefaultTTL)
	if _, err := s.Verify(tok); err != ErrExpired {
		t.Fatalf("expired: err = %v", err)
	}
	now = now.Add(-time.Minute)

	// Another platform's key, a flipped bit, truncation and garbage are forgeries.
	other := New([]byte("secret"), "mattermost")
	other.Now = s.Now
	if _, err := other.Verify(tok); err != ErrForged {
		t.Fatalf("other platform: err = %v", err)
	}
	b := []byte(tok)
	b[5] ^= 1
	for _, bad := range []string{string(b), tok[:len(tok)-2], "", "!!!", strings.Repeat("A", 40)} {
		if _, err := s.Verify(bad); err != ErrForged {
			t.Fatalf("Verify(%q) err = %v", bad, err)
		}
	}
	if opsgate.ErrorMessage(ErrForged) == "Internal error." {
		t.Fatal("refusal must be a user message")
	}
}

func TestTokenFitsSlackActionID(t *testing.T) {
	s := New([]byte("k"), "slack")
	tok := s.Sign(Payload{Kind: KindMenu, Prefix: strings.Repeat("p", 120), UserID: "U012AB3CD", ChannelID: "C012AB3CD", ThreadID: "1700000000.123456"})
	if len(tok) > 255 {
		t.Fatalf("token of a 120-char prefix is %d chars, over Slack's 255", len(tok))
	}
}

func BenchmarkVerify(b *testing.B) {
	s := New([]byte("k"), "slack")
	tok := s.Sign(Payload{Kind: KindMenu, Prefix: "network status", UserID: "U1"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
