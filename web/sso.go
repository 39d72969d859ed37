package web

import (
	"net/http"

	"partnerhub"
	"partnerhub/sso"
)

// ssoChoices lists every way to sign in through an identity provider.
func (s *Server) ssoChoices() []sso.Choice {
	return append(s.samlChoices(), s.oidcChoices()...)
}

// federatedSignIn ends every protocol's sign-in: it decides, by link,
// invitation, pre-authorisation or role rule, which account (if any) the
// identity is, starts its session and sends the browser on to next.
func (s *Server) federatedSignIn(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, id sso.Identity, next string) error {
	// TEMP: a stand-in until sso-core's lands: nobody is known.
	s.logSecurity(r, "sso_no_access", "protocol", id.Protocol, "provider", id.Provider, "subject", id.Subject)
	return partnerhub.Errorf(partnerhub.EForbidden, "error.not_found")
}
