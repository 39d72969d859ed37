package web

// Single sign-on's end, whatever the protocol: once SAML or OpenID Connect
// has verified a provider's answer, federatedSignIn decides who the person
// is here (store: partnerhub.FederationService) and starts their session
// as the password sign-in does. The rules, in order:
//
//  1. an identity the account page's holder asked to link (a cookie set by
//     POST /account/sso/{choice}, from a recently re-authenticated
//     session) is linked to that account;
//  2. an identity linked before signs in to its account;
//  3. an invitation chosen for single sign-on (a cookie set by POST
//     /invitations/{token}/sso/{choice}) is accepted: the account is made
//     with the invitation's address and role, and the identity linked;
//  4. an administrator's pre-authorisation of the identity, else the
//     strongest role rule it meets, makes its account;
//  5. anyone else gets the 403 "no access" page, and no session.
//
// A session counts as multi-factor only when the provider said so
// (sso.Identity.MFA); otherwise whoever has a local second factor proves
// it (secondStep), and the gate holds an administrator without one at
// enrolment.

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/sso"
)

const (
	// ssoInvitationCookie holds the token of the invitation being
	// accepted by single sign-on, for the round trip to the provider.
	ssoInvitationCookie = "ph_sso_invitation"
	// ssoLinkCookie marks the session whose holder asked to link an
	// identity: it holds the hash of that session's token.
	ssoLinkCookie = "ph_sso_link"
	// ssoCookieTTL bounds a round trip to an identity provider.
	ssoCookieTTL = 10 * time.Minute
)

// ssoHooks are what a protocol adds to the sign-in every protocol shares;
// a protocol's set-up fills them in NewServer, and nil is none.
type ssoHooks struct {
	// logout ends the session at the identity provider as well (SAML
	// single logout). Sign-out calls it after the local session ended,
	// with the user who held it (nil: nobody); it may answer the request
	// itself (a redirect to the provider), and reports whether it did.
	logout func(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, u *partnerhub.User) (bool, error)
}

// ssoChoices lists every way to sign in through an identity provider.
func (s *Server) ssoChoices() []sso.Choice {
	return append(s.samlChoices(), s.oidcChoices()...)
}

// ssoChoice finds one of ssoChoices by its ID.
func (s *Server) ssoChoice(id string) (sso.Choice, bool) {
	for _, c := range s.ssoChoices() {
		if c.ID == id {
			return c, true
		}
	}
	return sso.Choice{}, false
}

// ssoLink is a choice as a page shows it.
type ssoLink struct {
	ID, Protocol, Name, URL string
}

// ssoLinks are the choices in v's language, each starting a sign-in that
// comes back to next ("" for the account page); none without a store of
// identities.
func (s *Server) ssoLinks(v *view, next string) []ssoLink {
	if s.deps.Federation == nil {
		return nil
	}
	var out []ssoLink
	for _, c := range s.ssoChoices() {
		name, _ := c.Name.In(v.Lang)
		out = append(out, ssoLink{ID: c.ID, Protocol: c.Protocol, Name: name, URL: startURL(c, next)})
	}
	return out
}

// startURL is c's StartURL with next in its query.
func startURL(c sso.Choice, next string) string {
	if next == "" {
		return c.StartURL
	}
	u, err := url.Parse(c.StartURL)
	if err != nil {
		return c.StartURL
	}
	q := u.Query()
	q.Set("next", next)
	u.RawQuery = q.Encode()
	return u.String()
}

// claimOf maps an identity to what the store decides by. The name is the
// one in the reader's language, when the provider sent both.
func claimOf(id sso.Identity, l partnerhub.Lang) partnerhub.FederatedClaim {
	name := strings.TrimSpace(id.DisplayName)
	if ja := strings.TrimSpace(id.DisplayNameJa); ja != "" && (l == partnerhub.Japanese || name == "") {
		name = ja
	}
	// The snapshot is what the provider said, for the office to read; the
	// session index is a protocol's, not the person's.
	snap := id
	snap.SessionIndex = ""
	b, _ := json.Marshal(snap)
	return partnerhub.FederatedClaim{Protocol: id.Protocol, Provider: id.Provider, Subject: id.Subject,
		Email: id.Email, Name: name, Affiliations: id.Affiliations, ScopedAffiliations: id.ScopedAffiliations,
		Snapshot: b, Lang: l}
}

// federatedSignIn ends every protocol's sign-in: it decides, by link,
// invitation, pre-authorisation or role rule, which account (if any) the
// identity is, starts its session and sends the browser on to next. An
// error it returns is for the caller to render (through s.accountForm,
// say); the "no access" page it renders itself.
func (s *Server) federatedSignIn(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, id sso.Identity, next string) error {
	if s.deps.Federation == nil || s.deps.Accounts == nil {
		return partnerhub.Errorf(partnerhub.EUnavailable, "signin.unavailable")
	}
	if id.Protocol == "" || id.Provider == "" || id.Subject == "" {
		return partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	if next != "" && s.safeNext(next, l) != next {
		next = ""
	}
	ctx, now, home := r.Context(), s.deps.Now(), s.home(r)
	c := claimOf(id, l)
	who := []any{"protocol", id.Protocol, "provider", id.Provider, "subject", id.Subject}

	if done, err := s.linkRequested(w, r, l, c, who); done || err != nil {
		return err
	}

	u, err := s.deps.Federation.FederatedUser(ctx, home, c, now)
	how := partnerhub.AdmittedLinked
	if partnerhub.ErrorCode(err) == partnerhub.EUnauthorized {
		s.logSecurity(r, "sso_refused", append(who, "reason", "disabled")...)
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.signin_failed")
	}
	if partnerhub.ErrorCode(err) == partnerhub.ENotFound {
		u, how, err = s.admit(w, r, c, now)
	}
	if ck, cerr := r.Cookie(s.cookieName(r, ssoInvitationCookie)); cerr == nil && ck.Value != "" {
		// Used, or left unused by an identity linked already.
		s.clearCeremonyCookie(w, r, ssoInvitationCookie)
	}
	var e *partnerhub.Error
	switch {
	case err == nil:
	case errors.As(err, &e) && (e.Code == partnerhub.ENotFound || e.Code == partnerhub.EConflict):
		// Nobody let them in, or their address is another account's:
		// signed in at their university, but no access here.
		reason := "unknown"
		if e.Code == partnerhub.EConflict {
			reason = e.Message
		}
		s.logSecurity(r, "sso_no_access", append(who, "reason", reason)...)
		s.noAccess(w, r, l, id, e)
		return nil
	default:
		return err
	}
	if u.Home != home {
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.signin_failed")
	}
	if how != partnerhub.AdmittedLinked {
		s.logSecurity(r, "sso_account_made", append(who, "account", u.Email, "user", u.ID, "via", string(how))...)
	}
	// A new session for a new sign-in: end the one this browser had.
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil && ck.Value != "" {
		if err := s.deps.Accounts.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	v := s.accountView(r, l, "/signin", "", nil)
	if !id.MFA {
		// The provider vouched for one factor: a local second factor, if
		// the user has one, is asked as after a password.
		if done, err := s.secondStep(w, r, v, u, next, now); done || err != nil {
			return err
		}
	}
	spec := s.sessionSpec(r, clientIP(r, s.deps.TrustedProxies))
	spec.MFA = id.MFA
	token, err := s.deps.Accounts.CreateSession(ctx, u.ID, now, spec)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, token, now.Add(s.deps.SessionTTL))
	s.rememberMailLanguage(r, u.ID)
	s.logSecurity(r, "signed_in", append(who, "account", u.Email, "user", u.ID, "via", string(how), "mfa", id.MFA)...)
	dest := s.safeNext(next, l)
	u.SessionMFA = id.MFA
	if step := s.accountGate(r, u); step != nil {
		dest = v.L() + step.path
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// admit makes the account of an identity not linked yet: by the invitation
// its browser chose single sign-on for, else by pre-authorisation or role
// rule.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, c partnerhub.FederatedClaim, now time.Time) (*partnerhub.User, partnerhub.Admission, error) {
	if ck, err := r.Cookie(s.cookieName(r, ssoInvitationCookie)); err == nil && ck.Value != "" {
		u, err := s.deps.Federation.AcceptInvitationFederated(r.Context(), s.home(r), ck.Value, c, clientIP(r, s.deps.TrustedProxies), now)
		if partnerhub.ErrorCode(err) == partnerhub.ENotFound {
			// The invitation's, not the identity's: said as its page says it.
			err = partnerhub.Errorf(partnerhub.EGone, "error.invitation_not_found")
		}
		if err == nil {
			s.logSecurity(r, "invitation_accepted", "user", u.ID, "via", "sso")
		}
		return u, partnerhub.AdmittedInvitation, err
	}
	return s.deps.Federation.AdmitFederated(r.Context(), s.home(r), c, now)
}

// linkRequested links the identity to the account of the request's
// session when its holder asked to from the account page, and reports
// whether it did (the browser is then sent back to the account page).
func (s *Server) linkRequested(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, c partnerhub.FederatedClaim, who []any) (bool, error) {
	ck, err := r.Cookie(s.cookieName(r, ssoLinkCookie))
	if err != nil || ck.Value == "" {
		return false, nil
	}
	s.clearCeremonyCookie(w, r, ssoLinkCookie)
	u := s.sessionUser(r)
	token := s.sessionToken(r)
	recent, err := s.recentAuth(r)
	if err != nil {
		return false, err
	}
	// The session that asked, still recent: else this is a sign-in like
	// any other.
	if u == nil || token == "" || !recent || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(authn.SecretHash(token))) != 1 {
		s.logSecurity(r, "sso_link_stale", who...)
		return false, nil
	}
	if err := s.deps.Federation.LinkIdentity(r.Context(), u, c, s.deps.Now()); err != nil {
		s.logSecurity(r, "sso_link_refused", append(who, "reason", partnerhub.ErrorCode(err))...)
		return true, err
	}
	s.logSecurity(r, "sso_linked", append(who, "user", u.ID)...)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.l(l)+"/account?sso=linked#sso", http.StatusSeeOther)
	return true, nil
}

// noAccessData is the page of a person signed in at their university whom
// nobody let in here: its message in the page's language first, then in
// the other.
type noAccessData struct {
	Messages []noAccessMessage
}

type noAccessMessage struct {
	Lang                partnerhub.Lang
	Title, Text, Reason string
	Home, HomeLabel     string
	Signin, SigninLabel string
}

// noAccess renders the 403 page of an identity nobody let in; e is why
// (ENotFound: no rule; EConflict: its address).
func (s *Server) noAccess(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, id sso.Identity, e *partnerhub.Error) {
	v := s.accountView(r, l, "/signin", "", nil)
	name := strings.TrimSpace(id.DisplayName)
	if name == "" {
		name = strings.TrimSpace(id.DisplayNameJa)
	}
	if name == "" {
		name = id.Subject
	}
	org := strings.TrimSpace(id.Organisation)
	if org == "" {
		org = id.Provider
	}
	d := &noAccessData{}
	for _, lang := range []partnerhub.Lang{v.Lang, v.Other} {
		p := s.deps.Messages.Printer(lang)
		m := noAccessMessage{Lang: lang, Title: p.T("sso.noaccess_title"), Text: p.T("sso.noaccess_text", name, org),
			Home: s.l(lang) + "/", HomeLabel: p.T("sso.noaccess_home"), Signin: s.l(lang) + "/signin", SigninLabel: p.T("sso.noaccess_signin")}
		if e.Code == partnerhub.EConflict {
			m.Reason = p.Error(e)
		} else {
			m.Reason = p.T("sso.noaccess_ask")
		}
		d.Messages = append(d.Messages, m)
	}
	w.Header().Set("X-Robots-Tag", "noindex")
	s.privatePage(w, r, v, &page{Template: "sso_noaccess", Title: v.P.T("sso.noaccess_title"), Status: http.StatusForbidden, Data: d})
}

// ---- the invitation's choice ----------------------------------------------

// invitationSSO starts accepting an invitation through an identity
// provider: the invitation's token waits in a short-lived cookie while the
// browser goes to the provider, and federatedSignIn accepts it.
func (s *Server) invitationSSO(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	inv, err := s.deps.Invitations.OpenInvitation(r.Context(), s.home(r), r.PathValue("token"), clientIP(r, s.deps.TrustedProxies), s.deps.Now())
	if err != nil {
		return s.invitationRefused(w, r, v, err)
	}
	c, ok := s.ssoChoice(r.PathValue("choice"))
	if !ok || s.deps.Federation == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	s.setCeremonyCookie(w, r, ssoInvitationCookie, r.PathValue("token"), s.deps.Now().Add(ssoCookieTTL))
	s.logSecurity(r, "invitation_sso", "invitation", inv.ID, "choice", c.ID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, startURL(c, v.L()+"/account"), http.StatusSeeOther)
	return nil, nil
}
