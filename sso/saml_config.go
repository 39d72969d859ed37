package sso

// SAMLConfig is the service provider's configuration and its identity
// providers.
type SAMLConfig struct{}
