package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Groups keep their members; a grant may name a group (which must exist) and carry conditions;
// a group named by a grant cannot be deleted; every change is audited.
func TestGroupsAndConditionalGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "cli:alice")
		groups, grants, audit := store.NewGroupService(db), store.NewGrantService(db), store.NewAuditService(db)
		if err := groups.CreateGroup(ctx, &opsgate.Group{Name: "oncall", Platform: "Slack", Members: []string{"U2", "U1", "U1"}}); err != nil {
			t.Fatal(err)
		}
		if err := groups.CreateGroup(ctx, &opsgate.Group{Name: "oncall"}); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("duplicate group: %v", err)
		}
		if err := groups.CreateGroup(ctx, &opsgate.Group{Name: "on call"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Fatalf("group name with a space: %v", err)
		}
		if err := groups.AddGroupMembers(ctx, "oncall", "U3", "U1"); err != nil {
			t.Fatal(err)
		}
		if err := groups.RemoveGroupMembers(ctx, "oncall", "U2"); err != nil {
			t.Fatal(err)
		}
		if err := groups.RemoveGroupMembers(ctx, "oncall", "U9"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("removing a non-member: %v", err)
		}
		if err := groups.AddGroupMembers(ctx, "nobody", "U1"); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("adding to an unknown group: %v", err)
		}
		gs, err := groups.FindGroups(ctx, "")
		if err != nil || len(gs) != 1 || gs[0].Platform != "slack" || !reflect.DeepEqual(gs[0].Members, []string{"U1", "U3"}) {
			t.Fatalf("groups: %+v %v", gs, err)
		}

		g := &opsgate.Grant{Command: "deploy", Type: opsgate.GrantUser, Group: "oncall",
			Conditions: []opsgate.Condition{{Type: "Channel", Value: "C1"}, {Type: "organization", Value: "T1"}}}
		if err := grants.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		// The same grant with its conditions in another order is the same grant.
		dup := &opsgate.Grant{Command: "deploy", Type: opsgate.GrantUser, Group: "oncall",
			Conditions: []opsgate.Condition{{Type: "organization", Value: "T1"}, {Type: "channel", Value: "C1"}}}
		if err := grants.CreateGrant(ctx, dup); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("equal conditional grant: %v", err)
		}
		// Other conditions make another grant.
		if err := grants.CreateGrant(ctx, &opsgate.Grant{Command: "deploy", Type: opsgate.GrantUser, Group: "oncall"}); err != nil {
			t.Fatal(err)
		}
		if err := grants.CreateGrant(ctx, &opsgate.Grant{Command: "deploy", Type: opsgate.GrantUser, Group: "nobody"}); opsgate.ErrorCode(err) != opsgate.ENOTFOUND ||
			!strings.Contains(opsgate.ErrorMessage(err), `Group "nobody" does not exist`) {
			t.Fatalf("grant naming an unknown group: %v", err)
		}
		got, err := grants.FindGrants(ctx, opsgate.GrantFilter{ID: &g.ID})
		if err != nil || len(got) != 1 || got[0].Group != "oncall" || got[0].Value != "" ||
			!reflect.DeepEqual(got[0].Conditions, []opsgate.Condition{{Type: "organization", Value: "T1"}, {Type: "channel", Value: "C1"}}) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		if err := groups.DeleteGroup(ctx, "oncall"); opsgate.ErrorCode(err) != opsgate.ECONFLICT || !strings.Contains(opsgate.ErrorMessage(err), "named by grant") {
			t.Fatalf("deleting a group in use: %v", err)
		}
		all, _ := grants.FindGrants(ctx, opsgate.GrantFilter{})
		for _, g := range all {
			if err := grants.DeleteGrant(ctx, g.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := groups.DeleteGroup(ctx, "oncall"); err != nil {
			t.Fatal(err)
		}
		es, err := audit.FindAuditEntries(ctx, "group", 10)
		if err != nil || len(es) != 4 || es[0].Action != "delete" || es[2].Action != "update" || !strings.Contains(es[2].After, `"U3"`) || es[0].Actor != "cli:alice" {
			t.Fatalf("audit: %+v %v", es, err)
		}
	})
}
