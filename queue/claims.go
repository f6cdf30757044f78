package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Claims keeps the claims that make a platform's retry, a replayed request or a prompt answered
// twice count once (store.DB.Claim without NATS) in JetStream key-value buckets: creating a key
// is atomic, so of any number of replicas exactly one wins it.
//
// NATS servers before 2.11 have no per-key expiry, so each claim window gets its own bucket
// (PREFIX_claims_3600s for an hour) whose MaxAge is the window: a key is forgotten a window after
// it was stored, as measured by the NATS server's clock rather than the caller's "at".
type Claims struct {
	js     jetstream.JetStream
	prefix string

	mu      sync.Mutex
	buckets map[time.Duration]jetstream.KeyValue
}

// NewClaims returns claims on nc in buckets named PREFIX_claims_*; they are created on first use.
func NewClaims(nc *nats.Conn, prefix string) (*Claims, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return &Claims{js: js, prefix: prefix, buckets: map[time.Duration]jetstream.KeyValue{}}, nil
}

// Claim records key in scope for window. It returns false when any replica claimed it less than
// window ago (and did not Unclaim it). at is unused: the NATS server's clock decides expiry.
func (c *Claims) Claim(ctx context.Context, scope, key string, _ time.Time, window time.Duration) (bool, error) {
	kv, err := c.bucket(ctx, window)
	if err != nil {
		return false, err
	}
	_, err = kv.Create(ctx, claimKey(scope, key), []byte(scope))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	return err == nil, err
}

// Unclaim releases key in scope, so the next Claim of it succeeds. Its bucket is one this
// replica claimed in before: Unclaim only ever follows this replica's own Claim.
func (c *Claims) Unclaim(ctx context.Context, scope, key string) error {
	c.mu.Lock()
	kvs := make([]jetstream.KeyValue, 0, len(c.buckets))
	for _, kv := range c.buckets {
		kvs = append(kvs, kv)
	}
	c.mu.Unlock()
	k := claimKey(scope, key)
	for _, kv := range kvs {
		if err := kv.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// bucket opens (creating when missing) the bucket for window, rounded up to whole seconds.
func (c *Claims) bucket(ctx context.Context, window time.Duration) (jetstream.KeyValue, error) {
	window = max(window.Round(time.Second), time.Second)
	c.mu.Lock()
	kv := c.buckets[window]
	c.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	name := fmt.Sprintf("%s_claims_%ds", c.prefix, int64(window/time.Second))
	kv, err := c.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, TTL: window, History: 1,
		Description: "opsgate claims remembered for " + window.String()})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = c.js.KeyValue(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("claims bucket %s: %w", name, err)
	}
	c.mu.Lock()
	c.buckets[window] = kv
	c.mu.Unlock()
	return kv, nil
}

// claimKey is a valid KV key for any scope and key (a key may hold any byte), as the database's is.
func claimKey(scope, key string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	return hex.EncodeToString(sum[:])
}
