package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"partnerhub"
	"partnerhub/store"
)

// handlerFunc is a handler that returns its error for api to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusOf maps an error code to its HTTP status, in one place.
func statusOf(code string) int {
	switch code {
	case partnerhub.ENotFound:
		return http.StatusNotFound
	case partnerhub.EInvalid:
		return http.StatusBadRequest
	case partnerhub.EConflict:
		return http.StatusConflict
	case partnerhub.EUnauthorized:
		return http.StatusUnauthorized
	case partnerhub.EForbidden:
		return http.StatusForbidden
	case partnerhub.ETooMany:
		return http.StatusTooManyRequests
	case partnerhub.EGone:
		return http.StatusGone
	case eTooLarge:
		return http.StatusRequestEntityTooLarge
	case eUnsupported:
		return http.StatusUnsupportedMediaType
	case eMethod:
		return http.StatusMethodNotAllowed
	case partnerhub.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// retryAfter is how long a 503 asks a client to wait, in seconds: the
// database's pool connects again on the first query after it returns, so a
// retry this much later is answered if it is back.
const retryAfter = "5"

// Codes that only the HTTP layer produces.
const (
	eMethod = "method_not_allowed"
)

// api wraps a JSON handler: it renders the handler's error, and a panic, as
// the API's error shape in the reader's language.
func (s *Server) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.deps.Logger.Error("panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.writeError(w, r, errors.New("panic"))
			}
		}()
		err := s.apiGate(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
		Current any               `json:"current,omitempty"` // after a conflict: the record as it is now
		// Problems: for a file refused whole (an agreements register),
		// each problem by row and column.
		Problems []registerProblem `json:"problems,omitempty"`
	} `json:"error"`
}

// logRefusal records a request refused for who made it (401: nobody or
// not enough; 403: not allowed, or sent from another site) in the security
// log, with the reason's message key. Other errors are not refusals.
func (s *Server) logRefusal(r *http.Request, err error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) || (e.Code != partnerhub.EUnauthorized && e.Code != partnerhub.EForbidden) {
		return
	}
	args := []any{"status", statusOf(e.Code), "reason", e.Message}
	if e.Message == "error.cross_origin" {
		// Where the browser says the request came from: the facts to
		// tell an attack from a misconfigured proxy.
		args = append(args, "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	}
	s.logSecurity(r, "refused", args...)
}

// writeError renders err. Errors that are not ours are logged and shown as
// a generic internal error: no internal text ever reaches a client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Unavailable(err)
	p := s.printer(r)
	var body errorBody
	var e *partnerhub.Error
	if errors.As(err, &e) && e.Code == partnerhub.EUnavailable {
		s.deps.Logger.Warn("unavailable", "method", r.Method, "path", r.URL.Path, slog.Any("err", err))
	}
	if errors.As(err, &e) && e.Code != partnerhub.EInternal {
		body.Error.Code = e.Code
		body.Error.Message = p.Error(e)
		body.Error.Current = e.Current
		if len(e.Fields) > 0 {
			body.Error.Fields = map[string]string{}
			for f, fe := range e.Fields {
				body.Error.Fields[f] = p.Field(fe)
			}
		}
	} else {
		s.deps.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, slog.Any("err", err))
		body.Error.Code = partnerhub.EInternal
		body.Error.Message = p.T("error.internal")
	}
	s.logRefusal(r, err)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(body)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Language", string(p.Lang))
	h.Set("Vary", "Accept-Language, Authorization, Cookie")
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	switch body.Error.Code {
	case partnerhub.EUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="partnerhub"`)
	case partnerhub.EUnavailable:
		h.Set("Retry-After", retryAfter)
	}
	w.WriteHeader(statusOf(body.Error.Code))
	w.Write(buf.Bytes())
}

// dbGate answers 503 at once to a request whose credentials could not be
// checked because the database did not answer: served as a guest, a
// signed-in reader would be sent to sign in again, or an API client told
// its token is wrong. A request without credentials goes on: what the
// snapshot in memory serves needs no database. The health check and the
// static files never look credentials up.
func (s *Server) dbGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasCredentials(r) && r.URL.Path != "/healthz" && !strings.HasPrefix(r.URL.Path, "/static/") {
			if err := s.identified(r).down; err != nil {
				// The route it was for, for the metrics (measure).
				_, r.Pattern = s.mux.Handler(r)
				s.renderError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// renderError answers err outside any route's handler: as the API's JSON
// under /api/ (and for /readyz), else as a page in the reader's language.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/readyz" {
		s.writeError(w, r, err)
		return
	}
	lang := s.info(r).lang
	v := s.accountView(r, lang, strings.TrimPrefix(r.URL.Path, "/"+string(lang)), "", nil)
	s.privatePage(w, r, v, s.errorPage(v, err))
}

// failPlain answers a failure of a response that is neither a page nor
// JSON (a calendar feed, the sitemap): 503 with Retry-After when the
// database did not answer, else a bare 500.
func (s *Server) failPlain(w http.ResponseWriter, r *http.Request, err error) {
	if partnerhub.ErrorCode(store.Unavailable(err)) == partnerhub.EUnavailable {
		s.deps.Logger.Warn("unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryAfter)
		http.Error(w, "503", http.StatusServiceUnavailable)
		return
	}
	s.deps.Logger.Error("request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "500", http.StatusInternalServerError)
}
