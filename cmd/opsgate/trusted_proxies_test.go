package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrustedProxiesConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(p, []byte("trusted_proxies: [10.0.0.0/8, 192.0.2.7]\n"), 0o600)
	cfg, err := LoadConfig(p, nil)
	if err != nil || strings.Join(cfg.TrustedProxies, " ") != "10.0.0.0/8 192.0.2.7" {
		t.Fatalf("from the file: %q %v", cfg.TrustedProxies, err)
	}
	cfg, err = LoadConfig(p, []string{"OPSGATE_TRUSTED_PROXIES=127.0.0.1, ::1"})
	if err != nil || strings.Join(cfg.TrustedProxies, " ") != "127.0.0.1 ::1" {
		t.Fatalf("from the environment: %q %v", cfg.TrustedProxies, err)
	}
	_, err = LoadConfig("", []string{"OPSGATE_TRUSTED_PROXIES=10.0.0.0/8,proxy.internal"})
	if err == nil || !strings.Contains(err.Error(), "trusted_proxies") || !strings.Contains(err.Error(), `"proxy.internal"`) {
		t.Fatalf("a host name among the proxies: %v, want an error naming the key and the entry", err)
	}
}

// The running server limits refused admin tokens per client, believing X-Forwarded-For only from
// the configured proxies.
func TestServeTrustedProxies(t *testing.T) {
	refusals := func(base, client string) []int {
		var codes []int
		for i := 0; i < 12; i++ { // kit's default burst is 10
			req, _ := http.NewRequest("GET", base+"/api/v1/grants", nil)
			req.Header.Set("Authorization", "Bearer wrong")
			req.Header.Set("X-Forwarded-For", client)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
		}
		return codes
	}
	base, _ := startServer(t, sqliteDSN(t), "OPSGATE_TRUSTED_PROXIES=127.0.0.1,::1")
	if codes := refusals(base, "198.51.100.1"); codes[9] != 401 || codes[10] != 429 {
		t.Fatalf("first forwarded client: %v, want 401 x10 then 429", codes)
	}
	if codes := refusals(base, "198.51.100.2"); codes[0] != 401 {
		t.Fatalf("second forwarded client: %v, want its own limit", codes)
	}
	base, _ = startServer(t, sqliteDSN(t))
	refusals(base, "198.51.100.1")
	if codes := refusals(base, "198.51.100.2"); codes[0] != 429 {
		t.Fatalf("untrusted X-Forwarded-For was believed: %v", codes)
	}
}
