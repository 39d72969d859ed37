package sso

// Config is the deployment's single sign-on, read from one JSON file
// (serve -sso-config). Each protocol's part is defined beside its code.
type Config struct {
	SAML *SAMLConfig    `json:"saml,omitempty"`
	OIDC []OIDCProvider `json:"oidc,omitempty"`
}
