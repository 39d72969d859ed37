// Package i18n holds the message catalogs (ja.json, en.json, embedded) and
// the Printer that renders a message key in one language.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"partnerhub"
)

// Each language's catalog is every JSON file in its folder (en/, ja/),
// merged; a key defined twice is an error. Features keep their messages in
// files of their own.
//
//go:embed en/*.json ja/*.json
var files embed.FS

// Catalogs holds every message in every language.
type Catalogs struct {
	msgs    map[partnerhub.Lang]map[string]string
	matcher language.Matcher
}

// Load parses the embedded catalogs.
func Load() (*Catalogs, error) {
	c := &Catalogs{msgs: map[partnerhub.Lang]map[string]string{}}
	for _, l := range partnerhub.Langs {
		names, err := fs.Glob(files, string(l)+"/*.json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, name := range names {
			b, err := files.ReadFile(name)
			if err != nil {
				return nil, err
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("i18n %s: %w", name, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("i18n %s: %q is defined twice", name, k)
				}
				if err := checkMessage(l, v); err != nil {
					return nil, fmt.Errorf("i18n %s: %q: %w", name, k, err)
				}
				m[k] = v
			}
		}
		c.msgs[l] = m
	}
	tags := make([]language.Tag, len(partnerhub.Langs))
	for i, l := range partnerhub.Langs {
		tags[i] = language.Make(string(l))
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Keys returns the keys of one language's catalog.
func (c *Catalogs) Keys(l partnerhub.Lang) map[string]string { return c.msgs[l] }

// Negotiate picks the language of a request: an explicit choice (?lang=,
// a cookie) when it names a supported language, else the best match of the
// Accept-Language header, else English.
func (c *Catalogs) Negotiate(explicit, acceptLanguage string) partnerhub.Lang {
	if l, ok := partnerhub.ParseLang(explicit); ok {
		return l
	}
	if acceptLanguage == "" {
		return partnerhub.English
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return partnerhub.English
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return partnerhub.English
	}
	return partnerhub.Langs[i]
}

// Printer renders messages in one language.
type Printer struct {
	Lang partnerhub.Lang
	msgs map[string]string
}

// Printer returns the printer of lang.
func (c *Catalogs) Printer(lang partnerhub.Lang) *Printer {
	return &Printer{Lang: lang, msgs: c.msgs[lang]}
}

// T renders key with args. A message names its arguments by position:
//
//	{0}                                       the argument as it is
//	{0, number}                               a whole number for the reader: 1,234
//	{0, plural, one {# partner} other {# partners}}
//	                                          the form the language's rule picks
//	                                          for the number; # is the number
//
// A missing key renders as the key itself, which the catalog tests make
// impossible for keys in code.
func (p *Printer) T(key string, args ...any) string {
	s, ok := p.msgs[key]
	if !ok {
		return key
	}
	out, err := format(p.Lang, s, args)
	if err != nil {
		// Load checked every message; a failure here is a bug, shown
		// rather than hidden.
		return key
	}
	return out
}

// Num writes a whole number as readers of the printer's language expect
// it. Both languages group thousands with commas (1,234; 日本語でも 1,234);
// every count a page shows goes through here, so a third language can
// differ. Anything that is not a whole number is written as it is.
func (p *Printer) Num(n any) string { return formatNum(p.Lang, n) }

// Error renders an application error's message; for field errors see Field.
func (p *Printer) Error(e *partnerhub.Error) string { return p.T(e.Message, e.Args...) }

// Field renders one field's problem.
func (p *Printer) Field(f partnerhub.FieldError) string { return p.T("field."+f.Key, f.Args...) }

// pluralCategory is the CLDR plural category of a whole number in a
// language, for the two the programme publishes in: English tells "one"
// from "other"; Japanese has no plural forms.
func pluralCategory(lang partnerhub.Lang, n int64) string {
	if lang == partnerhub.English && n == 1 {
		return "one"
	}
	return "other"
}

// pluralCategories are the categories every plural message of a language
// must give.
func pluralCategories(lang partnerhub.Lang) []string {
	if lang == partnerhub.English {
		return []string{"one", "other"}
	}
	return []string{"other"}
}

func formatNum(lang partnerhub.Lang, n any) string {
	i, ok := wholeNumber(n)
	if !ok {
		return fmt.Sprint(n)
	}
	// Both languages group by three with a comma; the switch is where a
	// language that does otherwise would say so.
	sep := ","
	s := strconv.FormatInt(i, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for k, r := range s {
		if k > 0 && (len(s)-k)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wholeNumber reads an argument as a whole number: any integer type, or a
// string of digits (possibly already grouped, such as "1,234").
func wholeNumber(a any) (int64, bool) {
	switch n := a.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(strings.ReplaceAll(n, ",", ""), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// format renders a message's placeholders (see T).
func format(lang partnerhub.Lang, s string, args []any) (string, error) {
	if !strings.Contains(s, "{") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		if !isArgument(s[i+1:]) {
			b.WriteByte('{') // a brace of the text, as in "a JSON object ({…})"
			s = s[i+1:]
			continue
		}
		j := closing(s, i)
		if j < 0 {
			return "", fmt.Errorf("unclosed { in %q", s)
		}
		part, err := placeholder(lang, s[i+1:j], args)
		if err != nil {
			return "", err
		}
		b.WriteString(part)
		s = s[j+1:]
	}
}

// isArgument reports whether the text after a brace names an argument;
// any other brace is part of the text.
func isArgument(after string) bool { return after != "" && after[0] >= '0' && after[0] <= '9' }

// closing is the index of the brace that closes the one at open, or -1.
func closing(s string, open int) int {
	depth := 0
	for k := open; k < len(s); k++ {
		switch s[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

// placeholder renders the inside of one {…}.
func placeholder(lang partnerhub.Lang, in string, args []any) (string, error) {
	num, rest, _ := strings.Cut(in, ",")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 {
		return "", fmt.Errorf("{%s}: not an argument number", in)
	}
	var arg any = "" // a missing argument renders empty, as Sprint of nothing would
	if n < len(args) {
		arg = args[n]
	}
	kind, cases, _ := strings.Cut(rest, ",")
	switch strings.TrimSpace(kind) {
	case "":
		if strings.TrimSpace(rest) != "" {
			return "", fmt.Errorf("{%s}: unknown form", in)
		}
		return fmt.Sprint(arg), nil
	case "number":
		return formatNum(lang, arg), nil
	case "plural":
		forms, err := pluralForms(cases)
		if err != nil {
			return "", fmt.Errorf("{%s}: %w", in, err)
		}
		cat := "other"
		if i, ok := wholeNumber(arg); ok {
			cat = pluralCategory(lang, i)
		}
		text, ok := forms[cat]
		if !ok {
			text = forms["other"]
		}
		return format(lang, strings.ReplaceAll(text, "#", formatNum(lang, arg)), args)
	}
	return "", fmt.Errorf("{%s}: unknown form %q", in, kind)
}

// pluralForms reads "one {…} other {…}" into its forms by category.
func pluralForms(s string) (map[string]string, error) {
	forms := map[string]string{}
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			break
		}
		open := strings.IndexByte(s, '{')
		if open <= 0 {
			return nil, fmt.Errorf("plural: expected a category and {…} at %q", s)
		}
		cat := strings.TrimSpace(s[:open])
		if cat != "one" && cat != "other" {
			return nil, fmt.Errorf("plural: unknown category %q", cat)
		}
		end := closing(s, open)
		if end < 0 {
			return nil, fmt.Errorf("plural: unclosed form %q", cat)
		}
		if _, dup := forms[cat]; dup {
			return nil, fmt.Errorf("plural: %q given twice", cat)
		}
		forms[cat] = s[open+1 : end]
		s = s[end+1:]
	}
	if _, ok := forms["other"]; !ok {
		return nil, fmt.Errorf("plural: no \"other\" form")
	}
	return forms, nil
}

// checkMessage reports a message whose placeholders cannot be rendered, or
// whose plural forms lack a category the language needs (an English count
// without its singular, say).
func checkMessage(lang partnerhub.Lang, s string) error {
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return nil
		}
		if !isArgument(s[i+1:]) {
			s = s[i+1:]
			continue
		}
		j := closing(s, i)
		if j < 0 {
			return fmt.Errorf("unclosed {")
		}
		in := s[i+1 : j]
		if _, err := placeholder(lang, in, nil); err != nil {
			return err
		}
		if _, rest, ok := strings.Cut(in, ","); ok {
			if kind, cases, _ := strings.Cut(rest, ","); strings.TrimSpace(kind) == "plural" {
				forms, _ := pluralForms(cases)
				for _, cat := range pluralCategories(lang) {
					if _, ok := forms[cat]; !ok {
						return fmt.Errorf("plural: no %q form, which %s needs", cat, lang)
					}
				}
				for _, f := range forms {
					if err := checkMessage(lang, f); err != nil {
						return err
					}
				}
			}
		}
		s = s[j+1:]
	}
}
