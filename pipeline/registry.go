package pipeline

import (
	"context"
	"sort"
	"strings"

	"github.com/opsgate/opsgate"
)

var _ opsgate.Router = (*Registry)(nil)

// Registry routes text to built-in Go commands: "cmd sub args" or "cmd-sub args".
type Registry struct {
	commands map[string]*opsgate.Command
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{commands: map[string]*opsgate.Command{}} }

// Add registers c, replacing a command of the same name.
func (r *Registry) Add(c *opsgate.Command) { r.commands[strings.ToLower(c.Name)] = c }

// Route resolves words to a built-in command, or nil when the first word is not one.
func (r *Registry) Route(_ context.Context, _ *opsgate.Request, words []string) (*opsgate.Route, error) {
	if len(words) == 0 {
		return nil, nil
	}
	first := strings.ToLower(words[0])
	rest := words[1:]
	c, ok := r.commands[first]
	if !ok {
		// "cmd-sub args": Webex and Mattermost users type the pair as one word.
		name, sub, found := strings.Cut(first, "-")
		if c, ok = r.commands[name]; !found || !ok {
			return nil, nil
		}
		rest = append([]string{sub}, rest...)
	}
	route := &opsgate.Route{Command: c.Name, Group: c.Group, Exempt: c.Exempt, AdminOnly: c.AdminOnly, Private: c.Private}
	if route.Group == "" {
		route.Group = "opsgate"
	}
	if len(c.Subcommands) == 0 {
		route.Run = c.Run
		bindParams(route, c.Params, rest)
		return route, nil
	}
	if len(rest) == 0 {
		route.Run = commandHelp(c)
		return route, nil
	}
	for _, s := range c.Subcommands {
		if strings.EqualFold(s.Name, rest[0]) {
			route.Subcommand, route.Run, route.Timeout = s.Name, s.Run, s.Timeout
			bindParams(route, s.Params, rest[1:])
			return route, nil
		}
	}
	return nil, opsgate.Errorf(opsgate.EINVALID, "Command %s has no subcommand %q. Try `help %s`.", c.Name, rest[0], c.Name)
}

// bindParams fills named params from positional args; the last param takes the remaining words.
// Missing lists the unfilled params up to the last required one: answers are appended in that
// order, so an optional param before a required one must be asked for too, or the answer would
// land in it and the prompt would repeat forever.
func bindParams(route *opsgate.Route, params []opsgate.Param, args []string) {
	route.Args = args
	if len(params) == 0 {
		return // no names to fill: Params stays nil (reads work), one allocation fewer
	}
	route.Params = make(map[string]string, len(params))
	lastRequired := -1
	for i, p := range params {
		switch {
		case i < len(args) && i == len(params)-1:
			route.Params[p.Name] = strings.Join(args[i:], " ")
		case i < len(args):
			route.Params[p.Name] = args[i]
		case !p.Optional:
			lastRequired = i
		}
	}
	if lastRequired >= len(args) {
		route.Missing = params[len(args) : lastRequired+1]
	}
}

// Help lists every command and subcommand.
func (r *Registry) Help() []opsgate.HelpEntry {
	var out []opsgate.HelpEntry
	for _, c := range r.commands {
		group := c.Group
		if group == "" {
			group = "opsgate"
		}
		if len(c.Subcommands) == 0 {
			out = append(out, opsgate.HelpEntry{Command: c.Name, Usage: usage(c.Name, c.Params), Help: c.Help, Group: group})
		}
		for _, s := range c.Subcommands {
			out = append(out, opsgate.HelpEntry{Command: c.Name, Subcommand: s.Name, Usage: usage(c.Name+" "+s.Name, s.Params), Help: s.Help, Group: group})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Usage < out[j].Usage })
	return out
}

func usage(prefix string, params []opsgate.Param) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, p := range params {
		if p.Optional {
			b.WriteString(" [" + p.Name + "]")
		} else {
			b.WriteString(" <" + p.Name + ">")
		}
	}
	return b.String()
}

func commandHelp(c *opsgate.Command) opsgate.Handler {
	return func(ctx context.Context, inv *opsgate.Invocation) error {
		var b strings.Builder
		b.WriteString("*" + c.Name + "*: " + c.Help + "\n")
		for _, s := range c.Subcommands {
			b.WriteString("`" + usage(c.Name+" "+s.Name, s.Params) + "` " + s.Help + "\n")
		}
		_, err := inv.Out.Send(ctx, opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: strings.TrimSpace(b.String())}}})
		return err
	}
}
