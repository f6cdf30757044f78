package opsgate

import (
	"strings"
	"testing"
)

func TestTableText(t *testing.T) {
	got := Table{Header: []string{"name", "site"}, Rows: [][]string{{"sw1", "nyc"}, {"router-é1", "lon"}}}.Text()
	want := "name       site\n---------  ----\nsw1        nyc\nrouter-é1  lon"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSplitText(t *testing.T) {
	s := strings.Repeat("line of text\n", 100) + strings.Repeat("é", 50)
	parts := SplitText(s, 100)
	if strings.Join(parts, "") != s {
		t.Fatal("parts do not join back to the input")
	}
	for _, p := range parts {
		if len(p) > 100 {
			t.Fatalf("part of %d bytes", len(p))
		}
		if !strings.HasSuffix(p, "\n") && !strings.Contains(p, "é") {
			t.Fatalf("part does not end at a line break: %q", p)
		}
	}
	if got := SplitText("", 10); len(got) != 1 || got[0] != "" {
		t.Fatalf("empty: %q", got)
	}
}
