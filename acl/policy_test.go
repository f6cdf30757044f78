package acl

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("acl.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// in a room: user alice (id U1) in channel #ops (id C1)
var (
	aliceInOps = opsgate.Subject{Platform: "slack", UserID: "U1", UserName: "alice", ChannelID: "C1", ChannelName: "ops"}
	aliceDM    = opsgate.Subject{Platform: "slack", UserID: "U1", UserName: "alice", ChannelID: "D1", Direct: true}
	bobInOps   = opsgate.Subject{Platform: "slack", UserID: "U2", UserName: "bob", ChannelID: "C1", ChannelName: "ops"}
	bobDM      = opsgate.Subject{Platform: "slack", UserID: "U2", UserName: "bob", ChannelID: "D2", Direct: true}
	aliceInDev = opsgate.Subject{Platform: "slack", UserID: "U1", UserName: "alice", ChannelID: "C2", ChannelName: "dev"}
)

// route builds what a router returns for text: the first word is the command.
func route(group, text string) *opsgate.Route {
	w := opsgate.SplitWords(text)
	return &opsgate.Route{Group: group, Command: w[0], Args: w[1:]}
}

func TestAllowEveryKeyAndCheck(t *testing.T) {
	for _, c := range []struct {
		name, acl string
		s         opsgate.Subject
		group     string
		text      string
		want      string
	}{
		// allowargs / denyargs: globbed against the text after the command (Errbot PR #1509's example)
		{"allowargs exact", "ACCESS_CONTROLS: {echo: {allowargs: [hello, 'hi*']}}", aliceDM, "opsgate", "echo hello", ""},
		{"allowargs glob", "ACCESS_CONTROLS: {echo: {allowargs: [hello, 'hi*']}}", aliceDM, "opsgate", "echo hi everyone", ""},
		{"allowargs refused", "ACCESS_CONTROLS: {echo: {allowargs: [hello, 'hi*']}}", aliceDM, "opsgate", "echo goodbye", MsgArgs},
		{"allowargs no args", "ACCESS_CONTROLS: {echo: {allowargs: [hello]}}", aliceDM, "opsgate", "echo", MsgArgs},
		{"denyargs", "ACCESS_CONTROLS: {deploy: {denyargs: ['*--force*']}}", aliceDM, "opsgate", "deploy web --force", MsgArgs},
		{"denyargs not matching", "ACCESS_CONTROLS: {deploy: {denyargs: ['*--force*']}}", aliceDM, "opsgate", "deploy web", ""},
		{"args spaces normalised", "ACCESS_CONTROLS: {deploy: {denyargs: ['web prod']}}", aliceDM, "opsgate", "deploy   web \"prod\"", MsgArgs},
		{"args checked before users", "ACCESS_CONTROLS: {echo: {allowargs: [x], allowusers: [nobody]}}", aliceDM, "opsgate", "echo y", MsgArgs},

		// allowusers / denyusers: id, name or @name
		{"allowusers by id", "ACCESS_CONTROLS: {deploy: {allowusers: [U1]}}", aliceDM, "opsgate", "deploy", ""},
		{"allowusers by name", "ACCESS_CONTROLS: {deploy: {allowusers: [alice]}}", aliceDM, "opsgate", "deploy", ""},
		{"allowusers by @name", "ACCESS_CONTROLS: {deploy: {allowusers: ['@alice']}}", aliceDM, "opsgate", "deploy", ""},
		{"allowusers glob", "ACCESS_CONTROLS: {deploy: {allowusers: ['@al*']}}", aliceDM, "opsgate", "deploy", ""},
		{"allowusers refused", "ACCESS_CONTROLS: {deploy: {allowusers: ['@alice']}}", bobDM, "opsgate", "deploy", MsgUser},
		{"allowusers single string", "ACCESS_CONTROLS: {deploy: {allowusers: '@alice'}}", bobDM, "opsgate", "deploy", MsgUser},
		{"allowusers empty list allows nobody", "ACCESS_CONTROLS: {deploy: {allowusers: []}}", aliceDM, "opsgate", "deploy", MsgUser},
		{"allowusers case-sensitive", "ACCESS_CONTROLS: {deploy: {allowusers: ['@Alice']}}", aliceDM, "opsgate", "deploy", MsgUser},
		{"denyusers", "ACCESS_CONTROLS: {deploy: {denyusers: ['@bob']}}", bobDM, "opsgate", "deploy", MsgUser},
		{"denyusers other user", "ACCESS_CONTROLS: {deploy: {denyusers: ['@bob']}}", aliceDM, "opsgate", "deploy", ""},
		{"users checked before rooms", "ACCESS_CONTROLS: {deploy: {allowusers: [nobody], allowrooms: ['#nowhere']}}", aliceInOps, "opsgate", "deploy", MsgUser},

		// rooms
		{"allowmuc False in a room", "ACCESS_CONTROLS: {deploy: {allowmuc: False}}", aliceInOps, "opsgate", "deploy", MsgChatroom},
		{"allowmuc False in a DM", "ACCESS_CONTROLS: {deploy: {allowmuc: False}}", aliceDM, "opsgate", "deploy", ""},
		{"allowmuc before allowrooms", "ACCESS_CONTROLS: {deploy: {allowmuc: False, allowrooms: ['#nowhere']}}", aliceInOps, "opsgate", "deploy", MsgChatroom},
		{"allowrooms by #name", "ACCESS_CONTROLS: {deploy: {allowrooms: ['#ops']}}", aliceInOps, "opsgate", "deploy", ""},
		{"allowrooms by id", "ACCESS_CONTROLS: {deploy: {allowrooms: [C1]}}", aliceInOps, "opsgate", "deploy", ""},
		{"allowrooms refused", "ACCESS_CONTROLS: {deploy: {allowrooms: ['#ops']}}", aliceInDev, "opsgate", "deploy", MsgRoom},
		{"allowrooms ignored in a DM (Errbot)", "ACCESS_CONTROLS: {deploy: {allowrooms: ['#ops']}}", aliceDM, "opsgate", "deploy", ""},
		{"denyrooms", "ACCESS_CONTROLS: {deploy: {denyrooms: ['#d*']}}", aliceInDev, "opsgate", "deploy", MsgRoom},
		{"denyrooms other room", "ACCESS_CONTROLS: {deploy: {denyrooms: ['#d*']}}", aliceInOps, "opsgate", "deploy", ""},

		// private
		{"allowprivate False in a DM", "ACCESS_CONTROLS: {deploy: {allowprivate: False}}", aliceDM, "opsgate", "deploy", MsgPrivate},
		{"allowprivate False in a room", "ACCESS_CONTROLS: {deploy: {allowprivate: False}}", aliceInOps, "opsgate", "deploy", ""},
		{"allowprivate True", "ACCESS_CONTROLS: {deploy: {allowprivate: True}}", aliceDM, "opsgate", "deploy", ""},

		// admin-only (ADMIN_ONLY_COMMANDS)
		{"admin-only non-admin", "BOT_ADMINS: ['@alice']\nADMIN_ONLY_COMMANDS: ['grant*']", bobDM, "opsgate", "grant add x", MsgAdmin},
		{"admin-only admin DM", "BOT_ADMINS: ['@alice']\nADMIN_ONLY_COMMANDS: ['grant*']", aliceDM, "opsgate", "grant add x", ""},
		{"admin-only admin in room", "BOT_ADMINS: ['@alice']\nADMIN_ONLY_COMMANDS: ['grant*']", aliceInOps, "opsgate", "grant add x", MsgDirectOnly},
		{"admin-only admin in room allowmuc", "BOT_ADMINS: ['@alice']\nADMIN_ONLY_COMMANDS: ['grant*']\nACCESS_CONTROLS: {grant: {allowmuc: True}}", aliceInOps, "opsgate", "grant add x", ""},
		{"admin-only without BOT_ADMINS", "ADMIN_ONLY_COMMANDS: ['grant*']", aliceDM, "opsgate", "grant add x", MsgAdmin},
		{"admin-only BOT_ADMINS single string", "BOT_ADMINS: U1\nADMIN_ONLY_COMMANDS: grant", aliceDM, "opsgate", "grant", ""},
		{"admin check after private check", "BOT_ADMINS: ['@alice']\nADMIN_ONLY_COMMANDS: ['grant']\nACCESS_CONTROLS: {grant: {allowprivate: False}}", bobDM, "opsgate", "grant", MsgPrivate},
		{"admin-only is per plugin", "BOT_ADMINS: ['@alice']\nADMIN_ONLY_COMMANDS: ['opsgate:grant']", bobDM, "st2", "grant", ""},

		// keys: Plugin:command, "*:" added, case-insensitive, first match wins, merged over the default
		{"key with plugin", "ACCESS_CONTROLS: {'opsgate:*': {allowusers: [nobody]}}", aliceDM, "opsgate", "whoami", MsgUser},
		{"empty group is opsgate", "ACCESS_CONTROLS: {'opsgate:*': {allowusers: [nobody]}}", aliceDM, "", "whoami", MsgUser},
		{"key with other plugin", "ACCESS_CONTROLS: {'st2:*': {allowusers: [nobody]}}", aliceDM, "opsgate", "whoami", ""},
		{"key case-insensitive", "ACCESS_CONTROLS: {'OpsGate:WhoAmI': {allowusers: [nobody]}}", aliceDM, "opsgate", "WHOAMI", MsgUser},
		{"key glob", "ACCESS_CONTROLS: {'who*': {allowusers: [nobody]}}", aliceDM, "opsgate", "whoami", MsgUser},
		{"key is whole-string", "ACCESS_CONTROLS: {'who': {allowusers: [nobody]}}", aliceDM, "opsgate", "whoami", ""},
		{"first key wins", "ACCESS_CONTROLS: {'whoami': {allowusers: ['*']}, '*': {allowusers: [nobody]}}", aliceDM, "opsgate", "whoami", ""},
		{"first key wins (other order)", "ACCESS_CONTROLS: {'*': {allowusers: [nobody]}, 'whoami': {allowusers: ['*']}}", aliceDM, "opsgate", "whoami", MsgUser},
		{"default applies when no key matches", "ACCESS_CONTROLS_DEFAULT: {allowusers: ['@bob']}\nACCESS_CONTROLS: {whoami: {allowusers: ['*']}}", aliceDM, "opsgate", "deploy", MsgUser},
		{"rule overrides default key", "ACCESS_CONTROLS_DEFAULT: {allowusers: ['@bob']}\nACCESS_CONTROLS: {whoami: {allowusers: ['*']}}", aliceDM, "opsgate", "whoami", ""},
		{"rule keeps other default keys", "ACCESS_CONTROLS_DEFAULT: {allowusers: ['@bob'], allowprivate: False}\nACCESS_CONTROLS: {whoami: {allowusers: ['*']}}", aliceDM, "opsgate", "whoami", MsgPrivate},
		{"numeric user id", "ACCESS_CONTROLS: {deploy: {allowusers: [12345]}}", opsgate.Subject{UserID: "12345", Direct: true}, "opsgate", "deploy", ""},
		{"anchored lists concatenated", "ACL_A: &a ['@bob']\nACL_B: &b ['@alice']\nACCESS_CONTROLS: {deploy: {allowusers: [*a, *b]}}", aliceDM, "opsgate", "deploy", ""},
		{"no ACL file content", "", aliceDM, "opsgate", "deploy", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewPolicy(mustParse(t, c.acl))
			got, hidden := p.Allow(c.s, route(c.group, c.text), c.text)
			if got != c.want {
				t.Errorf("Allow(%q) = %q, want %q", c.text, got, c.want)
			}
			if hidden {
				t.Errorf("hidden = true without HIDE_RESTRICTED_ACCESS")
			}
		})
	}
}

// Errbot names a two-word command "log_tail"; a route with a subcommand matches that form too,
// and allowargs see what follows the subcommand.
func TestSubcommandKeysAndArgs(t *testing.T) {
	p := NewPolicy(mustParse(t, "ACCESS_CONTROLS: {alias_list: {allowargs: ['st2*']}}"))
	r := &opsgate.Route{Group: "opsgate", Command: "alias", Subcommand: "list", Args: []string{"st2"}}
	if got, _ := p.Allow(aliceDM, r, "alias list st2"); got != "" {
		t.Errorf("alias list st2: %q, want allowed", got)
	}
	r.Args = []string{"core"}
	if got, _ := p.Allow(aliceDM, r, "alias list core"); got != MsgArgs {
		t.Errorf("alias list core: %q, want %q", got, MsgArgs)
	}
}

// Routes as the StackStorm and alias routers build them: the command text is not "command subcommand".
func TestRoutersRoutes(t *testing.T) {
	p := NewPolicy(mustParse(t, `ACCESS_CONTROLS:
  'st2 apu status*': {allowusers: ['@alice'], allowargs: ['apu status *']}
  'st2:*': {allowusers: [nobody]}
  'deploy * to prod': {allowusers: [nobody]}
  'ops:*': {denyargs: ['*--force*']}
`))
	st2 := &opsgate.Route{Command: "st2", Subcommand: "apu_status", Group: "st2", Args: []string{"apu", "status", "web"}}
	if got, _ := p.Allow(aliceInOps, st2, "st2 apu status web"); got != "" {
		t.Errorf("st2 apu status web: %q", got)
	}
	if got, _ := p.Allow(aliceInOps, st2, "st2  apu 'status'"); got != MsgArgs {
		t.Errorf("st2 apu status (no role): %q, want %q", got, MsgArgs)
	}
	st2.Subcommand = "apu_start"
	if got, _ := p.Allow(aliceInOps, st2, "st2 apu start web"); got != MsgUser {
		t.Errorf("st2 apu start web: %q", got)
	}
	alias := &opsgate.Route{Command: "ops", Subcommand: "deploy", Group: "ops", Args: []string{"web", "to", "prod"}}
	if got, _ := p.Allow(aliceInOps, alias, "deploy web to prod"); got != MsgUser {
		t.Errorf("deploy web to prod: %q", got)
	}
	// An alias named like a word of its text: the arguments are still everything after the first word.
	web := &opsgate.Route{Command: "ops", Subcommand: "web", Group: "ops"}
	if got, _ := p.Allow(aliceInOps, web, "restart web --force"); got != MsgArgs {
		t.Errorf("restart web --force: %q", got)
	}
	p2 := NewPolicy(mustParse(t, "ACCESS_CONTROLS: {'ops:*': {allowargs: ['web now']}}"))
	if got, _ := p2.Allow(aliceInOps, web, "restart web now"); got != "" {
		t.Errorf("restart web now: %q", got)
	}
	if got, _ := p.Allow(aliceInOps, alias, "deploy web to staging"); got != "" {
		t.Errorf("deploy web to staging: %q", got)
	}
}

const seedACL = `
ACL_SQUAD_INFRA: &infra ["@admin1", "@admin2", "@admin3", "@admin4"]
ACL_APU_USERS: &apu ['@user1']
ACL_EVERYONE: &everyone ["*"]
ACCESS_CONTROLS:
  whoami:
    allowrooms: ['@bot_user']
    allowusers: *everyone
  'st2 apu status*':
    allowrooms: ['#channel']
    allowusers: [*infra, *apu]
  'st2 apu*':
    allowrooms: ['#channel']
    allowusers: *infra
`

// The seed (err-stackstorm's README): user1 may view the upgrade status but not start or stop it.
func TestSeedExample(t *testing.T) {
	p := NewPolicy(mustParse(t, seedACL))
	in := func(user, room string) opsgate.Subject {
		return opsgate.Subject{UserID: "U-" + user, UserName: user, ChannelID: "C-" + room, ChannelName: room}
	}
	for _, c := range []struct {
		s    opsgate.Subject
		text string
		want string
	}{
		{in("user1", "channel"), "st2 apu status web", ""},
		{in("user1", "channel"), "st2 apu status", ""},
		{in("user1", "channel"), "st2 apu start web", MsgUser},
		{in("user1", "channel"), "st2 apu stop web", MsgUser},
		{in("admin2", "channel"), "st2 apu status web", ""},
		{in("admin2", "channel"), "st2 apu start web", ""},
		{in("user1", "random"), "st2 apu status web", MsgRoom},
		{in("admin1", "random"), "st2 apu start web", MsgRoom},
		{in("user2", "channel"), "st2 apu status web", MsgUser},
		// spacing, quoting and case cannot move a command out from under its key
		{in("user1", "channel"), "st2   apu  start web", MsgUser},
		{in("user1", "channel"), `st2 "apu" start`, MsgUser},
		{in("user1", "channel"), "ST2 APU START web", MsgUser},
		// other st2 commands are not covered by either key
		{in("user2", "random"), "st2 list actions", ""},
		// whoami: everyone, in the bot's own "room" only ('@bot_user' is how Errbot's Slack backend names a DM)
		{in("user2", "channel"), "whoami", MsgRoom},
	} {
		got, _ := p.Allow(c.s, route("st2", c.text), c.text)
		if c.text == "whoami" {
			got, _ = p.Allow(c.s, route("opsgate", c.text), c.text)
		}
		if got != c.want {
			t.Errorf("%s in #%s: %q = %q, want %q", c.s.UserName, c.s.ChannelName, c.text, got, c.want)
		}
	}
	// Swapping the two keys shows the order matters: the broader key then catches status too.
	swapped := `
ACL_SQUAD_INFRA: &infra ["@admin1", "@admin2", "@admin3", "@admin4"]
ACL_APU_USERS: &apu ['@user1']
ACCESS_CONTROLS:
  'st2 apu*':
    allowrooms: ['#channel']
    allowusers: *infra
  'st2 apu status*':
    allowrooms: ['#channel']
    allowusers: [*infra, *apu]
`
	p = NewPolicy(mustParse(t, swapped))
	if got, _ := p.Allow(in("user1", "channel"), route("st2", "st2 apu status web"), "st2 apu status web"); got != MsgUser {
		t.Errorf("swapped keys: user1 status = %q, want %q", got, MsgUser)
	}
}

func TestHideRestrictedAccess(t *testing.T) {
	p := NewPolicy(mustParse(t, "HIDE_RESTRICTED_ACCESS: True\nACCESS_CONTROLS: {deploy: {allowusers: ['@bob']}}"))
	got, hidden := p.Allow(aliceDM, route("opsgate", "deploy"), "deploy")
	if got != MsgUser || !hidden {
		t.Errorf("Allow = %q, hidden %v; want %q, hidden", got, hidden, MsgUser)
	}
	if got, hidden := p.Allow(bobDM, route("opsgate", "deploy"), "deploy"); got != "" || hidden {
		t.Errorf("allowed user: %q, %v", got, hidden)
	}
}

func TestVisible(t *testing.T) {
	const acl = `ACCESS_CONTROLS:
  deploy: {allowusers: ['@bob']}
  echo: {allowargs: [hello]}
  'st2 apu status*': {allowusers: ['@alice', '@bob']}
  'st2 apu*': {allowusers: ['@bob']}
`
	entries := []opsgate.HelpEntry{
		{Command: "deploy", Group: "opsgate", Usage: "deploy <app>"},
		{Command: "whoami", Group: "opsgate", Usage: "whoami"},
		{Command: "echo", Group: "opsgate", Usage: "echo <text>"},
		{Command: "st2", Group: "st2", Usage: "st2 apu status <role>"},
		{Command: "st2", Group: "st2", Usage: "st2 apu start <role>"},
	}
	visible := func(p *Policy, s opsgate.Subject) string {
		var out []string
		for _, e := range entries {
			if p.Visible(s, e) {
				out = append(out, e.Usage)
			}
		}
		return strings.Join(out, "|")
	}
	p := NewPolicy(mustParse(t, acl))
	if got := visible(p, aliceDM); got != "deploy <app>|whoami|echo <text>|st2 apu status <role>|st2 apu start <role>" {
		t.Errorf("without HIDE_RESTRICTED_COMMANDS alice sees %q", got)
	}
	p = NewPolicy(mustParse(t, "HIDE_RESTRICTED_COMMANDS: True\n"+acl))
	// echo has allowargs: Errbot's help checks with no arguments, so it is hidden.
	if got := visible(p, aliceDM); got != "whoami|st2 apu status <role>" {
		t.Errorf("alice sees %q", got)
	}
	if got := visible(p, bobDM); got != "deploy <app>|whoami|st2 apu status <role>|st2 apu start <role>" {
		t.Errorf("bob sees %q", got)
	}
}

func TestAdminOnlyHook(t *testing.T) {
	p := NewPolicy(mustParse(t, "BOT_ADMINS: ['@alice']"))
	p.AdminOnly = func(r *opsgate.Route) bool { return r.Command == "shutdown" }
	if got, _ := p.Allow(bobDM, route("opsgate", "shutdown"), "shutdown"); got != MsgAdmin {
		t.Errorf("bob shutdown: %q", got)
	}
	if got, _ := p.Allow(aliceDM, route("opsgate", "shutdown"), "shutdown"); got != "" {
		t.Errorf("alice shutdown: %q", got)
	}
	if got, _ := p.Allow(bobDM, route("opsgate", "whoami"), "whoami"); got != "" {
		t.Errorf("bob whoami: %q", got)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ id, name, want string }{
		{"U1", "alice", "U1,alice,@alice"},
		{"U1", "@alice", "U1,@alice"},
		{"@alice", "alice", "@alice,alice"},
		{"", "", ""},
		{"U1", "", "U1"},
	} {
		if got := strings.Join(Names(c.id, c.name, "@"), ","); got != c.want {
			t.Errorf("Names(%q, %q) = %q, want %q", c.id, c.name, got, c.want)
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	c, err := Parse("acl.yaml", []byte(seedACL+"\nACCESS_CONTROLS_DEFAULT: {allowprivate: False}\nBOT_ADMINS: ['@admin1']\n"))
	if err != nil {
		b.Fatal(err)
	}
	p := NewPolicy(c)
	s := opsgate.Subject{UserID: "U1", UserName: "user1", ChannelID: "C1", ChannelName: "channel"}
	const text = "st2 apu status web-01"
	r := route("st2", text)
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := p.Allow(s, r, text); d != "" {
			b.Fatal(d)
		}
	}
}
