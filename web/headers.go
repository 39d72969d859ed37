package web

import (
	"net/http"
	"strings"
)

// The headers every response carries, built once: setting a header from a
// shared slice allocates nothing, so the cached pages stay as fast as they
// were (bench/http.sh).
var (
	// No inline script or style anywhere: every script and style sheet is
	// a file under /static/, and the charts and maps are styled by class.
	hdrCSP      = []string{"default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"}
	hdrReferrer = []string{"same-origin"}
	hdrDeny     = []string{"DENY"} // for browsers that predate frame-ancestors
	// A year, with includeSubDomains: it covers only the subdomains of the
	// host that sends it (RFC 6797 §6.1.2), and partnerhub has a host name
	// of its own, so no other host of the university's domain is bound.
	hdrHSTS    = []string{"max-age=31536000; includeSubDomains"}
	hdrNoStore = []string{"no-store"}
	// hdrVaryWho is the Vary of every answer that depends on who asks.
	hdrVaryWho = []string{"Authorization, Cookie"}
)

// Cookie names over HTTPS. The __Host- prefix makes a browser refuse the
// cookie unless it is Secure, for this host alone (no Domain) and for the
// whole site (Path=/), so that neither a sibling host nor a plain-HTTP
// answer can plant or overwrite it. Browsers refuse Secure cookies over
// plain HTTP, so a server reached without TLS (development on localhost)
// uses the plain names instead; each name is read only where it could have
// been set.
const (
	secureSessionCookie = "__Host-" + sessionCookie
	secureLangCookie    = "__Host-" + langCookie
)

// sessionCookieName is the name of the session cookie for a request.
func (s *Server) sessionCookieName(r *http.Request) string {
	if s.secureRequest(r) {
		return secureSessionCookie
	}
	return sessionCookie
}

// cookieName is the name of any other cookie of ours (the sign-in's second
// step, a passkey's registration) for a request, prefixed as the session
// cookie is.
func (s *Server) cookieName(r *http.Request, base string) string {
	if s.secureRequest(r) {
		return "__Host-" + base
	}
	return base
}

// langCookieName is the name of the language cookie for a request.
func (s *Server) langCookieName(r *http.Request) string {
	if s.secureRequest(r) {
		return secureLangCookie
	}
	return langCookie
}

// headers sets the security headers of every response, before any handler
// runs: pages, the API and its errors, static files, downloads, redirects,
// /healthz and the 404s alike. A request that carries credentials may be
// answered for that person alone, so nothing may store the answer.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = hdrCSP
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrReferrer
		h["X-Frame-Options"] = hdrDeny
		if s.secureRequest(r) {
			h["Strict-Transport-Security"] = hdrHSTS
		}
		// Static files are the same for everyone and cached for ever,
		// whatever cookie the browser sends with them.
		if hasCredentials(r) && !strings.HasPrefix(r.URL.Path, "/static/") {
			h["Cache-Control"] = hdrNoStore
			h["Vary"] = hdrVaryWho
		}
		next.ServeHTTP(w, r)
	})
}
