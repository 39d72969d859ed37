package sso

import (
	"slices"
	"testing"

	"github.com/crewjam/saml"
)

func assertionWith(nameID *saml.NameID, classRef string, attrs ...saml.Attribute) *saml.Assertion {
	a := &saml.Assertion{Subject: &saml.Subject{NameID: nameID}, AttributeStatements: []saml.AttributeStatement{{Attributes: attrs}}}
	if classRef != "" {
		a.AuthnStatements = []saml.AuthnStatement{{SessionIndex: "_s1", AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{Value: classRef}}}}
	}
	return a
}

func attr(name, friendly string, vals ...string) saml.Attribute {
	a := saml.Attribute{Name: name, FriendlyName: friendly}
	for _, v := range vals {
		a.Values = append(a.Values, saml.AttributeValue{Value: v})
	}
	return a
}

// GakuNin's attributes by urn:oid name map to the Identity; the stable
// identity is ePPN, else pairwise-id, else subject-id, else a persistent
// NameID, never the mail; only the REFEDS MFA context sets MFA.
func TestMapIdentity(t *testing.T) {
	id, err := mapIdentity("https://idp.example.ac.jp/idp/shibboleth", assertionWith(nil, REFEDSMFA,
		attr(attrEPPN, "eduPersonPrincipalName", "tanaka@example.ac.jp"),
		attr(attrPairwiseID, "pairwise-id", "XYZ@example.ac.jp"),
		attr(attrMail, "mail", "hanako@example.ac.jp"),
		attr(attrDisplayName, "displayName", "Hanako Tanaka"),
		attr(attrJaDisplayName, "jaDisplayName", "田中 花子"),
		attr(attrScopedAffilation, "eduPersonScopedAffiliation", "Faculty@example.ac.jp"),
		attr(attrJaO, "jao", "例示大学")))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "tanaka@example.ac.jp" || id.Email != "hanako@example.ac.jp" || id.DisplayNameJa != "田中 花子" ||
		!id.MFA || id.SessionIndex != "_s1" || id.Organisation != "例示大学" || id.Protocol != SAML {
		t.Fatalf("%+v", id)
	}
	if !slices.Equal(id.Affiliations, []string{"faculty"}) || !slices.Equal(id.ScopedAffiliations, []string{"faculty@example.ac.jp"}) {
		t.Fatalf("affiliations %v %v", id.Affiliations, id.ScopedAffiliations)
	}

	// Sent by friendly name only (some IdPs outside GakuNin), pairwise-id.
	id, err = mapIdentity("x", assertionWith(nil, "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
		attr("pairwise-id", "", "XYZ@example.ac.jp"), attr("mail", "", "pw@example.ac.jp")))
	if err != nil || id.Subject != "XYZ@example.ac.jp" || id.Email != "pw@example.ac.jp" || id.MFA {
		t.Fatalf("%+v %v", id, err)
	}

	// A NameID, persistent or transient, is no identity at all: only
	// the attributes are (GO-2026-6909: crewjam/saml reads a NameID of
	// any namespace).
	if id, err := mapIdentity("x", assertionWith(&saml.NameID{Format: string(saml.PersistentNameIDFormat), Value: "p-123"}, "")); err == nil {
		t.Fatalf("an assertion with only a persistent NameID gave an identity: %+v", id)
	}
	if _, err := mapIdentity("x", assertionWith(&saml.NameID{Format: string(saml.TransientNameIDFormat), Value: "_t"}, "",
		attr(attrMail, "mail", "only@example.ac.jp"))); err == nil {
		t.Fatal("an assertion with only a mail and a transient NameID gave an identity")
	}
}

func TestSAMLConfigValidate(t *testing.T) {
	ok := SAMLConfig{KeyFile: "k", CertFile: "c", IdPs: []SAMLMetadataSource{{MetadataURL: "https://metadata.gakunin.nii.ac.jp/gakunin-metadata.xml", SigningCertFile: "f"}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]SAMLConfig{
		"no key":        {CertFile: "c", IdPs: ok.IdPs},
		"no idps":       {KeyFile: "k", CertFile: "c"},
		"url unsigned":  {KeyFile: "k", CertFile: "c", IdPs: []SAMLMetadataSource{{MetadataURL: "https://x/md.xml"}}},
		"url and file":  {KeyFile: "k", CertFile: "c", IdPs: []SAMLMetadataSource{{MetadataURL: "https://x", MetadataFile: "f", SigningCertFile: "f"}}},
		"short refresh": {KeyFile: "k", CertFile: "c", IdPs: ok.IdPs, Refresh: Duration(1)},
		"bad contact":   {KeyFile: "k", CertFile: "c", IdPs: ok.IdPs, Contacts: []SAMLContact{{Type: "boss"}}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
