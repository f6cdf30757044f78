package mattermost

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// BenchmarkMattermostSlashCommandAck measures the ack path: token check (cached), form parse,
// Request, hand-off. The token cache makes the database round trip rare.
func BenchmarkMattermostSlashCommandAck(b *testing.B) {
	tokens := &tokens{hashes: map[string]bool{}}
	tokens.CreateToken(context.Background(), &opsgate.CommandToken{}, cmdToken)
	now := time.Unix(1_800_000_000, 0)
	n := 0
	h := New(Options{URL: "http://mm", APIToken: apiToken, Tokens: tokens, Callbacks: callback.New([]byte("k"), "mattermost"),
		Plumbing: kit.Plumbing{Now: func() time.Time { return now }},
		Handle:   func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string { n++; return "" }})
	body := []byte(slashForm("u1", "/network", "status nyc", "http://mm/hooks/commands/abc").Encode())
	rd := bytes.NewReader(body)
	req := httptest.NewRequest("POST", PathSlashCommand, rd)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Token "+cmdToken)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		w := httptest.NewRecorder()
		h.ServeSlashCommand(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	if n == 0 {
		b.Fatal("handler never ran")
	}
}
