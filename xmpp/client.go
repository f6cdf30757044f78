// Package xmpp is opsgate's XMPP platform: a client connection (mellium.im/xmpp) with SASL
// SCRAM over STARTTLS or direct TLS that takes commands in 1:1 chats and multi-user chat rooms,
// as Errbot's XMPP back-end does.
package xmpp

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/dial"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Platform is the name requests carry.
const Platform = "xmpp"

// Reconnect backoff: doubled after each failed attempt up to maxBackoff, and back to
// minBackoff once a session has lasted stableAfter.
const (
	minBackoff  = time.Second
	maxBackoff  = time.Minute
	stableAfter = time.Minute
	pingEvery   = time.Minute
	dialTimeout = 20 * time.Second
)

// Options configure a Client.
type Options struct {
	// JID is the bot's account (bot@example.org); Password its password.
	JID, Password string
	// Server is host:port to connect to; "" finds it from the JID's domain (DNS SRV records,
	// else the domain on port 5222).
	Server string
	// DirectTLS speaks TLS from the first byte (XEP-0368, usually port 5223) instead of STARTTLS.
	DirectTLS bool
	// TLS verifies the server (RootCAs for a private CA); ServerName defaults to the JID's domain.
	TLS *tls.Config
	// Rooms are the multi-user chat rooms to join (room@conference.example.org).
	Rooms []string
	// Nick is the bot's nickname in rooms; default the JID's local part.
	Nick string
	// Prefix starts a command in a room ("!", as Errbot); optional in a 1:1 chat.
	Prefix string
	// Handle hands a request to the pipeline.
	Handle opsgate.RequestHandler
	kit.Plumbing
}

// Client is a connection to an XMPP server, kept up by Run.
type Client struct {
	o    Options
	addr jid.JID
	mech []sasl.Mechanism

	mu      sync.Mutex
	session *xmpp.Session // nil while disconnected
	// ready is true once the server has seen our presence, this session.
	ready bool
	// joined are the configured rooms the server has seated us in, this session.
	joined map[string]bool
	// real maps a room occupant (room@service/nick) to the real bare JID the room revealed.
	real map[string]string
	// prompts are the questions pending per conversation and person; unanswered ones expire.
	prompts *expirable.LRU[string, *kit.Pending]
}

// New returns a Client; Run connects it. The JID must be valid (the configuration checks it).
func New(o Options) (*Client, error) {
	o.Defaults(0)
	addr, err := jid.Parse(o.JID)
	if err != nil || addr.Localpart() == "" {
		return nil, fmt.Errorf("xmpp: %q is not a JID like bot@example.org", o.JID)
	}
	if o.Nick == "" {
		o.Nick = addr.Localpart()
	}
	if o.Prefix == "" {
		o.Prefix = "!"
	}
	tc := &tls.Config{}
	if o.TLS != nil {
		tc = o.TLS.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = addr.Domainpart()
	}
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
	o.TLS = tc
	return &Client{o: o, addr: addr.Bare(), real: map[string]string{},
		prompts: expirable.NewLRU[string, *kit.Pending](kit.DefaultMemoryKeys, nil, time.Hour),
		// SCRAM only, strongest first; -PLUS binds the exchange to the TLS channel.
		mech: []sasl.Mechanism{sasl.ScramSha256Plus, sasl.ScramSha1Plus, sasl.ScramSha256, sasl.ScramSha1}}, nil
}

// Domain is the server's domain: the organization requests come from.
func (c *Client) Domain() string { return c.addr.Domainpart() }

// Run keeps a session up until ctx ends, reconnecting with backoff when it drops.
func (c *Client) Run(ctx context.Context) error {
	backoff := minBackoff
	for ctx.Err() == nil {
		start := c.o.Now()
		err := c.serve(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if c.o.Now().Sub(start) >= stableAfter {
			backoff = minBackoff
		}
		c.o.Logger.Warn("xmpp: disconnected; reconnecting", "err", err, "in", backoff.String())
		if c.o.Sleep(ctx, backoff) != nil {
			return nil
		}
		backoff = min(backoff*2, maxBackoff)
	}
	return nil
}

// connect opens an authenticated session with a resource bound.
func (c *Client) connect(ctx context.Context) (*xmpp.Session, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var conn net.Conn
	var err error
	if c.o.Server != "" {
		conn, err = (&net.Dialer{}).DialContext(dctx, "tcp", c.o.Server)
		if err == nil && c.o.DirectTLS {
			tc := tls.Client(conn, c.o.TLS)
			if err = tc.HandshakeContext(dctx); err != nil {
				conn.Close()
			}
			conn = tc
		}
	} else {
		d := dial.Dialer{NoTLS: !c.o.DirectTLS, TLSConfig: c.o.TLS}
		conn, err = d.Dial(dctx, "tcp", c.addr)
	}
	if err != nil {
		return nil, err
	}
	features := []xmpp.StreamFeature{xmpp.BindResource(), xmpp.SASL("", c.o.Password, c.mech...)}
	if !c.o.DirectTLS {
		features = append(features, xmpp.StartTLS(c.o.TLS))
	}
	s, err := xmpp.NewClientSession(dctx, c.addr, conn, features...)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if s.State()&xmpp.Secure == 0 { // never reached: mellium refuses SASL on a clear channel
		s.Close()
		conn.Close()
		return nil, errors.New("the connection is not encrypted")
	}
	return s, nil
}

// serve runs one session: presence, room joins, then messages until it ends.
func (c *Client) serve(ctx context.Context) error {
	s, err := c.connect(ctx)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-sctx.Done()
		s.Close()
		s.Conn().Close()
	}()
	c.mu.Lock()
	c.session = s
	c.real, c.joined, c.ready = map[string]string{}, map[string]bool{}, false
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.session = nil
		c.mu.Unlock()
	}()
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(xmpp.HandlerFunc(func(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			return c.stanza(sctx, t, start)
		}))
	}()
	if err := s.Send(sctx, stanza.Presence{}.Wrap(nil)); err != nil {
		return err
	}
	for _, room := range c.o.Rooms {
		if err := c.join(sctx, s, room); err != nil {
			c.o.Logger.Warn("xmpp: cannot join room", "room", room, "err", err)
		}
	}
	// The server handles a stream's stanzas in order: once it answers a ping, it has seen our
	// presence, and messages to the bare JID reach us.
	if c.ping(sctx, s) == nil {
		c.mu.Lock()
		c.ready = true
		c.mu.Unlock()
		c.o.Logger.Info("xmpp: connected", "jid", s.LocalAddr().String(), "rooms", len(c.o.Rooms))
	}
	go c.keepAlive(sctx, s, cancel)
	return <-served
}

// ping asks the server for an answer; an error answer is an answer too.
func (c *Client) ping(ctx context.Context, s *xmpp.Session) error {
	pctx, done := context.WithTimeout(ctx, 20*time.Second)
	defer done()
	var se stanza.Error
	if err := ping.Send(pctx, s, c.addr.Domain()); err != nil && !errors.As(err, &se) {
		return err
	}
	return nil
}

// keepAlive pings the server so that a dead connection is noticed (TCP alone may take hours).
func (c *Client) keepAlive(ctx context.Context, s *xmpp.Session, cancel context.CancelFunc) {
	for c.o.Sleep(ctx, pingEvery) == nil {
		if err := c.ping(ctx, s); err != nil && ctx.Err() == nil {
			c.o.Logger.Warn("xmpp: the server does not answer pings; reconnecting", "err", err)
			cancel()
			return
		}
	}
}

// join enters room as Nick, asking for no history: old commands must not run again.
func (c *Client) join(ctx context.Context, s *xmpp.Session, room string) error {
	r, err := jid.Parse(room)
	if err != nil {
		return err
	}
	to, err := r.Bare().WithResource(c.o.Nick)
	if err != nil {
		return err
	}
	return s.Encode(ctx, joinPresence{Presence: stanza.Presence{To: to}})
}

// Connected reports whether a session is up and every room joined.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session != nil && c.ready && len(c.joined) == len(c.o.Rooms)
}

// live returns the session if one is up.
func (c *Client) live() *xmpp.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// prompt returns the pending question of person in conversation.
func (c *Client) prompt(conversation, person string) *kit.Pending {
	key := conversation + "\x00" + person
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.prompts.Get(key)
	if !ok {
		p = &kit.Pending{}
		c.prompts.Add(key, p)
	}
	return p
}

// isRoomJID reports whether bare is one of the configured rooms.
func isRoomJID(c *Client, bare string) bool {
	for _, r := range c.o.Rooms {
		if strings.EqualFold(r, bare) {
			return true
		}
	}
	return false
}

// CheckJID says what is wrong with s as the bot's JID (or a room's, when room): one line for
// the configuration's error.
func CheckJID(s string, room bool) error {
	j, err := jid.Parse(s)
	switch {
	case err != nil || j.Localpart() == "":
		if room {
			return fmt.Errorf("%q is not a room JID like ops@conference.example.org", s)
		}
		return fmt.Errorf("%q is not a JID like bot@example.org", s)
	case room && j.Resourcepart() != "":
		return fmt.Errorf("%q names a room occupant; give the room alone (no /nick)", s)
	}
	return nil
}
