package acl

import (
	"strings"
	"sync/atomic"

	"github.com/opsgate/opsgate"
)

// The messages Errbot's ACL plugin replies with, word for word.
const (
	MsgArgs       = "You're not allowed to access this command using the provided arguments"
	MsgUser       = "You're not allowed to access this command from this user"
	MsgChatroom   = "You're not allowed to access this command from a chatroom"
	MsgRoom       = "You're not allowed to access this command from this room"
	MsgPrivate    = "You're not allowed to access this command via private message to me"
	MsgAdmin      = "This command requires bot-admin privileges"
	MsgDirectOnly = "This command may only be issued through a direct message"
)

// DefaultPlugin is the plugin name of routes without a Group: opsgate's built-in commands.
const DefaultPlugin = "opsgate"

// Query is one command to check, in Errbot's terms.
type Query struct {
	// Users are the names the caller is known by (id, username, "@username"); a pattern matching
	// any of them matches the caller. Rooms likewise for the room.
	Users []string
	Rooms []string
	// Direct: a private message to the bot; otherwise a room (Errbot's msg.is_group).
	Direct     bool
	Plugin     string // Route.Group
	Command    string
	Subcommand string
	// Text is the whole command text, words joined by single spaces; keys are matched against
	// "Plugin:Text" as well as "Plugin:Command" so that keys like "st2 apu status*" work.
	Text string
	// Args is the text after the command (and subcommand), what allowargs/denyargs see.
	Args      string
	AdminOnly bool
}

// Match returns the ACL that applies to q: the first rule whose key matches, merged over the
// defaults, or the defaults alone. rule is nil when no key matched.
func (c *Config) Match(q *Query) (e Entry, rule *Rule) {
	cands := q.candidates()
	for i := range c.Rules {
		if c.Rules[i].matches(cands) {
			return c.Rules[i].Entry, &c.Rules[i]
		}
	}
	return c.Default, nil
}

// candidates are the "plugin:command" strings a key may match, lower-cased (Errbot's ciglob):
// the command, Errbot's name for a two-word command ("log_tail"), and the whole text.
func (q *Query) candidates() [3]string {
	plugin := strings.ToLower(q.Plugin) + ":"
	var c [3]string
	c[0] = plugin + strings.ToLower(q.Command)
	if q.Subcommand != "" {
		c[1] = c[0] + "_" + strings.ToLower(q.Subcommand)
	}
	if q.Text != "" {
		c[2] = plugin + strings.ToLower(q.Text)
	}
	return c
}

func (k *Key) matches(cands [3]string) bool {
	for _, s := range cands {
		if s != "" && k.glob.Match(s) {
			return true
		}
	}
	return false
}

// Check runs Errbot's checks in Errbot's order and returns the first denial message, or "" when the
// command may run.
func (c *Config) Check(q *Query) string {
	acl, _ := c.Match(q)
	users := nonEmpty(q.Users)
	if acl.AllowArgs.Set && !acl.AllowArgs.Match([]string{q.Args}) {
		return MsgArgs
	}
	if acl.DenyArgs.Set && acl.DenyArgs.Match([]string{q.Args}) {
		return MsgArgs
	}
	if acl.AllowUsers.Set && !acl.AllowUsers.Match(users) {
		return MsgUser
	}
	if acl.DenyUsers.Set && acl.DenyUsers.Match(users) {
		return MsgUser
	}
	if !q.Direct {
		rooms := nonEmpty(q.Rooms)
		if acl.AllowMUC.Set && !acl.AllowMUC.Value {
			return MsgChatroom
		}
		if acl.AllowRooms.Set && !acl.AllowRooms.Match(rooms) {
			return MsgRoom
		}
		if acl.DenyRooms.Set && acl.DenyRooms.Match(rooms) {
			return MsgRoom
		}
	} else if acl.AllowPrivate.Set && !acl.AllowPrivate.Value {
		return MsgPrivate
	}
	if q.AdminOnly || c.isAdminOnly(q) {
		if !c.BotAdmins.Match(users) {
			return MsgAdmin
		}
		// Admin commands are direct-message only unless the ACL sets allowmuc: True.
		if !q.Direct && !acl.AllowMUC.Value {
			return MsgDirectOnly
		}
	}
	return ""
}

func (c *Config) isAdminOnly(q *Query) bool {
	if len(c.AdminOnly) == 0 {
		return false
	}
	cands := q.candidates()
	for i := range c.AdminOnly {
		if c.AdminOnly[i].matches(cands) {
			return true
		}
	}
	return false
}

// nonEmpty drops empty names; with none left the caller is "", which "*" still matches, as str()
// of an empty identity would in Errbot.
func nonEmpty(names []string) []string {
	n := 0
	for _, s := range names {
		if s != "" {
			n++
		}
	}
	if n == len(names) && n > 0 {
		return names
	}
	if n == 0 {
		return []string{""}
	}
	out := make([]string, 0, n)
	for _, s := range names {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Policy applies an ACL Config to the pipeline (opsgate.Policy). The Config can be swapped while
// requests are checked (file reload).
type Policy struct {
	cfg atomic.Pointer[Config]
	// AdminOnly, when set, marks further routes as admin-only (Errbot's admin_only flag), in
	// addition to the file's ADMIN_ONLY_COMMANDS.
	AdminOnly func(r *opsgate.Route) bool
}

var _ opsgate.Policy = (*Policy)(nil)

// NewPolicy returns a Policy enforcing c.
func NewPolicy(c *Config) *Policy {
	p := &Policy{}
	p.cfg.Store(c)
	return p
}

// Config returns the configuration in force.
func (p *Policy) Config() *Config { return p.cfg.Load() }

// SetConfig replaces the configuration in force; checks already running finish with the old one.
func (p *Policy) SetConfig(c *Config) { p.cfg.Store(c) }

// Allow implements opsgate.Policy. A denial is hidden (no reply) when HIDE_RESTRICTED_ACCESS is set.
func (p *Policy) Allow(s opsgate.Subject, r *opsgate.Route, text string) (string, bool) {
	c := p.cfg.Load()
	q := p.query(s, r, text, false)
	if d := c.Check(&q); d != "" {
		return d, c.HideRestrictedAccess
	}
	return "", false
}

// Visible implements opsgate.Policy: with HIDE_RESTRICTED_COMMANDS, help lists only what s could run.
// As in Errbot's help, the check is a dry run with no arguments.
func (p *Policy) Visible(s opsgate.Subject, e opsgate.HelpEntry) bool {
	c := p.cfg.Load()
	if !c.HideRestrictedCommands {
		return true
	}
	text := e.Usage
	if text == "" {
		text = strings.TrimSpace(e.Command + " " + e.Subcommand)
	}
	r := &opsgate.Route{Command: e.Command, Subcommand: e.Subcommand, Group: e.Group}
	q := p.query(s, r, text, true)
	return c.Check(&q) == ""
}

// query describes a request the way Errbot's ACL plugin sees it.
func (p *Policy) query(s opsgate.Subject, r *opsgate.Route, text string, help bool) Query {
	words := opsgate.SplitWords(text)
	q := Query{
		Users:  Names(s.UserID, s.UserName, "@"),
		Direct: s.Direct,
		Text:   strings.Join(words, " "),
	}
	if !s.Direct {
		q.Rooms = Names(s.ChannelID, s.ChannelName, "#")
	}
	q.Plugin = DefaultPlugin
	if r != nil {
		q.Command, q.Subcommand = r.Command, r.Subcommand
		if r.Group != "" {
			q.Plugin = r.Group
		}
	} else if len(words) > 0 {
		q.Command = words[0]
	}
	if !help {
		q.Args = argsAfter(words, q.Subcommand)
	}
	q.AdminOnly = p.AdminOnly != nil && r != nil && p.AdminOnly(r)
	return q
}

// argsAfter returns the words after the command word (and after the subcommand when it follows),
// joined by single spaces. Re-joining rather than slicing the raw text means extra spaces or quotes
// cannot steer the text away from a pattern.
func argsAfter(words []string, sub string) string {
	if len(words) == 0 {
		return ""
	}
	rest := words[1:]
	if sub != "" && len(rest) > 0 && strings.EqualFold(rest[0], sub) {
		rest = rest[1:]
	}
	return strings.Join(rest, " ")
}

// Names lists the forms a user or room may be written as in an Errbot ACL: the platform id, the
// name, and the name with Errbot's prefix ("@alice" on Slack and Mattermost, "#ops" for a channel).
func Names(id, name, prefix string) []string {
	out := make([]string, 0, 3)
	if id != "" {
		out = append(out, id)
	}
	if name != "" && name != id {
		out = append(out, name)
	}
	if name != "" && !strings.HasPrefix(name, prefix) && prefix+name != id {
		out = append(out, prefix+name)
	}
	return out
}
