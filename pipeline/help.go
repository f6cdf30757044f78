package pipeline

import "github.com/opsgate/opsgate"

// Help lists every router's entries, unfiltered (platforms that register their commands with the
// chat service read it at start-up; `help` filters per caller).
func (p *Pipeline) Help() []opsgate.HelpEntry {
	var out []opsgate.HelpEntry
	for _, r := range p.routers {
		out = append(out, r.Help()...)
	}
	return out
}
