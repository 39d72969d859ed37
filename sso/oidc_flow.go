package sso

// A sign-in's flow, between the redirect to the provider and its answer,
// lives in a cookie of the browser that began it, sealed (AES-256-GCM) with
// a key drawn from the provider's client secret. Why a cookie, not a
// table: the flow is bound to the browser by being in it (a stolen
// callback URL is useless elsewhere: the PKCE verifier and the nonce are
// not in it), every node of a deployment opens it (they share the
// configuration), and nothing is left to clean up. Sealing keeps the
// verifier and the nonce unread and the rest (next, language) unchanged.
// The cookie is cleared when the provider's answer arrives, whatever it
// is; a code presented again is refused by the provider (codes are
// single-use, RFC 6749 4.1.2), which Finish reports.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// OIDCFlowTTL is how long a sign-in may take at the provider.
const OIDCFlowTTL = 10 * time.Minute

// Flow is what a sign-in remembers while the browser is at the provider.
type Flow struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE code verifier
	Next     string `json:"next,omitempty"`
	Lang     string `json:"lang,omitempty"`
	// Expires is when the flow ends (Unix seconds).
	Expires int64 `json:"exp"`
}

// errFlow is a flow cookie that is not one this provider sealed, or has
// expired.
var errFlow = errors.New("sso: oidc: no valid sign-in in progress")

// IsFlowError reports a flow cookie that was missing, forged or expired.
func IsFlowError(err error) bool { return errors.Is(err, errFlow) }

// Seal is the flow as a cookie's value.
func (c *OIDCClient) Seal(f Flow) (string, error) {
	aead, err := c.aead()
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(c.Config.ID))), nil
}

// Open is the flow a cookie's value holds, if this provider sealed it and
// it has not expired at now.
func (c *OIDCClient) Open(value string, now time.Time) (Flow, error) {
	aead, err := c.aead()
	if err != nil {
		return Flow{}, err
	}
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) < aead.NonceSize() {
		return Flow{}, errFlow
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(c.Config.ID))
	if err != nil {
		return Flow{}, errFlow
	}
	var f Flow
	if err := json.Unmarshal(plain, &f); err != nil || f.Provider != c.Config.ID || now.Unix() >= f.Expires {
		return Flow{}, errFlow
	}
	return f, nil
}

func (c *OIDCClient) aead() (cipher.AEAD, error) {
	b, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func joinSpace(s []string) string { return strings.Join(s, " ") }
