// Package http serves opsgate over HTTP: the platforms' endpoints (registered by cmd/opsgate),
// health, readiness and Prometheus metrics.
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is opsgate's HTTP server.
type Server struct {
	Addr   string
	Logger *slog.Logger
	// Ready lists checks /readyz runs (database, queue); each returns nil when healthy.
	Ready map[string]func(ctx context.Context) error
	// TLS, when set before Open, makes the server speak HTTPS only, with HSTS on every response.
	TLS *Certificate

	mux     *http.ServeMux
	origins *http.CrossOriginProtection // for HandleForm
	srv     *http.Server
	ln      net.Listener
}

// NewServer returns a server for addr with /healthz, /readyz and /metrics registered.
func NewServer(addr string, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Addr: addr, Logger: logger, Ready: map[string]func(context.Context) error{}, mux: http.NewServeMux(),
		origins: http.NewCrossOriginProtection()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.Handler())
	return s
}

// Handle registers h for a Go 1.22 mux pattern ("POST /api/plugins/chatops/slack/slash_command/").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP serves the registered routes (so tests can drive the server without a listener).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.TLS != nil {
		w.Header().Set("Strict-Transport-Security", hsts)
	}
	s.recoverer(s.mux).ServeHTTP(w, r)
}

// ReadyReason is a readiness check's error that /readyz may show as it is: it says why and holds
// no address, password or other detail (other errors are only logged).
type ReadyReason string

func (r ReadyReason) Error() string { return string(r) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	for name, check := range s.Ready {
		if err := check(ctx); err != nil {
			s.Logger.Warn("not ready", "check", name, "err", err)
			msg := name + ": not ready"
			var why ReadyReason
			if errors.As(err, &why) {
				msg += ": " + string(why)
			}
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// recoverer turns a handler panic into a 500 with one line, logged in full.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				s.Logger.Error("handler panic", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// Open listens on Addr and serves in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn)}
	serve := func() error { return s.srv.Serve(ln) }
	if s.TLS != nil {
		s.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.TLS.GetCertificate}
		serve = func() error { return s.srv.ServeTLS(ln, "", "") }
	}
	go func() {
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	if s.TLS != nil {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting connections and waits for in-flight requests until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}
