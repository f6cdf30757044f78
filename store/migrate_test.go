package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Two processes starting on a fresh database at once (two replicas, or `opsgate migrate` next to
// `opsgate serve`) must both come up: one applies the migrations, the other finds them applied.
func TestConcurrentMigrate(t *testing.T) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		t.Run(d, func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			const n = 4
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					db, err := store.Open(context.Background(), dsn)
					if err == nil {
						db.Close()
					}
					errs[i] = err
				}(i)
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("process %d: %v", i, err)
				}
			}
		})
	}
}
