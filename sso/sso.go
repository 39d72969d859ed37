// Package sso holds what single sign-on's protocols share: the person an
// identity provider vouches for, and the ways to sign in a deployment
// offers. SAML (GakuNin, eduGAIN) lives in saml*.go, OpenID Connect in
// oidc*.go; the rules on who gets in, and with what role, are the store's
// and the web's, not a protocol's.
package sso

import "partnerhub"

// Protocols.
const (
	SAML = "saml"
	OIDC = "oidc"
)

// Identity is a person as an identity provider vouches for them, with the
// attributes mapped to one shape whichever protocol brought them.
type Identity struct {
	Protocol string // SAML or OIDC
	// Provider is the SAML entity ID or the OpenID issuer URL.
	Provider string
	// Subject is the stable identity at that provider: for SAML the
	// eduPersonPrincipalName, else the pairwise-id or subject-id; for
	// OpenID Connect the "sub" claim. Never an e-mail address.
	Subject       string
	Email         string
	DisplayName   string
	DisplayNameJa string // GakuNin's jaDisplayName
	// Affiliations are unscoped (eduPersonAffiliation: "faculty",
	// "staff", "student", "member"...); ScopedAffiliations keep their
	// scope ("faculty@u-tokyo.ac.jp").
	Affiliations       []string
	ScopedAffiliations []string
	Organisation       string
	// MFA: the provider asserted multi-factor authentication (the REFEDS
	// MFA context, https://refeds.org/profile/mfa). Nothing else counts.
	MFA bool
	// SessionIndex is the SAML session to end by single logout; "" for
	// none.
	SessionIndex string
}

// Choice is one way to sign in, listed on the sign-in and discovery pages.
type Choice struct {
	ID       string // unique among a deployment's choices
	Protocol string
	Name     partnerhub.Text
	// StartURL begins the sign-in; it takes a query "next", the local path
	// to land on afterwards.
	StartURL string
}
