package store_test

import (
	"context"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// BenchmarkAuthenticate is one web UI login's password check (argon2id, 64 MiB, 3 passes): the
// cost that bounds how fast guesses can be tried even before the per-address limit.
func BenchmarkAuthenticate(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	us := store.NewUserService(db)
	ctx := context.Background()
	if err := us.CreateUser(ctx, &opsgate.User{Name: "alice", Role: opsgate.RoleAdmin}, "correct horse battery"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := us.Authenticate(ctx, "alice", "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
