package authn

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestTOTPStep(t *testing.T) {
	secret, url, err := NewTOTP("partnerhub", "a@example.ac.jp")
	if err != nil || len(secret) != 32 || !strings.HasPrefix(url, "otpauth://totp/partnerhub:a@example.ac.jp?") {
		t.Fatalf("NewTOTP: %q %q %v", secret, url, err)
	}
	now := time.Unix(1_800_000_015, 0) // mid-period
	step := now.Unix() / 30
	for _, c := range []struct {
		at   time.Duration
		ok   bool
		step int64
	}{{0, true, step}, {-TOTPPeriod, true, step - 1}, {TOTPPeriod, true, step + 1}, {-2 * TOTPPeriod, false, 0}, {2 * TOTPPeriod, false, 0}} {
		code, err := totp.GenerateCode(secret, now.Add(c.at))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := TOTPStep(secret, code, now); ok != c.ok || got != c.step {
			t.Errorf("code of now%+v: step %d, %v; want %d, %v", c.at, got, ok, c.step, c.ok)
		}
	}
	code, _ := totp.GenerateCode(secret, now)
	if _, ok := TOTPStep(secret, code[:3]+" "+code[3:], now); !ok {
		t.Error("a code typed with a space is refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := TOTPStep(secret, bad, now); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if png, err := TOTPQR("partnerhub", "a@example.ac.jp", secret, 200); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("QR: %v", err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	if len(recoveryAlphabet) != 32 {
		t.Fatalf("alphabet of %d letters", len(recoveryAlphabet))
	}
	// A code made before codes were 24 characters still matches its hash.
	if RecoveryHash("abcd efgh-jkmn-pqrs") != SecretHash("recovery:ABCDEFGHJKMNPQRS") {
		t.Error("an older code no longer matches")
	}
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		// 24 characters of 32 letters (120 bits, enough for an unsalted
		// hash at ASVS level 2), in six groups of four.
		groups := strings.Split(c, "-")
		if len(c) != 29 || len(groups) != 6 || strings.Trim(c, recoveryAlphabet+"-") != "" || seen[c] {
			t.Errorf("code %q", c)
		}
		for _, g := range groups {
			if len(g) != 4 {
				t.Errorf("code %q: group %q", c, g)
			}
		}
		seen[c] = true
		if hashes[i] != RecoveryHash(c) || hashes[i] != RecoveryHash(strings.ToLower(strings.ReplaceAll(c, "-", " "))) {
			t.Errorf("the hash of %q depends on how it is typed", c)
		}
		if hashes[i] != RecoveryHash(" "+strings.NewReplacer("0", "o", "1", "l").Replace(c)+" ") {
			t.Errorf("%q typed with o for 0 and l for 1 does not match", c)
		}
		if strings.Contains(hashes[i], c) {
			t.Errorf("hash %q holds the code", hashes[i])
		}
	}
}
