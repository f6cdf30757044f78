package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func TestSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "cli:alice")
		s := store.NewSecretService(db)
		sec := &opsgate.Secret{Name: "NAPALM Password", Description: "device login", Provider: "text-file",
			Parameters: map[string]string{"path": "/opt/secrets/{{ obj.site.slug }}/{{ obj.name }}.txt"}}
		if err := s.CreateSecret(ctx, sec); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSecret(ctx, &opsgate.Secret{Name: "napalm password", Provider: "environment-variable"}); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("same name in other case: want conflict, got %v", err)
		}
		for _, bad := range []string{"", " x", "a}b", "tab\there", strings.Repeat("n", 101)} {
			if err := s.CreateSecret(ctx, &opsgate.Secret{Name: bad, Provider: "text-file"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
				t.Errorf("name %q: want invalid, got %v", bad, err)
			}
		}
		got, err := s.FindSecretByName(ctx, "napalm PASSWORD")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != sec.ID || got.Name != "NAPALM Password" || got.Parameters["path"] != sec.Parameters["path"] || got.Description != "device login" ||
			!got.CreatedAt.Equal(sec.CreatedAt) {
			t.Fatalf("round trip: %+v", got)
		}
		if _, err := s.FindSecretByName(ctx, "nope"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("missing: %v", err)
		}
		user := &opsgate.Secret{Name: "NAPALM Username", Provider: "environment-variable", Parameters: map[string]string{"variable": "NAPALM_USERNAME"}}
		if err := s.CreateSecret(ctx, user); err != nil {
			t.Fatal(err)
		}
		all, err := s.FindSecrets(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "NAPALM Password" || all[1].Name != "NAPALM Username" {
			t.Fatalf("list: %v %v", all, err)
		}

		// Groups.
		g := &opsgate.SecretsGroup{Name: "Device NAPALM", Description: "napalm credentials"}
		if err := s.CreateSecretsGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSecretsGroup(ctx, &opsgate.SecretsGroup{Name: "device napalm"}); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("group conflict: %v", err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.SetSecretsGroupMember(ctx, "Device NAPALM", "generic", "username", "napalm username"))
		must(s.SetSecretsGroupMember(ctx, "Device NAPALM", opsgate.AccessGeneric, opsgate.SecretTypePassword, "NAPALM Password"))
		// Setting a pair again replaces it (unique per pair).
		must(s.SetSecretsGroupMember(ctx, "Device NAPALM", opsgate.AccessGeneric, opsgate.SecretTypeUsername, "NAPALM Password"))
		if err := s.SetSecretsGroupMember(ctx, "Device NAPALM", opsgate.AccessSSH, opsgate.SecretTypeKey, "ghost"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("unknown secret: %v", err)
		}
		if err := s.SetSecretsGroupMember(ctx, "Device NAPALM", "telnet", opsgate.SecretTypeKey, "NAPALM Password"); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Fatalf("bad access type: %v", err)
		}
		if err := s.SetSecretsGroupMember(ctx, "nogroup", opsgate.AccessSSH, opsgate.SecretTypeKey, "NAPALM Password"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("unknown group: %v", err)
		}
		grp, err := s.FindSecretsGroupByName(ctx, "device napalm")
		if err != nil {
			t.Fatal(err)
		}
		if len(grp.Members) != 2 || grp.Member(opsgate.AccessGeneric, opsgate.SecretTypeUsername).Secret != "NAPALM Password" ||
			grp.Member(opsgate.AccessGeneric, opsgate.SecretTypePassword).Secret != "NAPALM Password" {
			t.Fatalf("members: %+v", grp.Members)
		}
		// A secret in use cannot be deleted.
		if err := s.DeleteSecret(ctx, "NAPALM Password"); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("delete used secret: %v", err)
		}
		must(s.SetSecretsGroupMember(ctx, "Device NAPALM", opsgate.AccessGeneric, opsgate.SecretTypeUsername, ""))
		if err := s.SetSecretsGroupMember(ctx, "Device NAPALM", opsgate.AccessGeneric, opsgate.SecretTypeUsername, ""); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("removing an absent pair: %v", err)
		}
		groups, err := s.FindSecretsGroups(ctx)
		if err != nil || len(groups) != 1 || len(groups[0].Members) != 1 {
			t.Fatalf("groups: %+v %v", groups, err)
		}
		must(s.DeleteSecretsGroup(ctx, "Device NAPALM"))
		if err := s.DeleteSecretsGroup(ctx, "Device NAPALM"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("second group delete: %v", err)
		}
		must(s.DeleteSecret(ctx, "NAPALM Password"))
		if err := s.DeleteSecret(ctx, "NAPALM Password"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("second delete: %v", err)
		}

		// Flush requests advance the generation replicas poll.
		g0, err := s.SecretCacheGeneration(ctx)
		must(err)
		must(s.FlushSecretCache(ctx))
		if g1, _ := s.SecretCacheGeneration(ctx); g1 <= g0 {
			t.Fatalf("generation %d -> %d", g0, g1)
		}

		// Every change is audited, by the actor.
		audit := store.NewAuditService(db)
		secAudit, err := audit.FindAuditEntries(ctx, "secret", 10)
		must(err)
		if len(secAudit) != 3 || secAudit[0].Action != "delete" || secAudit[0].Actor != "cli:alice" || !strings.Contains(secAudit[2].After, "obj.site.slug") {
			t.Fatalf("secret audit: %+v", secAudit)
		}
		grpAudit, err := audit.FindAuditEntries(ctx, "secrets_group", 10)
		must(err)
		// create, 3 sets, 1 removal, delete
		if len(grpAudit) != 6 || grpAudit[0].Action != "delete" || grpAudit[5].Action != "create" || !strings.Contains(grpAudit[1].Before, "username") {
			t.Fatalf("group audit: %d entries %+v", len(grpAudit), grpAudit)
		}
		flushAudit, err := audit.FindAuditEntries(ctx, "secret_cache", 10)
		must(err)
		if len(flushAudit) != 1 || flushAudit[0].Action != "flush" {
			t.Fatalf("flush audit: %+v", flushAudit)
		}
	})
}
