package sso

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"partnerhub"
)

// SAMLConfig is the service provider's configuration and its identity
// providers.
//
//	"saml": {
//	  "entity_id": "https://partners.example.ac.jp/saml/metadata",
//	  "key_file": "/etc/partnerhub/saml.key",
//	  "cert_file": "/etc/partnerhub/saml.crt",
//	  "organisation": {"ja": "東京大学", "en": "The University of Tokyo"},
//	  "contacts": [{"type": "technical", "name": "Partnerships office", "email": "sso@example.ac.jp"}],
//	  "idps": [{"metadata_url": "https://metadata.gakunin.nii.ac.jp/gakunin-metadata.xml",
//	            "signing_cert_file": "/etc/partnerhub/gakunin-signer-2017.cer"}],
//	  "refresh": "6h"
//	}
//
// The assertion consumer service and the metadata are served at the site's
// base URL (serve -base-url) followed by /saml/acs and /saml/metadata.
type SAMLConfig struct {
	// EntityID names this service provider to the federation; default the
	// URL of its metadata.
	EntityID string `json:"entity_id,omitempty"`
	// KeyFile and CertFile are the service provider's RSA key and its
	// certificate (PEM): requests and logouts are signed with the key, and
	// identity providers encrypt assertions to the certificate. Every node
	// of a deployment reads the same pair.
	KeyFile  string `json:"key_file"`
	CertFile string `json:"cert_file"`
	// IdPs are where identity providers are read from: each a federation's
	// aggregate (many providers) or one provider's metadata.
	IdPs []SAMLMetadataSource `json:"idps"`
	// Refresh is how often metadata read from a URL is read again; default
	// 6 hours. A refresh that fails keeps what was read before.
	Refresh Duration `json:"refresh,omitempty"`
	// Organisation and Contacts are published in the service provider's
	// metadata, as federations require.
	Organisation partnerhub.Text `json:"organisation,omitempty"`
	OrgURL       string          `json:"organisation_url,omitempty"`
	Contacts     []SAMLContact   `json:"contacts,omitempty"`
	// RequireMFA asks every identity provider for the REFEDS MFA context
	// (https://refeds.org/profile/mfa); otherwise it is asked only when a
	// sign-in asks for it (start URL ?mfa=1).
	RequireMFA bool `json:"require_mfa,omitempty"`
}

// SAMLContact is a contact person published in the metadata.
type SAMLContact struct {
	Type  string `json:"type"` // technical, support, administrative
	Name  string `json:"name"`
	Email string `json:"email"`
}

// SAMLMetadataSource is one place identity providers are read from: a URL,
// whose signature by the federation's signing certificate is checked, or a
// file the operator keeps (its signature is checked too when
// SigningCertFile is set).
type SAMLMetadataSource struct {
	MetadataURL  string `json:"metadata_url,omitempty"`
	MetadataFile string `json:"metadata_file,omitempty"`
	// SigningCertFile is the federation's metadata signing certificate
	// (PEM); required with MetadataURL.
	SigningCertFile string `json:"signing_cert_file,omitempty"`
}

// DefaultSAMLRefresh is how often metadata is read again unless the
// configuration says otherwise.
const DefaultSAMLRefresh = 6 * time.Hour

// Duration is a time.Duration written as "6h", "90m" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "6h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration such as \"6h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "6h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Validate names the first thing wrong with the configuration.
func (c *SAMLConfig) Validate() error {
	if c.KeyFile == "" || c.CertFile == "" {
		return errors.New("saml: key_file and cert_file are required")
	}
	if c.EntityID != "" {
		if u, err := url.Parse(c.EntityID); err != nil || u.Scheme == "" {
			return fmt.Errorf("saml: entity_id %q is not a URI", c.EntityID)
		}
	}
	if len(c.IdPs) == 0 {
		return errors.New("saml: idps lists no metadata")
	}
	for i, src := range c.IdPs {
		switch {
		case (src.MetadataURL == "") == (src.MetadataFile == ""):
			return fmt.Errorf("saml: idps[%d] needs exactly one of metadata_url and metadata_file", i)
		case src.MetadataURL != "" && src.SigningCertFile == "":
			return fmt.Errorf("saml: idps[%d]: metadata read from a URL needs signing_cert_file, the federation's certificate", i)
		}
		if src.MetadataURL != "" {
			if u, err := url.Parse(src.MetadataURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
				return fmt.Errorf("saml: idps[%d]: metadata_url %q is not an http(s) URL", i, src.MetadataURL)
			}
		}
	}
	if c.Refresh < 0 || (c.Refresh > 0 && time.Duration(c.Refresh) < time.Minute) {
		return fmt.Errorf("saml: refresh %s is shorter than a minute", time.Duration(c.Refresh))
	}
	for i, ct := range c.Contacts {
		switch ct.Type {
		case "technical", "support", "administrative", "billing", "other":
		default:
			return fmt.Errorf("saml: contacts[%d]: type %q is not technical, support, administrative, billing or other", i, ct.Type)
		}
	}
	return nil
}

// RefreshEvery is Refresh, or its default.
func (c *SAMLConfig) RefreshEvery() time.Duration {
	if c.Refresh <= 0 {
		return DefaultSAMLRefresh
	}
	return time.Duration(c.Refresh)
}
