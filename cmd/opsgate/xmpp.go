package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/xmpp"
)

func init() {
	registerModule(module{Name: "xmpp", Order: 50, Setup: setupXMPP})
}

// setupXMPP connects to the XMPP server under `serve`, in the one replica holding the "xmpp"
// lease; every replica can post announcements.
func setupXMPP(ctx context.Context, m *Main) error {
	c := m.Config.XMPP
	if !c.Enabled || !m.Serving {
		return nil
	}
	tc := &tls.Config{}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return fmt.Errorf("xmpp.ca_file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("xmpp.ca_file: %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	client, err := xmpp.New(xmpp.Options{JID: c.JID, Password: c.Password, Server: c.Server, DirectTLS: c.DirectTLS, TLS: tc,
		Rooms: c.Rooms, Nick: c.Nick, Prefix: c.Prefix, Handle: pipelineHandle(m),
		Plumbing: kit.Plumbing{Logger: m.Logger.With("platform", "xmpp")}})
	if err != nil {
		return err
	}
	m.Announce.Register(xmpp.Platform, client.Conversation)
	m.runLeased("xmpp", client.Run)
	return nil
}
