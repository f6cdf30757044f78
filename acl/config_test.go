package acl

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

func TestParseKeepsFileOrder(t *testing.T) {
	c := mustParse(t, `
ACCESS_CONTROLS:
  zeta: {allowusers: [a]}
  'Health:status': {allowusers: [b]}
  alpha: {allowusers: [c]}
BOT_ADMINS: '@jason'
HIDE_RESTRICTED_COMMANDS: True
HIDE_RESTRICTED_ACCESS: false
`)
	var keys []string
	for _, r := range c.Rules {
		keys = append(keys, r.Pattern)
	}
	if got := strings.Join(keys, ","); got != "zeta,Health:status,alpha" {
		t.Errorf("rules in order %q", got)
	}
	if c.Rules[1].Line != 4 {
		t.Errorf("line of Health:status = %d, want 4", c.Rules[1].Line)
	}
	if !c.HideRestrictedCommands || c.HideRestrictedAccess {
		t.Errorf("HIDE_* = %v, %v", c.HideRestrictedCommands, c.HideRestrictedAccess)
	}
	// A single string, like Python's ('@jason') (a string, not a tuple): one pattern.
	if len(c.BotAdmins.Globs) != 1 || c.BotAdmins.Globs[0].String() != "@jason" {
		t.Errorf("BOT_ADMINS = %+v", c.BotAdmins)
	}
}

func TestParseRefusesWrongTypes(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"float user", "ACCESS_CONTROLS:\n  deploy:\n    allowusers: [5.5]\n",
			`acl.yaml:3: ACCESS_CONTROLS["deploy"].allowusers must be a string or a list of strings, got the number 5.5`},
		{"mapping as list", "ACCESS_CONTROLS:\n  deploy:\n    denyrooms: {a: b}\n",
			`acl.yaml:3: ACCESS_CONTROLS["deploy"].denyrooms must be a string or a list of strings, got a mapping`},
		{"None", "ACCESS_CONTROLS:\n  deploy:\n    allowusers: None\n", ""}, // "None" is just a string in YAML
		{"null", "ACCESS_CONTROLS:\n  deploy:\n    allowusers: ~\n",
			`acl.yaml:3: ACCESS_CONTROLS["deploy"].allowusers must be a string or a list of strings, got null (Errbot fails on None here)`},
		{"quoted bool", "ACCESS_CONTROLS:\n  deploy:\n    allowmuc: 'False'\n",
			`acl.yaml:3: ACCESS_CONTROLS["deploy"].allowmuc must be True or False, got the string "False"`},
		{"list bool", "ACCESS_CONTROLS_DEFAULT:\n  allowprivate: [false]\n",
			`acl.yaml:2: ACCESS_CONTROLS_DEFAULT.allowprivate must be True or False, got a list`},
		{"hide not bool", "HIDE_RESTRICTED_ACCESS: 1\n",
			`acl.yaml:1: HIDE_RESTRICTED_ACCESS must be True or False, got the number 1`},
		{"misspelt key", "ACCESS_CONTROLS:\n  deploy:\n    allowuser: ['@a']\n",
			`acl.yaml:3: ACCESS_CONTROLS["deploy"]: unknown ACL key "allowuser" (known: allowusers, denyusers, allowrooms, denyrooms, allowargs, denyargs, allowmuc, allowprivate)`},
		{"entry not a mapping", "ACCESS_CONTROLS:\n  deploy: ['@a']\n",
			`acl.yaml:2: ACCESS_CONTROLS["deploy"] must be a mapping of ACL keys (allowusers, denyusers, allowrooms, denyrooms, allowargs, denyargs, allowmuc, allowprivate), got a list`},
		{"entry empty", "ACCESS_CONTROLS:\n  deploy:\n",
			`acl.yaml:2: ACCESS_CONTROLS["deploy"] must be a mapping of ACL keys (allowusers, denyusers, allowrooms, denyrooms, allowargs, denyargs, allowmuc, allowprivate), got null`},
		{"controls a list", "ACCESS_CONTROLS: [a]\n",
			`acl.yaml:1: ACCESS_CONTROLS must be a mapping of command patterns to ACLs, got a list`},
		{"numeric key", "ACCESS_CONTROLS:\n  42: {allowusers: [a]}\n",
			`acl.yaml:2: ACCESS_CONTROLS: a command pattern must be a string, got the number 42`},
		{"duplicate key", "ACCESS_CONTROLS:\n  deploy: {allowusers: [a]}\n  deploy: {allowusers: [b]}\n",
			`acl.yaml:3: ACCESS_CONTROLS key "deploy" is set twice (first at line 2)`},
		{"unknown setting", "ACCESS_CONTROL:\n  deploy: {allowusers: [a]}\n",
			`acl.yaml:1: unknown setting "ACCESS_CONTROL": an ACL file holds ACCESS_CONTROLS, ACCESS_CONTROLS_DEFAULT, BOT_ADMINS, HIDE_RESTRICTED_COMMANDS, HIDE_RESTRICTED_ACCESS, ADMIN_ONLY_COMMANDS and ACL_* anchors`},
		{"not a mapping", "- a\n- b\n",
			`acl.yaml:1: the ACL file must be a mapping of Errbot settings (ACCESS_CONTROLS, ...), got a list`},
		{"yaml syntax", "ACCESS_CONTROLS: {deploy: [\n",
			`acl.yaml: yaml: line 1: did not find expected node content`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("acl.yaml", []byte(c.src))
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if opsgate.ErrorCode(err) != opsgate.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			if got := opsgate.ErrorMessage(err); got != c.want {
				t.Errorf("error\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("/etc/opsgate/acl.yaml", []byte("BOT_ADMINS: 1.5\nACCESS_CONTROLS:\n  a: {allowmuc: yes}\n  b: {allowusers: [[x, 2.0]]}\n"))
	want := `/etc/opsgate/acl.yaml:1: BOT_ADMINS must be a string or a list of strings, got the number 1.5
/etc/opsgate/acl.yaml:3: ACCESS_CONTROLS["a"].allowmuc must be True or False, got the string "yes"
/etc/opsgate/acl.yaml:4: ACCESS_CONTROLS["b"].allowusers must be a string or a list of strings, got the number 2.0`
	if got := opsgate.ErrorMessage(err); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(t.TempDir() + "/nope.yaml")
	if err == nil || !strings.Contains(opsgate.ErrorMessage(err), "nope.yaml") {
		t.Errorf("Load missing file: %v", err)
	}
}
