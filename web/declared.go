package web

import (
	"slices"

	"partnerhub"
)

// Declared figures are the numbers the programme's brochure states about a
// partnership ("close to 100 people a year"). They are not records: the
// pages show them as stated, with their qualifier, marked as declared.

// declaredMobilityKeys are the figure keys that count people moving between
// the university and a partner, the ones a mobility section shows.
var declaredMobilityKeys = []string{"mobility.annual", "language_exchange.students_per_university"}

// declaredFigure is a declared figure as a page shows it: one sentence in
// the page's language, with the partner it is about.
type declaredFigure struct {
	Partner *partnerhub.PartnerView // nil on a partner's own page
	Text    string
}

// declaredMobility is the declared mobility figures of one partner, or
// (partner "") of every partner, each named by its partner.
func declaredMobility(v *view, partner string) []declaredFigure {
	var out []declaredFigure
	for _, f := range v.X.Catalog().Figures {
		if f.Partner == "" || !slices.Contains(declaredMobilityKeys, f.Key) || (partner != "" && f.Partner != partner) {
			continue
		}
		d := declaredFigure{Text: figureText(v, f)}
		if partner == "" {
			p, err := v.X.Partner(f.Partner)
			if err != nil { // a draft or unpublished partner: not shown
				continue
			}
			d.Partner = p
		}
		out = append(out, d)
	}
	return out
}

// figureText is a figure in words, with the counter its language uses for
// what it counts (名, 大学, 件) and its qualifier. The messages are keyed by
// figure key and qualifier because the qualifier's place depends on the
// counter: 約100名, 100名を超える.
func figureText(v *view, f partnerhub.Figure) string {
	key := "content.figure." + f.Key + "." + string(f.Value.Qualifier)
	// Students from each of the two universities: the brochure gives the
	// total as well, twice the number from each.
	return v.P.T(key, f.Value.Value, 2*f.Value.Value)
}
