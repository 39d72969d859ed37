package report

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// row writes a tagged line of cells: the first left, the others right.
func (d *doc) row(cells []string, widths []float64, bold bool) {
	pdf := d.pdf
	y := pdf.GetY()
	if y+5 > bottom {
		return
	}
	d.font(bold, 8.5)
	d.tagged("P", func() {
		x := margin
		for i, c := range cells {
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.SetXY(x, y)
			pdf.CellFormat(widths[i], 5, c, "", 0, align, false, 0, "")
			x += widths[i]
		}
	})
	d.artifact(func() {
		d.drawColor(rule)
		pdf.SetLineWidth(0.15)
		pdf.Line(margin, y+5, margin+sum(widths), y+5)
	})
	pdf.SetXY(margin, y+5.2)
	d.font(false, 10)
}

func sum(fs []float64) float64 {
	t := 0.0
	for _, f := range fs {
		t += f
	}
	return t
}

// stats is the page of the programme's statistics: its mobility as the
// statistics page of the portal sums it (by year and direction, by
// category, by partner), and the programme's counts of the year.
func (d *doc) stats(partners []*partnerhub.PartnerView) {
	pdf := d.pdf
	x := d.in.Index
	year := d.in.Year
	d.heading("H1", d.p.T("report.stats"))

	// The programme in numbers.
	phase := d.phaseOf()
	tiers := map[partnerhub.Tier]int{}
	units := map[string]bool{}
	for _, p := range partners {
		tiers[p.TierIn(phase)]++
		for _, u := range p.TeamIn(phase) {
			units[u.Code] = true
		}
	}
	inForce := 0
	for _, a := range x.Catalog().Agreements {
		if a.Signed.IsZero() || a.Signed.Year > year {
			continue
		}
		if !a.Expires.IsZero() && a.Expires.Last().Before(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)) {
			continue
		}
		inForce++
	}
	yr := partnerhub.PartialDate{Year: year}
	acts := x.Activities(partnerhub.ActivityFilter{From: yr, To: yr})
	d.heading("H2", d.p.T("report.numbers", year))
	w := []float64{120, 54}
	d.row([]string{d.p.T("tier.primary.long"), d.p.Num(tiers[partnerhub.Primary])}, w, false)
	d.row([]string{d.p.T("tier.prospective.long"), d.p.Num(tiers[partnerhub.Prospective])}, w, false)
	d.row([]string{d.p.T("report.units_in_teams", phase), d.p.Num(len(units))}, w, false)
	d.row([]string{d.p.T("report.agreements_in_force", year), d.p.Num(inForce)}, w, false)
	kinds := map[partnerhub.ActivityKind]int{}
	for _, a := range acts {
		kinds[a.Kind]++
	}
	var byKind []string
	for _, k := range partnerhub.ActivityKinds {
		if kinds[k] > 0 {
			byKind = append(byKind, d.p.T("kind."+string(k))+" "+d.p.Num(kinds[k]))
		}
	}
	label := d.p.T("report.activities_of_year", year)
	if len(byKind) > 0 {
		label += d.p.T("label.paren", strings.Join(byKind, d.p.T("report.list_sep")))
	}
	d.row([]string{label, d.p.Num(len(acts))}, w, false)

	// Mobility by year and direction, the programme as a whole.
	d.heading("H2", d.p.T("report.mobility_programme"))
	y := pdf.GetY()
	d.mobilityChart("", y, 52)
	pdf.SetXY(margin, y+56)

	// By category, in the year.
	var cats [][2]string
	for _, c := range partnerhub.Categories {
		n := int64(0)
		found := false
		for _, r := range d.in.Categories {
			if len(r.Keys) == 2 && r.Keys[0] == strconv.Itoa(year) && r.Keys[1] == string(c) {
				n += r.Total
				found = true
			}
		}
		if found {
			cats = append(cats, [2]string{d.p.T("category." + string(c)), d.p.Num(n)})
		}
	}
	if len(cats) > 0 {
		d.heading("H2", d.p.T("report.by_category", year))
		for _, c := range cats {
			d.row([]string{c[0], c[1]}, w, false)
		}
	}

	// By partner, in the year.
	type pr struct {
		name    string
		out, in int64
	}
	var rows []pr
	for _, p := range partners {
		r := pr{name: d.text(p.Name)}
		found := false
		for _, m := range d.in.Mobility {
			if len(m.Keys) == 3 && m.Keys[0] == p.Slug && m.Keys[1] == strconv.Itoa(year) {
				found = true
				if m.Keys[2] == string(partnerhub.Inbound) {
					r.in += m.Total
				} else {
					r.out += m.Total
				}
			}
		}
		if found {
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		slices.SortStableFunc(rows, func(a, b pr) int { return int((b.out + b.in) - (a.out + a.in)) })
		d.heading("H2", d.p.T("report.by_partner", year))
		pw := []float64{114, 20, 20, 20}
		d.row([]string{d.p.T("report.partner"), d.p.T("direction.outbound"), d.p.T("direction.inbound"), d.p.T("report.total")}, pw, true)
		for _, r := range rows {
			d.row([]string{r.name, d.p.Num(r.out), d.p.Num(r.in), d.p.Num(r.out + r.in)}, pw, false)
		}
	}
}

// funds is the page of the joint funds: each fund's calls of the year and
// the projects it awarded that year, public ones only.
func (d *doc) funds() {
	year := d.in.Year
	d.heading("H1", d.p.T("report.funds"))
	d.para(d.p.T("report.funds_intro", year), margin, textW, 5.4, bottom)
	funds := d.in.Index.Catalog().Funds
	if len(funds) == 0 {
		d.para(d.p.T("report.no_funds"), margin, textW, 5.4, bottom)
		return
	}
	for _, f := range funds {
		d.heading("H2", d.text(f.Name))
		var partners []string
		for _, s := range f.Partners {
			if p, err := d.in.Index.Partner(s); err == nil {
				partners = append(partners, d.text(p.Name))
			}
		}
		d.font(false, 9.5)
		d.color(muted)
		if len(partners) > 0 {
			d.para(d.p.T("report.fund_partners", strings.Join(partners, d.p.T("report.list_sep"))), margin, textW, 5, bottom)
		}
		d.color(ink)
		d.para(d.text(f.Summary), margin, textW, 5, bottom)
		var calls []string
		for _, c := range d.in.Calls {
			if c.Fund != f.Slug || !c.Published {
				continue
			}
			jst := time.FixedZone("JST", 9*3600)
			if c.Opens.In(jst).Year() != year && c.Closes.In(jst).Year() != year {
				continue
			}
			calls = append(calls, d.p.T("report.call", c.Number, d.text(c.Title),
				c.Opens.In(jst).Format("2006-01-02"), c.Closes.In(jst).Format("2006-01-02")))
		}
		d.label(d.p.T("report.calls", year))
		d.font(false, 9.5)
		if len(calls) == 0 {
			d.para(d.p.T("report.no_calls", year), margin, textW, 5, bottom)
		}
		d.list(calls, 5, bottom)
		var awards []string
		for _, p := range d.in.Projects {
			if p.Fund != f.Slug || p.Year != year {
				continue
			}
			s := d.text(p.Title)
			if g := d.text(p.Grant); g != "" {
				s += d.p.T("label.paren", g)
			}
			awards = append(awards, s)
		}
		d.label(d.p.T("report.awards", year))
		d.font(false, 9.5)
		if len(awards) == 0 {
			d.para(d.p.T("report.no_awards", year), margin, textW, 5, bottom)
		}
		d.list(awards, 5, bottom)
	}
}
