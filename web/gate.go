package web

import (
	"net/http"

	"partnerhub"
)

// accountStep is something a signed-in user must do before anything else:
// the page where they do it, and what the API answers meanwhile.
type accountStep struct {
	path string // under /{lang}
	err  *partnerhub.Error
}

// accountGate is the one place that decides whether u must do something
// first, in order: change a password the programme office generated, then,
// for an administrator (or anyone, as Deps.MFARequired says), add a second
// factor.
func (s *Server) accountGate(r *http.Request, u *partnerhub.User) *accountStep {
	switch {
	case u == nil:
		return nil
	case u.MustChangePassword:
		return &accountStep{path: "/account/password", err: partnerhub.Errorf(partnerhub.EForbidden, "error.must_change_password")}
	case s.mustEnrol(r, u):
		return &accountStep{path: "/account/mfa", err: partnerhub.Errorf(partnerhub.EForbidden,
			enrolKey(u, "mfa.enrol_required", "mfa.enrol_required_everyone", "mfa.enrol_required_guest"))}
	}
	return nil
}

// pageGate sends a signed-in user who has a step to do to its page, and
// reports whether it did.
func (s *Server) pageGate(w http.ResponseWriter, r *http.Request, lang partnerhub.Lang, u *partnerhub.User) bool {
	step := s.accountGate(r, u)
	if step == nil {
		return false
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.l(lang)+step.path, http.StatusSeeOther)
	return true
}

// apiGate refuses an API request whose user has a step to do, and a write
// (any method but GET, HEAD, OPTIONS) made with a read-only token.
func (s *Server) apiGate(r *http.Request) error {
	if !hasCredentials(r) {
		return nil
	}
	info := s.identified(r)
	if step := s.accountGate(r, info.user); step != nil {
		return step.err
	}
	if tok := info.token; tok != nil && !tok.CanWrite() {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			return partnerhub.Errorf(partnerhub.EForbidden, "error.token_read_only")
		}
	}
	return nil
}
