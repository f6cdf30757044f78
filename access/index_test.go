package access_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
)

// table builds grants from rows "command subcommand type value [name]", like the seed's tables.
func table(rows ...string) []*opsgate.Grant {
	var gs []*opsgate.Grant
	for i, r := range rows {
		f := strings.Fields(r)
		g := &opsgate.Grant{ID: int64(i + 1), Command: f[0], Subcommand: f[1], Type: opsgate.GrantType(f[2]), Value: f[3]}
		if len(f) > 4 {
			g.Name = f[4]
		}
		if err := g.Validate(); err != nil {
			panic(err)
		}
		gs = append(gs, g)
	}
	return gs
}

func subject(org, channel, user string) opsgate.Subject {
	return opsgate.Subject{Platform: "slack", OrgID: org, OrgName: "org-" + org, ChannelID: channel, ChannelName: "chan-" + channel, UserID: user, UserName: "user-" + user}
}

type check struct {
	org, channel, user, command, sub string
	denied                           opsgate.GrantType // "" when allowed
}

func run(t *testing.T, a *access.Authorizer, checks []check) {
	t.Helper()
	for _, c := range checks {
		s := subject(c.org, c.channel, c.user)
		d := a.Decide(s, c.command, c.sub)
		name := fmt.Sprintf("%s/%s/%s %s %s", c.org, c.channel, c.user, c.command, c.sub)
		if c.denied == "" {
			if !d.Allowed || d.Message != "" {
				t.Errorf("%s: want allowed, got denied: %s", name, d.Message)
			}
			continue
		}
		if d.Allowed || d.Failed != c.denied {
			t.Errorf("%s: want denied at %s scope, got allowed=%v failed=%q", name, c.denied, d.Allowed, d.Failed)
			continue
		}
		id, idName := s.ScopeID(c.denied)
		var where string
		switch c.denied {
		case opsgate.GrantOrganization:
			where = "in organization " + id + " (" + idName + ")"
		case opsgate.GrantChannel:
			where = "in channel " + id + " (" + idName + ")"
		case opsgate.GrantUser:
			where = "by user " + id + " (" + idName + ")"
		}
		want := "Access to this bot and/or command is not permitted " + where + ", ask your administrator to define an appropriate Access Grant"
		if d.Message != want {
			t.Errorf("%s: message\n got %q\nwant %q", name, d.Message, want)
		}
		if d.Fix == nil || d.Fix.Type != c.denied || d.Fix.Value != id || d.Fix.Command != c.command || d.Fix.Validate() != nil {
			t.Errorf("%s: fix grant %+v", name, d.Fix)
		}
		// The suggested grant must actually fix this scope.
		fix := *d.Fix
		fix.ID = 1000
		fixed := access.New(append(a2grants(a, t), &fix))
		if fd := fixed.Decide(s, c.command, c.sub); !fd.Allowed && fd.Failed == c.denied {
			t.Errorf("%s: suggested grant %+v does not fix scope %s", name, d.Fix, c.denied)
		}
	}
}

var current []*opsgate.Grant

func a2grants(_ *access.Authorizer, _ *testing.T) []*opsgate.Grant {
	return append([]*opsgate.Grant(nil), current...)
}

// Seed example 1: unrestricted access within a single organization.
func TestSeedSingleOrganization(t *testing.T) {
	current = table("* * organization T202B88NN my-org", "* * channel * any", "* * user * any")
	a := access.New(current)
	run(t, a, []check{
		{"T202B88NN", "C1", "U1", "network", "status", ""},
		{"T202B88NN", "C9", "U7", "jokes", "", ""},
		{"T202B88NN", "C9", "U7", "help", "", ""},
		{"T999", "C1", "U1", "network", "status", opsgate.GrantOrganization},
		{"T999", "C1", "U1", "help", "", opsgate.GrantOrganization},
	})
}

// Seed example 2: split command access to different channels.
func TestSeedSplitByChannel(t *testing.T) {
	current = table("* * organization T202B88NN my-org", "support * channel C2020H455 support", "devops * channel C3030I566 devops", "* * user * any")
	a := access.New(current)
	run(t, a, []check{
		{"T202B88NN", "C2020H455", "U1", "support", "ticket", ""},
		{"T202B88NN", "C2020H455", "U1", "support", "", ""},
		{"T202B88NN", "C2020H455", "U1", "devops", "deploy", opsgate.GrantChannel},
		{"T202B88NN", "C3030I566", "U2", "devops", "deploy", ""},
		{"T202B88NN", "C3030I566", "U2", "support", "ticket", opsgate.GrantChannel},
		{"T202B88NN", "C0000", "U2", "support", "ticket", opsgate.GrantChannel},
		{"T202B88NN", "C0000", "U2", "devops", "", opsgate.GrantChannel},
		{"T0", "C3030I566", "U2", "devops", "deploy", opsgate.GrantOrganization},
	})
}

// Seed example 3: a destructive subcommand only for three admins in the devops channel.
func TestSeedRestrictSubcommand(t *testing.T) {
	current = table(
		"* * organization T202B88NN my-org",
		"jokes * channel * any", "jokes * user * any",
		"network * channel C3030I566 devops",
		"network history user * any",
		"network redeploy user U2049K991 admin1", "network redeploy user U2039K725 admin2", "network redeploy user U7924K784 admin3",
		"network status user * any",
		"weather * channel * any", "weather * user * any",
	)
	a := access.New(current)
	const org, devops = "T202B88NN", "C3030I566"
	var checks []check
	for _, admin := range []string{"U2049K991", "U2039K725", "U7924K784"} {
		checks = append(checks,
			check{org, devops, admin, "network", "redeploy", ""},
			check{org, "C2020H455", admin, "network", "redeploy", opsgate.GrantChannel},
			check{"T1", devops, admin, "network", "redeploy", opsgate.GrantOrganization})
	}
	checks = append(checks,
		check{org, devops, "U5555", "network", "redeploy", opsgate.GrantUser},
		check{org, devops, "U5555", "network", "status", ""},
		check{org, devops, "U5555", "network", "history", ""},
		check{org, devops, "U5555", "network", "reboot", opsgate.GrantUser},
		check{org, devops, "U5555", "network", "", ""}, // bare command: any network grant for the user
		check{org, "C2020H455", "U5555", "network", "status", opsgate.GrantChannel},
		check{org, "C2020H455", "U5555", "jokes", "tell", ""},
		check{org, "C2020H455", "U5555", "weather", "today", ""},
		check{org, devops, "U2049K991", "weather", "", ""},
		check{org, devops, "U5555", "unknowncmd", "x", opsgate.GrantChannel},
		check{"T1", "C2020H455", "U5555", "jokes", "tell", opsgate.GrantOrganization},
	)
	run(t, a, checks)

	if !a.UserAllowed(subject(org, devops, "U5555"), "network", "status") || a.UserAllowed(subject(org, devops, "U5555"), "network", "redeploy") {
		t.Error("UserAllowed (restrict_help) disagrees with the user grants")
	}
	d := a.Decide(subject(org, devops, "U2049K991"), "network", "redeploy")
	if d.Matched != [3]int64{1, 4, 6} {
		t.Errorf("explain: want grants 1,4,6 to have allowed, got %v", d.Matched)
	}
}

func TestPlatformGlobAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	gs := table("* * organization * any", "* * channel * any", "dns get-* user U1", "dns flush user U2", "dns purge user U3")
	gs[2].Platform = "mattermost"
	gs[3].ExpiresAt = &past
	gs[4].ExpiresAt = &future
	a := access.New(gs)
	a.Now = func() time.Time { return now }
	s := subject("T", "C", "U1")
	if d := a.Decide(s, "dns", "get-records"); d.Allowed {
		t.Error("a mattermost-only grant allowed a slack request")
	}
	s.Platform = "mattermost"
	if d := a.Decide(s, "dns", "get-records"); !d.Allowed || d.Matched[2] != 3 {
		t.Errorf("glob grant on its platform: %+v", d)
	}
	if d := a.Decide(s, "dns", "set-records"); d.Allowed {
		t.Error("glob matched a subcommand outside its pattern")
	}
	if d := a.Decide(subject("T", "C", "U2"), "dns", "flush"); d.Allowed {
		t.Error("expired grant still allows")
	}
	if d := a.Decide(subject("T", "C", "U3"), "dns", "purge"); !d.Allowed {
		t.Error("unexpired grant does not allow")
	}
	a.Now = func() time.Time { return future }
	if d := a.Decide(subject("T", "C", "U3"), "dns", "purge"); d.Allowed {
		t.Error("grant allows at its expiry time")
	}
}

func TestDenyByDefault(t *testing.T) {
	a := access.New(nil)
	if d := a.Decide(subject("T", "C", "U"), "help", ""); d.Allowed || d.Failed != opsgate.GrantOrganization {
		t.Fatalf("empty grant table must deny at organization scope: %+v", d)
	}
}
