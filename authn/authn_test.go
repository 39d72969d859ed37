package authn

import (
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, stale := VerifyPassword(h, "correct horse battery staple"); !ok || stale {
		t.Fatalf("right password: ok %v stale %v", ok, stale)
	}
	if ok, _ := VerifyPassword(h, "correct horse battery stapler"); ok {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "!", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"} {
		if ok, _ := VerifyPassword(bad, ""); ok {
			t.Fatalf("damaged hash %q matched", bad)
		}
	}
	// A hash made with weaker parameters than today's is stale.
	salt := []byte("0123456789abcdef")
	weak := encodeHash(argonParams{m: 8192, t: 1, p: 1}, salt, argon2.IDKey([]byte("pw"), salt, 1, 8192, 1, keyLen))
	if ok, stale := VerifyPassword(weak, "pw"); !ok || !stale {
		t.Fatalf("weak hash: ok %v stale %v", ok, stale)
	}
}

func TestSecrets(t *testing.T) {
	raw, hash := NewSecret(TokenPrefix)
	if !PlausibleSecret(raw, TokenPrefix) || PlausibleSecret(raw[1:], TokenPrefix) || PlausibleSecret(raw+"x", TokenPrefix) {
		t.Fatalf("plausibility of %q", raw)
	}
	if SecretHash(raw) != hash || len(hash) != 64 {
		t.Fatalf("hash %q", hash)
	}
	if other, _ := NewSecret(TokenPrefix); other == raw {
		t.Fatal("two secrets alike")
	}
}

// Throttling: throttle_test.go.
