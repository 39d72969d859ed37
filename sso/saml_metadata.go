package sso

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"partnerhub"
)

// IdP is one identity provider a person may choose on the discovery page.
type IdP struct {
	EntityID string
	// Name is the provider's mdui:DisplayName in Japanese and English
	// (GakuNin publishes both), else its OrganizationDisplayName, else its
	// entity ID.
	Name partnerhub.Text
	// SingleLogout: the provider offers single logout (HTTP-Redirect).
	SingleLogout bool
	descriptor   *saml.EntityDescriptor
	source       SAMLMetadataSource
}

// maxMetadataBytes bounds a metadata document read (eduGAIN's aggregate
// through GakuNin is some tens of megabytes).
const maxMetadataBytes = 256 << 20

// readMetadata reads one source's identity providers: its bytes, the
// federation's signature on them when a certificate is named (always for
// a URL), and every entity with an IDPSSODescriptor.
func readMetadata(ctx context.Context, client *http.Client, src SAMLMetadataSource, now time.Time) ([]IdP, error) {
	var data []byte
	var err error
	where := src.MetadataFile
	if src.MetadataURL != "" {
		where = src.MetadataURL
		data, err = fetchMetadata(ctx, client, src.MetadataURL)
	} else {
		data, err = os.ReadFile(src.MetadataFile)
	}
	if err != nil {
		return nil, fmt.Errorf("saml metadata %s: %w", where, err)
	}
	if src.SigningCertFile != "" {
		certs, err := readCertificates(src.SigningCertFile)
		if err != nil {
			return nil, fmt.Errorf("saml metadata %s: signing certificate: %w", where, err)
		}
		// Read only what the signature covers.
		if data, err = saml.VerifyMetadataSignature(data, certs); err != nil {
			return nil, fmt.Errorf("saml metadata %s: signature: %w", where, err)
		}
	}
	idps, err := parseIdPs(data, now)
	if err != nil {
		return nil, fmt.Errorf("saml metadata %s: %w", where, err)
	}
	return idps, nil
}

func fetchMetadata(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxMetadataBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxMetadataBytes)
	}
	return b, nil
}

// readCertificates reads the PEM certificates of a file.
func readCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate in " + path)
	}
	return certs, nil
}

// The elements read for the discovery page, which crewjam/saml's types do
// not hold: mdui:UIInfo's display names.
type (
	uiEntities struct {
		ValidUntil string       `xml:"validUntil,attr"`
		Groups     []uiEntities `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntitiesDescriptor"`
		Entities   []uiEntity   `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
	}
	uiEntity struct {
		EntityID string `xml:"entityID,attr"`
		IDP      []struct {
			Extensions struct {
				UIInfo struct {
					DisplayNames []saml.LocalizedName `xml:"urn:oasis:names:tc:SAML:metadata:ui DisplayName"`
				} `xml:"urn:oasis:names:tc:SAML:metadata:ui UIInfo"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:metadata Extensions"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
	}
)

// parseIdPs reads the identity providers of a metadata document: one
// EntityDescriptor or an aggregate (EntitiesDescriptor, nested or not).
func parseIdPs(data []byte, now time.Time) ([]IdP, error) {
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	var entities []saml.EntityDescriptor
	var names uiEntities
	switch root.XMLName.Local {
	case "EntitiesDescriptor":
		var all saml.EntitiesDescriptor
		if err := xml.Unmarshal(data, &all); err != nil {
			return nil, err
		}
		if all.ValidUntil != nil && all.ValidUntil.Before(now) {
			return nil, fmt.Errorf("expired at %s (validUntil)", all.ValidUntil.Format(time.RFC3339))
		}
		entities = flatten(all)
		if err := xml.Unmarshal(data, &names); err != nil {
			return nil, err
		}
	case "EntityDescriptor":
		var one saml.EntityDescriptor
		if err := xml.Unmarshal(data, &one); err != nil {
			return nil, err
		}
		if !one.ValidUntil.IsZero() && one.ValidUntil.Before(now) {
			return nil, fmt.Errorf("expired at %s (validUntil)", one.ValidUntil.Format(time.RFC3339))
		}
		entities = []saml.EntityDescriptor{one}
		var e uiEntity
		if err := xml.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		names.Entities = []uiEntity{e}
	default:
		return nil, fmt.Errorf("%s is not SAML metadata", root.XMLName.Local)
	}
	display := map[string]partnerhub.Text{}
	collectNames(names, display)
	var idps []IdP
	for i := range entities {
		e := &entities[i]
		if len(e.IDPSSODescriptors) == 0 || e.EntityID == "" {
			continue
		}
		if !e.ValidUntil.IsZero() && e.ValidUntil.Before(now) {
			continue
		}
		name := display[e.EntityID]
		if name.IsZero() && e.Organization != nil {
			name = localized(e.Organization.OrganizationDisplayNames)
		}
		if name.IsZero() {
			name = partnerhub.Text{En: e.EntityID}
		}
		idp := IdP{EntityID: e.EntityID, Name: name, descriptor: e}
		for _, d := range e.IDPSSODescriptors {
			for _, slo := range d.SingleLogoutServices {
				if slo.Binding == saml.HTTPRedirectBinding {
					idp.SingleLogout = true
				}
			}
		}
		idps = append(idps, idp)
	}
	if len(idps) == 0 {
		return nil, errors.New("no identity provider in it")
	}
	return idps, nil
}

// flatten lists the entities of an aggregate, nested groups' too; each
// carries the earliest validUntil of the groups around it.
func flatten(g saml.EntitiesDescriptor) []saml.EntityDescriptor {
	out := append([]saml.EntityDescriptor(nil), g.EntityDescriptors...)
	for _, sub := range g.EntitiesDescriptors {
		out = append(out, flatten(sub)...)
	}
	if g.ValidUntil != nil {
		for i := range out {
			if out[i].ValidUntil.IsZero() || g.ValidUntil.Before(out[i].ValidUntil) {
				out[i].ValidUntil = *g.ValidUntil
			}
		}
	}
	return out
}

func collectNames(g uiEntities, into map[string]partnerhub.Text) {
	for _, e := range g.Entities {
		for _, d := range e.IDP {
			if t := localized(d.Extensions.UIInfo.DisplayNames); !t.IsZero() {
				into[e.EntityID] = t
			}
		}
	}
	for _, sub := range g.Groups {
		collectNames(sub, into)
	}
}

// localized takes the Japanese and English of names; a name in another
// language stands in for English when there is none.
func localized(names []saml.LocalizedName) partnerhub.Text {
	var t partnerhub.Text
	var other string
	for _, n := range names {
		v := strings.TrimSpace(n.Value)
		switch strings.ToLower(n.Lang) {
		case "ja":
			t.Ja = v
		case "en":
			t.En = v
		default:
			if other == "" {
				other = v
			}
		}
	}
	if t.En == "" && t.Ja == "" {
		t.En = other
	}
	return t
}

// sortIdPs orders providers by their English name, then entity ID, so that
// the discovery page lists them the same way on every node.
func sortIdPs(idps []IdP) {
	sort.SliceStable(idps, func(i, j int) bool {
		a, b := sortKey(idps[i]), sortKey(idps[j])
		if a != b {
			return a < b
		}
		return idps[i].EntityID < idps[j].EntityID
	})
}

func sortKey(p IdP) string {
	s, _ := p.Name.In(partnerhub.English)
	return strings.ToLower(s)
}
