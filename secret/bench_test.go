package secret

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkValueCached is what an executor pays per secret once the value is cached: the
// definition lookup, template rendering and the cache hit.
func BenchmarkValueCached(b *testing.B) {
	vars := map[string]string{"GIT_TOKEN_GOLDEN_CONFIG": "tok-golden-123", "NAPALM_PASSWORD": "napalm-pw-123"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	s := NewService(newMemDefs(envSecret("plain", "NAPALM_PASSWORD"),
		envSecret("templated", "GIT_TOKEN_{{ obj.slug | replace('-', '_') | upper }}")),
		Options{Cache: NewCache(time.Hour, time.Minute)})
	s.Register(&EnvProvider{LookupEnv: lookup})
	ctx := context.Background()
	obj := map[string]any{"slug": "golden-config"}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := s.Value(ctx, "plain", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("templated", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := s.Value(ctx, "templated", obj); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRedactingHandler(b *testing.B) {
	r := NewRedactor()
	for i := 0; i < 20; i++ {
		r.Add("secret-value-" + string(rune('a'+i)) + "-xyzzy")
	}
	var buf bytes.Buffer
	log := slog.New(NewRedactingHandler(slog.NewJSONHandler(&buf, nil), r))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		log.Info("command finished", "user", "U123", "command", "network status", "status", "succeeded", "n", i)
	}
}

// BenchmarkRedactCleanLine is the cost of redaction on what nearly every line is: text holding
// no secret, with 50 values known. A third of the values have characters every encoding writes
// differently (space, '@', '/', '!', '$', '?'), so each adds its full set of encoded forms.
func BenchmarkRedactCleanLine(b *testing.B) {
	r := NewRedactor()
	for i := 0; i < 50; i++ {
		switch i % 3 {
		case 0:
			r.Add(fmt.Sprintf("xoxb-%03d-tokenABCDEFGHJKLM", i))
		case 1:
			r.Add(fmt.Sprintf("P@ss w/rd %03d!", i))
		default:
			r.Add(fmt.Sprintf("user:pa$$%03d@db.example/x?y=z", i))
		}
	}
	for name, line := range map[string]string{
		"log":     `time=2026-11-22T19:00:00Z level=INFO msg="command finished" user=U123 channel=C456 command=network status=succeeded`,
		"percent": "disk /var is 93% full (+4% today); see https://grafana.example/d/abc?var-host=web%201&from=now-6h",
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Redact(line)
			}
		})
	}
}
