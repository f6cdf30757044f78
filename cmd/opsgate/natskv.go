package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsgate/opsgate/queue"
)

func init() {
	// Before every module that claims or takes a lease (platforms at 50, schedules at 90), so a
	// replica never uses the database's claims and leases while its peers use JetStream's.
	registerModule(module{Name: "nats-kv", Order: 2, Setup: setupNATSKV})
}

// natsKV holds the claims and connection leases when nats.url is set (docs/scaling.md).
type natsKV struct {
	claims *queue.Claims
	leases *queue.Leases
}

func setupNATSKV(ctx context.Context, m *Main) error {
	c := m.Config.NATS
	if c.URL == "" || !m.Serving {
		return nil
	}
	nc, err := m.natsConn()
	if err != nil {
		return err
	}
	claims, err := queue.NewClaims(nc, c.StreamPrefix)
	if err != nil {
		return err
	}
	leases, err := queue.NewLeases(nc, c.StreamPrefix)
	if err != nil {
		return err
	}
	m.kv = &natsKV{claims: claims, leases: leases}
	return nil
}

// natsConn connects to nats.url once per server; connecting does not wait for NATS to answer.
func (m *Main) natsConn() (*nats.Conn, error) {
	if m.nc != nil {
		return m.nc, nil
	}
	c := m.Config.NATS
	opts, err := c.options()
	if err != nil {
		return nil, err
	}
	log := m.Logger.With("component", "nats")
	opts = append(opts,
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS connection lost; refusing new commands until it is back", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS connection back", "server", nc.ConnectedUrlRedacted()) }))
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats.url: %v", err)
	}
	m.nc = nc
	m.OnStop(func(context.Context) error { nc.Close(); return nil }) // registered first: closed last
	return nc, nil
}

// onChanged runs f whenever a replica announces a change on PREFIX.changed (nats.go); without
// NATS it is never run and the polls alone pick changes up.
func (m *Main) onChanged(f func()) { m.changed = append(m.changed, f) }

// tellChanged tells every replica that something onChanged watches changed here.
func (m *Main) tellChanged() {
	if m.nc != nil {
		m.nc.Publish(m.Config.NATS.StreamPrefix+".changed", nil)
	}
}

// claim is store.DB.Claim, or JetStream's with nats.url set.
func (m *Main) claim(ctx context.Context, scope, key string, at time.Time, window time.Duration) (bool, error) {
	if m.kv != nil {
		return m.kv.claims.Claim(ctx, scope, key, at, window)
	}
	return m.DB.Claim(ctx, scope, key, at, window)
}

func (m *Main) unclaim(ctx context.Context, scope, key string) error {
	if m.kv != nil {
		return m.kv.claims.Unclaim(ctx, scope, key)
	}
	return m.DB.Unclaim(ctx, scope, key)
}

// acquireLease is store.DB.AcquireLease, or JetStream's with nats.url set.
func (m *Main) acquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if m.kv != nil {
		return m.kv.leases.Acquire(ctx, name, holder, now, ttl)
	}
	return m.DB.AcquireLease(ctx, name, holder, now, ttl)
}

func (m *Main) releaseLease(ctx context.Context, name, holder string) error {
	if m.kv != nil {
		return m.kv.leases.Release(ctx, name, holder)
	}
	return m.DB.ReleaseLease(ctx, name, holder)
}

func (m *Main) leaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	if m.kv != nil {
		return m.kv.leases.Holder(ctx, name)
	}
	return m.DB.LeaseHolder(ctx, name)
}
