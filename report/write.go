package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"partnerhub"
)

// section is an entry of the table of contents: a page, its link and its
// bookmark.
type section struct {
	title string
	page  int
	link  int
	level int
}

// Write renders the report of in and writes the PDF to w.
func Write(w io.Writer, in Input) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true) // the same data gives the same bytes
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(margin, margin, margin)
	pdf.AddUTF8FontFromBytes(family, "", regularTTF)
	pdf.AddUTF8FontFromBytes(family, "B", boldTTF)
	pdf.SetLang(string(in.Lang))
	if !in.Date.IsZero() {
		pdf.SetCreationDate(in.Date)
		pdf.SetModificationDate(in.Date)
	}
	d := &doc{pdf: pdf, in: &in, p: in.P, lang: in.Lang, next: map[int]int{}}
	x := in.Index
	programme := d.text(x.Catalog().Home.Programme)
	title := d.p.T("report.title", programme, in.Year)
	pdf.SetTitle(title, true)
	pdf.SetSubject(d.p.T("report.subject", in.Year), true)
	if h, ok := x.Institution(x.Catalog().Home.Institution); ok {
		pdf.SetAuthor(d.text(h.Name), true)
	}
	pdf.SetCreator("partnerhub", true)
	pdf.SetProducer("partnerhub", true)

	partners := x.Partners(partnerhub.PartnerFilter{})
	// The pages are laid out in a fixed order, so every page number is
	// known before the contents list them.
	secs := []section{
		{title: d.p.T("report.contents"), page: 2},
		{title: d.p.T("report.aims"), page: 3},
		{title: d.p.T("report.partners"), page: 4},
	}
	for i, p := range partners {
		secs = append(secs, section{title: d.text(p.Name), page: 5 + i, level: 1})
	}
	n := 5 + len(partners)
	secs = append(secs,
		section{title: d.p.T("report.map"), page: n},
		section{title: d.p.T("report.stats"), page: n + 1},
		section{title: d.p.T("report.funds"), page: n + 2})
	for i := range secs {
		secs[i].link = pdf.AddLink()
	}
	open := func(s section) {
		pdf.AddPage()
		pdf.SetLink(s.link, 0, pdf.PageNo())
		pdf.Bookmark(s.title, s.level, 0)
		pdf.SetXY(margin, margin)
	}

	d.cover(programme)
	open(secs[0])
	d.contents(secs)
	open(secs[1])
	d.aims()
	open(secs[2])
	d.tiers(partners, secs[3:3+len(partners)])
	for i, p := range partners {
		open(secs[3+i])
		d.partner(i+1, p)
	}
	open(secs[len(secs)-3])
	d.worldMap(partners)
	open(secs[len(secs)-2])
	d.stats(partners)
	open(secs[len(secs)-1])
	d.funds()

	// Page numbers, on every page but the cover.
	last := pdf.PageNo()
	for i := 2; i <= last; i++ {
		pdf.SetPage(i)
		d.artifact(func() {
			d.font(false, 8.5)
			d.color(muted)
			pdf.SetXY(margin, pageH-13)
			pdf.CellFormat(textW/2, 5, title, "", 0, "L", false, 0, "")
			pdf.SetXY(pageW/2, pageH-13)
			pdf.CellFormat(textW/2, 5, d.p.T("report.page", i, last), "", 0, "R", false, 0, "")
		})
	}
	pdf.SetPage(last)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	out, err := tag(buf.Bytes(), d.elems, string(in.Lang))
	if err != nil {
		return fmt.Errorf("report: tagging: %w", err)
	}
	_, err = w.Write(out)
	return err
}

func (d *doc) cover(programme string) {
	pdf, x := d.pdf, d.in.Index
	pdf.AddPage()
	d.artifact(func() {
		d.fillColor(accent)
		pdf.Rect(0, 0, pageW, 110, "F")
		d.fillColor(accent2)
		pdf.Rect(0, 110, pageW, 4, "F")
	})
	pdf.SetTextColor(255, 255, 255)
	d.font(false, 14)
	pdf.SetXY(margin, 40)
	d.para(d.p.T("report.kicker"), margin, textW, 8, 110)
	d.font(true, 26)
	pdf.SetXY(margin, 55)
	d.tagged("H1", func() {
		y := 55.0
		for _, l := range d.wrap(programme, textW) {
			pdf.SetXY(margin, y)
			pdf.CellFormat(textW, 12, l, "", 0, "L", false, 0, "")
			y += 12
		}
	})
	d.font(true, 40)
	pdf.SetXY(margin, 135)
	d.color(accent)
	d.para(d.p.T("report.year", d.in.Year), margin, textW, 18, 160)
	d.font(false, 14)
	d.color(ink)
	pdf.SetXY(margin, 165)
	if h, ok := x.Institution(x.Catalog().Home.Institution); ok {
		d.para(d.text(h.Name), margin, textW, 8, 190)
	}
	d.font(false, 10)
	d.color(muted)
	pdf.SetXY(margin, 250)
	d.para(d.p.T("report.cover_note", d.in.Date.Format("2006-01-02")), margin, textW, 5.5, 280)
	d.color(ink)
}

func (d *doc) contents(secs []section) {
	pdf := d.pdf
	d.heading("H1", secs[0].title)
	for _, s := range secs[1:] {
		y := pdf.GetY()
		x := margin + float64(s.level)*8
		d.font(s.level == 0, 10.5)
		if s.level == 0 {
			y += 2
		}
		d.tagged("P", func() {
			pdf.SetXY(x, y)
			pdf.CellFormat(pageW-margin-x-15, 7, s.title, "", 0, "L", false, s.link, "")
			pdf.SetXY(pageW-margin-15, y)
			pdf.CellFormat(15, 7, strconv.Itoa(s.page), "", 0, "R", false, s.link, "")
		})
		d.artifact(func() {
			d.drawColor(rule)
			pdf.SetLineWidth(0.2)
			pdf.Line(x, y+7, pageW-margin, y+7)
		})
		pdf.SetXY(margin, y+7.5)
	}
}

// phaseOf is the phase the year falls in, or the current one.
func (d *doc) phaseOf() int {
	for _, ph := range d.in.Index.Phases() {
		if d.in.Year >= ph.StartYear && d.in.Year <= ph.EndYear {
			return ph.Number
		}
	}
	return d.in.Index.CurrentPhase()
}

func (d *doc) aims() {
	d.heading("H1", d.p.T("report.aims"))
	if d.in.Own {
		d.para(d.p.T("page.home.intro"), margin, textW, 5.6, bottom)
		d.pdf.SetY(d.pdf.GetY() + 2)
		d.list([]string{d.p.T("page.home.aim1"), d.p.T("page.home.aim2"), d.p.T("page.home.aim3")}, 5.6, bottom)
	} else {
		d.para(d.p.T("report.aims_phases"), margin, textW, 5.6, bottom)
	}
	d.heading("H2", d.p.T("report.phases"))
	cur := d.phaseOf()
	for _, ph := range d.in.Index.Phases() {
		name := d.p.T("phase.name", ph.Number) + "  " + d.p.T("phase.years", ph.StartYear, ph.EndYear)
		if ph.Number == cur {
			name += "  " + d.p.T("report.this_phase", d.in.Year)
		}
		d.font(true, 11)
		d.color(accent)
		d.para(name, margin, textW, 6.5, bottom)
		d.color(ink)
		d.font(false, 10)
		dc := ph.Declared
		count := d.p.T("report.declared", dc.Total)
		if dc.Primary != nil && dc.Prospective != nil {
			count = d.p.T("report.declared_split", dc.Total, *dc.Primary, *dc.Prospective)
		}
		d.para(count, margin+5, textW-5, 5.4, bottom)
		var aims []string
		for _, a := range ph.Aims {
			aims = append(aims, d.text(a))
		}
		d.list(aims, 5.4, bottom)
		d.pdf.SetY(d.pdf.GetY() + 2)
	}
}

// marks is a team's unit marks, the lead's first and starred.
func (d *doc) marks(units []partnerhub.TeamUnit) string {
	var lead, rest []string
	for _, u := range units {
		if u.Lead {
			lead = append(lead, d.text(u.Abbr)+"*")
		} else {
			rest = append(rest, d.text(u.Abbr))
		}
	}
	return strings.Join(append(lead, rest...), d.p.T("report.mark_sep"))
}

func (d *doc) tiers(partners []*partnerhub.PartnerView, secs []section) {
	pdf := d.pdf
	phase := d.phaseOf()
	d.heading("H1", d.p.T("report.partners"))
	d.para(d.p.T("report.partners_intro", phase, d.in.Year), margin, textW, 5.4, bottom)
	idx := map[string]int{}
	for i, p := range partners {
		idx[p.Slug] = i
	}
	for _, t := range []partnerhub.Tier{partnerhub.Primary, partnerhub.Prospective, ""} {
		var in []*partnerhub.PartnerView
		for _, p := range partners {
			if p.TierIn(phase) == t {
				in = append(in, p)
			}
		}
		if len(in) == 0 {
			continue
		}
		head := d.p.T("tier.none")
		if t != "" {
			head = d.p.T("tier." + string(t) + ".long")
		}
		d.heading("H2", head+d.p.T("report.count", len(in)))
		for _, p := range in {
			y := pdf.GetY()
			if y > bottom-8 {
				break
			}
			i := idx[p.Slug]
			team := p.TeamIn(phase)
			if len(team) == 0 {
				team = p.Units
			}
			mk := d.marks(team)
			d.font(true, 10)
			d.tagged("P", func() {
				pdf.SetXY(margin, y)
				pdf.CellFormat(8, 6, strconv.Itoa(i+1), "", 0, "R", false, secs[i].link, "")
				pdf.SetXY(margin+10, y)
				pdf.CellFormat(textW-10, 6, d.text(p.Name), "", 0, "L", false, secs[i].link, "")
			})
			d.font(false, 9.5)
			d.color(muted)
			pdf.SetXY(margin+10, y+6)
			end := d.para(mk, margin+10, textW-10, 5, bottom)
			d.color(ink)
			pdf.SetXY(margin, end+1.5)
		}
	}
	d.font(false, 9)
	d.color(muted)
	pdf.SetY(pdf.GetY() + 2)
	d.para(d.p.T("report.lead_legend"), margin, textW, 5, bottom)
	d.color(ink)
}
