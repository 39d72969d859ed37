package web

import (
	"net/http"
	"time"
)

// routeOther labels a request no pattern answered (the mux's own 404, 405
// and redirects), and a CONNECT, whose "pattern" the mux makes of the path.
const routeOther = "other"

// measure counts each request by the pattern that matched and its status,
// and times it, in Deps.Metrics. It must wrap the mux with the very request
// the mux is given: the mux writes the pattern into that request, and the
// label is read from it once the handler returns. The label is that
// pattern, never the path: patterns are the few the routes register,
// while paths are as many as clients care to invent. A member's prefix in
// a deployment is stripped before its server sees the request, so every
// member's requests to a route add up under one label.
func (s *Server) measure(next http.Handler) http.Handler {
	m := s.deps.Metrics
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" || r.Method == http.MethodConnect {
			route = routeOther
		}
		m.Request(route, sw.status(), time.Since(start))
	})
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// status is what was answered: 200 for a handler that wrote nothing.
func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection (flushing,
// deadlines) through the wrapper.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
