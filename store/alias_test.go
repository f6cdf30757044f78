package store_test

import (
	"context"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func TestAliases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "cli:alice")
		s := store.NewAliasService(db)
		def := "name: restart\npack: svc\naction_ref: svc.restart\nformats: [\"restart {{ service }}\"]\n"
		a := &store.StoredAlias{Pack: "svc", Name: "restart", Definition: def}
		if err := s.SaveAlias(ctx, a); err != nil || a.ID == 0 {
			t.Fatalf("save: %v %+v", err, a)
		}
		if err := s.SaveAlias(ctx, &store.StoredAlias{Pack: "apu", Name: "status", Definition: "x: y\n"}); err != nil {
			t.Fatal(err)
		}
		// Saving again replaces the definition, keeping the id.
		def2 := def + "description: Restart\n"
		b := &store.StoredAlias{Pack: "svc", Name: "restart", Definition: def2}
		if err := s.SaveAlias(ctx, b); err != nil || b.ID != a.ID {
			t.Fatalf("update: %v %d %d", err, b.ID, a.ID)
		}
		got, err := s.FindAliases(ctx)
		if err != nil || len(got) != 2 || got[0].Ref() != "apu.status" || got[1].Definition != def2 || got[1].CreatedAt.IsZero() {
			t.Fatalf("find: %v %+v", err, got)
		}
		if err := s.SaveAlias(ctx, &store.StoredAlias{Pack: "svc"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Fatalf("invalid: %v", err)
		}
		if err := s.DeleteAlias(ctx, "svc", "restart"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAlias(ctx, "svc", "restart"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("delete twice: %v", err)
		}
		entries, err := store.NewAuditService(db).FindAuditEntries(ctx, "alias", 0)
		if err != nil || len(entries) != 4 || entries[0].Action != "delete" || entries[0].ObjectID != "svc.restart" || entries[0].Actor != "cli:alice" ||
			entries[1].Action != "update" || entries[3].Action != "create" {
			t.Fatalf("audit: %+v %v", entries, err)
		}
	})
}
