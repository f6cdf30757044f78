package access_test

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
)

// A grant naming a group allows its members, only on the group's platform when it has one, and
// follows membership changes on the next load.
func TestGroupGrantAllowsMembers(t *testing.T) {
	gs := table("* * organization *", "* * channel *")
	gs = append(gs, &opsgate.Grant{ID: 9, Command: "deploy", Subcommand: "*", Type: opsgate.GrantUser, Group: "oncall"})
	oncall := &opsgate.Group{Name: "oncall", Platform: "slack", Members: []string{"U1", "U2"}}
	a := access.New(gs, oncall)
	run(t, a, []check{
		{"T", "C", "U1", "deploy", "web", ""},
		{"T", "C", "U2", "deploy", "", ""},
		{"T", "C", "U3", "deploy", "web", opsgate.GrantUser},
		{"T", "C", "U1", "status", "", opsgate.GrantUser},
	})
	if d := a.Decide(subject("T", "C", "U1"), "deploy", "web"); d.Matched[2] != 9 {
		t.Errorf("matched %v, want grant 9 for the user scope", d.Matched)
	}
	other := subject("T", "C", "U1")
	other.Platform = "mattermost"
	if a.Decide(other, "deploy", "web").Allowed {
		t.Error("a slack group's member was allowed on mattermost")
	}
	// A group without platform counts on every platform; a removed member loses access.
	a.Load(gs, &opsgate.Group{Name: "oncall", Members: []string{"U2"}})
	if a.Decide(subject("T", "C", "U1"), "deploy", "web").Allowed {
		t.Error("U1 was removed from oncall and is still allowed")
	}
	other.UserID = "U2"
	if !a.Decide(other, "deploy", "web").Allowed {
		t.Error("member of a platform-less group denied on mattermost")
	}
	// Glob subcommands work through groups too.
	gs[2].Subcommand = "get-*"
	a.Load(gs, oncall)
	run(t, a, []check{{"T", "C", "U1", "deploy", "get-web", ""}, {"T", "C", "U1", "deploy", "set-web", opsgate.GrantUser}})
}

// "User X, only in channel Y": a condition ties scopes together, which Nautobot's three
// independent scopes cannot; grants without conditions behave exactly as before.
func TestConditionalGrant(t *testing.T) {
	gs := table("* * organization *", "* * channel *", "status * user *")
	gs = append(gs, &opsgate.Grant{ID: 10, Command: "network", Subcommand: "redeploy", Type: opsgate.GrantUser, Value: "U1",
		Conditions: []opsgate.Condition{{Type: opsgate.GrantChannel, Value: "Cdevops"}}})
	a := access.New(gs)
	run(t, a, []check{
		{"T", "Cdevops", "U1", "network", "redeploy", ""},
		{"T", "Cgeneral", "U1", "network", "redeploy", opsgate.GrantUser},
		{"T", "Cdevops", "U2", "network", "redeploy", opsgate.GrantUser},
		{"T", "Cgeneral", "U2", "status", "", ""},
	})
	d := a.Decide(subject("T", "Cgeneral", "U1"), "network", "redeploy")
	if d.Unmet != 10 || d.UnmetCondition.String() != "channel=Cdevops" {
		t.Fatalf("unmet %d %v, want grant 10 and channel=Cdevops", d.Unmet, d.UnmetCondition)
	}
	out := access.Explain(d, gs)
	if !strings.Contains(out, "grant 10 (command network, subcommand redeploy, value U1, only channel=Cdevops) matches but its condition channel=Cdevops does not hold") {
		t.Errorf("explain does not name the failed condition:\n%s", out)
	}
	// Several conditions must hold together, on a group grant as well.
	gs = append(gs[:3], &opsgate.Grant{ID: 11, Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Group: "neteng",
		Conditions: []opsgate.Condition{{Type: opsgate.GrantOrganization, Value: "T"}, {Type: opsgate.GrantChannel, Value: "Cnet"}}})
	a.Load(gs, &opsgate.Group{Name: "neteng", Members: []string{"U5"}})
	run(t, a, []check{
		{"T", "Cnet", "U5", "network", "redeploy", ""},
		{"T2", "Cnet", "U5", "network", "redeploy", opsgate.GrantUser},
		{"T", "Cdevops", "U5", "network", "redeploy", opsgate.GrantUser},
	})
	d = a.Decide(subject("T", "Cnet", "U5"), "network", "redeploy")
	if out := access.Explain(d, gs); !strings.Contains(out, "allowed by grant 11 (command network, subcommand *, group neteng, only organization=T, only channel=Cnet)") {
		t.Errorf("explain of an allowed group grant:\n%s", out)
	}
}

func TestConditionValidation(t *testing.T) {
	for g, want := range map[*opsgate.Grant]string{
		{Command: "a", Type: "user", Value: "U1", Conditions: []opsgate.Condition{{Type: "room", Value: "C"}}}:                                     `Condition type "room" is not one of`,
		{Command: "a", Type: "user", Value: "U1", Conditions: []opsgate.Condition{{Type: "channel", Value: "C1"}, {Type: "channel", Value: "C2"}}}: "only one channel condition",
		{Command: "a", Type: "user", Value: "U1", Conditions: []opsgate.Condition{{Type: "channel", Value: "*"}}}:                                  "always holds",
		{Command: "a", Type: "channel", Group: "g"}:           "Only a user grant can name a group",
		{Command: "a", Type: "user", Group: "g", Value: "U1"}: "either a value or a group",
		{Command: "a", Type: "user"}:                          "Grant value is required",
	} {
		g.Normalize()
		if err := g.Validate(); err == nil || !strings.Contains(opsgate.ErrorMessage(err), want) {
			t.Errorf("%+v: %v, want %q", g, err, want)
		}
	}
	if _, err := opsgate.ParseCondition("channel"); err == nil {
		t.Error("condition without = accepted")
	}
}
