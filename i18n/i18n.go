// Package i18n holds the message catalogs (ja.json, en.json, embedded) and
// the Printer that renders a message key in one language.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
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

// T renders key with args in place of {0}, {1}, …. A missing key renders as
// the key itself, which the catalog tests make impossible for keys in code.
func (p *Printer) T(key string, args ...any) string {
	s, ok := p.msgs[key]
	if !ok {
		return key
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(i)+"}", fmt.Sprint(a))
	}
	return s
}

// Error renders an application error's message; for field errors see Field.
func (p *Printer) Error(e *partnerhub.Error) string { return p.T(e.Message, e.Args...) }

// Field renders one field's problem.
func (p *Printer) Field(f partnerhub.FieldError) string { return p.T("field."+f.Key, f.Args...) }
