package web

// Invitations in the browser: the page of an invitation's link, where the
// invitee chooses a name and password and is signed in, then sent to enrol
// a second factor; and the administrators' page that invites, resends and
// revokes.

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/authn"
)

// ---- the invitee's page ----------------------------------------------------

type invitationData struct {
	Inv     *partnerhub.Invitation
	Note    string // in the page's language, or the other
	Expires time.Time
	Name    string // typed into the form
	MinLen  int
	Errors  map[string]string
	Token   string
	SSO     []ssoLink // the identity providers to accept with (web/sso.go)
}

// goneData is the page of a link that does not work: its message in the
// page's language first, then in the other, since the invitee may have been
// sent a link in the language they read less well.
type goneData struct {
	Messages []goneMessage
}

type goneMessage struct {
	Lang          partnerhub.Lang
	Title, Text   string
	Signin, Label string
}

// invitationPages serve the page of an invitation's link: to anyone (the
// invitee has no account yet), never cached, never indexed.
func (s *Server) invitationPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The path holds the token: the language switch and canonical link
		// point at it, so that the other language's page works too.
		v := s.accountView(r, lang, "/invitations/"+r.PathValue("token"), "", s.sessionUser(r))
		w.Header().Set("X-Robots-Tag", "noindex")
		w.Header().Set("Referrer-Policy", "no-referrer")
		// Whatever is logged of the request from here on, never the token
		// (the handlers still read it with PathValue).
		r = withoutToken(r)
		if s.deps.Invitations == nil {
			s.answer(w, r, v, func(http.ResponseWriter, *http.Request, *view) (*page, error) {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			})
			return
		}
		s.answer(w, r, v, h)
	})
}

func (s *Server) invitationPage(v *view, inv *partnerhub.Invitation, d *invitationData, status int) *page {
	d.Inv, d.MinLen, d.Expires = inv, partnerhub.MinPasswordLen, inv.ExpiresAt
	d.SSO = s.ssoLinks(v, "")
	d.Note, _ = inv.Note.In(v.Lang)
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	return &page{Template: "invitation", Title: v.P.T("invitation.title"), Description: v.P.T("invitation.description"), Status: status, Data: d}
}

// invitationRefused renders what OpenInvitation or AcceptInvitation
// refused: a link that does not work gets its bilingual page (404 or 410),
// throttling its 429 with Retry-After; anything else goes on as an error.
func (s *Server) invitationRefused(w http.ResponseWriter, r *http.Request, v *view, err error) (*page, error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) {
		return nil, err
	}
	switch e.Code {
	case partnerhub.ETooMany:
		s.logSecurity(r, "invitation_throttled")
		if wait := (*authn.Wait)(nil); errors.As(err, &wait) {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.D.Seconds())))
		}
		return s.errorPage(v, err), nil
	case partnerhub.ENotFound, partnerhub.EGone:
		s.logSecurity(r, "invitation_refused", "reason", e.Message)
		d := &goneData{}
		for _, l := range []partnerhub.Lang{v.Lang, v.Other} {
			p := s.deps.Messages.Printer(l)
			d.Messages = append(d.Messages, goneMessage{Lang: l, Title: p.T("invitation.gone_title"), Text: p.Error(e),
				Signin: s.l(l) + "/signin", Label: p.T("invitation.gone_signin")})
		}
		return &page{Template: "invitation_gone", Title: v.P.T("invitation.gone_title"), Status: statusOf(e.Code), Data: d}, nil
	}
	return nil, err
}

// withoutToken is r with the token of its path masked, for the logs: a
// pending invitation's token is as good as a password. PathValue still
// gives it.
func withoutToken(r *http.Request) *http.Request {
	r2 := *r
	u := *r.URL
	if tok := r.PathValue("token"); tok != "" {
		u.Path = strings.Replace(u.Path, tok, "…", 1)
		u.RawPath = ""
	}
	r2.URL = &u
	return &r2
}

func (s *Server) invitationForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	inv, err := s.deps.Invitations.OpenInvitation(r.Context(), s.home(r), r.PathValue("token"), clientIP(r, s.deps.TrustedProxies), s.deps.Now())
	if err != nil {
		return s.invitationRefused(w, r, v, err)
	}
	return s.invitationPage(v, inv, &invitationData{Name: inv.Name}, http.StatusOK), nil
}

// acceptInvitation makes the account, signs its holder in and sends them
// on: to enrol a second factor when they must (a guest always does), else
// to their account. A password is never put back into the form.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	if s.deps.Accounts == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnavailable, "signin.unavailable")
	}
	token, now, ip := r.PathValue("token"), s.deps.Now(), clientIP(r, s.deps.TrustedProxies)
	name, password, confirm := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	inv, err := s.deps.Invitations.OpenInvitation(r.Context(), s.home(r), token, ip, now)
	if err != nil {
		return s.invitationRefused(w, r, v, err)
	}
	d := &invitationData{Name: name, Errors: map[string]string{}}
	// A confirmation that differs is told before the store sees anything.
	if confirm != password {
		d.Errors["password_confirm"] = v.P.Field(partnerhub.FieldError{Key: "password_mismatch"})
		if name == "" {
			d.Errors["name"] = v.P.Field(partnerhub.FieldError{Key: "required"})
		}
		return s.invitationPage(v, inv, d, http.StatusBadRequest), nil
	}
	u, err := s.deps.Invitations.AcceptInvitation(r.Context(), s.home(r), token, partnerhub.Acceptance{Name: name, Password: password, IP: ip}, now)
	if err != nil {
		fields, ferr := fieldErrors(v, err)
		if ferr != nil {
			return s.invitationRefused(w, r, v, err)
		}
		d.Errors = fields
		return s.invitationPage(v, inv, d, http.StatusBadRequest), nil
	}
	// A new account for a new person: end any session this browser had.
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil && ck.Value != "" {
		if err := s.deps.Accounts.DeleteSession(r.Context(), ck.Value); err != nil {
			return nil, err
		}
	}
	sess, err := s.deps.Accounts.CreateSession(r.Context(), u.ID, now, s.sessionSpec(r, ip))
	if err != nil {
		return nil, err
	}
	s.setSessionCookie(w, r, sess, now.Add(s.deps.SessionTTL))
	s.logSecurity(r, "invitation_accepted", "user", u.ID, "invitation", inv.ID)
	dest := v.L() + "/account"
	if step := s.accountGate(r, u); step != nil {
		dest = v.L() + step.path
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil, nil
}

// ---- the administrators' page ----------------------------------------------

type invitationsData struct {
	Rows   []invitationRow
	Form   inviteForm
	Errors map[string]string
	Langs  []partnerhub.Lang
	Roles  []partnerhub.Role
	Days   []int
	Done   string // a notice of what was just done
}

type inviteForm struct {
	Email, Name, Lang, Role, NoteJa, NoteEn string
	Days                                    int
}

type invitationRow struct {
	partnerhub.Invitation
	State partnerhub.InvitationState
	// Actions: what may still be done with it.
	CanResend, CanRevoke bool
}

// invitationDone are the notices of what was just done, by ?done=.
var invitationDone = map[string]string{
	"invited":  "invitation.done_invited",
	"existing": "invitation.done_existing",
	"resent":   "invitation.done_resent",
	"revoked":  "invitation.done_revoked",
}

// invitationDays are the lifetimes offered in the form, in days.
var invitationDays = []int{1, 3, 7, 14, 30}

func (s *Server) invitationsPage(r *http.Request, v *view, d *invitationsData, status int) (*page, error) {
	if s.deps.Invitations == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	list, err := s.deps.Invitations.Invitations(r.Context(), v.User, s.home(r))
	if err != nil {
		return nil, err
	}
	now := s.deps.Now()
	for _, inv := range list {
		st := inv.State(now)
		d.Rows = append(d.Rows, invitationRow{Invitation: inv, State: st,
			CanResend: st == partnerhub.InvitationPending || st == partnerhub.InvitationExpired,
			CanRevoke: st == partnerhub.InvitationPending || st == partnerhub.InvitationExpired})
	}
	d.Langs, d.Roles, d.Days = partnerhub.Langs, partnerhub.InvitationRoles, invitationDays
	if d.Form.Days == 0 {
		d.Form.Days = int(partnerhub.DefaultInvitationLifetime / (24 * time.Hour))
	}
	if d.Form.Lang == "" {
		d.Form.Lang = string(v.Lang)
	}
	if d.Form.Role == "" {
		d.Form.Role = string(partnerhub.RoleGuest)
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	return &page{Template: "invitations", Title: v.P.T("invitation.admin_title"), Status: status, Data: d}, nil
}

func (s *Server) invitationsList(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d := &invitationsData{}
	if key, ok := invitationDone[r.URL.Query().Get("done")]; ok {
		d.Done = v.P.T(key)
	}
	return s.invitationsPage(r, v, d, http.StatusOK)
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Invitations == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	f := inviteForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Name: r.PostForm.Get("name"), Lang: r.PostForm.Get("lang"),
		Role: r.PostForm.Get("role"), NoteJa: r.PostForm.Get("note_ja"), NoteEn: r.PostForm.Get("note_en")}
	spec := partnerhub.InvitationSpec{Email: f.Email, Name: f.Name, Lang: partnerhub.Lang(f.Lang), Role: partnerhub.Role(f.Role),
		Note: partnerhub.Text{Ja: f.NoteJa, En: f.NoteEn}}
	if days := r.PostForm.Get("days"); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			n = -1 // refused by the store with the field's message
		}
		f.Days, spec.ExpiresIn = n, time.Duration(n)*24*time.Hour
	}
	inv, err := s.deps.Invitations.Invite(r.Context(), v.User, s.home(r), spec, s.deps.Now())
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		// The form says "days"; the store says how long.
		if m, ok := fields["expires_in"]; ok {
			fields["days"] = m
		}
		if m, ok := fields["note.ja"]; ok {
			fields["note_ja"] = m
		}
		if m, ok := fields["note.en"]; ok {
			fields["note_en"] = m
		}
		return s.invitationsPage(r, v, &invitationsData{Form: f, Errors: fields}, http.StatusBadRequest)
	}
	s.logSecurity(r, "invitation_sent", "invitation", inv.ID, "existing", inv.ExistingAccount)
	done := "invited"
	if inv.ExistingAccount {
		done = "existing"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/admin/invitations?done="+done, http.StatusSeeOther)
	return nil, nil
}

// invitationAction resends or revokes the invitation of the path.
func (s *Server) invitationAction(resend bool) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if s.deps.Invitations == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.invitation_not_found")
		}
		done := "revoked"
		if resend {
			done = "resent"
			_, err = s.deps.Invitations.ResendInvitation(r.Context(), v.User, s.home(r), id, s.deps.Now())
		} else {
			err = s.deps.Invitations.RevokeInvitation(r.Context(), v.User, s.home(r), id, s.deps.Now())
		}
		if err != nil {
			return nil, err
		}
		s.logSecurity(r, "invitation_"+done, "invitation", id)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, v.L()+"/admin/invitations?done="+done, http.StatusSeeOther)
		return nil, nil
	}
}
