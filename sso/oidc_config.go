package sso

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"partnerhub"
)

// OIDCProvider is one OpenID Connect provider, found by its issuer.
//
// The client secret is best kept out of the configuration file, which is
// read by more people (and copied to more places) than a secret should be:
// client_secret_file names a file holding it (a mounted secret), and
// client_secret_env an environment variable. client_secret itself is
// accepted for a test set-up. Exactly one of the three is given.
type OIDCProvider struct {
	// ID names the provider in URLs (/sso/oidc/{id}, its redirect URI):
	// lower-case letters, digits and hyphens. Changing it changes the
	// redirect URI registered at the provider.
	ID string `json:"id"`
	// Name is what the sign-in page shows ("Sign in with ...").
	Name partnerhub.Text `json:"name"`
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document (/.well-known/openid-configuration) says; ID tokens of any
	// other issuer are refused.
	Issuer           string `json:"issuer"`
	ClientID         string `json:"client_id"`
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientSecretFile string `json:"client_secret_file,omitempty"`
	ClientSecretEnv  string `json:"client_secret_env,omitempty"`
	// Scopes asked for besides "openid"; default "email profile".
	Scopes []string `json:"scopes,omitempty"`
	// ACRValues are asked for in the authorisation request (acr_values),
	// e.g. "https://refeds.org/profile/mfa" to ask the provider for a
	// second factor; none by default.
	ACRValues []string `json:"acr_values,omitempty"`
	// Claims renames the claims the identity is read from, for a provider
	// that does not send the usual names; empty fields keep the default.
	Claims OIDCClaims `json:"claims,omitempty"`
	// MFA says what of the provider's word on multi-factor authentication
	// is believed: "" or "none" (nothing: its users are held to the local
	// second factor), "acr" (an acr claim of the REFEDS MFA profile,
	// https://refeds.org/profile/mfa), "acr_amr" (that, or "mfa" among the
	// amr claim's values, RFC 8176). Trust it only of a provider that
	// enforces what it says.
	MFA string `json:"mfa,omitempty"`
}

// OIDCClaims are the claim names an identity is read from.
type OIDCClaims struct {
	Subject           string `json:"subject,omitempty"`            // default "sub"
	Email             string `json:"email,omitempty"`              // default "email"
	Name              string `json:"name,omitempty"`               // default "name"
	NameJa            string `json:"name_ja,omitempty"`            // default "name#ja", then "jaDisplayName"
	Affiliation       string `json:"affiliation,omitempty"`        // default "eduperson_affiliation"
	ScopedAffiliation string `json:"scoped_affiliation,omitempty"` // default "eduperson_scoped_affiliation"
	Organisation      string `json:"organisation,omitempty"`       // default "schac_home_organization"
}

// Values of OIDCProvider.MFA.
const (
	OIDCMFANone   = "none"
	OIDCMFAACR    = "acr"
	OIDCMFAACRAMR = "acr_amr"
)

// REFEDSMFA is the authentication context of the REFEDS MFA profile: the
// only word of a provider that makes a sign-in multi-factor here.
const REFEDSMFA = "https://refeds.org/profile/mfa"

var oidcIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidateOIDC checks the providers of a configuration: each error names
// the provider (by its position and id) and the field.
func ValidateOIDC(providers []OIDCProvider) error {
	var errs []error
	seenID, seenIssuer := map[string]bool{}, map[string]bool{}
	for i, p := range providers {
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("sso: oidc[%d] (%q): %s: %s", i, p.ID, field, fmt.Sprintf(format, args...)))
		}
		switch {
		case !oidcIDPattern.MatchString(p.ID):
			bad("id", "lower-case letters, digits and hyphens, at most 40")
		case seenID[p.ID]:
			bad("id", "used twice")
		}
		seenID[p.ID] = true
		if p.Name.Ja == "" || p.Name.En == "" {
			bad("name", "both ja and en are needed (the sign-in page shows it)")
		}
		if u, err := url.Parse(p.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && !loopback(u.Hostname())) ||
			u.RawQuery != "" || u.Fragment != "" {
			bad("issuer", "an https URL without query or fragment (http only on the loopback, for tests)")
		} else if seenIssuer[p.Issuer] {
			bad("issuer", "used by two providers")
		}
		seenIssuer[p.Issuer] = true
		if p.ClientID == "" {
			bad("client_id", "required")
		}
		given := 0
		for _, s := range []string{p.ClientSecret, p.ClientSecretFile, p.ClientSecretEnv} {
			if s != "" {
				given++
			}
		}
		if given != 1 {
			bad("client_secret", "give exactly one of client_secret, client_secret_file, client_secret_env")
		}
		if !slices.Contains([]string{"", OIDCMFANone, OIDCMFAACR, OIDCMFAACRAMR}, p.MFA) {
			bad("mfa", "one of none, acr, acr_amr")
		}
	}
	return errors.Join(errs...)
}

// Secret reads the provider's client secret from where the configuration
// says it is. A file's trailing newline is not part of the secret.
func (p OIDCProvider) Secret(getenv func(string) string) (string, error) {
	var s string
	switch {
	case p.ClientSecret != "":
		s = p.ClientSecret
	case p.ClientSecretFile != "":
		b, err := os.ReadFile(p.ClientSecretFile)
		if err != nil {
			return "", fmt.Errorf("sso: oidc %q: client_secret_file: %w", p.ID, err)
		}
		s = strings.TrimRight(string(b), "\r\n")
	case p.ClientSecretEnv != "":
		s = getenv(p.ClientSecretEnv)
	}
	if s == "" {
		return "", fmt.Errorf("sso: oidc %q: the client secret is empty", p.ID)
	}
	return s, nil
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
