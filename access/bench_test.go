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
