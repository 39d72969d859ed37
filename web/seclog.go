package web

import (
	"log/slog"
	"net/http"
)

// logSecurity records an event that a security review asks to see (a
// refused request, a failed sign-in, a password or MFA change, a token
// made or revoked) with the request's id, the client's address and who
// made it. Callers pass facts, never secrets: no password, token, code or
// cookie value is ever an argument.
func (s *Server) logSecurity(r *http.Request, event string, args ...any) {
	info := s.info(r)
	attrs := []any{"event", event, "request_id", info.id, "ip", clientIP(r, s.deps.TrustedProxies),
		"method", r.Method, "path", r.URL.Path}
	if u := info.user; u != nil {
		attrs = append(attrs, "user", u.ID)
	}
	s.deps.Logger.Log(r.Context(), slog.LevelInfo, "security", append(attrs, args...)...)
}
