package authn

// Second factors: TOTP codes (RFC 6238, with github.com/pquerna/otp) and
// recovery codes. The store keeps the secrets and the last step accepted;
// this file makes and checks the codes.

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

const (
	// TOTPPeriod is the life of a code, the default of every app.
	TOTPPeriod = 30 * time.Second
	// totpSkew is how many periods before and after now a code is
	// accepted: one, for clocks that drift and people who type slowly.
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes a user gets at once.
	RecoveryCodeCount = 10
	// MaxCodeFailures bounds the wrong codes one sign-in may try before it
	// must start again from the password.
	MaxCodeFailures = 3
	// Wrong codes of one user, or from one address, within CodeFailureWindow
	// beyond these refuse the second step for the rest of the window. Only a
	// holder of the right password reaches this step, so a limit that an
	// attacker could hit to keep the owner out would already need the
	// password; the limits stop guessing the six digits.
	MaxCodeFailuresPerUser = 5
	MaxCodeFailuresPerIP   = 30
	CodeFailureWindow      = 15 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP returns a new random secret (base32, 160 bits as RFC 4226
// recommends) and its otpauth:// URL for an app.
func NewTOTP(issuer, account string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), k.URL(), nil
}

// TOTPQR is the PNG of the QR code an app scans to enrol a secret.
func TOTPQR(issuer, account, secret string, size int) ([]byte, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return nil, err
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: raw})
	if err != nil {
		return nil, err
	}
	img, err := k.Image(size, size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, img)
	return b.Bytes(), err
}

// TOTPStep returns the time step of code if it is the code of secret at
// now or one period around it. The step lets the store refuse a code
// already used (a replay within its window).
func TOTPStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != 6 {
		return 0, false
	}
	period := int64(TOTPPeriod / time.Second)
	step := now.Unix() / period
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((step+d)*period, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true
		}
	}
	return 0, false
}

// recoveryAlphabet is Crockford's base32: no I, L, O or U, and what is
// typed for the letters left out is read as the digit they look like
// (recoveryNorm). 32 letters: a byte's low five bits pick one without bias.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// RecoveryCodeLen is the characters of a recovery code: 24 of 32 letters
// are 120 bits. ASVS 5.0 (V6.5.2) lets a lookup secret of 112 bits or
// more be kept as a plain SHA-256; below that it wants a salted password
// hash, which would make every sign-in with a code cost an argon2 run per
// unused code. Longer codes are the cheaper of the two, and still typed in
// six groups of four.
const RecoveryCodeLen = 24

// NewRecoveryCodes returns RecoveryCodeCount codes to show once, in groups
// of four joined by hyphens, and the hashes to keep.
func NewRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, RecoveryCodeLen)
		rand.Read(b)
		var c strings.Builder
		for i, x := range b {
			if i > 0 && i%4 == 0 {
				c.WriteByte('-')
			}
			c.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
		}
		codes = append(codes, c.String())
		hashes = append(hashes, RecoveryHash(c.String()))
	}
	return codes, hashes
}

// recoveryNorm is a recovery code as typed, made canonical: case, spaces
// and hyphens do not matter, and O, I and L read as 0, 1 and 1. Codes made
// before they were 24 characters had none of O, I, L, so they keep their
// hashes.
func recoveryNorm(code string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			r = r - 'a' + 'A'
		}
		switch r {
		case ' ', '-':
			return -1
		case 'O':
			return '0'
		case 'I', 'L':
			return '1'
		}
		return r
	}, code)
}

// RecoveryHash is the hash kept of a recovery code, as typed
// (recoveryNorm). A plain SHA-256 suffices for codes of 120 bits
// (RecoveryCodeLen).
func RecoveryHash(code string) string {
	return SecretHash("recovery:" + recoveryNorm(code))
}
