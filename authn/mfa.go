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

// recoveryAlphabet has no letters that read alike (0/O, 1/I/L).
const recoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewRecoveryCodes returns RecoveryCodeCount codes to show once, and the
// hashes to keep. A code is 16 characters of a 31-letter alphabet (79
// bits), so a plain SHA-256 of it resists guessing as well as the random
// tokens do.
func NewRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, 16)
		rand.Read(b)
		var c strings.Builder
		for i, x := range b {
			if i > 0 && i%4 == 0 {
				c.WriteByte('-')
			}
			// 256 is not a multiple of 31: the first 8 letters are a
			// little likelier (9/256 against 8/256), harmless at 79 bits.
			c.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
		}
		codes = append(codes, c.String())
		hashes = append(hashes, RecoveryHash(c.String()))
	}
	return codes, hashes
}

// RecoveryHash is the hash kept of a recovery code, as typed: case,
// spaces and hyphens do not matter.
func RecoveryHash(code string) string {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
	return SecretHash("recovery:" + norm)
}
