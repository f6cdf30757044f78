package vault

import (
	"context"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func get(t *testing.T, p *Provider, params map[string]string) (string, error) {
	t.Helper()
	return p.Get(context.Background(), params)
}

func TestKVv1v2Token(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	f := newFakeVault(t, clk.Now, false)
	f.addStaticToken("hvs.static", 0, false)
	f.kv2["secret/network/csr1"] = map[string]any{"password": "kv2-pass", "port": 830}
	f.kv1["kv/legacy/app"] = map[string]any{"token": "kv1-token"}
	p, err := New(map[string]Config{"default": {URL: f.srv.URL, Auth: Auth{Method: AuthToken, Token: "hvs.static"}}})
	if err != nil {
		t.Fatal(err)
	}
	p.Now = clk.Now
	if v, err := get(t, p, map[string]string{"path": "network/csr1", "key": "password"}); err != nil || v != "kv2-pass" {
		t.Fatalf("kv v2: %q %v", v, err)
	}
	if v, err := get(t, p, map[string]string{"path": "network/csr1", "key": "port", "kv_version": "v2", "mount_point": "secret"}); err != nil || v != "830" {
		t.Fatalf("kv v2 number: %q %v", v, err)
	}
	if v, err := get(t, p, map[string]string{"path": "legacy/app", "key": "token", "mount_point": "kv", "kv_version": "v1"}); err != nil || v != "kv1-token" {
		t.Fatalf("kv v1: %q %v", v, err)
	}
	f.kv2["secret/network/deleted"] = nil // a deleted latest version: {"data":{"data":null,...}}
	if _, err := get(t, p, map[string]string{"path": "network/deleted", "key": "password"}); !errors.Is(err, opsgate.ErrSecretValueNotFound) {
		t.Fatalf("deleted version: %v", err)
	}
	if _, err := get(t, p, map[string]string{"path": "network/none", "key": "password"}); !errors.Is(err, opsgate.ErrSecretValueNotFound) {
		t.Fatalf("missing path: %v", err)
	}
	if _, err := get(t, p, map[string]string{"path": "network/csr1", "key": "enable"}); !errors.Is(err, opsgate.ErrSecretValueNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	for _, bad := range []map[string]string{{"key": "k"}, {"path": "p"}, {"path": "p", "key": "k", "kv_version": "v3"},
		{"path": "p", "key": "k", "vault": "eu"}, {"path": "../sys/raw", "key": "k"}, {"path": "p", "key": "k", "extra": "x"}} {
		if _, err := get(t, p, bad); !errors.Is(err, opsgate.ErrSecretParameters) {
			t.Errorf("%v: %v, want SecretParametersError", bad, err)
		}
	}
	// A static token without TTL is looked up once and never renewed.
	if n := f.count("lookup"); n != 1 {
		t.Fatalf("lookup-self called %d times, want 1", n)
	}
	if n := f.count("renew"); n != 0 {
		t.Fatalf("renew-self called %d times", n)
	}
}

func TestAppRoleOneLoginRenewAndRelogin(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	f := newFakeVault(t, clk.Now, false)
	f.namespace = "team-a"
	f.kv2["secret/app"] = map[string]any{"api_key": "approle-read"}
	p, err := New(map[string]Config{"default": {URL: f.srv.URL, Namespace: "team-a",
		Auth: Auth{Method: AuthAppRole, RoleID: "role-1", SecretID: "secret-id-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	p.Now = clk.Now
	params := map[string]string{"path": "app", "key": "api_key"}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := get(t, p, params); err != nil || v != "approle-read" {
				t.Errorf("read: %q %v", v, err)
			}
		}()
	}
	wg.Wait()
	if n := f.count("login"); n != 1 {
		t.Fatalf("20 reads made %d logins, want 1", n)
	}
	// Past two thirds of the 60 s TTL the token is renewed, not replaced.
	clk.Add(45 * time.Second)
	if _, err := get(t, p, params); err != nil {
		t.Fatal(err)
	}
	if f.count("renew") != 1 || f.count("login") != 1 {
		t.Fatalf("after 45 s: renew=%d login=%d, want 1/1", f.count("renew"), f.count("login"))
	}
	// The renewal moved the expiry: 45 s later the token is still good (renewed again, no login).
	clk.Add(45 * time.Second)
	if _, err := get(t, p, params); err != nil {
		t.Fatal(err)
	}
	if f.count("login") != 1 {
		t.Fatalf("logins = %d after renewals", f.count("login"))
	}
	// Vault forgets the token (restart, revocation): the read is refused once, we log in again.
	f.revokeAll()
	if v, err := get(t, p, params); err != nil || v != "approle-read" {
		t.Fatalf("after revocation: %q %v", v, err)
	}
	if n := f.count("login"); n != 2 {
		t.Fatalf("logins after revocation = %d, want 2", n)
	}
	// The token expired while idle: a fresh login before reading.
	clk.Add(10 * time.Minute)
	if _, err := get(t, p, params); err != nil {
		t.Fatal(err)
	}
	if n := f.count("login"); n != 3 {
		t.Fatalf("logins after expiry = %d, want 3", n)
	}
}

func TestAppRoleBadCredentialsAndNamespace(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	f := newFakeVault(t, clk.Now, false)
	f.kv2["secret/app"] = map[string]any{"k": "v-ns"}
	p, err := New(map[string]Config{"default": {URL: f.srv.URL, Auth: Auth{Method: AuthAppRole, RoleID: "role-1", SecretID: "wrong"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = get(t, p, map[string]string{"path": "app", "key": "k"})
	if !errors.Is(err, opsgate.ErrSecretProvider) || !strings.Contains(err.Error(), "invalid role or secret ID") {
		t.Fatalf("bad secret_id: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error shows the secret_id: %v", err)
	}
	// A namespace the server does not serve refuses the login.
	f.namespace = "team-b"
	p2, _ := New(map[string]Config{"default": {URL: f.srv.URL, Namespace: "team-a", Auth: Auth{Method: AuthAppRole, RoleID: "role-1", SecretID: "secret-id-1"}}})
	if _, err := get(t, p2, map[string]string{"path": "app", "key": "k"}); !errors.Is(err, opsgate.ErrSecretProvider) {
		t.Fatalf("wrong namespace: %v", err)
	}
	// Unreachable server.
	f.srv.Close()
	p3, _ := New(map[string]Config{"default": {URL: f.srv.URL, Auth: Auth{Method: AuthToken, Token: "t"}, Timeout: time.Second}})
	if _, err := get(t, p3, map[string]string{"path": "app", "key": "k"}); !errors.Is(err, opsgate.ErrSecretProvider) {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestNamedVaultsAndCACert(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	us := newFakeVault(t, clk.Now, false)
	eu := newFakeVault(t, clk.Now, true)
	us.addStaticToken("hvs.us", time.Hour, true)
	eu.addStaticToken("hvs.eu", time.Hour, true)
	us.kv2["secret/db"] = map[string]any{"password": "us-db"}
	eu.kv2["secret/db"] = map[string]any{"password": "eu-db"}
	// The EU server is TLS with a test CA: trust it through ca_cert only.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	cert := eu.srv.Certificate()
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := New(map[string]Config{
		"default": {URL: us.srv.URL, Auth: Auth{Method: AuthToken, Token: "hvs.us"}},
		"eu":      {URL: eu.srv.URL, CACert: caFile, Auth: Auth{Method: AuthToken, Token: "hvs.eu"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Now = clk.Now
	if v, err := get(t, p, map[string]string{"path": "db", "key": "password"}); err != nil || v != "us-db" {
		t.Fatalf("default vault: %q %v", v, err)
	}
	if v, err := get(t, p, map[string]string{"path": "db", "key": "password", "vault": "eu"}); err != nil || v != "eu-db" {
		t.Fatalf("eu vault over TLS: %q %v", v, err)
	}
	// A renewable static token is renewed past two thirds of its TTL.
	clk.Add(41 * time.Minute)
	if _, err := get(t, p, map[string]string{"path": "db", "key": "password", "vault": "eu"}); err != nil {
		t.Fatal(err)
	}
	if eu.count("renew") != 1 || us.count("renew") != 0 {
		t.Fatalf("renewals eu=%d us=%d", eu.count("renew"), us.count("renew"))
	}
	// Without ca_cert the same server is not trusted.
	p2, _ := New(map[string]Config{"eu": {URL: eu.srv.URL, Auth: Auth{Method: AuthToken, Token: "hvs.eu"}}})
	if _, err := get(t, p2, map[string]string{"path": "db", "key": "password"}); !errors.Is(err, opsgate.ErrSecretProvider) {
		t.Fatalf("untrusted TLS: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{}, {URL: "http://x", Auth: Auth{Method: "kubernetes"}}, {URL: "http://x", Auth: Auth{Method: AuthToken}},
		{URL: "http://x", Auth: Auth{Method: AuthAppRole, RoleID: "r"}}} {
		if _, err := New(map[string]Config{"v": c}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
