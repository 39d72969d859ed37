package sso

import (
	"errors"
	"strings"

	"github.com/crewjam/saml"
)

// The attributes GakuNin and eduGAIN send, by their urn:oid names (the
// SAML 2.0 names every federation member uses) and friendly names.
const (
	attrEPPN             = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
	attrPairwiseID       = "urn:oasis:names:tc:SAML:attribute:pairwise-id"
	attrSubjectID        = "urn:oasis:names:tc:SAML:attribute:subject-id"
	attrMail             = "urn:oid:0.9.2342.19200300.100.1.3"
	attrDisplayName      = "urn:oid:2.16.840.1.113730.3.1.241"
	attrJaDisplayName    = "urn:oid:1.3.6.1.4.1.32264.1.1.3"
	attrAffiliation      = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
	attrScopedAffilation = "urn:oid:1.3.6.1.4.1.5923.1.1.1.9"
	attrO                = "urn:oid:2.5.4.10"
	attrJaO              = "urn:oid:1.3.6.1.4.1.32264.1.1.4"
)

// requestedAttributes are published in the service provider's metadata,
// as GakuNin asks of a service provider at registration.
var requestedAttributes = []struct {
	oid, friendly string
	required      bool
}{
	{attrEPPN, "eduPersonPrincipalName", true},
	{attrPairwiseID, "pairwise-id", false},
	{attrSubjectID, "subject-id", false},
	{attrMail, "mail", true},
	{attrDisplayName, "displayName", false},
	{attrJaDisplayName, "jaDisplayName", false},
	{attrAffiliation, "eduPersonAffiliation", false},
	{attrScopedAffilation, "eduPersonScopedAffiliation", false},
	{attrO, "o", false},
	{attrJaO, "jao", false},
}

// attributes are an assertion's attribute values by name; an attribute
// sent by friendly name only (some IdPs) is found under its urn:oid name.
type attributes map[string][]string

func collect(a *saml.Assertion) attributes {
	friendly := map[string]string{}
	for _, r := range requestedAttributes {
		friendly[strings.ToLower(r.friendly)] = r.oid
	}
	out := attributes{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			name := at.Name
			if oid, ok := friendly[strings.ToLower(name)]; ok {
				name = oid
			} else if oid, ok := friendly[strings.ToLower(at.FriendlyName)]; ok && !strings.HasPrefix(name, "urn:") {
				name = oid
			}
			for _, v := range at.Values {
				if s := strings.TrimSpace(v.Value); s != "" {
					out[name] = append(out[name], s)
				}
			}
		}
	}
	return out
}

func (a attributes) first(name string) string {
	if v := a[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// mapIdentity reads the person of an assertion checked: the stable
// identity (eduPersonPrincipalName, else pairwise-id, else subject-id),
// and what the federations say of them. The NameID is never the identity:
// crewjam/saml reads a <NameID> of any namespace there (GO-2026-6909), so
// a signed assertion could carry a foreign one; GakuNin and eduGAIN's
// Research and Scholarship category send one of the three attributes.
func mapIdentity(provider string, a *saml.Assertion) (Identity, error) {
	at := collect(a)
	id := Identity{Protocol: SAML, Provider: provider}
	for _, name := range []string{attrEPPN, attrPairwiseID, attrSubjectID} {
		if v := at.first(name); v != "" {
			id.Subject = v
			break
		}
	}
	if id.Subject == "" {
		return Identity{}, errors.New("no eduPersonPrincipalName, pairwise-id or subject-id")
	}
	id.Email = at.first(attrMail)
	id.DisplayName = at.first(attrDisplayName)
	id.DisplayNameJa = at.first(attrJaDisplayName)
	id.Affiliations = lowerAll(at[attrAffiliation])
	id.ScopedAffiliations = lowerAll(at[attrScopedAffilation])
	// An IdP that sends only scoped affiliations still says the unscoped.
	for _, s := range id.ScopedAffiliations {
		if aff, _, ok := strings.Cut(s, "@"); ok && !contains(id.Affiliations, aff) {
			id.Affiliations = append(id.Affiliations, aff)
		}
	}
	id.Organisation = at.first(attrO)
	if id.Organisation == "" {
		id.Organisation = at.first(attrJaO)
	}
	for _, st := range a.AuthnStatements {
		if st.AuthnContext.AuthnContextClassRef != nil && strings.TrimSpace(st.AuthnContext.AuthnContextClassRef.Value) == REFEDSMFA {
			id.MFA = true
		}
		if st.SessionIndex != "" {
			id.SessionIndex = st.SessionIndex
		}
	}
	return id, nil
}

func lowerAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		if l := strings.ToLower(v); !contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
