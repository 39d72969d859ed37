package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Span is a piece of a text: its bytes from Start to End, and whether the
// query matched it.
type Span struct {
	Text string
	Hit  bool
}

// mapped is a text normalised rune by rune, each normalised rune knowing
// the bytes of the original it came from.
type mapped struct {
	runes      []rune
	start, end []int // byte offsets in the original
}

// normalizeMapped normalises s as Normalize does, keeping where each rune
// came from: NFKC works on segments (a base and its marks, ｶﾞ → ガ), so
// every rune of a segment's output points at the whole segment.
func normalizeMapped(s string) mapped {
	var m mapped
	var it norm.Iter
	it.InitString(norm.NFKC, s)
	for !it.Done() {
		from := it.Pos()
		seg := it.Next()
		to := it.Pos()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			m.runes = append(m.runes, unicode.ToLower(r))
			m.start = append(m.start, from)
			m.end = append(m.end, to)
		}
	}
	return m
}

// matches reports where in the normalised text the query's terms
// match, as [start, end) rune offsets.
func (q Query) matches(m mapped) [][2]int {
	var out [][2]int
	for _, r := range Runs(string(m.runes)) {
		for _, t := range q.Terms {
			needle := t.Prefix
			if t.Phrase != nil {
				needle = phraseText(t.Phrase)
			}
			nr := []rune(needle)
			if len(nr) == 0 {
				continue
			}
			if r.Kind == Word {
				if !cjk(nr[0]) && hasPrefix(r.Text, nr) {
					out = append(out, [2]int{r.Start, r.Start + len(nr)})
				}
				continue
			}
			if !cjk(nr[0]) {
				continue
			}
			for i := 0; i+len(nr) <= len(r.Text); i++ {
				if hasPrefix(r.Text[i:], nr) {
					out = append(out, [2]int{r.Start + i, r.Start + i + len(nr)})
				}
			}
		}
	}
	return out
}

func phraseText(p []string) string {
	var b strings.Builder
	for i, s := range p {
		if i == 0 {
			b.WriteString(s)
		} else {
			_, n := utf8.DecodeRuneInString(s)
			b.WriteString(s[n:])
		}
	}
	return b.String()
}

func hasPrefix(s, p []rune) bool {
	if len(p) > len(s) {
		return false
	}
	for i := range p {
		if s[i] != p[i] {
			return false
		}
	}
	return true
}

// Snippet returns a window of about width characters of s around the
// first match of q, in s's own characters, the matched parts marked; ok is
// false when q matches nothing in s.
func (q Query) Snippet(s string, width int) (spans []Span, ok bool) {
	m := normalizeMapped(s)
	hits := q.matches(m)
	if len(hits) == 0 {
		return nil, false
	}
	first := hits[0][0]
	for _, h := range hits {
		first = min(first, h[0])
	}
	from := max(0, first-width/4)
	to := min(len(m.runes), from+width)
	from = max(0, min(from, to-width))
	// Whether each rune in the window is in a match.
	in := make([]bool, to-from)
	for _, h := range hits {
		for i := max(h[0], from); i < min(h[1], to); i++ {
			in[i-from] = true
		}
	}
	// Back to the original's bytes: a run of runes with the same flag is
	// one span, from the start of its first rune's segment to the end of
	// its last's.
	var b0 int
	if from > 0 {
		spans = append(spans, Span{Text: "…"})
	}
	b0 = m.start[from]
	for i := from; i < to; {
		j := i
		for j < to && in[j-from] == in[i-from] {
			j++
		}
		end := m.end[j-1]
		if end > b0 {
			spans = append(spans, Span{Text: s[b0:end], Hit: in[i-from]})
			b0 = end
		}
		i = j
	}
	if to < len(m.runes) {
		spans = append(spans, Span{Text: "…"})
	}
	return spans, true
}

// Lead is the start of s, about width characters, when nothing in it
// matched.
func Lead(s string, width int) []Span {
	if s == "" {
		return nil
	}
	r := []rune(s)
	if len(r) <= width {
		return []Span{{Text: s}}
	}
	return []Span{{Text: string(r[:width])}, {Text: "…"}}
}
