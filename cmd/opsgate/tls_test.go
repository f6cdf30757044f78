package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned returns a PEM certificate for 127.0.0.1 with serial, and its PEM key.
func selfSigned(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "opsgate test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// writePair writes the pair and dates both files at (a renewal's files are newer than the last).
func writePair(t *testing.T, certFile, keyFile string, certPEM, keyPEM []byte, at time.Time) {
	t.Helper()
	for f, b := range map[string][]byte{certFile: certPEM, keyFile: keyPEM} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// serial connects anew (no connection reuse), trusting roots, and returns the served certificate's
// serial number and the response's HSTS header.
func serial(t *testing.T, url string, roots *x509.CertPool) (int64, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true}}
	resp, err := c.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz over https: %d", resp.StatusCode)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.Int64(), resp.Header.Get("Strict-Transport-Security")
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1 := selfSigned(t, 1)
	t0 := time.Now().Add(-time.Minute)
	writePair(t, certFile, keyFile, c1, k1, t0)
	base, logs := startServer(t, sqliteDSN(t), "OPSGATE_TLS_CERT_FILE="+certFile, "OPSGATE_TLS_KEY_FILE="+keyFile)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("serving %s, want https", base)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(c1)
	if n, hsts := serial(t, base, roots); n != 1 || hsts != "max-age=31536000" {
		t.Fatalf("serial %d, HSTS %q", n, hsts)
	}
	// Plain HTTP is not served.
	if resp, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200")
		}
	}

	// A renewal: a new connection gets the new certificate, no restart.
	c2, k2 := selfSigned(t, 2)
	roots.AppendCertsFromPEM(c2)
	writePair(t, certFile, keyFile, c2, k2, t0.Add(10*time.Second))
	if n, _ := serial(t, base, roots); n != 2 {
		t.Fatalf("after renewal: serial %d, want 2", n)
	}
	// A broken renewal (the key of another certificate) keeps the working pair and says so once.
	c3, _ := selfSigned(t, 3)
	writePair(t, certFile, keyFile, c3, k1, t0.Add(20*time.Second))
	for range 2 {
		if n, _ := serial(t, base, roots); n != 2 {
			t.Fatalf("after a bad renewal: serial %d, want 2", n)
		}
	}
	if n := strings.Count(logs.String(), "TLS certificate not reloaded"); n != 1 {
		t.Fatalf("%d log lines for the bad pair, want 1:\n%s", n, logs.String())
	}
}

// Half a pair, an unreadable file or a pair that does not match stops start-up with one line
// naming the setting.
func TestServeTLSStartupErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1 := selfSigned(t, 1)
	c2, _ := selfSigned(t, 2)
	writePair(t, certFile, keyFile, c1, k1, time.Now())
	other := filepath.Join(dir, "other.pem")
	os.WriteFile(other, c2, 0o600)
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_TLS_CERT_FILE=" + certFile}, "tls.key_file is required when tls.cert_file is set"},
		{[]string{"OPSGATE_TLS_KEY_FILE=" + keyFile}, "tls.cert_file is required when tls.key_file is set"},
		{[]string{"OPSGATE_TLS_CERT_FILE=" + filepath.Join(dir, "nope.pem"), "OPSGATE_TLS_KEY_FILE=" + keyFile}, "tls.cert_file: stat " + filepath.Join(dir, "nope.pem") + ": no such file"},
		{[]string{"OPSGATE_TLS_CERT_FILE=" + certFile, "OPSGATE_TLS_KEY_FILE=" + dir}, "tls.key_file: read " + dir + ": is a directory"},
		{[]string{"OPSGATE_TLS_CERT_FILE=" + other, "OPSGATE_TLS_KEY_FILE=" + keyFile}, "tls.cert_file and tls.key_file are not a valid certificate and key pair"},
		{[]string{"OPSGATE_TLS_CERT_FILE=" + keyFile, "OPSGATE_TLS_KEY_FILE=" + certFile}, "tls.cert_file and tls.key_file are not a valid"},
	} {
		var out, errb strings.Builder
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Environ: append([]string{"OPSGATE_DATABASE=" + sqliteDSN(t), "OPSGATE_LISTEN=127.0.0.1:0", "OPSGATE_LOG_LEVEL=error"}, c.env...)}
		code := m.Run(t.Context(), []string{"serve"})
		if code == 0 || !strings.Contains(errb.String(), c.want) || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.env, code, errb.String(), c.want)
		}
	}
}
