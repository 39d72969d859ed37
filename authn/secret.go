package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every raw API token, so that a leaked one is easy to
// recognise (secret scanners, logs).
const TokenPrefix = "ph_"

// NewSecret returns a random token (32 bytes, base64url) with a prefix, and
// the hash a database keeps instead of it.
func NewSecret(prefix string) (raw, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	raw = prefix + base64.RawURLEncoding.EncodeToString(b)
	return raw, SecretHash(raw)
}

// SecretHash is the hash of a raw secret, as a database keeps it: the
// secrets are random, so SHA-256 is enough.
func SecretHash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// PlausibleSecret filters out values that cannot be secrets of NewSecret
// before they reach a query.
func PlausibleSecret(raw, prefix string) bool {
	return strings.HasPrefix(raw, prefix) && len(raw) == len(prefix)+43
}
