package acl

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/opsgate/opsgate"
)

// Config is an Errbot ACL configuration: the settings of Errbot's config.py that decide who may run
// what, read from YAML with the same names and values.
type Config struct {
	File string
	// Rules are ACCESS_CONTROLS in file order; the first whose key matches decides. Each rule's
	// Entry is already merged over ACCESS_CONTROLS_DEFAULT, as Errbot does on every command.
	Rules []Rule
	// Default is ACCESS_CONTROLS_DEFAULT, what applies when no key matches.
	Default Entry
	// BotAdmins is BOT_ADMINS; with none set, admin-only commands are refused to everyone (as in Errbot).
	BotAdmins              Patterns
	HideRestrictedCommands bool
	HideRestrictedAccess   bool
	// AdminOnly is ADMIN_ONLY_COMMANDS, an opsgate addition: keys (same syntax as ACCESS_CONTROLS keys)
	// naming commands that get Errbot's admin_only treatment. Errbot plugins set that flag in code.
	AdminOnly []Key
}

// Rule is one ACCESS_CONTROLS entry.
type Rule struct {
	Key
	Entry Entry
}

// Key is an ACCESS_CONTROLS key: a glob on "Plugin:command", compared case-insensitively.
type Key struct {
	Pattern string // as written in the file
	Line    int
	glob    Glob // lower-cased, with "*:" in front when the key had no ":"
}

// Entry is an ACL value. Each key is either absent (Set false: no restriction) or present; a present
// list that is empty allows nobody, as in Errbot.
type Entry struct {
	AllowUsers, DenyUsers Patterns
	AllowRooms, DenyRooms Patterns
	AllowArgs, DenyArgs   Patterns
	AllowMUC              OptBool
	AllowPrivate          OptBool
}

// Patterns is a list of fnmatch globs that may be absent.
type Patterns struct {
	Set   bool
	Globs []Glob
}

// OptBool is a boolean that may be absent.
type OptBool struct {
	Set   bool
	Value bool
}

// Match reports whether any of the patterns matches any of the texts (Errbot's glob(), extended to a
// user or room known by several names).
func (p Patterns) Match(texts []string) bool {
	for i := range p.Globs {
		for _, t := range texts {
			if p.Globs[i].Match(t) {
				return true
			}
		}
	}
	return false
}

func (p Patterns) matchOne(text string) bool {
	for i := range p.Globs {
		if p.Globs[i].Match(text) {
			return true
		}
	}
	return false
}

// over returns e with every key that o sets replaced by o's value (Python's dict.update).
func (e Entry) over(o Entry) Entry {
	pick := func(a, b Patterns) Patterns {
		if b.Set {
			return b
		}
		return a
	}
	pickB := func(a, b OptBool) OptBool {
		if b.Set {
			return b
		}
		return a
	}
	return Entry{
		AllowUsers: pick(e.AllowUsers, o.AllowUsers), DenyUsers: pick(e.DenyUsers, o.DenyUsers),
		AllowRooms: pick(e.AllowRooms, o.AllowRooms), DenyRooms: pick(e.DenyRooms, o.DenyRooms),
		AllowArgs: pick(e.AllowArgs, o.AllowArgs), DenyArgs: pick(e.DenyArgs, o.DenyArgs),
		AllowMUC: pickB(e.AllowMUC, o.AllowMUC), AllowPrivate: pickB(e.AllowPrivate, o.AllowPrivate),
	}
}

// entryKeys are the keys Errbot's ACL plugin reads. Errbot ignores any other key; opsgate refuses it,
// because a misspelt "allowuser" would otherwise silently open a command to everyone.
var entryKeys = []string{"allowusers", "denyusers", "allowrooms", "denyrooms", "allowargs", "denyargs", "allowmuc", "allowprivate"}

// Load reads and parses an ACL file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "Cannot read ACL file %s: %v", path, err)
	}
	return Parse(path, data)
}

// Parse parses an ACL file's content; file names it in errors. Every problem is reported as
// "file:line: reason", all of them at once, and nothing of a file with a problem is used: a partly
// loaded ACL could allow what the whole one denies.
func Parse(file string, data []byte) (*Config, error) {
	p := parser{file: file}
	c := p.parse(data)
	if len(p.errs) > 0 {
		return nil, opsgate.Errorf(opsgate.EINVALID, "%s", strings.Join(p.errs, "\n"))
	}
	return c, nil
}

type parser struct {
	file string
	errs []string
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, fmt.Sprintf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...)))
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (p *parser) parse(data []byte) *Config {
	c := &Config{File: p.file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("%s: %v", p.file, err))
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c // an empty file restricts nothing, like an Errbot config without ACL settings
	}
	root := deref(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return c
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "the ACL file must be a mapping of Errbot settings (ACCESS_CONTROLS, ...), got %s", describe(root))
		return nil
	}
	var controls *yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		if first, dup := seen[k.Value]; dup {
			p.errorf(k, "%s is set twice (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "ACCESS_CONTROLS":
			controls = v
		case "ACCESS_CONTROLS_DEFAULT":
			if e, ok := p.entry("ACCESS_CONTROLS_DEFAULT", v); ok {
				c.Default = e
			}
		case "BOT_ADMINS":
			c.BotAdmins = p.patterns("BOT_ADMINS", v)
		case "HIDE_RESTRICTED_COMMANDS":
			c.HideRestrictedCommands = p.boolean("HIDE_RESTRICTED_COMMANDS", v).Value
		case "HIDE_RESTRICTED_ACCESS":
			c.HideRestrictedAccess = p.boolean("HIDE_RESTRICTED_ACCESS", v).Value
		case "ADMIN_ONLY_COMMANDS":
			c.AdminOnly = p.keyList("ADMIN_ONLY_COMMANDS", v)
		default:
			// ACL_* keys hold lists that entries refer to with YAML anchors, the way config.py
			// uses variables such as ACL_SQUAD_INFRA.
			if !strings.HasPrefix(k.Value, "ACL_") {
				p.errorf(k, "unknown setting %q: an ACL file holds ACCESS_CONTROLS, ACCESS_CONTROLS_DEFAULT, BOT_ADMINS, "+
					"HIDE_RESTRICTED_COMMANDS, HIDE_RESTRICTED_ACCESS, ADMIN_ONLY_COMMANDS and ACL_* anchors", k.Value)
			}
		}
	}
	if controls != nil {
		c.Rules = p.rules(controls, c.Default)
	}
	return c
}

func (p *parser) rules(n *yaml.Node, def Entry) []Rule {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "ACCESS_CONTROLS must be a mapping of command patterns to ACLs, got %s", describe(n))
		return nil
	}
	var rules []Rule
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		key, ok := p.key("ACCESS_CONTROLS", k)
		if !ok {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(k, "ACCESS_CONTROLS key %q is set twice (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		e, ok := p.entry(fmt.Sprintf("ACCESS_CONTROLS[%q]", k.Value), v)
		if !ok {
			continue
		}
		rules = append(rules, Rule{Key: key, Entry: def.over(e)})
	}
	return rules
}

// key compiles a command pattern the way Errbot compares it: "*:" in front when it names no plugin,
// and both sides lower-cased.
func (p *parser) key(where string, k *yaml.Node) (Key, bool) {
	k = deref(k)
	if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
		p.errorf(k, "%s: a command pattern must be a string, got %s", where, describe(k))
		return Key{}, false
	}
	pat := k.Value
	if !strings.Contains(pat, ":") {
		pat = "*:" + pat
	}
	g, err := CompileGlob(strings.ToLower(pat))
	if err != nil {
		p.errorf(k, "%s: %v", where, err)
		return Key{}, false
	}
	return Key{Pattern: k.Value, Line: k.Line, glob: g}, true
}

func (p *parser) keyList(where string, n *yaml.Node) []Key {
	var keys []Key
	for _, item := range p.flatten(where, n) {
		if k, ok := p.key(where, item); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func (p *parser) entry(where string, n *yaml.Node) (Entry, bool) {
	var e Entry
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of ACL keys (%s), got %s", where, strings.Join(entryKeys, ", "), describe(n))
		return e, false
	}
	before := len(p.errs)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		name := where + "." + k.Value
		switch k.Value {
		case "allowusers":
			e.AllowUsers = p.patterns(name, v)
		case "denyusers":
			e.DenyUsers = p.patterns(name, v)
		case "allowrooms":
			e.AllowRooms = p.patterns(name, v)
		case "denyrooms":
			e.DenyRooms = p.patterns(name, v)
		case "allowargs":
			e.AllowArgs = p.patterns(name, v)
		case "denyargs":
			e.DenyArgs = p.patterns(name, v)
		case "allowmuc":
			e.AllowMUC = p.boolean(name, v)
		case "allowprivate":
			e.AllowPrivate = p.boolean(name, v)
		default:
			p.errorf(k, "%s: unknown ACL key %q (known: %s)", where, k.Value, strings.Join(entryKeys, ", "))
		}
	}
	return e, len(p.errs) == before
}

// patterns reads what Errbot's glob() accepts: one string, or a list (tuple) of them. Python's str()
// makes numbers usable as patterns too (numeric user ids), so integers are taken as their decimal text.
// A YAML list may contain lists, flattened: that is how YAML writes config.py's ACL_A + ACL_B.
func (p *parser) patterns(where string, n *yaml.Node) Patterns {
	ps := Patterns{Set: true, Globs: []Glob{}}
	for _, item := range p.flatten(where, n) {
		s, ok := p.patternText(where, item)
		if !ok {
			continue
		}
		g, err := CompileGlob(s)
		if err != nil {
			p.errorf(item, "%s: %v", where, err)
			continue
		}
		ps.Globs = append(ps.Globs, g)
	}
	return ps
}

func (p *parser) flatten(where string, n *yaml.Node) []*yaml.Node {
	n = deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range n.Content {
			out = append(out, p.flatten(where, c)...)
		}
		return out
	case yaml.ScalarNode:
		return []*yaml.Node{n}
	default:
		p.errorf(n, "%s must be a string or a list of strings, got %s", where, describe(n))
		return nil
	}
}

func (p *parser) patternText(where string, n *yaml.Node) (string, bool) {
	switch n.ShortTag() {
	case "!!str":
		return n.Value, true
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			p.errorf(n, "%s: %v", where, err)
			return "", false
		}
		return strconv.FormatInt(v, 10), true
	case "!!null":
		p.errorf(n, "%s must be a string or a list of strings, got null (Errbot fails on None here)", where)
	default:
		p.errorf(n, "%s must be a string or a list of strings, got %s", where, describe(n))
	}
	return "", false
}

// boolean reads allowmuc/allowprivate/HIDE_*: Errbot tests "is False", so only a real boolean means
// anything; a quoted "False" would silently allow, and is refused instead.
func (p *parser) boolean(where string, n *yaml.Node) OptBool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.errorf(n, "%s must be True or False, got %s", where, describe(n))
		return OptBool{}
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errorf(n, "%s: %v", where, err)
		return OptBool{}
	}
	return OptBool{Set: true, Value: b}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int":
			return "the number " + n.Value
		case "!!float":
			return "the number " + n.Value
		}
		return n.Value
	}
	return "nothing"
}
