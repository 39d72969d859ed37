package sso

// OIDCProvider is one OpenID Connect provider, found by its issuer.
type OIDCProvider struct{}
