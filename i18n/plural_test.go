package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"partnerhub"
)

func TestMessageForms(t *testing.T) {
	msgs := map[partnerhub.Lang]map[string]string{
		partnerhub.English: {
			"n":      "{0, plural, one {# partner} other {# partners}} in {1}",
			"num":    "{0, number} people",
			"nested": "{0, plural, one {one thing of {1}} other {# things of {1}}}",
			"brace":  "a JSON object ({…}) and {0}",
		},
		partnerhub.Japanese: {
			"n":   "{0, number}件のパートナー（{1}）",
			"one": "{0, plural, other {#件}}",
		},
	}
	en := &Printer{Lang: partnerhub.English, msgs: msgs[partnerhub.English]}
	ja := &Printer{Lang: partnerhub.Japanese, msgs: msgs[partnerhub.Japanese]}
	for _, tc := range []struct {
		p    *Printer
		key  string
		args []any
		want string
	}{
		{en, "n", []any{1, "Taiwan"}, "1 partner in Taiwan"},
		{en, "n", []any{0, "Peru"}, "0 partners in Peru"},
		{en, "n", []any{16, "all"}, "16 partners in all"},
		{en, "n", []any{int64(1234), "all"}, "1,234 partners in all"},
		{en, "n", []any{"1", "a string"}, "1 partner in a string"},
		{en, "num", []any{1234567}, "1,234,567 people"},
		{en, "num", []any{-1234}, "-1,234 people"},
		{en, "num", []any{999}, "999 people"},
		{en, "nested", []any{1, "x"}, "one thing of x"},
		{en, "nested", []any{2, "x"}, "2 things of x"},
		{en, "brace", []any{"y"}, "a JSON object ({…}) and y"},
		{ja, "n", []any{1234, "台湾"}, "1,234件のパートナー（台湾）"},
		{ja, "one", []any{1}, "1件"},
	} {
		if got := tc.p.T(tc.key, tc.args...); got != tc.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tc.p.Lang, tc.key, tc.args, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    any
		want string
	}{{0, "0"}, {12, "12"}, {1000, "1,000"}, {int64(-98765), "-98,765"}, {uint8(7), "7"}, {"not a number", "not a number"}} {
		if got := en.Num(tc.n); got != tc.want {
			t.Errorf("Num(%v) = %q, want %q", tc.n, got, tc.want)
		}
		if got := ja.Num(tc.n); got != tc.want {
			t.Errorf("ja Num(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestCheckMessage(t *testing.T) {
	for _, tc := range []struct {
		lang partnerhub.Lang
		msg  string
		ok   bool
	}{
		{partnerhub.English, "{0, plural, one {# partner} other {# partners}}", true},
		{partnerhub.English, "{0, plural, other {# partners}}", false}, // no singular
		{partnerhub.Japanese, "{0, plural, other {#件}}", true},
		{partnerhub.English, "{0, plural, one {# partner}}", false}, // no other
		{partnerhub.English, "{0, plural, few {# x} other {# y}}", false},
		{partnerhub.English, "{0, currency}", false},
		{partnerhub.English, "{0", false},
		{partnerhub.English, "a literal {…} brace", true},
	} {
		if err := checkMessage(tc.lang, tc.msg); (err == nil) != tc.ok {
			t.Errorf("checkMessage(%s, %q) = %v, want ok %v", tc.lang, tc.msg, err, tc.ok)
		}
	}
}

// countWord finds a number placeholder followed by a word that reads as a
// plural noun ("{0} partners", "{1} problem(s)", "{0} people"): such a
// message says "1 partners" for one, so it must use the plural form.
var countWord = regexp.MustCompile(`\{\d+(?:, number)?\}\s+(?:[a-z]+\s+)?([a-z]+(?:\(s\))?)`)

// notNouns are words ending in s that follow a number without counting it.
var notNouns = map[string]bool{"is": true, "was": true, "has": true, "does": true, "holds": true, "repeats": true, "as": true, "exists": true}

func TestEnglishCountsHavePluralForms(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	plural := 0
	for k, v := range c.Keys(partnerhub.English) {
		if strings.Contains(v, ", plural,") {
			plural++
		}
		for _, m := range countWord.FindAllStringSubmatch(v, -1) {
			w := m[1]
			if notNouns[w] {
				continue
			}
			if strings.HasSuffix(w, "(s)") || strings.HasSuffix(w, "s") || w == "people" {
				t.Errorf("%s: %q counts with a fixed plural (%q); use {N, plural, one {# …} other {# …}}", k, v, m[0])
			}
		}
	}
	if plural < 10 {
		t.Fatalf("only %d plural messages: the check no longer sees them", plural)
	}
}

// translatedLog is a log call whose message goes through a Printer or is a
// catalog key: logs are read by operators and searched by machines, so
// their messages are fixed English, with the variable parts as fields.
var translatedLog = regexp.MustCompile(`(?:Logger|log|logger)\.(?:Info|Warn|Error|Debug)\((?:[a-zA-Z.]*\.(?:T|Error|Field)\(|"(?:cli|error|page|label|import|stats)\.[a-z_.]+")`)

func TestLogsAreNotTranslated(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range translatedLog.FindAllString(string(b), -1) {
			t.Errorf("%s: a translated log message: %s", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
