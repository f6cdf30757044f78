package prosodytest

import (
	"encoding/xml"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Person is someone the test plays, on their own XMPP client.
type Person struct {
	t        testing.TB
	JID      string
	session  *xmpp.Session
	received chan Received

	mu     sync.Mutex
	online map[string]bool // full JIDs whose available presence arrived (room occupants)
}

// Received is a message a Person got.
type Received struct {
	From, Type, Body string
}

type msg struct {
	stanza.Message
	Body string `xml:"body,omitempty"`
}

// join asks to enter a room (XEP-0045 §7.2); history is whatever the room sends.
type join struct {
	stanza.Presence
	MUC struct{} `xml:"http://jabber.org/protocol/muc x"`
}

// Connect signs in as addr over STARTTLS, until the test ends.
func (s *Server) Connect(t testing.TB, addr, password string) *Person {
	t.Helper()
	c := ctx(t)
	conn, err := (&net.Dialer{}).DialContext(c, "tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	session, err := xmpp.NewClientSession(c, jid.MustParse(addr), conn, xmpp.BindResource(), xmpp.StartTLS(s.TLS()),
		xmpp.SASL("", password, sasl.ScramSha1Plus, sasl.ScramSha1))
	if err != nil {
		conn.Close()
		t.Fatalf("%s cannot sign in: %v", addr, err)
	}
	p := &Person{t: t, JID: addr, session: session, received: make(chan Received, 100), online: map[string]bool{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		session.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local == "presence" {
				var pr stanza.Presence
				if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r)).Decode(&pr); err == nil {
					p.mu.Lock()
					p.online[pr.From.String()] = pr.Type == stanza.AvailablePresence
					p.mu.Unlock()
				}
				return nil
			}
			if start.Name.Local != "message" {
				return nil
			}
			var m msg
			if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r)).Decode(&m); err == nil && m.Body != "" {
				p.received <- Received{From: m.From.String(), Type: string(m.Type), Body: m.Body}
			}
			return nil
		}))
	}()
	t.Cleanup(func() {
		session.Close()
		conn.Close()
		<-done
	})
	if err := session.Send(c, stanza.Presence{}.Wrap(nil)); err != nil {
		t.Fatal(err)
	}
	return p
}

// Join enters room as nick and waits until the room has seated them.
func (p *Person) Join(room, nick string) {
	p.t.Helper()
	to := jid.MustParse(room + "/" + nick)
	if err := p.session.Encode(ctx(p.t), join{Presence: stanza.Presence{To: to}}); err != nil {
		p.t.Fatal(err)
	}
	// Our own message comes back once we are seated.
	p.Say(room, "hello")
	p.Expect(room+"/"+nick, "hello")
}

// Say sends a groupchat message to room.
func (p *Person) Say(room, body string) {
	p.t.Helper()
	p.send(room, stanza.GroupChatMessage, body)
}

// Tell sends a 1:1 chat message to addr.
func (p *Person) Tell(addr, body string) {
	p.t.Helper()
	p.send(addr, stanza.ChatMessage, body)
}

func (p *Person) send(to string, typ stanza.MessageType, body string) {
	p.t.Helper()
	if err := p.session.Encode(ctx(p.t), msg{Message: stanza.Message{To: jid.MustParse(to), Type: typ}, Body: body}); err != nil {
		p.t.Fatal(err)
	}
}

// Expect waits for a message from from (a JID, bare or full) containing want, skipping others,
// and returns it; the test fails after 10 s.
func (p *Person) Expect(from, want string) Received {
	p.t.Helper()
	var seen []string
	timeout := time.After(10 * time.Second)
	for {
		select {
		case r := <-p.received:
			if (r.From == from || strings.HasPrefix(r.From, from+"/")) && strings.Contains(r.Body, want) {
				return r
			}
			seen = append(seen, r.From+": "+r.Body)
		case <-timeout:
			p.t.Fatalf("%s got no message from %s containing %q; got %q", p.JID, from, want, seen)
			return Received{}
		}
	}
}

// None fails the test if a message from from arrives within d.
func (p *Person) None(from string, d time.Duration) {
	p.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case r := <-p.received:
			if r.From == from || strings.HasPrefix(r.From, from+"/") {
				p.t.Fatalf("%s got %q from %s, want nothing", p.JID, r.Body, r.From)
			}
		case <-timeout:
			return
		}
	}
}

// WaitOnline waits until who (a room occupant, room@service/nick) is present, failing the test
// after 10 s.
func (p *Person) WaitOnline(who string) { p.t.Helper(); p.waitPresence(who, true) }

// WaitOffline waits until who has left.
func (p *Person) WaitOffline(who string) { p.t.Helper(); p.waitPresence(who, false) }

func (p *Person) waitPresence(who string, online bool) {
	p.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		ok := p.online[who] == online
		p.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s never saw %s online=%v", p.JID, who, online)
		}
	}
}

// ExpectAll waits for messages from from containing each of wants, in any order (an answer and
// an announcement travel different paths), failing the test after 10 s.
func (p *Person) ExpectAll(from string, wants ...string) {
	p.t.Helper()
	missing := map[string]bool{}
	for _, w := range wants {
		missing[w] = true
	}
	var seen []string
	timeout := time.After(10 * time.Second)
	for len(missing) > 0 {
		select {
		case r := <-p.received:
			seen = append(seen, r.From+": "+r.Body)
			if r.From != from && !strings.HasPrefix(r.From, from+"/") {
				continue
			}
			for w := range missing {
				if strings.Contains(r.Body, w) {
					delete(missing, w)
				}
			}
		case <-timeout:
			p.t.Fatalf("%s got no message from %s containing %v; got %q", p.JID, from, missing, seen)
		}
	}
}
