package store_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// What commands and platforms put in an entry is not ours to choose: a failed command's details
// may hold binary output (NUL, invalid UTF-8), a name may be longer than the column. Such an entry
// must still be stored (made storable), and it must never take the other entries of its
// group-commit batch down with it.
func TestCommandLogOddValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.NewCommandLogService(db)
		odd := []*opsgate.CommandLogEntry{
			{Details: "exit 1: \x00\xff\xfe binary garbage", Params: map[string]string{"raw": "a\x00b\xff"}},
			{ChannelName: strings.Repeat("é", 300), UserName: strings.Repeat("u", 1000)},
			{Subcommand: "get-" + strings.Repeat("x", 400)},
			{Details: strings.Repeat("d", 20<<20)}, // over MySQL's 16 MiB MEDIUMTEXT and default max packet
		}
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n+len(odd))
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				e := &opsgate.CommandLogEntry{Start: time.Now(), Platform: "slack", Command: "ping", Params: map[string]string{"i": strconv.Itoa(i)}, Status: "succeeded"}
				errs <- s.CreateCommandLogEntry(context.Background(), e)
			}(i)
		}
		for _, e := range odd {
			wg.Add(1)
			go func(e *opsgate.CommandLogEntry) {
				defer wg.Done()
				e.Start, e.Platform, e.Command, e.Status = time.Now(), "slack", "odd", "failed"
				errs <- s.CreateCommandLogEntry(context.Background(), e)
			}(e)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("entry refused: %.200v", err)
			}
		}
		got, err := s.FindCommandLogEntries(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		var ping, oddN int
		for _, e := range got {
			switch e.Command {
			case "ping":
				ping++
			case "odd":
				oddN++
				for _, v := range []string{e.Details, e.ChannelName, e.UserName, e.Subcommand, e.Params["raw"]} {
					if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
						t.Errorf("stored value not clean text: %.80q", v)
					}
				}
				if strings.HasPrefix(e.Details, "exit 1:") && !strings.Contains(e.Details, "binary garbage") {
					t.Errorf("details lost: %q", e.Details)
				}
			}
		}
		if ping != n || oddN != len(odd) {
			t.Fatalf("stored %d of %d normal entries and %d of %d odd ones", ping, n, oddN, len(odd))
		}
	})
}
