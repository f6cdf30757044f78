package secret

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/opsgate/opsgate"
)

// RedactingHandler wraps a slog.Handler and scrubs secret values from the message and from
// every string, error and Stringer attribute (in groups too) before the wrapped handler sees them.
// Attributes given to WithAttrs are scrubbed then, with the values known at that time.
type RedactingHandler struct {
	h slog.Handler
	r opsgate.Redactor
}

// NewRedactingHandler returns h scrubbing with r.
func NewRedactingHandler(h slog.Handler, r opsgate.Redactor) *RedactingHandler {
	return &RedactingHandler{h: h, r: r}
}

func (h *RedactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.h.Enabled(ctx, l)
}

func (h *RedactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.attr(a)
	}
	return &RedactingHandler{h: h.h.WithAttrs(red), r: h.r}
}

func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{h: h.h.WithGroup(name), r: h.r}
}

func (h *RedactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Redact(v.String()))
	case slog.KindGroup:
		as := v.Group()
		red := make([]slog.Attr, len(as))
		for i, g := range as {
			red[i] = h.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case Value:
			return slog.String(a.Key, Redacted)
		case error:
			return slog.String(a.Key, h.r.Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.r.Redact(x.String()))
		case []byte:
			return slog.String(a.Key, h.r.Redact(string(x)))
		default:
			// Maps, slices and structs are printed by the wrapped handler; check their printed
			// form and replace it only when it holds a secret, so ordinary values keep their shape.
			s := fmt.Sprintf("%+v", x)
			if r := h.r.Redact(s); r != s {
				return slog.String(a.Key, r)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
