package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func TestSt2Credentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "slack:U1")
		s := store.NewSt2Service(db)
		if _, err := s.FindCredential(ctx, "slack", "U1"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("empty: %v", err)
		}
		exp := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
		c := &opsgate.St2Credential{Platform: "slack", UserID: "U1", UserName: "alice", Kind: "token", St2User: "alice",
			Sealed: []byte{0, 1, 2, 255, 'x'}, ExpiresAt: exp}
		if err := s.SaveCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindCredential(ctx, "slack", "U1")
		if err != nil || string(got.Sealed) != string(c.Sealed) || !got.ExpiresAt.Equal(exp) || got.Kind != "token" || got.St2User != "alice" {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		// Replace with an API key (no expiry).
		if err := s.SaveCredential(ctx, &opsgate.St2Credential{Platform: "slack", UserID: "U1", UserName: "alice", Kind: "api_key", Sealed: []byte("k")}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.FindCredential(ctx, "slack", "U1")
		if got.Kind != "api_key" || !got.ExpiresAt.IsZero() {
			t.Fatalf("replace: %+v", got)
		}
		entries, err := store.NewAuditService(db).FindAuditEntries(ctx, "stackstorm_credential", 0)
		if err != nil || len(entries) != 2 || entries[0].Action != "update" || entries[0].Actor != "slack:U1" {
			t.Fatalf("audit: %+v %v", entries, err)
		}
		for _, e := range entries {
			if strings.Contains(e.After, "sealed") || strings.Contains(e.After, "AAEC") {
				t.Fatalf("secret in audit: %s", e.After)
			}
		}
		if err := s.DeleteCredential(ctx, "slack", "U1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCredential(ctx, "slack", "U1"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func TestSt2LoginLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewSt2Service(db)
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		l := &opsgate.St2LoginLink{Hash: "h1", Platform: "slack", UserID: "U1", UserName: "alice", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
		if err := s.CreateLoginLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimLoginLink(ctx, "h1", now)
		if err != nil || !got.Used || got.UserID != "U1" {
			t.Fatalf("claim: %+v %v", got, err)
		}
		if _, err := s.ClaimLoginLink(ctx, "h1", now); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("claim twice: %v", err)
		}
		// Two refused attempts release it; the third refusal burns it.
		for i := 1; i <= 3; i++ {
			if err := s.ReleaseLoginLink(ctx, "h1", 3); err != nil {
				t.Fatal(err)
			}
			_, err := s.ClaimLoginLink(ctx, "h1", now)
			if i < 3 && err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
			if i == 3 && opsgate.ErrorCode(err) != opsgate.ECONFLICT {
				t.Fatalf("after 3 refusals: %v", err)
			}
		}
		l2 := &opsgate.St2LoginLink{Hash: "h2", Platform: "slack", UserID: "U2", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := s.CreateLoginLink(ctx, l2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimLoginLink(ctx, "h2", now.Add(time.Minute)); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("expired claim: %v", err)
		}
		if _, err := s.ClaimLoginLink(ctx, "nope", now); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("unknown: %v", err)
		}
		if err := s.DeleteExpiredLoginLinks(ctx, now.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindLoginLink(ctx, "h2"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("expired link kept: %v", err)
		}
		if _, err := s.FindLoginLink(ctx, "h1"); err != nil {
			t.Fatalf("live link deleted: %v", err)
		}
	})
}

func TestSt2ClaimAnnouncement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewSt2Service(db)
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		key := "sha:" + strings.Repeat("ab", 32)
		if ok, err := s.ClaimAnnouncement(ctx, key, now, time.Minute); !ok || err != nil {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		if ok, err := s.ClaimAnnouncement(ctx, key, now.Add(time.Second), time.Minute); ok || err != nil {
			t.Fatalf("second replica's claim: %v %v", ok, err)
		}
		if ok, err := s.ClaimAnnouncement(ctx, key, now.Add(2*time.Minute), time.Minute); !ok || err != nil {
			t.Fatalf("claim after the window: %v %v", ok, err)
		}
	})
}
