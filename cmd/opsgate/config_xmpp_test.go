package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A wrong xmpp section (or lease_ttl) stops start-up with one line naming the key and why.
func TestXMPPConfigErrors(t *testing.T) {
	on := []string{"OPSGATE_XMPP_ENABLED=true", "OPSGATE_XMPP_JID=bot@example.org", "OPSGATE_XMPP_PASSWORD=pw"}
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_XMPP_ENABLED=true"}, "xmpp.jid is required"},
		{[]string{"OPSGATE_XMPP_ENABLED=true", "OPSGATE_XMPP_JID=bot@example.org"}, "xmpp.password is required"},
		{append(on[:2:2], "OPSGATE_XMPP_PASSWORD=pw", "OPSGATE_XMPP_JID=example.org"), `xmpp.jid: "example.org" is not a JID like bot@example.org`},
		{append(on[:3:3], "OPSGATE_XMPP_ROOMS=ops@conference.example.org/bot"), "give the room alone"},
		{append(on[:3:3], "OPSGATE_XMPP_SERVER=example.org"), `xmpp.server "example.org" is not host:port`},
		{append(on[:3:3], "OPSGATE_XMPP_NICK=ops bot"), "xmpp.nick"},
		{[]string{"OPSGATE_LEASE_TTL=100ms"}, "lease_ttl must be at least 1s"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: append([]string{"OPSGATE_DATABASE=" + sqliteDSN(t)}, c.env...)}
		code := m.Run(context.Background(), []string{"migrate"})
		if code != 2 || !strings.Contains(errb.String(), c.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line containing %q", c.env, code, errb.String(), c.want)
		}
	}
}
