package report

import (
	"slices"
	"strconv"
	"strings"

	"partnerhub"
)

// trendYears is how many years a mobility chart shows, ending with the
// report's year.
const trendYears = 6

// chartH is the height of a partner page's mobility chart, kept at the
// foot of the page; the lists above stop short of it.
const chartH = 58.0

func (d *doc) partner(number int, p *partnerhub.PartnerView) {
	pdf := d.pdf
	phase := d.phaseOf()
	d.heading("H1", strconv.Itoa(number)+"  "+d.text(p.Name))
	chartTop := bottom - chartH
	limit := chartTop - 14

	// Who the partner is: members, places, tier.
	var members []string
	for _, m := range p.Members {
		s := d.text(m.Name)
		if city := d.text(m.City); city != "" {
			s += d.p.T("label.paren", city+", "+m.Country)
		} else {
			s += d.p.T("label.paren", m.Country)
		}
		members = append(members, s)
	}
	d.font(false, 9.5)
	d.color(muted)
	facts := strings.Join(members, " / ")
	if t := p.TierIn(phase); t != "" {
		facts += "\n" + d.p.T("report.tier_in", d.p.T("tier."+string(t)+".long"), phase)
	}
	d.para(facts, margin, textW, 5, limit)
	d.color(ink)
	d.font(false, 10)
	pdf.SetY(pdf.GetY() + 2)
	d.para(d.text(p.Summary), margin, textW, 5.4, limit)

	// The team and its lead unit.
	team := p.TeamIn(phase)
	if len(team) == 0 {
		team = p.Units
	}
	d.heading("H2", d.p.T("report.team"))
	var lead string
	var names []string
	for _, u := range team {
		if u.Lead {
			lead = d.text(u.Name) + d.p.T("label.paren", d.text(u.Abbr))
		}
		names = append(names, d.text(u.Abbr)+" "+d.text(u.Name))
	}
	if lead != "" {
		d.font(true, 10)
		d.para(d.p.T("report.lead_unit", lead), margin, textW, 5.4, limit)
		d.font(false, 10)
	}
	if len(names) > 0 {
		d.font(false, 9.5)
		d.para(strings.Join(names, d.p.T("report.list_sep")), margin, textW, 5, limit)
		d.font(false, 10)
	} else if note := d.text(p.Note); note != "" {
		d.para(note, margin, textW, 5, limit)
	} else {
		d.para(d.p.T("report.none"), margin, textW, 5, limit)
	}

	// Agreements in force or signed by the report's year.
	d.heading("H2", d.p.T("report.agreements"))
	var ags []string
	for _, a := range p.Agreements {
		if !a.Signed.IsZero() && a.Signed.Year > d.in.Year {
			continue
		}
		s := d.text(a.Title)
		var when []string
		if !a.Signed.IsZero() {
			when = append(when, d.p.T("report.signed", a.Signed.String()))
		}
		if !a.Expires.IsZero() {
			when = append(when, d.p.T("report.expires", a.Expires.String()))
		}
		if len(when) > 0 {
			s += d.p.T("label.paren", strings.Join(when, d.p.T("report.list_sep")))
		}
		ags = append(ags, s)
	}
	d.font(false, 9.5)
	if len(ags) == 0 {
		d.para(d.p.T("report.none"), margin, textW, 5, limit)
	}
	d.list(ags, 5, limit)

	// The year's activities.
	d.heading("H2", d.p.T("report.activities", d.in.Year))
	yr := partnerhub.PartialDate{Year: d.in.Year}
	var acts []string
	for _, a := range d.in.Index.Activities(partnerhub.ActivityFilter{Partner: p.Slug, From: yr, To: yr}) {
		acts = append(acts, a.Start.String()+"  "+d.p.T("kind."+string(a.Kind))+d.p.T("report.colon")+d.text(a.Title))
	}
	d.font(false, 9.5)
	if len(acts) == 0 {
		d.para(d.p.T("report.no_activities", d.in.Year), margin, textW, 5, limit)
	}
	d.list(acts, 5, limit)

	// Mobility, at the foot of the page.
	pdf.SetY(chartTop - 10)
	d.heading("H2", d.p.T("report.mobility"))
	d.mobilityChart(p.Slug, chartTop, chartH-4)
}

// trend is the outbound and inbound totals of one partner ("" for all),
// by year, for the years of the chart.
func (d *doc) trend(slug string) (years []int, out, in []float64, any bool) {
	for y := d.in.Year - trendYears + 1; y <= d.in.Year; y++ {
		years = append(years, y)
	}
	out, in = make([]float64, len(years)), make([]float64, len(years))
	for _, r := range d.in.Mobility {
		if len(r.Keys) != 3 || (slug != "" && r.Keys[0] != slug) {
			continue
		}
		y, _ := strconv.Atoi(r.Keys[1])
		i := slices.Index(years, y)
		if i < 0 {
			continue
		}
		any = true
		if r.Keys[2] == string(partnerhub.Inbound) {
			in[i] += float64(r.Total)
		} else {
			out[i] += float64(r.Total)
		}
	}
	return years, out, in, any
}

// declared is what the programme declares of a partner's mobility, in
// words (the portal's sentences).
func (d *doc) declared(slug string) []string {
	var out []string
	for _, f := range d.in.Index.Catalog().Figures {
		if f.Partner == "" || (slug != "" && f.Partner != slug) {
			continue
		}
		if f.Key != "mobility.annual" && f.Key != "language_exchange.students_per_university" {
			continue
		}
		if _, err := d.in.Index.Partner(f.Partner); err != nil {
			continue
		}
		s := d.p.T("content.figure."+f.Key+"."+string(f.Value.Qualifier), f.Value.Value, 2*f.Value.Value)
		if slug == "" {
			p, _ := d.in.Index.Partner(f.Partner)
			s = d.text(p.Name) + d.p.T("report.colon") + s
		}
		out = append(out, s)
	}
	return out
}

// mobilityChart draws the trend of a partner ("" for the programme) as
// grouped bars, outbound and inbound, in the box from y of height h.
func (d *doc) mobilityChart(slug string, y, h float64) {
	years, out, in, recorded := d.trend(slug)
	if !recorded {
		d.font(false, 9.5)
		for _, s := range d.declared(slug) {
			d.para(s, margin, textW, 5, y+h)
		}
		d.para(d.p.T("report.no_mobility", years[0], years[len(years)-1]), margin, textW, 5, y+h)
		return
	}
	labels := make([]string, len(years))
	for i, yr := range years {
		labels[i] = strconv.Itoa(yr)
	}
	d.bars(labels, [][]float64{out, in}, []string{d.p.T("direction.outbound"), d.p.T("direction.inbound")},
		margin, y, textW, h)
}
