package sso

import (
	"errors"
	"slices"
	"strings"
)

// identity maps an ID token's claims (with UserInfo's) to an Identity, as
// SAML's attributes are mapped: the subject, never an e-mail address, is
// who the person is; e-mail, names, affiliations and organisation are as
// eduGAIN and REFEDS send them to OpenID Connect relying parties
// (eduperson_affiliation, eduperson_scoped_affiliation,
// schac_home_organization); a Japanese name in the claim "name#ja" (the
// language-tagged claims of OpenID Connect Core 5.2) or GakuNin's
// jaDisplayName.
func (p OIDCProvider) identity(issuer string, claims map[string]any) (Identity, error) {
	name := func(override, def string) string {
		if override != "" {
			return override
		}
		return def
	}
	c := p.Claims
	id := Identity{Protocol: OIDC, Provider: issuer}
	id.Subject, _ = claims[name(c.Subject, "sub")].(string)
	if strings.TrimSpace(id.Subject) == "" {
		return Identity{}, errors.New("the claims hold no subject")
	}
	id.Email = strings.TrimSpace(claimString(claims, name(c.Email, "email")))
	// An address the provider says it has not verified is not believed.
	if v, ok := claims["email_verified"].(bool); ok && !v {
		id.Email = ""
	}
	id.DisplayName = claimString(claims, name(c.Name, "name"))
	if id.DisplayName == "" {
		id.DisplayName = strings.TrimSpace(claimString(claims, "given_name") + " " + claimString(claims, "family_name"))
	}
	if c.NameJa != "" {
		id.DisplayNameJa = claimString(claims, c.NameJa)
	} else {
		for _, k := range []string{"name#ja", "name#ja-Jpan-JP", "name#ja-JP", "jaDisplayName", "ja_display_name"} {
			if id.DisplayNameJa = claimString(claims, k); id.DisplayNameJa != "" {
				break
			}
		}
	}
	id.Affiliations = claimStrings(claims, name(c.Affiliation, "eduperson_affiliation"))
	id.ScopedAffiliations = claimStrings(claims, name(c.ScopedAffiliation, "eduperson_scoped_affiliation"))
	id.Organisation = claimString(claims, name(c.Organisation, "schac_home_organization"))
	id.MFA = p.mfa(claims)
	return id, nil
}

// mfa reports what the provider says of a second factor, as far as the
// configuration believes it.
func (p OIDCProvider) mfa(claims map[string]any) bool {
	switch p.MFA {
	case OIDCMFAACR, OIDCMFAACRAMR:
		if acr, _ := claims["acr"].(string); acr == REFEDSMFA {
			return true
		}
		return p.MFA == OIDCMFAACRAMR && slices.Contains(claimStrings(claims, "amr"), "mfa")
	}
	return false
}

// claimString is a claim that is a string (or the first string of a list).
func claimString(claims map[string]any, k string) string {
	if s := claimStrings(claims, k); len(s) > 0 {
		return s[0]
	}
	return ""
}

// claimStrings is a claim that is a list of strings or one string (some
// providers send a single affiliation so), without blanks or repeats.
func claimStrings(claims map[string]any, k string) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	switch v := claims[k].(type) {
	case []any:
		for _, e := range v {
			add(e)
		}
	default:
		add(v)
	}
	return out
}
