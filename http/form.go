package http

import (
	"fmt"
	"net/http"

	"github.com/opsgate/opsgate/metrics"
)

// HandleForm registers h, a browser form (a page whose POST changes state), for pattern behind
// ProtectForm. Every form route uses it, so no form is left open to cross-site requests.
func (s *Server) HandleForm(form, pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.ProtectForm(form, h))
}

// ProtectForm refuses cross-origin state-changing requests to h (a page elsewhere posting to
// opsgate in a logged-in or link-holding browser), with net/http's CrossOriginProtection: the
// browser's Sec-Fetch-Site header, else Origin against Host. Requests with neither header (not
// from a browser) pass: they carry no ambient credentials to abuse. Refusals are counted in
// opsgate_form_refused_total{form,reason="cross_origin"}.
func (s *Server) ProtectForm(form string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.origins.Check(r); err != nil {
			metrics.FormsRefused.WithLabelValues(form, "cross_origin").Inc()
			s.Logger.Info("cross-origin form request refused", "form", form, "path", r.URL.Path,
				"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.Error(w, "Cross-origin form submissions are refused: submit the form from opsgate's own page.", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TrustOrigin lets forms accept posts from origin ("https://opsgate.example.com"): opsgate's public
// address, when a proxy in front of it changes the Host header so that Origin no longer matches.
func (s *Server) TrustOrigin(origin string) error {
	if err := s.origins.AddTrustedOrigin(origin); err != nil {
		return fmt.Errorf("trusted origin %q: %w", origin, err)
	}
	return nil
}
