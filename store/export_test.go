package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/opsgate/opsgate"
)

// CommitWrites commits claims of keys and entries as one group-commit batch, as the leader does.
func (db *DB) CommitWrites(ctx context.Context, keys []string, entries []*opsgate.CommandLogEntry) error {
	at, window := time.Now(), time.Minute
	var batch []*groupWrite
	for _, key := range keys {
		sum := sha256.Sum256([]byte("s\x00" + key))
		batch = append(batch, &groupWrite{claim: &claimWrite{hash: hex.EncodeToString(sum[:]), scope: "s", at: Time(at), since: Time(at.Add(-window))}})
	}
	for _, e := range entries {
		w, err := newCommandLogWrite(e)
		if err != nil {
			return err
		}
		batch = append(batch, &groupWrite{entry: w})
	}
	db.prepareBatch(ctx, len(batch))
	return db.commitBatch(ctx, batch)
}

// AbandonServeLock lets go of l as a dying process does: no handover written.
func AbandonServeLock(l *ServeLock) { l.f.Close() }
