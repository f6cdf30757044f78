package http

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// hsts is sent on every response when opsgate serves HTTPS: browsers then refuse plain HTTP to
// this host for a year, so a login link typed or rewritten as http:// cannot leak credentials.
// No includeSubDomains: opsgate does not speak for its domain's other hosts.
const hsts = "max-age=31536000"

// Certificate serves a certificate and key pair from two PEM files, re-read when either file
// changes (a renewal by certbot, cert-manager, ...) without a restart.
type Certificate struct {
	CertFile, KeyFile string
	Logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	version [2]fileVersion // of the pair loaded, or last tried
}

type fileVersion struct {
	mod  time.Time
	size int64
}

// LoadCertificate reads the pair. Its error names the setting at fault: tls.cert_file,
// tls.key_file, or both when they are readable but not a valid pair.
func LoadCertificate(certFile, keyFile string, logger *slog.Logger) (*Certificate, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Certificate{CertFile: certFile, KeyFile: keyFile, Logger: logger}
	cert, v, err := c.load()
	if err != nil {
		return nil, err
	}
	c.cert, c.version = cert, v
	return c, nil
}

func (c *Certificate) load() (*tls.Certificate, [2]fileVersion, error) {
	var v [2]fileVersion
	var pem [2][]byte
	for i, f := range []struct{ key, path string }{{"tls.cert_file", c.CertFile}, {"tls.key_file", c.KeyFile}} {
		st, err := os.Stat(f.path)
		if err == nil {
			v[i] = fileVersion{st.ModTime(), st.Size()}
			pem[i], err = os.ReadFile(f.path)
		}
		if err != nil {
			return nil, v, fmt.Errorf("%s: %w", f.key, err)
		}
	}
	cert, err := tls.X509KeyPair(pem[0], pem[1])
	if err != nil {
		return nil, v, fmt.Errorf("tls.cert_file and tls.key_file are not a valid certificate and key pair: %w", err)
	}
	return &cert, v, nil
}

// GetCertificate is tls.Config.GetCertificate: the current pair, re-read first when a file's
// modification time or size changed. A new pair that cannot be used (half written, key and
// certificate from different renewals) is logged once and the previous pair kept.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var now [2]fileVersion
	for i, p := range []string{c.CertFile, c.KeyFile} {
		if st, err := os.Stat(p); err == nil {
			now[i] = fileVersion{st.ModTime(), st.Size()}
		}
	}
	if now == c.version {
		return c.cert, nil
	}
	cert, v, err := c.load()
	c.version = v
	if err != nil {
		c.Logger.Warn("TLS certificate not reloaded; keeping the current one", "err", err)
		return c.cert, nil
	}
	c.cert = cert
	c.Logger.Info("TLS certificate reloaded", "cert_file", c.CertFile)
	return c.cert, nil
}
