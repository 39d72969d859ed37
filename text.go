// Package partnerhub holds the domain of a university's strategic-partnership
// programme: partners, units, phases, teams, agreements and activities, with
// their validation and the queries the read path answers from memory.
package partnerhub

import "strings"

// Lang is a language the programme publishes in.
type Lang string

const (
	Japanese Lang = "ja"
	English  Lang = "en"
)

// Langs lists the supported languages, the default first.
var Langs = []Lang{English, Japanese}

// ParseLang accepts "ja" or "en" (case-insensitive); ok is false otherwise.
func ParseLang(s string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ja":
		return Japanese, true
	case "en":
		return English, true
	}
	return "", false
}

// Text is a string in Japanese and English.
type Text struct {
	Ja string `json:"ja" yaml:"ja"`
	En string `json:"en" yaml:"en"`
}

// In returns the text in lang; when that language is missing it returns the
// other one and fallback is true, so a page can mark it visibly.
func (t Text) In(lang Lang) (s string, fallback bool) {
	primary, other := t.En, t.Ja
	if lang == Japanese {
		primary, other = t.Ja, t.En
	}
	if primary != "" {
		return primary, false
	}
	return other, other != ""
}

// IsZero reports whether neither language is set.
func (t Text) IsZero() bool { return t.Ja == "" && t.En == "" }

// Contains reports whether either language contains q, ignoring case.
func (t Text) Contains(q string) bool {
	return containsFold(t.Ja, q) || containsFold(t.En, q)
}

func containsFold(s, q string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(q))
}

// validateText checks a required bilingual field: both languages present.
func validateText(errs FieldErrors, field string, t Text, required bool) {
	if required && t.Ja == "" {
		errs.Add(field+".ja", "required")
	}
	if required && t.En == "" {
		errs.Add(field+".en", "required")
	}
	if len(t.Ja) > MaxTextLen {
		errs.Add(field+".ja", "too_long", MaxTextLen)
	}
	if len(t.En) > MaxTextLen {
		errs.Add(field+".en", "too_long", MaxTextLen)
	}
}

// MaxTextLen bounds every free-text field, in bytes.
const MaxTextLen = 8000
