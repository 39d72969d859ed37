// Package authn holds authentication apart from storage: argon2id password
// hashes, random secrets for sessions and API tokens, the sign-in throttling
// policy, and Passwords, the provider that signs people in with them.
package authn

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
)

// argonParams are argon2id's cost parameters: memory in KiB, passes, lanes.
type argonParams struct {
	m, t uint32
	p    uint8
}

// passwordParams are the parameters of new hashes (OWASP's recommendation
// for argon2id). Stored hashes carry their own parameters, so these can be
// raised later: a hash with other parameters is replaced at the next
// successful sign-in.
var passwordParams = argonParams{m: 19456, t: 2, p: 1}

// testParams, once a test binary sets them (UseMinimumCostForTests),
// replace passwordParams: a suite that signs hundreds of people in under
// the race detector spends minutes in argon2 at the production cost.
var testParams atomic.Pointer[argonParams]

// newParams are the parameters new hashes get.
func newParams() argonParams {
	if p := testParams.Load(); p != nil {
		return *p
	}
	return passwordParams
}

// UseMinimumCostForTests makes the new hashes of this test binary as cheap
// as argon2id allows (what parseHash accepts), for suites that test what
// is done with passwords rather than their cost. It panics outside a test
// binary, so that a server can never hash at this cost. The tests of
// authn and store do not call it and check the production parameters.
func UseMinimumCostForTests() {
	if !testing.Testing() {
		panic("authn.UseMinimumCostForTests outside a test binary")
	}
	testParams.Store(&argonParams{m: 8, t: 1, p: 1})
}

const (
	saltLen = 16
	keyLen  = 32
)

// MaxPasswordBytes bounds what sign-in hashes; ValidatePassword allows less.
const MaxPasswordBytes = 4096

// HashPassword returns the PHC string of a new argon2id hash of pw:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, base64 without padding.
func HashPassword(pw string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	a := newParams()
	return encodeHash(a, salt, argon2.IDKey([]byte(pw), salt, a.t, a.m, a.p, keyLen))
}

func encodeHash(a argonParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.m, a.t, a.p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseHash reads a PHC argon2id string. Parameters outside sane bounds are
// refused, so that a damaged row cannot make a sign-in allocate gigabytes.
func parseHash(s string) (a argonParams, salt, key []byte, ok bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return a, nil, nil, false
	}
	var m, t, p uint64
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return a, nil, nil, false
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return a, nil, nil, false
		}
	}
	if p < 1 || p > 16 || t < 1 || t > 64 || m < 8*p || m > 1<<20 {
		return a, nil, nil, false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return a, nil, nil, false
	}
	return argonParams{m: uint32(m), t: uint32(t), p: uint8(p)}, salt, key, true
}

// dummyHash is verified against when there is no real hash to check (an
// unknown e-mail address, a damaged row), so that the answer takes as long
// as for a real user and does not tell which addresses exist.
var dummyHash = sync.OnceValue(func() string { return HashPassword(rand.Text()) })

// VerifyPassword checks pw against a stored hash in constant time; an empty
// or damaged hash matches nothing, after the same work. stale reports a
// hash made with other parameters than today's.
func VerifyPassword(encoded, pw string) (ok, stale bool) {
	a, salt, key, valid := parseHash(encoded)
	if !valid {
		a, salt, key, _ = parseHash(dummyHash())
	}
	got := argon2.IDKey([]byte(pw), salt, a.t, a.m, a.p, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1 && valid
	return ok, a != newParams() || len(salt) != saltLen || len(key) != keyLen
}
