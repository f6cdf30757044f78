package access_test

import (
	"fmt"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
)

// grantsOfSize builds n grants shaped like a large deployment: orgs and channels open, many
// per-user grants across many commands.
func grantsOfSize(n int) []*opsgate.Grant {
	gs := []*opsgate.Grant{
		{ID: 1, Command: "*", Subcommand: "*", Type: opsgate.GrantOrganization, Value: "T1"},
		{ID: 2, Command: "*", Subcommand: "*", Type: opsgate.GrantChannel, Value: "*"},
	}
	for i := len(gs); i < n; i++ {
		gs = append(gs, &opsgate.Grant{ID: int64(i + 1), Command: fmt.Sprintf("cmd%d", i%97), Subcommand: fmt.Sprintf("sub%d", i%13),
			Type: opsgate.GrantUser, Value: fmt.Sprintf("U%d", i)})
	}
	return gs
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		gs := grantsOfSize(n)
		a := access.New(gs)
		last := gs[len(gs)-1]
		allowed := opsgate.Subject{Platform: "slack", OrgID: "T1", ChannelID: "C1", UserID: last.Value}
		if !a.Decide(allowed, last.Command, last.Subcommand).Allowed {
			b.Fatal("benchmark request should be allowed")
		}
		b.Run(fmt.Sprintf("grants=%d/allowed", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Decide(allowed, last.Command, last.Subcommand)
			}
		})
		denied := allowed
		denied.UserID = "U-nobody"
		b.Run(fmt.Sprintf("grants=%d/denied", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Decide(denied, last.Command, last.Subcommand)
			}
		})
	}
}

// BenchmarkDecideGroups is BenchmarkDecide with every tenth user grant naming a group (each
// user in several groups) and every fifth carrying a channel condition: the allowed request
// passes through a conditional group grant.
func BenchmarkDecideGroups(b *testing.B) {
	gs, groups := groupedGrants()
	a := access.New(gs, groups...)
	g := gs[2+99990] // a group grant with a condition
	member := groups[99990%1000].Members[3]
	allowed := opsgate.Subject{Platform: "slack", OrgID: "T1", ChannelID: g.Conditions[0].Value, UserID: member}
	if d := a.Decide(allowed, g.Command, g.Subcommand); !d.Allowed || d.Matched[2] != g.ID {
		b.Fatalf("benchmark request should be allowed by grant %d: %+v", g.ID, d)
	}
	b.Run("grants=100000/group+condition/allowed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.Decide(allowed, g.Command, g.Subcommand)
		}
	})
	elsewhere := allowed
	elsewhere.ChannelID = "C-other"
	b.Run("grants=100000/group+condition/denied", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.Decide(elsewhere, g.Command, g.Subcommand)
		}
	})
}

// groupedGrants is grantsOfSize(100000) with 1,000 groups of 50 (5,000 users, each in 10 groups),
// every tenth user grant naming a group and every fifth carrying a channel condition.
func groupedGrants() ([]*opsgate.Grant, []*opsgate.Group) {
	gs := grantsOfSize(100000)
	var groups []*opsgate.Group
	for i := range 1000 {
		g := &opsgate.Group{Name: fmt.Sprintf("team%d", i), Platform: "slack"}
		for j := range 50 {
			g.Members = append(g.Members, fmt.Sprintf("U%d", (i*50+j)%5000))
		}
		groups = append(groups, g)
	}
	for i, g := range gs[2:] {
		if i%10 == 0 {
			g.Value, g.Group = "", fmt.Sprintf("team%d", i%1000)
		}
		if i%5 == 0 {
			g.Conditions = []opsgate.Condition{{Type: opsgate.GrantChannel, Value: fmt.Sprintf("C%d", i%7)}}
		}
	}
	return gs, groups
}

// BenchmarkLoadGroups measures rebuilding the index (every grant or group change, on every
// replica): groups are expanded to their members there, so it costs memory and time once.
func BenchmarkLoadGroups(b *testing.B) {
	gs, groups := groupedGrants()
	b.ReportAllocs()
	for b.Loop() {
		access.New(gs, groups...)
	}
}

// BenchmarkLoad is BenchmarkLoadGroups without groups or conditions, for comparison.
func BenchmarkLoad(b *testing.B) {
	gs := grantsOfSize(100000)
	b.ReportAllocs()
	for b.Loop() {
		access.New(gs)
	}
}
