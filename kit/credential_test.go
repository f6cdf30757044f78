package kit

import (
	"log/slog"
	"net/http/httptest"
	"testing"
)

func TestRefuseCredentialLimitsGuessing(t *testing.T) {
	f := NewRefusals("kit-test")
	g := NewGuard(GuardOptions{Burst: 2})
	var codes []int
	for range 3 {
		w := httptest.NewRecorder()
		f.RefuseCredential(w, httptest.NewRequest("POST", "/", nil), g, slog.New(slog.DiscardHandler), "unknown_token", "unknown command token")
		codes = append(codes, w.Code)
		if w.Code == 429 && w.Header().Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if codes[0] != 401 || codes[1] != 401 || codes[2] != 429 {
		t.Fatalf("codes %v, want 401 401 429", codes)
	}
}
