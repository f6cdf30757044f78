package access

import (
	"fmt"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// Explain describes a decision for an administrator: the grant that allowed each scope, or the
// scope that failed and the grant that would fix it (as an `opsgate grant add` command line).
func Explain(d opsgate.Decision, grants []*opsgate.Grant) string {
	byID := make(map[int64]*opsgate.Grant, len(grants))
	for _, g := range grants {
		byID[g.ID] = g
	}
	var b strings.Builder
	for i, t := range opsgate.GrantTypes {
		id := d.Matched[i]
		switch {
		case id != 0:
			g := byID[id]
			if g == nil { // grants changed since the decision
				fmt.Fprintf(&b, "  %-12s allowed by grant %d\n", t, id)
				continue
			}
			fmt.Fprintf(&b, "  %-12s allowed by grant %d (%s)\n", t, id, describe(g))
		case t == d.Failed:
			if g := byID[d.Expired]; g != nil && g.ExpiresAt != nil {
				fmt.Fprintf(&b, "  %-12s grant %d (%s) matches but expired at %s\n",
					t, g.ID, describe(g), g.ExpiresAt.UTC().Format(time.RFC3339))
			} else if g := byID[d.Unmet]; g != nil {
				fmt.Fprintf(&b, "  %-12s grant %d (%s) matches but its condition %s does not hold\n", t, g.ID, describe(g), d.UnmetCondition)
			} else {
				fmt.Fprintf(&b, "  %-12s no grant matches\n", t)
			}
			f := d.Fix
			fmt.Fprintf(&b, "  to allow it: opsgate grant add --command %s --subcommand %s --type %s --value %s", shellQuote(f.Command), shellQuote(f.Subcommand), f.Type, shellQuote(f.Value))
			if f.Platform != "" {
				fmt.Fprintf(&b, " --platform %s", f.Platform)
			}
			if f.Name != "" {
				fmt.Fprintf(&b, " --name %s", shellQuote(f.Name))
			}
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "  %-12s not checked (an earlier scope denied)\n", t)
		}
	}
	return b.String()
}

// describe names what a grant covers, as explanations show it.
func describe(g *opsgate.Grant) string {
	s := fmt.Sprintf("command %s, subcommand %s, ", g.Command, g.Subcommand)
	if g.Group != "" {
		s += "group " + g.Group
	} else {
		s += "value " + g.Value
	}
	if g.Platform != "" {
		s += ", platform " + g.Platform
	}
	for _, c := range g.Conditions {
		s += ", only " + c.String()
	}
	return s
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"*?[]$`\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
