package sso

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"partnerhub"
)

func testProvider() OIDCProvider {
	return OIDCProvider{ID: "uni", Name: partnerhub.Text{Ja: "大学", En: "University"}, Issuer: "https://idp.example.ac.jp",
		ClientID: "ph", ClientSecret: "s3cret"}
}

func TestValidateOIDC(t *testing.T) {
	good := testProvider()
	if err := ValidateOIDC([]OIDCProvider{good}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		edit func(*OIDCProvider)
		want string
	}{
		"id":             {func(p *OIDCProvider) { p.ID = "Bad ID" }, "id:"},
		"name":           {func(p *OIDCProvider) { p.Name.Ja = "" }, "name:"},
		"http issuer":    {func(p *OIDCProvider) { p.Issuer = "http://idp.example.ac.jp" }, "issuer:"},
		"no client":      {func(p *OIDCProvider) { p.ClientID = "" }, "client_id:"},
		"two secrets":    {func(p *OIDCProvider) { p.ClientSecretEnv = "X" }, "client_secret:"},
		"no secret":      {func(p *OIDCProvider) { p.ClientSecret = "" }, "client_secret:"},
		"unknown mfa":    {func(p *OIDCProvider) { p.MFA = "always" }, "mfa:"},
		"loopback http ": {func(p *OIDCProvider) { p.Issuer = "http://127.0.0.1:4444/" }, ""},
	} {
		p := good
		c.edit(&p)
		err := ValidateOIDC([]OIDCProvider{p})
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `oidc[0]`) {
			t.Errorf("%s: %v, want an error at %s", name, err, c.want)
		}
	}
	if err := ValidateOIDC([]OIDCProvider{good, good}); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("two providers of one id: %v", err)
	}
}

func TestOIDCSecretFromEnv(t *testing.T) {
	p := testProvider()
	p.ClientSecret, p.ClientSecretEnv = "", "PH_TEST_SECRET"
	s, err := p.Secret(func(k string) string { return map[string]string{"PH_TEST_SECRET": "from-env"}[k] })
	if err != nil || s != "from-env" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := p.Secret(func(string) string { return "" }); err == nil {
		t.Fatal("an empty secret was accepted")
	}
}

// Claims map as eduGAIN/REFEDS and GakuNin send them; e-mail the provider
// has not verified is dropped; MFA counts only as configured.
func TestOIDCClaims(t *testing.T) {
	p := testProvider()
	claims := map[string]any{"sub": "u-123", "email": "hanako@example.ac.jp", "email_verified": true, "name": "Hanako Yamada",
		"name#ja": "山田 花子", "eduperson_affiliation": []any{"faculty", "member", "faculty"},
		"eduperson_scoped_affiliation": "faculty@example.ac.jp", "schac_home_organization": "example.ac.jp",
		"acr": REFEDSMFA, "amr": []any{"pwd", "mfa"}}
	id, err := p.identity("https://idp.example.ac.jp", claims)
	if err != nil {
		t.Fatal(err)
	}
	if id.Protocol != OIDC || id.Provider != "https://idp.example.ac.jp" || id.Subject != "u-123" || id.Email != "hanako@example.ac.jp" ||
		id.DisplayName != "Hanako Yamada" || id.DisplayNameJa != "山田 花子" || id.Organisation != "example.ac.jp" ||
		!slices.Equal(id.Affiliations, []string{"faculty", "member"}) || !slices.Equal(id.ScopedAffiliations, []string{"faculty@example.ac.jp"}) {
		t.Errorf("%+v", id)
	}
	if id.MFA {
		t.Error("MFA believed of a provider not trusted for it")
	}
	for mfa, want := range map[string]bool{OIDCMFAACR: true, OIDCMFAACRAMR: true, OIDCMFANone: false} {
		p.MFA = mfa
		if id, _ := p.identity("x", claims); id.MFA != want {
			t.Errorf("mfa %q: %v", mfa, id.MFA)
		}
	}
	p.MFA = OIDCMFAACR
	amrOnly := map[string]any{"sub": "u", "amr": []any{"mfa"}}
	if id, _ := p.identity("x", amrOnly); id.MFA {
		t.Error("amr believed where only acr is")
	}
	p.MFA = OIDCMFAACRAMR
	if id, _ := p.identity("x", amrOnly); !id.MFA {
		t.Error("amr mfa not believed under acr_amr")
	}
	claims["email_verified"] = false
	if id, _ := p.identity("x", claims); id.Email != "" {
		t.Errorf("unverified e-mail kept: %q", id.Email)
	}
	if _, err := p.identity("x", map[string]any{"email": "a@b"}); err == nil {
		t.Error("an identity without subject")
	}
	p.Claims = OIDCClaims{Subject: "uid", NameJa: "jaDisplayName"}
	id, err = p.identity("x", map[string]any{"sub": "ignored", "uid": "u-9", "jaDisplayName": "鈴木"})
	if err != nil || id.Subject != "u-9" || id.DisplayNameJa != "鈴木" {
		t.Errorf("overrides: %+v %v", id, err)
	}
}

// A flow opens only with the provider that sealed it, unchanged and
// before it expires.
func TestOIDCFlowSeal(t *testing.T) {
	p, q := testProvider(), testProvider()
	q.ID, q.Issuer = "other", "https://other.example.org"
	rp, err := NewRelyingParty([]OIDCProvider{p, q}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := rp.Client("uni")
	f := Flow{Provider: "uni", State: "st", Nonce: "no", Verifier: "ve", Next: "/en/account", Lang: "en", Expires: now.Add(time.Minute).Unix()}
	v, err := c.Seal(f)
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(v); bytes.Contains(raw, []byte(`"next"`)) || bytes.Contains(raw, []byte("/en/account")) {
		t.Error("the sealed flow shows its contents")
	}
	if got, err := c.Open(v, now); err != nil || got != f {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := c.Open(v, now.Add(2*time.Minute)); !IsFlowError(err) {
		t.Errorf("expired flow: %v", err)
	}
	if _, err := rp.Client("other").Open(v, now); !IsFlowError(err) {
		t.Errorf("another provider's flow: %v", err)
	}
	b := []byte(v)
	b[len(b)/2] ^= 1
	if _, err := c.Open(string(b), now); !IsFlowError(err) {
		t.Errorf("tampered flow: %v", err)
	}
}
