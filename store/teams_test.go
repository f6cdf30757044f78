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

func TestTeamsConversationReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewTeamsService(db)
		long := "19:" + strings.Repeat("x", 400) + "@thread.tacv2" // longer than any indexed column
		if _, err := s.FindConversation(ctx, long); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("unknown conversation: %v", err)
		}
		c := store.TeamsConversation{ConversationID: long, ServiceURL: "https://smba.trafficmanager.net/amer/", TenantID: "t1", BotID: "28:app"}
		if err := s.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.ServiceURL = "https://smba.trafficmanager.net/emea/" // the conversation moved region
		if err := s.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindConversation(ctx, long)
		if err != nil || got.ServiceURL != c.ServiceURL || got.TenantID != "t1" || got.BotID != "28:app" || got.ConversationID != long {
			t.Fatalf("conversation = %+v, %v", got, err)
		}
		if err := s.SaveConversation(ctx, store.TeamsConversation{ConversationID: "19:x"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Fatalf("reference without service URL: %v", err)
		}
	})
}

func TestTeamsUserReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewTeamsService(db)
		if _, err := s.FindUser(ctx, "aad-1"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("unknown user: %v", err)
		}
		u := store.TeamsUser{AADObjectID: "aad-1", UserID: "29:1alice", ServiceURL: "https://smba.trafficmanager.net/amer/", TenantID: "t1", BotID: "28:app"}
		if err := s.SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		u.PersonalConversationID = "a:1personal"
		if err := s.SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		// A later message from a channel knows no 1:1 conversation: the stored one is kept.
		u.PersonalConversationID, u.UserID = "", "29:1alice-new"
		if err := s.SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindUser(ctx, "aad-1")
		if err != nil || got.PersonalConversationID != "a:1personal" || got.UserID != "29:1alice-new" || got.TenantID != "t1" {
			t.Fatalf("user = %+v, %v", got, err)
		}
	})
}

func TestTeamsConversationsNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewTeamsService(db)
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { at = at.Add(time.Second); return at }
		for _, id := range []string{"19:a", "19:b", "19:c", "19:a"} { // a heard from again: newest
			if err := s.SaveConversation(ctx, store.TeamsConversation{ConversationID: id, ServiceURL: "https://smba.trafficmanager.net/amer/"}); err != nil {
				t.Fatal(err)
			}
		}
		cs, err := s.FindConversations(ctx, 2)
		if err != nil || len(cs) != 2 || cs[0].ConversationID != "19:a" || cs[1].ConversationID != "19:c" {
			t.Fatalf("conversations = %+v, %v; want 19:a then 19:c", cs, err)
		}
	})
}
