package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate/prosodytest"
)

// xmppSetUp starts Prosody with the bot's and alice's accounts, and names the room they use.
func xmppSetUp(t *testing.T) (srv *prosodytest.Server, bot, ops, dsn string) {
	srv = prosodytest.Start(t)
	bot = srv.AddUser(t, "opsbot", "bot-pass-1")
	srv.AddUser(t, "alice", "alice-pass-1")
	return srv, bot, "ops@" + srv.Rooms, sqliteDSN(t)
}

// xmppConfig is the xmpp section for the bot on srv, in room.
func xmppConfig(srv *prosodytest.Server, bot, room string) string {
	return "xmpp:\n  enabled: true\n  jid: " + bot + "\n  password: bot-pass-1\n  server: " + srv.Addr +
		"\n  ca_file: " + srv.CAFile + "\n  rooms: [" + room + "]\n"
}

// XMPP through the real `opsgate serve` and a real Prosody: whoami, an alias (under an Errbot
// ACL) and a StackStorm alias in a room, the StackStorm announcement to the room and a whisper
// to a 1:1 chat.
func TestXMPPThroughServe(t *testing.T) {
	srv, bot, ops, dsn := xmppSetUp(t)
	s := newSt2(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "localhost", "xmpp"}, {"*", "*", "channel", ops, "ops"},
		{"*", "*", "user", "alice@localhost", "alice"}})
	aliases, _ := filepath.Abs("../../examples/aliases")
	// Errbot names a room occupant room@service/nick, and rooms by their JID: such an ACL file keeps working.
	aclFile := writeFile(t, t.TempDir(), "acl.yaml", "ACCESS_CONTROLS:\n  'examples:uptime':\n    allowusers: ['"+ops+"/alice']\n"+
		"    allowrooms: ['"+ops+"']\n  'examples:dns*':\n    allowusers: ['bob@localhost']\n")
	cfg := st2Config(t, s, "aliases:\n  dir: "+aliases+"\nacl:\n  file: "+aclFile+"\n"+xmppConfig(srv, bot, ops))
	_, logs := startServerArgs(t, dsn, []string{"--config", cfg}, "OPSGATE_LISTEN="+freePort(t))
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	alice := srv.Connect(t, "alice@localhost", "alice-pass-1")
	alice.Join(ops, "alice")
	alice.WaitOnline(ops + "/opsbot")
	alice.Say(ops, "!whoami")
	who := alice.Expect(ops+"/opsbot", "Platform")
	for _, want := range []string{"xmpp", "localhost", ops, "alice@localhost (" + ops + "/alice)"} {
		if !strings.Contains(who.Body, want) {
			t.Errorf("whoami lacks %q:\n%s", want, who.Body)
		}
	}
	alice.Say(ops, "!uptime")
	alice.Expect(ops+"/opsbot", "load average")
	alice.Say(ops, "!dns lookup localhost")
	alice.Expect(ops+"/opsbot", "You're not allowed to access this command from this user")

	alice.Say(ops, "!st2 pack install st2-xmpp")
	alice.ExpectAll(ops+"/opsbot", "Installing st2-xmpp.", "Installed st2-xmpp")
	if call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]; call.Body["source_channel"] != "xmpp:"+ops || call.Body["user"] != "xmpp:alice@localhost" {
		t.Fatalf("match_and_execute body: %v", call.Body)
	}

	s.Announce("opsgate", map[string]any{"message": "maintenance starts at 18:00", "channel": "xmpp:" + ops, "whisper": false})
	alice.Expect(ops+"/opsbot", "maintenance starts at 18:00")
	s.Announce("opsgate", map[string]any{"message": "your token expires soon", "channel": "xmpp:" + ops, "user": "xmpp:alice@localhost", "whisper": true})
	if m := alice.Expect(bot, "your token expires soon"); m.Type != "chat" {
		t.Fatalf("whisper arrived as %q, want a 1:1 chat message", m.Type)
	}
}

// Two replicas share a database: only the lease holder is connected (a command is answered
// once), and when it stops the other connects within the lease's TTL and answers.
func TestXMPPOneReplica(t *testing.T) {
	srv, bot, ops, dsn := xmppSetUp(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "localhost", "xmpp"}})
	env := []string{"OPSGATE_XMPP_ENABLED=true", "OPSGATE_XMPP_JID=" + bot, "OPSGATE_XMPP_PASSWORD=bot-pass-1",
		"OPSGATE_XMPP_SERVER=" + srv.Addr, "OPSGATE_XMPP_CA_FILE=" + srv.CAFile, "OPSGATE_XMPP_ROOMS=" + ops}
	alice := srv.Connect(t, "alice@localhost", "alice-pass-1")
	alice.Join(ops, "alice")

	stopA := startReplica(t, dsn, env...)
	alice.WaitOnline(ops + "/opsbot")
	startReplica(t, dsn, env...)
	time.Sleep(1500 * time.Millisecond) // past a lease renewal: b stands by
	alice.Say(ops, "!whoami")
	alice.Expect(ops+"/opsbot", "alice@localhost")
	alice.None(ops+"/opsbot", time.Second) // one replica answered

	stopA()
	alice.WaitOffline(ops + "/opsbot")
	alice.WaitOnline(ops + "/opsbot")
	alice.Say(ops, "!whoami")
	alice.Expect(ops+"/opsbot", "alice@localhost")
}
