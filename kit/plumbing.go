package kit

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Mux is where a platform registers its endpoints (*http.ServeMux and opsgate's http.Server both fit).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Plumbing is the part of a platform's options every platform has; embed it and call Defaults
// in the constructor.
type Plumbing struct {
	Now    func() time.Time
	Logger *slog.Logger
	// MaxBody bounds a request body (Refusals.ReadBody).
	MaxBody int64
	// HTTPClient calls the platform's API; Poster makes the call on its hot path, for a platform
	// that has one (Slack's replies: its constructor makes one when unset).
	HTTPClient *http.Client
	Poster     *Poster
	// Sleep waits between retries (Retry.Sleep); tests record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Attempts is how many times a failing API call is tried (Retry.Attempts).
	Attempts int
}

// Defaults fills what is unset: the wall clock, a silent logger, maxBody, a client with a 10 s
// timeout over APITransport, Sleep and DefaultAttempts.
func (p *Plumbing) Defaults(maxBody int64) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.MaxBody <= 0 {
		p.MaxBody = maxBody
	}
	if p.HTTPClient == nil {
		p.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: APITransport}
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
}
