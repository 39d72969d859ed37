package web

// Single sign-on on the account page: the identities linked to one's
// account, linking another (only from a session whose holder proved their
// password lately, then at the provider: both proved) and unlinking.

import (
	"net/http"
	"strconv"

	"partnerhub"
	"partnerhub/authn"
)

// ssoAccount is the account page's section of linked identities.
type ssoAccount struct {
	Identities  []identityRow
	Choices     []ssoLink
	HasPassword bool
	Done        string // a notice of what was just done
}

type identityRow struct {
	partnerhub.FederatedIdentity
	// ProviderName is the choice the provider is offered as, when known;
	// else its entity ID or issuer.
	ProviderName string
	First, Last  string // for reading
	// CanUnlink: not the last way in of an account without a password.
	CanUnlink bool
}

// ssoDone are the notices of the section, by ?sso=.
var ssoDone = map[string]string{
	"linked":   "sso.done_linked",
	"unlinked": "sso.done_unlinked",
}

// ssoAccountSection loads the section for u; nil without single sign-on.
func (s *Server) ssoAccountSection(r *http.Request, v *view, u *partnerhub.User) (*ssoAccount, error) {
	if s.deps.Federation == nil {
		return nil, nil
	}
	ids, err := s.deps.Federation.FederatedIdentities(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	has, err := s.deps.Federation.HasPassword(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	choices := s.ssoLinks(v, "")
	if len(ids) == 0 && len(choices) == 0 {
		return nil, nil
	}
	d := &ssoAccount{Choices: choices, HasPassword: has}
	if key, ok := ssoDone[r.URL.Query().Get("sso")]; ok {
		d.Done = v.P.T(key)
	}
	for _, f := range ids {
		row := identityRow{FederatedIdentity: f, ProviderName: f.Provider, CanUnlink: has || len(ids) > 1}
		row.First, _ = stamp(&f.FirstSeenAt)
		row.Last, _ = stamp(&f.LastSeenAt)
		d.Identities = append(d.Identities, row)
	}
	return d, nil
}

// ssoLinkStart begins linking an identity to one's account: after a recent
// proof of the password (the confirm page, else), a short-lived cookie
// names this session, and the browser goes to the provider; federatedSignIn
// links what comes back.
func (s *Server) ssoLinkStart(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	c, ok := s.ssoChoice(r.PathValue("choice"))
	if !ok || s.deps.Federation == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if done, err := s.reauthFirst(w, r, v, "/account#sso"); done || err != nil {
		return nil, err
	}
	token := s.sessionToken(r)
	if token == "" {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	s.setCeremonyCookie(w, r, ssoLinkCookie, authn.SecretHash(token), s.deps.Now().Add(ssoCookieTTL))
	s.logSecurity(r, "sso_link_started", "choice", c.ID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, startURL(c, v.L()+"/account#sso"), http.StatusSeeOther)
	return nil, nil
}

// ssoUnlink removes one of one's identities, after a recent proof as for
// linking.
func (s *Server) ssoUnlink(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Federation == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.sso_identity_not_found")
	}
	if done, err := s.reauthFirst(w, r, v, "/account#sso"); done || err != nil {
		return nil, err
	}
	if err := s.deps.Federation.UnlinkIdentity(r.Context(), v.User, id, s.deps.Now()); err != nil {
		return nil, err
	}
	s.logSecurity(r, "sso_unlinked", "identity", id)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account?sso=unlinked#sso", http.StatusSeeOther)
	return nil, nil
}
