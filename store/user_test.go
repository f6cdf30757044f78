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

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "cli:root")
		us := store.NewUserService(db)
		u := &opsgate.User{Name: "Alice", Role: "Operator"}
		if err := us.CreateUser(ctx, u, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if u.Role != opsgate.RoleOperator {
			t.Errorf("role = %q, want operator", u.Role)
		}
		if err := us.CreateUser(ctx, &opsgate.User{Name: "alice", Role: "viewer"}, "another long password"); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Errorf("same name in other case: %v, want ECONFLICT", err)
		}
		if err := us.CreateUser(ctx, &opsgate.User{Name: "bob", Role: "root"}, "another long password"); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Errorf("unknown role: %v, want EINVALID", err)
		}
		if err := us.CreateUser(ctx, &opsgate.User{Name: "bob", Role: "viewer"}, "short"); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Errorf("short password: %v, want EINVALID", err)
		}
		if got, err := us.Authenticate(ctx, "alice", "correct horse battery"); err != nil || got.Name != "Alice" {
			t.Errorf("Authenticate = %v, %v", got, err)
		}
		for _, c := range [][2]string{{"alice", "wrong password!!"}, {"nobody", "correct horse battery"}} {
			if _, err := us.Authenticate(ctx, c[0], c[1]); opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
				t.Errorf("Authenticate(%q) = %v, want EUNAUTHORIZED", c[0], err)
			}
		}
		if err := us.SetPassword(ctx, "alice", "a new long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := us.Authenticate(ctx, "alice", "correct horse battery"); err == nil {
			t.Error("old password still accepted")
		}
		if _, err := us.Authenticate(ctx, "alice", "a new long password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		es, err := store.NewAuditService(db).FindAuditEntries(ctx, "user", 10)
		if err != nil || len(es) != 2 {
			t.Fatalf("audit = %v, %v; want create and update", es, err)
		}
		for _, e := range es {
			if e.Actor != "cli:root" || strings.Contains(e.Before+e.After, "argon2") || strings.Contains(e.Before+e.After, "password") {
				t.Errorf("audit entry %+v: wrong actor or holds the password", e)
			}
		}
		if err := us.DeleteUser(ctx, "ALICE"); err != nil {
			t.Fatal(err)
		}
		if err := us.DeleteUser(ctx, "alice"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Errorf("delete twice: %v, want ENOTFOUND", err)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		db.Now = func() time.Time { return now }
		ss := store.NewSessionStore(db)
		if err := ss.CommitCtx(ctx, "tok1", []byte("data1"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := ss.CommitCtx(ctx, "tok1", []byte("data2"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := ss.FindCtx(ctx, "tok1"); err != nil || !ok || string(b) != "data2" {
			t.Errorf("Find = %q, %v, %v", b, ok, err)
		}
		now = now.Add(2 * time.Hour)
		if _, ok, err := ss.FindCtx(ctx, "tok1"); err != nil || ok {
			t.Errorf("expired session found: %v, %v", ok, err)
		}
		ss.CommitCtx(ctx, "tok2", []byte("x"), now.Add(time.Hour))
		ss.DeleteCtx(ctx, "tok2")
		if _, ok, _ := ss.FindCtx(ctx, "tok2"); ok {
			t.Error("deleted session found")
		}
	})
}

func TestGrantPlatformCheckedByService(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	gs := store.NewGrantService(db)
	gs.Platform = func(name string) (string, error) {
		if name != "slack" {
			return "", opsgate.Errorf(opsgate.EINVALID, "Platform %q is unknown.", name)
		}
		return name, nil
	}
	ctx := context.Background()
	if err := gs.CreateGrant(ctx, &opsgate.Grant{Command: "x", Type: "user", Value: "U1", Platform: "irc"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Errorf("unknown platform: %v, want EINVALID", err)
	}
	if err := gs.CreateGrant(ctx, &opsgate.Grant{Command: "x", Type: "user", Value: "U1", Platform: "Slack"}); err != nil {
		t.Errorf("known platform: %v", err)
	}
}
