package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Leases keeps connection leases (kit.Lease; store.DB.AcquireLease without NATS) in the
// JetStream key-value bucket PREFIX_leases. Taking, renewing and releasing are compare-and-set
// on the key's revision, so two replicas never both succeed. Expiry compares the replicas'
// clocks, as it does in the database.
type Leases struct {
	js     jetstream.JetStream
	bucket string

	mu sync.Mutex
	kv jetstream.KeyValue
}

type leaseValue struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// NewLeases returns leases on nc in the bucket PREFIX_leases, created on first use.
func NewLeases(nc *nats.Conn, prefix string) (*Leases, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return &Leases{js: js, bucket: prefix + "_leases"}, nil
}

// Acquire takes or renews the lease called name for holder until now+ttl. It returns false when
// another holder has it and it has not expired at now.
func (l *Leases) Acquire(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	kv, err := l.open(ctx)
	if err != nil {
		return false, err
	}
	val, _ := json.Marshal(leaseValue{Holder: holder, Until: now.Add(ttl)})
	e, err := kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		_, err = kv.Create(ctx, name, val)
		return lost(err)
	}
	if err != nil {
		return false, err
	}
	var cur leaseValue
	if err := json.Unmarshal(e.Value(), &cur); err == nil && cur.Holder != holder && now.Before(cur.Until) {
		return false, nil
	}
	_, err = kv.Update(ctx, name, val, e.Revision())
	return lost(err)
}

// Release gives up holder's lease called name; it does nothing when holder does not hold it.
func (l *Leases) Release(ctx context.Context, name, holder string) error {
	kv, err := l.open(ctx)
	if err != nil {
		return err
	}
	e, err := kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var cur leaseValue
	if json.Unmarshal(e.Value(), &cur) != nil || cur.Holder != holder {
		return nil
	}
	err = kv.Delete(ctx, name, jetstream.LastRevision(e.Revision()))
	if _, err := lost(err); err != nil {
		return err
	}
	return nil
}

// Holder tells who holds the lease called name and until when; "" when nobody has taken it.
func (l *Leases) Holder(ctx context.Context, name string) (string, time.Time, error) {
	kv, err := l.open(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	e, err := kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, err
	}
	var cur leaseValue
	if err := json.Unmarshal(e.Value(), &cur); err != nil {
		return "", time.Time{}, fmt.Errorf("lease %s: %w", name, err)
	}
	return cur.Holder, cur.Until, nil
}

// lost turns a compare-and-set that another replica won into a plain "no".
func lost(err error) (bool, error) {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return false, nil
	}
	return err == nil, err
}

func (l *Leases) open(ctx context.Context) (jetstream.KeyValue, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kv != nil {
		return l.kv, nil
	}
	kv, err := l.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: l.bucket, History: 1,
		Description: "opsgate connection leases"})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = l.js.KeyValue(ctx, l.bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("leases bucket %s: %w", l.bucket, err)
	}
	l.kv = kv
	return kv, nil
}
