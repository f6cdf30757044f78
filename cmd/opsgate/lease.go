package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/opsgate/opsgate/kit"
)

// holderID names a lease's holder: host and pid for people, random because two servers in one
// process (tests) are two replicas too.
func holderID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// runLeased runs connect (a connection only one replica may hold) in the background while this
// replica holds the lease called name, until the server stops.
func (m *Main) runLeased(name string, connect func(ctx context.Context) error) {
	l := &kit.Lease{Name: name, Holder: holderID(), Acquire: m.acquireLease, Release: m.releaseLease,
		TTL: m.Config.LeaseTTL.D(), Logger: m.Logger.With("lease", name)}
	m.status.lease(name, l.Holder)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx, connect) }()
	m.OnStop(func(ctx context.Context) error {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
		}
		return nil
	})
}
