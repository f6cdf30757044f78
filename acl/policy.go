package acl

import (
	"strings"
	"sync/atomic"
	"unicode/utf8"

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
	return c.match(q.candidates())
}

func (c *Config) match(cands [3]string) (Entry, *Rule) {
	for i := range c.Rules {
		if c.Rules[i].matches(cands) {
			return c.Rules[i].Entry, &c.Rules[i]
		}
	}
	return c.Default, nil
}

// candidates are the "plugin:command" strings a key may match, lower-cased (Errbot's ciglob):
// the command, Errbot's name for a two-word command ("log_tail"), and the whole text. They are cut
// from one string so a check costs one allocation, not three.
func (q *Query) candidates() [3]string {
	var arr [256]byte
	buf := arr[:0]
	buf = appendLower(buf, q.Plugin)
	buf = append(buf, ':')
	buf = appendLower(buf, q.Command)
	n0 := len(buf)
	n1 := n0
	if q.Subcommand != "" {
		buf = append(buf, '_')
		buf = appendLower(buf, q.Subcommand)
		n1 = len(buf)
	}
	n2 := n1
	if q.Text != "" {
		buf = appendLower(buf, q.Plugin)
		buf = append(buf, ':')
		buf = appendLower(buf, q.Text)
		n2 = len(buf)
	}
	all := string(buf)
	c := [3]string{all[:n0], "", all[n1:n2]}
	if q.Subcommand != "" {
		c[1] = all[:n1]
	}
	return c
}

// appendLower appends strings.ToLower(s), without allocating for ASCII text.
func appendLower(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(buf, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
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
	cands := q.candidates()
	acl, _ := c.match(cands)
	users := nonEmpty(q.Users)
	if acl.AllowArgs.Set && !acl.AllowArgs.matchOne(q.Args) {
		return MsgArgs
	}
	if acl.DenyArgs.Set && acl.DenyArgs.matchOne(q.Args) {
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
	if q.AdminOnly || c.isAdminOnly(cands) {
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

func (c *Config) isAdminOnly(cands [3]string) bool {
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
	var users, rooms [3]string // backing arrays, so a check need not allocate the name lists
	q := p.query(s, r, text, false)
	q.Users = appendNames(users[:0], s.UserID, s.UserName, "@")
	if !s.Direct {
		q.Rooms = appendNames(rooms[:0], s.ChannelID, s.ChannelName, "#")
	}
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
	var users, rooms [3]string
	q := p.query(s, r, text, true)
	q.Users = appendNames(users[:0], s.UserID, s.UserName, "@")
	if !s.Direct {
		q.Rooms = appendNames(rooms[:0], s.ChannelID, s.ChannelName, "#")
	}
	return c.Check(&q) == ""
}

// query describes a request the way Errbot's ACL plugin sees it.
func (p *Policy) query(s opsgate.Subject, r *opsgate.Route, text string, help bool) Query {
	q := Query{Direct: s.Direct, Plugin: DefaultPlugin}
	var first string
	if canon, ok := simpleCanonical(text); ok {
		// No quotes or escapes: words are the space-separated parts of canon, so slices of it will do.
		q.Text = canon
		first, q.Args, _ = strings.Cut(canon, " ")
		if r != nil && r.Subcommand != "" && strings.EqualFold(first, r.Command) {
			if sub, rest, _ := strings.Cut(q.Args, " "); strings.EqualFold(sub, r.Subcommand) {
				q.Args = rest
			}
		}
	} else {
		words := opsgate.SplitWords(text)
		q.Text = strings.Join(words, " ")
		if len(words) > 0 {
			first = words[0]
		}
		q.Args = argsAfter(words, r)
	}
	if help {
		q.Args = ""
	}
	if r != nil {
		q.Command, q.Subcommand = r.Command, r.Subcommand
		if r.Group != "" {
			q.Plugin = r.Group
		}
	} else {
		q.Command = first
	}
	q.AdminOnly = p.AdminOnly != nil && r != nil && p.AdminOnly(r)
	return q
}

// simpleCanonical returns text with its words joined by single spaces, when text is plain ASCII
// without quotes or backslashes (what SplitWords would split on whitespace alone). Text that is
// already canonical is returned as is, without allocating.
func simpleCanonical(text string) (string, bool) {
	canonical := true
	prevSpace := true // a leading space is not canonical
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= utf8.RuneSelf, c == '\'', c == '"', c == '\\', c == '\v', c == '\f':
			return "", false
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if prevSpace || c != ' ' {
				canonical = false
			}
			prevSpace = true
		default:
			prevSpace = false
		}
	}
	if canonical && (text == "" || !prevSpace) {
		return text, true
	}
	return strings.Join(strings.Fields(text), " "), true
}

// argsAfter returns the words after the command word, and after the subcommand too when the text
// is "command subcommand ..." (built-ins; not aliases, whose Subcommand is the alias name), joined by
// single spaces. Re-joining rather than slicing the raw text means extra spaces or quotes cannot
// steer the arguments away from a pattern.
func argsAfter(words []string, r *opsgate.Route) string {
	if len(words) == 0 {
		return ""
	}
	rest := words[1:]
	if r != nil && r.Subcommand != "" && strings.EqualFold(words[0], r.Command) && len(rest) > 0 && strings.EqualFold(rest[0], r.Subcommand) {
		rest = rest[1:]
	}
	return strings.Join(rest, " ")
}

// Names lists the forms a user or room may be written as in an Errbot ACL: the platform id, the
// name, and the name with Errbot's prefix ("@alice" on Slack and Mattermost, "#ops" for a channel).
func Names(id, name, prefix string) []string {
	return appendNames(make([]string, 0, 3), id, name, prefix)
}

func appendNames(out []string, id, name, prefix string) []string {
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
