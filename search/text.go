// Package search turns text into the tokens the search index holds, and a
// query into the terms that find them. It is done here, in Go, once, so
// that SQLite's FTS5 and PostgreSQL's tsvector index exactly the same
// tokens and answer exactly the same queries.
//
// Text is normalised (Unicode NFKC, so that ＥＴＨ is ETH and ｶﾀｶﾅ is
// カタカナ, then lower case) and cut into runs:
//   - a run of letters and digits of scripts written with spaces is a word,
//     and the word is the token;
//   - a run of Han, Hiragana, Katakana (with ー) or Hangul characters gives
//     its overlapping bigrams and, last, its final character alone
//     ("東文研" → 東文, 文研, 研), so that every character of a run starts a
//     token: a query of one character is a prefix, of two a token, of more
//     a phrase of bigrams;
//   - everything else separates.
package search

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxTokenRunes bounds a word token; longer words are cut (the same way in
// documents and queries, so they still match).
const MaxTokenRunes = 60

// Normalize is s as the index compares it: NFKC, lower case.
func Normalize(s string) string {
	return strings.Map(unicode.ToLower, norm.NFKC.String(s))
}

// cjk reports whether r belongs to a script written without spaces, whose
// runs are cut into bigrams.
func cjk(r rune) bool {
	switch {
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r),
		unicode.Is(unicode.Hangul, r):
		return true
	case r == 'ー' || r == '々' || r == '〆' || r == 'ヶ':
		return true
	}
	return false
}

// wordRune reports whether r is part of a word of a script written with
// spaces.
func wordRune(r rune) bool {
	return !cjk(r) && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc))
}

// RunKind tells a word from a run of CJK characters.
type RunKind int

const (
	Word RunKind = iota
	CJK
)

// Run is a run of normalised text: its characters, and where it is in the
// normalised text (in runes).
type Run struct {
	Kind  RunKind
	Text  []rune
	Start int
}

// Runs cuts normalised text into runs.
func Runs(normalized string) []Run {
	var out []Run
	var cur *Run
	i := 0
	for _, r := range normalized {
		var k RunKind
		switch {
		case cjk(r):
			k = CJK
		case wordRune(r):
			k = Word
		default:
			cur = nil
			i++
			continue
		}
		if cur == nil || cur.Kind != k {
			out = append(out, Run{Kind: k, Start: i})
			cur = &out[len(out)-1]
		}
		cur.Text = append(cur.Text, r)
		i++
	}
	return out
}

// Tokens returns the tokens of a text, in order.
func Tokens(s string) []string {
	return appendTokens(nil, Runs(Normalize(s)))
}

func appendTokens(out []string, runs []Run) []string {
	for _, r := range runs {
		switch r.Kind {
		case Word:
			out = append(out, cut(r.Text))
		case CJK:
			for i := 0; i+1 < len(r.Text); i++ {
				out = append(out, string(r.Text[i:i+2]))
			}
			out = append(out, string(r.Text[len(r.Text)-1:]))
		}
	}
	return out
}

func cut(w []rune) string {
	if len(w) > MaxTokenRunes {
		w = w[:MaxTokenRunes]
	}
	return string(w)
}

// NameKey is a name as exact matches compare it: its normalised runs,
// joined by a middle dot. "ETH Zürich" and "ｅｔｈ  zürich" have the same key.
func NameKey(s string) string {
	runs := Runs(Normalize(s))
	parts := make([]string, len(runs))
	for i, r := range runs {
		parts[i] = string(r.Text)
	}
	k := strings.Join(parts, "·")
	if rs := []rune(k); len(rs) > MaxNameKeyRunes {
		k = string(rs[:MaxNameKeyRunes])
	}
	return k
}

// MaxNameKeyRunes bounds a name key (the longest query is 200 characters).
const MaxNameKeyRunes = 200

// Term is one term of a query: a token matched as a prefix, or a phrase of
// consecutive bigrams matched exactly.
type Term struct {
	Prefix string   // when not a phrase
	Phrase []string // two or more bigrams, adjacent in this order
}

// Query is a parsed query: all its terms must match.
type Query struct {
	Terms []Term
	Key   string // NameKey of the whole query, for exact and prefix matches of names
	runs  []Run
}

// ParseQuery reads what a person typed. A query with no letters or digits
// has no terms.
func ParseQuery(s string) Query {
	runs := Runs(Normalize(s))
	q := Query{runs: runs, Key: NameKey(s)}
	for _, r := range runs {
		switch {
		case r.Kind == Word:
			q.Terms = append(q.Terms, Term{Prefix: cut(r.Text)})
		case len(r.Text) <= 2:
			q.Terms = append(q.Terms, Term{Prefix: string(r.Text)})
		default:
			var p []string
			for i := 0; i+1 < len(r.Text); i++ {
				p = append(p, string(r.Text[i:i+2]))
			}
			q.Terms = append(q.Terms, Term{Phrase: p})
		}
	}
	return q
}

// Empty reports whether the query can match nothing.
func (q Query) Empty() bool { return len(q.Terms) == 0 }
