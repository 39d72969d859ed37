package search

import (
	"strconv"
	"strings"
)

// A stored token is a scope, a field tag and a payload: "ap12·stockholm"
// is the word stockholm in the title of a public activity of home 12.
// The scope (chosen by the store: kind, visibility, owner) puts the owner
// and the visibility inside the token, so that the index alone narrows a
// query to what the searcher may see, however large the other homes are;
// the tag keeps titles, bodies, whole names and years apart. Tags are
// punctuation, which never occurs inside a word, and not ASCII, so SQLite's
// "ascii" tokenizer keeps a token whole, as PostgreSQL keeps a quoted
// lexeme.
const (
	TagTitle = "·" // a token of a title, name, mark or acronym
	TagBody  = "¦" // a token of the rest of the text
	TagName  = "≡" // a whole name's NameKey, for exact and prefix matches
	TagYear  = "§" // the record's year
)

// MaxDocTokens bounds the tokens of one document: PostgreSQL keeps
// positions up to 16,383 only, and both engines must see the same
// document.
const MaxDocTokens = 16000

// Doc is what a document is indexed from.
type Doc struct {
	Titles []string // names, titles, marks, acronyms, codes: their tokens are title tokens, each also a name key
	Bodies []string
	Year   int
}

// Tokens returns the stored tokens of d under scope, in order.
func (d *Doc) Tokens(scope string) []string {
	var out []string
	add := func(tag string, toks []string) {
		for _, t := range toks {
			if len(out) >= MaxDocTokens {
				return
			}
			out = append(out, scope+tag+t)
		}
	}
	keys := map[string]bool{}
	for _, t := range d.Titles {
		if k := NameKey(t); k != "" && !keys[k] {
			keys[k] = true
			add(TagName, []string{k})
		}
	}
	if d.Year != 0 {
		add(TagYear, []string{strconv.Itoa(d.Year)})
	}
	for _, t := range d.Titles {
		add(TagTitle, Tokens(t))
	}
	for _, t := range d.Bodies {
		add(TagBody, Tokens(t))
	}
	return out
}

// NameKeys are the name keys of d, for telling an exact match.
func (d *Doc) NameKeys() []string {
	var out []string
	for _, t := range d.Titles {
		if k := NameKey(t); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Tier is how a document matches a query, best first.
type Tier int

const (
	TierExact  Tier = iota // the query is one of its names
	TierPrefix             // the query starts one of its names
	TierTitle              // every term is in its titles
	TierAny                // every term is in it somewhere
)

// Expr is a query in an engine's syntax.
type Expr interface {
	term(tok string, prefix bool) string
	phrase(toks []string) string
	and(parts []string) string
	or(parts []string) string
}

// Build writes the query that finds the documents of the scopes that match
// q at tier, dated year when year is not 0. It returns "" when nothing can
// match.
func Build(x Expr, scopes []string, q Query, tier Tier, year int) string {
	if q.Empty() || len(scopes) == 0 {
		return ""
	}
	var alts []string
	for _, s := range scopes {
		var parts []string
		switch tier {
		case TierExact, TierPrefix:
			if q.Key == "" {
				return ""
			}
			parts = append(parts, x.term(s+TagName+q.Key, tier == TierPrefix))
		case TierTitle:
			for _, t := range q.Terms {
				parts = append(parts, termIn(x, s+TagTitle, t))
			}
		case TierAny:
			for _, t := range q.Terms {
				parts = append(parts, x.or([]string{termIn(x, s+TagTitle, t), termIn(x, s+TagBody, t)}))
			}
		}
		if year != 0 {
			parts = append(parts, x.term(s+TagYear+strconv.Itoa(year), false))
		}
		alts = append(alts, x.and(parts))
	}
	return x.or(alts)
}

func termIn(x Expr, prefix string, t Term) string {
	if t.Phrase == nil {
		return x.term(prefix+t.Prefix, true)
	}
	toks := make([]string, len(t.Phrase))
	for i, p := range t.Phrase {
		toks[i] = prefix + p
	}
	return x.phrase(toks)
}

func group(parts []string, op string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, op) + ")"
}

// FTS5 writes SQLite FTS5 queries (for a table with tokenize = 'ascii').
type FTS5 struct{}

func fts5Quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (FTS5) term(tok string, prefix bool) string {
	if prefix {
		return fts5Quote(tok) + "*"
	}
	return fts5Quote(tok)
}
func (FTS5) phrase(toks []string) string { return fts5Quote(strings.Join(toks, " ")) }
func (FTS5) and(parts []string) string   { return group(parts, " AND ") }
func (FTS5) or(parts []string) string    { return group(parts, " OR ") }

// TSQuery writes PostgreSQL tsquery literals (cast with ::tsquery, which
// takes lexemes as written).
type TSQuery struct{}

// Lexeme quotes a token as a tsvector or tsquery lexeme.
func Lexeme(tok string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(tok) + "'"
}

func (TSQuery) term(tok string, prefix bool) string {
	if prefix {
		return Lexeme(tok) + ":*"
	}
	return Lexeme(tok)
}
func (TSQuery) phrase(toks []string) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = Lexeme(t)
	}
	return "(" + strings.Join(parts, " <-> ") + ")"
}
func (TSQuery) and(parts []string) string { return group(parts, " & ") }
func (TSQuery) or(parts []string) string  { return group(parts, " | ") }

// TSVector writes tokens as a tsvector literal with their positions (from
// 1), each lexeme once with all its positions, as PostgreSQL would store
// it.
func TSVector(toks []string) string {
	pos := map[string][]int{}
	var order []string
	for i, t := range toks {
		if _, ok := pos[t]; !ok {
			order = append(order, t)
		}
		pos[t] = append(pos[t], i+1)
	}
	var b strings.Builder
	for i, t := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Lexeme(t))
		b.WriteByte(':')
		for j, p := range pos[t] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
		}
	}
	return b.String()
}
