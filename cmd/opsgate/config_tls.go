package main

import (
	"errors"

	ohttp "github.com/opsgate/opsgate/http"
)

// TLSConfig makes `serve` speak HTTPS. Both files are PEM; the key must be unencrypted. They are
// re-read when they change, so a renewed certificate needs no restart.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Validate refuses half a pair; whether the files are usable is checked when serve starts.
func (c *TLSConfig) Validate() error {
	switch {
	case c.CertFile != "" && c.KeyFile == "":
		return errors.New("tls.key_file is required when tls.cert_file is set")
	case c.KeyFile != "" && c.CertFile == "":
		return errors.New("tls.cert_file is required when tls.key_file is set")
	}
	return nil
}

// setupTLS loads the certificate for serve; other commands do not listen and need no files.
func (m *Main) setupTLS() error {
	c := m.Config.TLS
	if !m.Serving || c.CertFile == "" {
		return nil
	}
	cert, err := ohttp.LoadCertificate(c.CertFile, c.KeyFile, m.Logger)
	if err != nil {
		return errors.New("config: " + err.Error())
	}
	m.HTTP.TLS = cert
	return nil
}
