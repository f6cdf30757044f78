package store_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// SQLite's WAL is checkpointed off the writer's path, and still started over under sustained
// writes: a busy server's WAL file stays bounded instead of growing with every claim it makes.
func TestSQLiteWALStaysBounded(t *testing.T) {
	dsn := storetest.DSN(t, store.SQLite)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	wal := strings.TrimPrefix(dsn, "sqlite://") + "-wal"
	// Each claim has a random key and so dirties a page of its own: 40,000 write ~160 MB of WAL
	// frames, ten times what the WAL may hold before it is started over.
	now := time.Now()
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := range 1250 {
				if _, err := db.Claim(ctx, "bench", strconv.Itoa(w)+"-"+strconv.Itoa(i), now, time.Hour); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("WAL file at %.1f MB after ~160 MB of frames", float64(st.Size())/(1<<20))
	if st.Size() > 40<<20 {
		t.Fatalf("WAL grew to %d MB under sustained writes; it should be started over at 16 MB", st.Size()>>20)
	}
}
