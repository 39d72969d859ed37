package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"partnerhub"
	"partnerhub/store"
)

// requestInfo is what the server learns of a request once, before any
// handler runs: the home institution it addresses, the reader's language,
// and who makes it.
type requestInfo struct {
	home string
	lang partnerhub.Lang
	// id names the request in the logs and in the X-Request-Id header, so
	// that a user's report can be matched to what the server recorded.
	id string
	// who looks the user up the first time a handler asks, so that a
	// request for a static file or a cached page costs no lookup.
	who sync.Once
	// user is who makes the request, by API token or session cookie; nil
	// for nobody. session is the holder of the session cookie alone: the
	// account pages use it, so that an API token cannot make more tokens.
	user, session *partnerhub.User
	// token is the API token the request presents, if it does.
	token *partnerhub.APIToken
	// down is why the credentials could not be checked: the database did
	// not answer (EUnavailable). The request is then nobody's, and must be
	// answered 503 rather than as a guest's (dbGate).
	down error
}

type requestKey struct{}

// identify resolves the request's home institution and language, and
// who makes it (once, when first asked), for the handlers in the
// request's context.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{home: s.homeFor(r), lang: s.langFor(r), id: newRequestID()}
		w.Header().Set("X-Request-Id", info.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, info)))
	})
}

// info returns what identify learnt of r; a request that did not pass
// through it (a handler called directly) is nobody's, in the served home.
func (s *Server) info(r *http.Request) *requestInfo {
	if info, ok := r.Context().Value(requestKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{home: s.deps.Home, lang: s.langFor(r), id: newRequestID()}
}

// newRequestID is 16 random hex digits: unique enough to find one request
// in a day's logs, and never derived from anything the client sent.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// home is the home institution a request addresses.
func (s *Server) home(r *http.Request) string { return s.info(r).home }

// user returns who makes a request, or nil for nobody:
//
//  1. with "Authorization: Bearer ph_…", the owner of that API token — and
//     only that: a request that presents a token is judged by it alone,
//     never by a cookie it may also carry;
//  2. else the holder of the session cookie ph_session.
//
// A disabled user, an expired session, a revoked token and a user of
// another home institution than the one addressed are all nobody.
func (s *Server) user(r *http.Request) *partnerhub.User { return s.identified(r).user }

// sessionUser returns the holder of the request's session cookie, or nil.
func (s *Server) sessionUser(r *http.Request) *partnerhub.User { return s.identified(r).session }

// identified is the request's info with its user looked up.
func (s *Server) identified(r *http.Request) *requestInfo {
	info := s.info(r)
	info.who.Do(func() {
		if hasCredentials(r) {
			info.user, info.session, info.token, info.down = s.authenticate(r, info.home)
		}
	})
	return info
}

// homeFor is the home institution a request addresses. A deployment serves
// one home today; the network of several members will choose it here, from
// the request's path or host name, and nowhere else.
func (s *Server) homeFor(r *http.Request) string { return s.deps.Home }

// langFor is the reader's language: the path's (/ja/…, /en/…), else ?lang=
// when it names a supported language, else Accept-Language.
func (s *Server) langFor(r *http.Request) partnerhub.Lang {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	for _, l := range partnerhub.Langs {
		if first == string(l) {
			return l
		}
	}
	return s.deps.Messages.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
}

// authenticate finds who makes a request that carries credentials; down
// is the database's failure to answer, when that is why nobody was found.
func (s *Server) authenticate(r *http.Request, home string) (user, session *partnerhub.User, token *partnerhub.APIToken, down error) {
	if s.deps.Accounts == nil {
		return nil, nil, nil, nil
	}
	now := time.Now()
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil && ck.Value != "" {
		u, err := s.deps.Accounts.SessionUser(r.Context(), ck.Value, now)
		session, down = s.ofHome(r, home, u, err)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, session, nil, nil
		}
		// A request with a token is judged by it alone: so is its failure.
		u, t, err := s.deps.Accounts.TokenUser(r.Context(), strings.TrimSpace(tok), now)
		if u, down = s.ofHome(r, home, u, err); u == nil {
			return nil, session, nil, down
		}
		return u, session, &t, nil
	}
	return session, session, nil, down
}

func (s *Server) ofHome(r *http.Request, home string, u *partnerhub.User, err error) (*partnerhub.User, error) {
	if err != nil {
		err = store.Unavailable(err)
		switch partnerhub.ErrorCode(err) {
		case partnerhub.EUnauthorized:
			return nil, nil
		case partnerhub.EUnavailable:
			s.deps.Logger.Warn("authenticate", "path", r.URL.Path, "err", err)
			return nil, err
		}
		s.deps.Logger.Error("authenticate", "path", r.URL.Path, "err", err)
		return nil, nil
	}
	if u.Disabled || u.Home != home {
		return nil, nil
	}
	return u, nil
}
