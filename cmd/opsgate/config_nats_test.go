package main

import (
	"strings"
	"testing"
	"time"
)

// nats.url comes from OPSGATE_NATS_URL; without it nothing changes, and a prefix JetStream
// cannot use or half a certificate pair stops start-up naming the key.
func TestNATSConfig(t *testing.T) {
	cfg, err := LoadConfig("", nil)
	if err != nil || cfg.NATS.URL != "" || cfg.NATS.StreamPrefix != "OPSGATE" {
		t.Fatalf("defaults: %+v %v", cfg.NATS, err)
	}
	cfg, err = LoadConfig("", []string{"OPSGATE_NATS_URL=nats://127.0.0.1:4222", "OPSGATE_NATS_STREAM_PREFIX=T1",
		"OPSGATE_NATS_CREDS_FILE=/etc/opsgate/nats.creds", "OPSGATE_NATS_MAX_QUEUE_WAIT=3s"})
	if err != nil || cfg.NATS.URL != "nats://127.0.0.1:4222" || cfg.NATS.StreamPrefix != "T1" || cfg.NATS.CredsFile == "" ||
		cfg.NATS.MaxQueueWait.D() != 3*time.Second {
		t.Fatalf("from the environment: %+v %v", cfg.NATS, err)
	}
	for env, want := range map[string]string{
		"OPSGATE_NATS_STREAM_PREFIX=a.b":        "nats.stream_prefix",
		"OPSGATE_NATS_CERT_FILE=/tmp/c.pem":     "nats.cert_file and nats.key_file",
		"OPSGATE_NATS_PASSWORD=hunter2":         "nats.password needs nats.user",
		"OPSGATE_NATS_ACK_WAIT=100ms":           "nats.ack_wait must be at least 1s",
		"OPSGATE_NATS_MAX_QUEUE_WAIT=10ms":      "nats.max_queue_wait must be at least 100ms",
		"OPSGATE_NATS_NKEY_FILE=/tmp/user.nkey": "set one",
	} {
		_, err := LoadConfig("", []string{"OPSGATE_NATS_URL=nats://127.0.0.1:4222", "OPSGATE_NATS_CREDS_FILE=/x.creds", env})
		if env != "OPSGATE_NATS_NKEY_FILE=/tmp/user.nkey" {
			_, err = LoadConfig("", []string{"OPSGATE_NATS_URL=nats://127.0.0.1:4222", env})
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", env, err, want)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
