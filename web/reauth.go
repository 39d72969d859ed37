package web

// Re-authentication (ASVS V7.5.1, V7.5.2): changing one's second factors
// and ending sessions need a session whose holder proved their password in
// the last reauthWindow, at the sign-in that opened it or on the confirm
// page. A session left open on a shared computer is then not enough to
// lock its owner out or to keep an intruder's own session alive.

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"partnerhub"
)

// reauthWindow is how long a proof of the password lets its holder change
// factors and end sessions: long enough to do both in one visit.
const reauthWindow = 10 * time.Minute

// recentAuth reports whether the request's session proved its password
// within reauthWindow.
func (s *Server) recentAuth(r *http.Request) (bool, error) {
	if s.deps.Accounts == nil {
		return false, nil
	}
	now := s.deps.Now()
	at, err := s.deps.Accounts.SessionAuthAt(r.Context(), s.sessionToken(r), now)
	if err != nil {
		return false, err
	}
	return !at.IsZero() && now.Sub(at) < reauthWindow, nil
}

// confirmURL is the confirm page that returns to next.
func (s *Server) confirmURL(lang partnerhub.Lang, next string) string {
	return s.l(lang) + "/account/confirm?next=" + url.QueryEscape(next)
}

// reauthFirst sends a session that is not recent to the confirm page,
// which returns to back (a page under /{lang}: a form's POST cannot be
// replayed, so the user acts again from the page), and reports whether it
// did.
func (s *Server) reauthFirst(w http.ResponseWriter, r *http.Request, v *view, back string) (bool, error) {
	ok, err := s.recentAuth(r)
	if err != nil || ok {
		return false, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.logSecurity(r, "reauth_required", "path", r.URL.Path)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.confirmURL(v.Lang, v.L()+back), http.StatusSeeOther)
	return true, nil
}

// reauthJSON refuses a JSON step of a passkey's registration from a
// session that is not recent; mfa.js shows the message with a link to the
// confirm page.
func (s *Server) reauthJSON(r *http.Request) error {
	ok, err := s.recentAuth(r)
	if err != nil || ok {
		return err
	}
	s.logSecurity(r, "reauth_required", "path", r.URL.Path)
	return partnerhub.Errorf(partnerhub.EForbidden, "reauth.required")
}

// confirmPages serves the confirm page to the holder of a session, even
// one the gate holds at enrolment (who must confirm before enrolling once
// their sign-in is old); a password to change comes first.
func (s *Server) confirmPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.sessionUser(r)
		if u == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, s.signinURL(lang, s.l(lang)+"/account"), http.StatusSeeOther)
			return
		}
		if step := s.accountGate(r, u); step != nil && step.path != "/account/mfa" && s.pageGate(w, r, lang, u) {
			return
		}
		s.answer(w, r, s.accountView(r, lang, "/account/confirm", "", u), h)
	})
}

type confirmData struct {
	User    *partnerhub.User
	Next    string
	Minutes int
	Alert   string
	Errors  map[string]string
	// SSO: signing in again at one's university proves it too (a new
	// session opens with its time); NoPassword hides the password form
	// of an account that has none (web/sso.go).
	SSO        []ssoLink
	NoPassword bool
}

func (s *Server) confirmPage(v *view, d *confirmData, status int) *page {
	d.User, d.Minutes = v.User, int(reauthWindow/time.Minute)
	d.SSO = s.ssoLinks(v, d.Next)
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	v.Query = nextQuery(d.Next)
	return &page{Template: "confirm", Title: v.P.T("reauth.title"), Description: v.P.T("reauth.description"), Status: status, Data: d}
}

func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d := &confirmData{Next: s.safeNext(r.URL.Query().Get("next"), v.Lang)}
	if s.deps.Federation != nil {
		has, err := s.deps.Federation.HasPassword(r.Context(), v.User.ID)
		if err != nil {
			return nil, err
		}
		d.NoPassword = !has
	}
	return s.confirmPage(v, d, http.StatusOK), nil
}

// confirmPassword never puts the password back into the form it answers
// with.
func (s *Server) confirmPassword(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := parseAccountForm(w, r); err != nil {
		return nil, err
	}
	d := &confirmData{Next: s.safeNext(r.PostForm.Get("next"), v.Lang)}
	err := s.deps.Accounts.Reauthenticate(r.Context(), v.User.ID, s.sessionToken(r), r.PostForm.Get("password"), s.deps.Now())
	var e *partnerhub.Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Code == partnerhub.ETooMany:
		s.logSecurity(r, "reauth_throttled")
		d.Alert = v.P.Error(e)
		return s.confirmPage(v, d, http.StatusTooManyRequests), nil
	default:
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		s.logSecurity(r, "reauth_failed")
		d.Errors = fields
		return s.confirmPage(v, d, http.StatusBadRequest), nil
	}
	s.logSecurity(r, "reauthenticated")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil, nil
}
