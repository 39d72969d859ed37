package web

// The change-password page: a signed-in user replaces their password, giving
// the current one. A user whose password the programme office generated is
// sent here after signing in and can do nothing else until they have
// (accountGate).

import (
	"net/http"
	"time"

	"partnerhub"
)

// ownPages serves a page of one's own account at path: only the holder of
// a session may open it (an API token cannot change a password), anyone
// else is sent to sign in and back. gated pages first send a user with a
// step to do to that step.
func (s *Server) ownPages(lang partnerhub.Lang, path string, gated bool, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.sessionUser(r)
		if u == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, s.signinURL(lang, s.l(lang)+path), http.StatusSeeOther)
			return
		}
		if gated && s.pageGate(w, r, lang, u) {
			return
		}
		s.answer(w, r, s.accountView(r, lang, path, "", u), h)
	})
}

// sessionToken is the raw token of the request's session cookie, or "".
func (s *Server) sessionToken(r *http.Request) string {
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil {
		return ck.Value
	}
	return ""
}

type passwordData struct {
	User     *partnerhub.User
	Required bool // the password must be changed before anything else
	Changed  bool // it just was
	MinLen   int
	Errors   map[string]string
}

func (s *Server) passwordPage(v *view, d *passwordData, status int) *page {
	d.User, d.Required, d.MinLen = v.User, v.User.MustChangePassword, partnerhub.MinPasswordLen
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	return &page{Template: "password", Title: v.P.T("password.title"), Description: v.P.T("password.description"), Status: status, Data: d}
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return s.passwordPage(v, &passwordData{Changed: r.URL.Query().Get("changed") == "1"}, http.StatusOK), nil
}

// changePassword never puts a password back into the form it answers with.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	current, next, confirm := r.PostForm.Get("current_password"), r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	d := &passwordData{Errors: map[string]string{}}
	switch {
	case next == "":
		d.Errors["password"] = v.P.Field(partnerhub.FieldError{Key: "required"})
	case confirm != next:
		d.Errors["password_confirm"] = v.P.Field(partnerhub.FieldError{Key: "password_mismatch"})
	}
	if current == "" {
		d.Errors["current_password"] = v.P.Field(partnerhub.FieldError{Key: "required"})
	}
	if len(d.Errors) > 0 {
		return s.passwordPage(v, d, http.StatusBadRequest), nil
	}
	err := s.deps.Accounts.ChangePassword(r.Context(), v.User.ID, current, next, s.sessionToken(r), time.Now())
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		if _, wrong := fields["current_password"]; wrong {
			s.logSecurity(r, "password_change_refused", "reason", "current_password")
		}
		d.Errors = fields
		return s.passwordPage(v, d, http.StatusBadRequest), nil
	}
	s.logSecurity(r, "password_changed", "user", v.User.ID, "others_ended", true)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account/password?changed=1", http.StatusSeeOther)
	return nil, nil
}
