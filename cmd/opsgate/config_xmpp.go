package main

import (
	"fmt"
	"strings"

	"github.com/opsgate/opsgate/xmpp"
)

// XMPPConfig configures the XMPP platform (see docs/xmpp.md).
type XMPPConfig struct {
	Enabled bool `yaml:"enabled"`
	// JID and Password are the bot's account.
	JID      string `yaml:"jid"`
	Password string `yaml:"password"`
	// Server is host:port; default: the JID domain's DNS SRV records, else the domain on 5222.
	Server string `yaml:"server"`
	// Rooms are multi-user chat rooms to join (room@conference.example.org).
	Rooms []string `yaml:"rooms"`
	// Nick is the bot's nickname in rooms; default the JID's local part.
	Nick string `yaml:"nick"`
	// Prefix starts a command in a room; default "!" (as Errbot). Optional in 1:1 chats.
	Prefix string `yaml:"prefix"`
	// DirectTLS speaks TLS from the first byte (usually port 5223) instead of STARTTLS.
	DirectTLS bool `yaml:"direct_tls"`
	// CAFile adds a PEM bundle to the system's roots, for a server with a private CA.
	CAFile string `yaml:"ca_file"`
}

// Validate checks the xmpp section.
func (c XMPPConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.JID == "":
		return fmt.Errorf("xmpp.jid is required when xmpp.enabled is true")
	case c.Password == "":
		return fmt.Errorf("xmpp.password is required when xmpp.enabled is true")
	case c.Server != "" && !isHostPort(c.Server):
		return fmt.Errorf("xmpp.server %q is not host:port (e.g. xmpp.example.org:5222)", c.Server)
	case strings.ContainsAny(c.Nick, "/@ \t"):
		return fmt.Errorf("xmpp.nick %q cannot contain /, @ or spaces", c.Nick)
	case strings.TrimSpace(c.Prefix) != c.Prefix:
		return fmt.Errorf("xmpp.prefix %q cannot start or end with spaces", c.Prefix)
	}
	if err := xmpp.CheckJID(c.JID, false); err != nil {
		return fmt.Errorf("xmpp.jid: %v", err)
	}
	for _, r := range c.Rooms {
		if err := xmpp.CheckJID(r, true); err != nil {
			return fmt.Errorf("xmpp.rooms: %v", err)
		}
	}
	return nil
}
