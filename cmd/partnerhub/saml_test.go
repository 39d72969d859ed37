package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"partnerhub/sso"
)

// serve's SAML: nothing without a "saml" part; with one, the key pair and
// the identity providers are read at start, and a source that cannot be
// read stops serve with its name.
func TestStartSAML(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	if sp, err := startSAML(ctx, &sso.Config{}, "https://partners.example.ac.jp", log); sp != nil || err != nil {
		t.Fatalf("no saml part: %v %v", sp, err)
	}
	dir := t.TempDir()
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sp"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	kb, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(filepath.Join(dir, "sp.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	os.WriteFile(filepath.Join(dir, "sp.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	md := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.ac.jp/idp/shibboleth">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.ac.jp/sso"/>
</md:IDPSSODescriptor></md:EntityDescriptor>`
	os.WriteFile(filepath.Join(dir, "idp.xml"), []byte(md), 0o644)
	cfg := &sso.SAMLConfig{KeyFile: filepath.Join(dir, "sp.key"), CertFile: filepath.Join(dir, "sp.crt"),
		IdPs: []sso.SAMLMetadataSource{{MetadataFile: filepath.Join(dir, "idp.xml")}}}
	sp, err := startSAML(ctx, &sso.Config{SAML: cfg}, "https://partners.example.ac.jp", log)
	if err != nil || sp.EntityID() != "https://partners.example.ac.jp/saml/metadata" || len(sp.IdPs()) != 1 {
		t.Fatalf("%v %v", sp, err)
	}
	cfg.IdPs[0].MetadataFile = filepath.Join(dir, "missing.xml")
	if _, err := startSAML(ctx, &sso.Config{SAML: cfg}, "https://partners.example.ac.jp", log); err == nil || !strings.Contains(err.Error(), "missing.xml") {
		t.Fatalf("a missing metadata file: %v", err)
	}
}
