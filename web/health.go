package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/transfer"
)

// Partnership health: the office's table of every partnership's signals,
// sorted going quiet first, a partner's signals on one page, and the table
// as a workbook. Only people who read drafts of this home see them (the
// routes are private); the signals draw on the full catalog, this home's
// mobility sums and its awarded projects.

// healthRow is one partner's signals as a page shows them.
type healthRow struct {
	Slug, Name, Href, PartnerHref string
	H                             partnerhub.PartnerHealth
	Last, LastHref                string // the last activity's date and link; "" when none
	Change, Percent               string // the mobility change, signed ("+3", "−2"), and in percent ("" without a base)
	Expiring                      []healthDeal
	Projects                      []healthProject
	Lead, LeadName                string // the lead unit's mark and name
}

type healthDeal struct {
	partnerhub.ExpiringDeal
	Href, Expires, SuccessorHref, SuccessorStatus string
}

type healthProject struct {
	partnerhub.RunningFund
	Href, Ends string
}

type healthData struct {
	Rows     []healthRow
	Today    string
	Trend    partnerhub.MobilityTrend // the spans, the same for every row
	Years    []int
	XLSXHref string
}

// health computes the signals of every partner of the view's catalog on
// today, sorted going quiet first.
func (s *Server) health(ctx context.Context, v *view) ([]partnerhub.PartnerHealth, time.Time, error) {
	today := partnerhub.Today(s.deps.Now())
	var mob []partnerhub.MobilityYear
	if s.deps.Mobility != nil {
		ay := partnerhub.AcademicYear(today)
		rows, err := s.deps.Mobility.Stats(ctx, partnerhub.StatsQuery{Home: v.Home,
			GroupBy:  []string{partnerhub.DimPartner, partnerhub.DimYear, partnerhub.DimDirection},
			FromYear: ay - 2*partnerhub.HealthTrendYears, ToYear: ay - 1})
		if err != nil {
			return nil, today, err
		}
		for _, r := range rows {
			if len(r.Keys) != 3 {
				continue
			}
			y, err := strconv.Atoi(r.Keys[1])
			if err != nil {
				continue
			}
			mob = append(mob, partnerhub.MobilityYear{Partner: r.Keys[0], Year: y, Direction: partnerhub.Direction(r.Keys[2]), Total: r.Total})
		}
	}
	projects, err := s.healthProjects(ctx, v)
	if err != nil {
		return nil, today, err
	}
	hs := partnerhub.Health(v.X.Catalog(), mob, projects, today)
	partnerhub.SortQuiet(hs)
	return hs, today, nil
}

// healthProjects reads the home's awarded projects with the day each ends:
// the date its call sets for the final report, or else the end of the
// year its grant's months reach from the year of its award.
func (s *Server) healthProjects(ctx context.Context, v *view) ([]partnerhub.HealthProject, error) {
	if s.deps.Decisions == nil || s.deps.Funds == nil {
		return nil, nil
	}
	ps, err := s.deps.Decisions.Projects(ctx, v.Home, partnerhub.ProjectFilter{})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, nil
	}
	calls, err := s.deps.Funds.Calls(ctx, v.User, v.Home, partnerhub.CallFilter{Public: true})
	if err != nil {
		return nil, err
	}
	byKey := map[string]partnerhub.Call{}
	for _, c := range calls {
		byKey[c.Fund+"/"+strconv.Itoa(c.Number)] = c
	}
	out := make([]partnerhub.HealthProject, 0, len(ps))
	for _, p := range ps {
		h := partnerhub.HealthProject{ID: p.ID, Fund: p.Fund, Partners: p.Partners, Year: p.Year}
		if c, ok := byKey[p.Fund+"/"+strconv.Itoa(p.Call)]; ok {
			h.Ends = c.FinalDue
			if h.Ends.IsZero() && p.Year > 0 {
				for _, g := range c.Grants {
					if g.Name == p.Grant && g.Months > 0 {
						h.Ends = partnerhub.PartialDate{Year: p.Year + (g.Months+11)/12}
					}
				}
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// healthRowOf dresses one partner's signals for a page.
func healthRowOf(v *view, h partnerhub.PartnerHealth) healthRow {
	row := healthRow{Slug: h.Partner, Name: h.Partner, H: h, Href: v.L() + "/admin/health/" + h.Partner, PartnerHref: v.L() + "/partners/" + h.Partner}
	if p, err := v.X.Partner(h.Partner); err == nil {
		row.Name = mustText(v, p.Name)
	}
	if a := h.LastActivity; a != nil {
		row.Last, row.LastHref = formatDate(v, a.Start), v.L()+"/activities/"+a.Slug
	}
	m := h.Mobility
	row.Change = signed(v, m.Change())
	if p, ok := m.Percent(); ok {
		row.Percent = signed(v, p) + "%"
	}
	for _, d := range h.Expiring {
		hd := healthDeal{ExpiringDeal: d, Href: v.L() + "/agreements/" + d.Slug, Expires: formatDate(v, d.Expires)}
		if d.Successor != "" {
			hd.SuccessorHref = v.L() + "/agreements/" + d.Successor
			hd.SuccessorStatus = v.P.T("agreement.status." + string(d.SuccessorState))
		}
		row.Expiring = append(row.Expiring, hd)
	}
	for _, p := range h.Projects {
		row.Projects = append(row.Projects, healthProject{RunningFund: p, Href: v.L() + "/projects/" + strconv.FormatInt(p.ID, 10), Ends: formatDate(v, p.Ends)})
	}
	if h.Team.Lead != "" {
		row.Lead = h.Team.Lead
		if u, err := v.X.Unit(h.Team.Lead); err == nil {
			row.Lead, row.LeadName = mustText(v, u.Abbr), mustText(v, u.Name)
		}
	}
	return row
}

// signed writes a change with its sign: +3, −2 (a minus sign), 0.
func signed(v *view, n int64) string {
	switch {
	case n > 0:
		return "+" + v.P.Num(n)
	case n < 0:
		return "−" + v.P.Num(-n)
	}
	return "0"
}

func (s *Server) healthPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	hs, today, err := s.health(r.Context(), v)
	if err != nil {
		return nil, err
	}
	d := &healthData{Today: formatDate(v, partnerhub.PartialDate{Year: today.Year(), Month: int(today.Month()), Day: today.Day()}),
		XLSXHref: v.L() + "/admin/health.xlsx"}
	for _, h := range hs {
		d.Rows = append(d.Rows, healthRowOf(v, h))
	}
	d.Trend, d.Years = healthSpans(hs, today)
	return &page{Template: "health", Title: v.P.T("health.title"), Description: v.P.T("health.description"), Data: d}, nil
}

// healthSpans are the mobility spans and activity years every row shares.
func healthSpans(hs []partnerhub.PartnerHealth, today time.Time) (partnerhub.MobilityTrend, []int) {
	if len(hs) == 0 {
		hs = partnerhub.Health(&partnerhub.Catalog{Partners: []partnerhub.Partner{{}}}, nil, nil, today)
	}
	var years []int
	for _, y := range hs[0].Activities {
		years = append(years, y.Year)
	}
	return hs[0].Mobility, years
}

func (s *Server) healthPartnerPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	slug := r.PathValue("slug")
	p, err := v.X.Partner(slug)
	if err != nil {
		return nil, err
	}
	hs, today, err := s.health(r.Context(), v)
	if err != nil {
		return nil, err
	}
	d := &healthData{Today: formatDate(v, partnerhub.PartialDate{Year: today.Year(), Month: int(today.Month()), Day: today.Day()})}
	for _, h := range hs {
		if h.Partner == p.Slug {
			d.Rows = []healthRow{healthRowOf(v, h)}
		}
	}
	if len(d.Rows) == 0 {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.partner_not_found", slug)
	}
	d.Trend, d.Years = healthSpans(hs, today)
	name := mustText(v, p.Name)
	return &page{Template: "health_partner", Title: v.P.T("health.title_of", name), Description: v.P.T("health.description"), Data: d,
		Parents: []crumb{{Label: v.P.T("health.title"), Href: v.L() + "/admin/health"}}}, nil
}

// healthXLSX sends the table as a workbook: the same rows in the same
// order, numbers as numbers, days as dates, headers in the reader's
// language.
func (s *Server) healthXLSX(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	hs, today, err := s.health(r.Context(), v)
	if err != nil {
		return nil, err
	}
	t := healthTable(v, hs, today)
	name := t.Name + ".xlsx"
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="health.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	h["Cache-Control"] = hdrNoStore
	if err := transfer.WriteXLSX(w, t); err != nil {
		s.deps.Logger.Error("health download failed", "err", err)
	}
	return nil, nil
}

// dateCell is a date as a workbook's date when its day is known, else as
// written ("2024", "2024-05").
func dateCell(d partnerhub.PartialDate) any {
	switch d.Precision() {
	case partnerhub.NoDate:
		return nil
	case partnerhub.DayPrecision:
		return d.First()
	}
	return d.String()
}

func healthTable(v *view, hs []partnerhub.PartnerHealth, today time.Time) transfer.Table {
	trend, years := healthSpans(hs, today)
	span := func(from, to int) string { return fmt.Sprintf("%d–%d", from, to) }
	recent, before := span(trend.RecentFrom, trend.RecentTo), span(trend.BeforeFrom, trend.BeforeTo)
	t := transfer.Table{Name: v.P.T("health.title"), Headers: []string{
		v.P.T("health.col.order"), v.P.T("export.slug"), v.P.T("export.name"),
		v.P.T("health.col.last_activity"), v.P.T("health.col.last_slug"), v.P.T("health.col.days_quiet")}}
	for _, y := range years {
		t.Headers = append(t.Headers, v.P.T("health.col.activities_in", y))
	}
	t.Headers = append(t.Headers, v.P.T("health.planned_head"),
		v.P.T("health.col.out", recent), v.P.T("health.col.in", recent), v.P.T("health.col.out", before), v.P.T("health.col.in", before),
		v.P.T("health.col.change"), v.P.T("health.col.percent"),
		v.P.T("health.col.expiring"), v.P.T("health.col.unfollowed"), v.P.T("health.col.unfollowed_ends"), v.P.T("health.col.days_left"),
		v.P.T("health.col.projects"), v.P.T("health.col.project_ids"),
		v.P.T("health.col.phase"), v.P.T("health.col.team_size"), v.P.T("health.col.lead"))
	for i, h := range hs {
		row := healthRowOf(v, h)
		cells := []any{i + 1, h.Partner, row.Name, nil, nil, nil}
		if a := h.LastActivity; a != nil {
			cells[3], cells[4], cells[5] = dateCell(a.Start), a.Slug, a.DaysAgo
		}
		for _, y := range h.Activities {
			cells = append(cells, y.Count)
		}
		m := h.Mobility
		cells = append(cells, h.Planned, m.RecentOut, m.RecentIn, m.BeforeOut, m.BeforeIn, m.Change(), nil)
		if p, ok := m.Percent(); ok {
			cells[len(cells)-1] = p
		}
		cells = append(cells, len(h.Expiring))
		if d, ok := h.Unfollowed(); ok {
			cells = append(cells, d.Slug, dateCell(d.Expires), d.DaysLeft)
		} else {
			cells = append(cells, nil, nil, nil)
		}
		var ids []string
		for _, p := range h.Projects {
			ids = append(ids, strconv.FormatInt(p.ID, 10))
		}
		cells = append(cells, len(h.Projects), strings.Join(ids, " "))
		if h.Team.Phase > 0 {
			cells = append(cells, h.Team.Phase, h.Team.Size, row.Lead)
		} else {
			cells = append(cells, nil, 0, nil)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}
