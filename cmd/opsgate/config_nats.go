package main

import (
	"errors"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"
)

// NATSConfig moves accepted commands through NATS JetStream, so any replica can finish what
// another accepted (docs/scaling.md). Empty URL: commands run in the replica that accepted them.
type NATSConfig struct {
	URL          string `yaml:"url"`
	StreamPrefix string `yaml:"stream_prefix"`
	// AckWait is how long a replica may go silent on a command before JetStream gives it to another.
	AckWait Duration `yaml:"ack_wait"`
	// MaxQueueWait bounds how long a command waits in the stream for a worker, at the rate the
	// replicas finish commands: beyond it new commands wait up to a second for room, then are
	// refused as overloaded (0: 1s).
	MaxQueueWait Duration `yaml:"max_queue_wait"`
	// Credentials, as nats.go offers them: a .creds file (JWT and seed), an nkey seed file, or
	// user and password (also allowed in the URL).
	CredsFile string `yaml:"creds_file"`
	NKeyFile  string `yaml:"nkey_file"`
	User      string `yaml:"user"`
	Password  string `yaml:"password"`
	// TLS: the CA that signed the server's certificate, and a client certificate when the server asks for one.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// A prefix names streams, subjects and consumers, so only what JetStream allows in all three.
var natsPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Validate checks what can be checked without connecting.
func (c *NATSConfig) Validate() error {
	if c.URL == "" {
		return nil
	}
	switch {
	case !natsPrefix.MatchString(c.StreamPrefix):
		return errors.New("nats.stream_prefix must be 1 to 32 letters, digits, _ or - (it names the stream, subjects and consumer)")
	case c.AckWait < Duration(time.Second):
		return errors.New("nats.ack_wait must be at least 1s (running commands report progress every third of it)")
	case c.MaxQueueWait != 0 && c.MaxQueueWait < Duration(100*time.Millisecond):
		return errors.New("nats.max_queue_wait must be at least 100ms (the backlog is sampled five times a second)")
	case (c.CertFile == "") != (c.KeyFile == ""):
		return errors.New("nats.cert_file and nats.key_file go together")
	case c.Password != "" && c.User == "":
		return errors.New("nats.password needs nats.user")
	case c.CredsFile != "" && c.NKeyFile != "":
		return errors.New("nats.creds_file and nats.nkey_file are two ways to sign in: set one")
	}
	return nil
}

// options turns the settings into nats.go options. The connection keeps retrying forever: a
// replica whose NATS is away refuses commands and comes back by itself when NATS does.
func (c *NATSConfig) options() ([]nats.Option, error) {
	opts := []nats.Option{nats.Name("opsgate"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true)}
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKeyFile)
		if err != nil {
			return nil, errors.New("nats.nkey_file: " + err.Error())
		}
		opts = append(opts, o)
	}
	if c.User != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	return opts, nil
}
