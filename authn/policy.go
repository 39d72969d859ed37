package authn

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"partnerhub"
	"partnerhub/authn/commonpw"
)

// PasswordContext is what a password must not be made of: the account's
// own name and e-mail address, and the names of the service (partnerhub,
// the home institution's slug and names).
type PasswordContext struct {
	Name, Email string
	Service     []string
}

// minOwnLetters is how many letters a password must keep once the words of
// its context are taken out: "utokyoutokyo" and "tarosuzuki1985" keep none.
const minOwnLetters = 6

// CheckPassword checks a new password: its length (partnerhub.ValidatePassword),
// then that it is not a common or breached password (as typed, or its word
// once the digits and symbols around it are taken off, or a repeated
// word), and not made of the account's name, e-mail address or the
// service's names. There are no composition rules (ASVS 6.2). The error is
// EInvalid with one message on the field "password", which never repeats
// the password.
func CheckPassword(pw string, c PasswordContext) error {
	if err := partnerhub.ValidatePassword(pw); err != nil {
		return err
	}
	n := normalizePassword(pw)
	errs := partnerhub.FieldErrors{}
	switch {
	case isCommon(n):
		errs.Add("password", "password_common")
	case madeOfContext(n, contextWords(c)):
		errs.Add("password", "password_personal")
	}
	return errs.Err()
}

// normalizePassword folds what people see as the same password: width and
// compatibility forms (NFKC: "ｐａｓｓｗｏｒｄ" is "password") and case.
func normalizePassword(pw string) string {
	return strings.ToLower(norm.NFKC.String(pw))
}

func isCommon(n string) bool {
	if commonpw.Contains(n) {
		return true
	}
	// The word inside "!!password2024": attackers' rules add digits and
	// symbols around listed words first.
	core := strings.TrimFunc(n, func(r rune) bool { return !unicode.IsLetter(r) })
	if core != n && commonpw.Contains(core) {
		return true
	}
	// A word typed several times: "dragonflydragonfly", "abcabcabcabc".
	for _, s := range []string{n, core} {
		if unit, ok := repeated(s); ok && (utf8.RuneCountInString(unit) < minOwnLetters || commonpw.Contains(unit)) {
			return true
		}
	}
	return false
}

// repeated returns the shortest unit that s is two or more copies of.
func repeated(s string) (string, bool) {
	for size := 1; size <= len(s)/2; size++ {
		if len(s)%size == 0 && strings.Repeat(s[:size], len(s)/size) == s {
			return s[:size], true
		}
	}
	return "", false
}

// contextWords are the words of c worth refusing, normalized, longest
// first: words of 4 or more characters (shorter ones, "ac", "jp", "of",
// would refuse good passphrases that happen to contain them), and the
// e-mail's local part whole.
func contextWords(c PasswordContext) []string {
	var words []string
	add := func(s string) {
		for w := range strings.FieldsFuncSeq(normalizePassword(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if utf8.RuneCountInString(w) >= 4 {
				words = append(words, w)
			}
		}
	}
	add(c.Name)
	local, domain, _ := strings.Cut(c.Email, "@")
	add(local)
	add(domain)
	if l := normalizePassword(local); utf8.RuneCountInString(l) >= 4 {
		words = append(words, l)
	}
	add("partnerhub")
	for _, s := range c.Service {
		add(s)
	}
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(words)
}

// madeOfContext reports a password that, without its context words, has
// fewer than minOwnLetters letters left: the words plus digits, symbols or
// a short ending.
func madeOfContext(n string, words []string) bool {
	rest := n
	for _, w := range words {
		rest = strings.ReplaceAll(rest, w, "\x00")
	}
	if rest == n {
		return false
	}
	letters := 0
	for _, r := range rest {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters < minOwnLetters
}
