package secret

import (
	"bytes"
	"context"
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
