package authn

import (
	"strings"
	"testing"
)

// The test-only cost makes hashes that verify and are not stale while it
// holds, and the production parameters come back without it; a production
// hash is then stale for the test binary, so a sign-in replaces it.
func TestMinimumCostForTests(t *testing.T) {
	prod := HashPassword("correct horse battery staple")
	UseMinimumCostForTests()
	t.Cleanup(func() { testParams.Store(nil) })
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8,t=1,p=1$") {
		t.Fatalf("test hash %q", h)
	}
	if ok, stale := VerifyPassword(h, "correct horse battery staple"); !ok || stale {
		t.Fatalf("test hash: ok %v stale %v", ok, stale)
	}
	if ok, _ := VerifyPassword(h, "correct horse battery stapler"); ok {
		t.Fatal("wrong password accepted")
	}
	if ok, stale := VerifyPassword(prod, "correct horse battery staple"); !ok || !stale {
		t.Fatalf("production hash under the test cost: ok %v stale %v", ok, stale)
	}
	testParams.Store(nil)
	if h := HashPassword("x"); !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("production hash %q", h)
	}
}
