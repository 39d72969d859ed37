package web

import (
	"cmp"
	"context"
	"html/template"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
	"partnerhub/chart"
	"partnerhub/transfer"
)

// statsFilter is the filter of the statistics pages and API.
type statsFilter struct {
	partnerhub.StatsQuery
	raw map[string]string // the values as given, for the form
}

// parseStatsFilter reads the filters a statistics page or the API accepts,
// with field errors for values that are not valid.
func parseStatsFilter(x *partnerhub.Index, q url.Values, extra ...string) (statsFilter, partnerhub.FieldErrors) {
	errs := params(q, append([]string{"partner", "unit", "direction", "category", "programme", "from", "to"}, extra...)...)
	f := statsFilter{raw: map[string]string{}}
	for _, k := range []string{"partner", "unit", "direction", "category", "programme", "from", "to"} {
		f.raw[k] = single(q, errs, k)
	}
	f.Partner, f.Unit = f.raw["partner"], f.raw["unit"]
	if f.Partner != "" {
		if _, err := x.Partner(f.Partner); err != nil {
			errs.Add("partner", "unknown_partner", f.Partner)
		}
	}
	if f.Unit != "" {
		if _, err := x.Unit(f.Unit); err != nil {
			errs.Add("unit", "unknown_unit", f.Unit)
		}
	}
	f.Direction = partnerhub.Direction(f.raw["direction"])
	f.Category = partnerhub.Category(f.raw["category"])
	f.Programme = partnerhub.MobilityProgramme(f.raw["programme"])
	if f.Direction != "" && !slices.Contains(partnerhub.Directions, f.Direction) {
		errs.Add("direction", "one_of", joinStrings(partnerhub.Directions))
	}
	if f.Category != "" && !slices.Contains(partnerhub.Categories, f.Category) {
		errs.Add("category", "one_of", joinStrings(partnerhub.Categories))
	}
	if f.Programme != "" && !slices.Contains(partnerhub.MobilityProgrammes, f.Programme) {
		errs.Add("programme", "one_of", joinStrings(partnerhub.MobilityProgrammes))
	}
	for _, k := range []string{"from", "to"} {
		if s := f.raw[k]; s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < partnerhub.MinAcademicYear || n > partnerhub.MaxAcademicYear {
				errs.Add(k, "bad_year", s)
				continue
			}
			if k == "from" {
				f.FromYear = n
			} else {
				f.ToYear = n
			}
		}
	}
	if f.FromYear != 0 && f.ToYear != 0 && f.ToYear < f.FromYear {
		errs.Add("to", "before_start")
	}
	return f, errs
}

func joinStrings[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// statsChart is a chart on a statistics page with its data table and the
// view name its data downloads under.
type statsChart struct {
	View  string
	SVG   template.HTML
	Table template.HTML
}

// statsPageData is what the statistics template shows.
type statsPageData struct {
	Scope   string // "programme", "partner" or "unit"
	Heading string
	Filter  map[string]string
	Errors  map[string]string
	Charts  []statsChart
	Total   int64
	Empty   bool
	// Recorded: the scope (programme, partner, unit) has figures at all,
	// whatever the filters; without any, the page shows no charts, filters
	// or downloads, only what the brochure declares.
	Recorded bool
	Declared []declaredFigure
	Query    string
	Options  statsOptions
}

type statsOptions struct {
	Partners   []*partnerhub.PartnerView
	Units      []partnerhub.Unit
	Directions []partnerhub.Direction
	Categories []partnerhub.Category
	Programmes []partnerhub.MobilityProgramme
}

func (s *Server) statsPage(scope string) pageHandler {
	return func(r *http.Request, v *view) (*page, error) {
		q := r.URL.Query()
		d := &statsPageData{Scope: scope, Options: statsOptions{Partners: v.X.Partners(partnerhub.PartnerFilter{}), Units: v.X.Units(),
			Directions: partnerhub.Directions, Categories: partnerhub.Categories, Programmes: partnerhub.MobilityProgrammes}}
		title := v.P.T("stats.title")
		switch scope {
		case "partner":
			p, err := v.X.Partner(r.PathValue("slug"))
			if err != nil {
				return nil, err
			}
			q.Set("partner", p.Slug)
			title = v.P.T("stats.title_of", mustText(v, p.Name))
		case "unit":
			u, err := v.X.Unit(r.PathValue("code"))
			if err != nil {
				return nil, err
			}
			q.Set("unit", u.Code)
			title = v.P.T("stats.title_of", mustText(v, u.Name))
		}
		q.Del("saved") // the notice after recording a figure
		f, errs := parseStatsFilter(v.X, q)
		d.Heading, d.Filter = title, f.raw
		p := &page{Template: "stats", Title: title, Description: v.P.T("stats.description"), Data: d}
		if err := errs.Err(); err != nil {
			d.Errors, _ = fieldErrors(v, err)
			p.Status = http.StatusBadRequest
			return p, nil
		}
		clean := r.URL.Query()
		clean.Del("saved")
		d.Query = clean.Encode()
		charts, total, err := s.statsCharts(r.Context(), v, f)
		if err != nil {
			return nil, err
		}
		d.Charts, d.Total, d.Empty = charts, total, total == 0
		d.Recorded = total > 0
		if !d.Recorded && s.deps.Mobility != nil {
			whole := partnerhub.StatsQuery{Home: v.Home, GroupBy: []string{partnerhub.DimYear}}
			switch scope {
			case "partner":
				whole.Partner = q.Get("partner")
			case "unit":
				whole.Unit = q.Get("unit")
			}
			rows, err := s.deps.Mobility.Stats(r.Context(), whole)
			if err != nil {
				return nil, err
			}
			d.Recorded = len(rows) > 0
			if !d.Recorded {
				d.Charts = nil
			}
		}
		switch scope {
		case "programme":
			d.Declared = declaredMobility(v, "")
		case "partner":
			d.Declared = declaredMobility(v, q.Get("partner"))
		}
		return p, nil
	}
}

// statsViews are the groupings the statistics pages draw, by view name.
var statsViews = map[string][]string{
	"year_direction": {partnerhub.DimYear, partnerhub.DimDirection},
	"year_category":  {partnerhub.DimYear, partnerhub.DimCategory},
	"phase":          {partnerhub.DimYear, partnerhub.DimDirection},
	"programmes":     {partnerhub.DimProgramme},
	"partners":       {partnerhub.DimPartner},
	"units":          {partnerhub.DimUnit},
}

func (s *Server) query(v *view, f statsFilter, groupBy ...string) partnerhub.StatsQuery {
	q := f.StatsQuery
	q.Home = v.Home
	q.GroupBy = groupBy
	return q
}

// statsCharts draws the charts of a statistics page.
func (s *Server) statsCharts(ctx context.Context, v *view, f statsFilter) ([]statsChart, int64, error) {
	m := s.deps.Mobility
	if m == nil {
		return nil, 0, nil
	}
	byYD, err := m.Stats(ctx, s.query(v, f, partnerhub.DimYear, partnerhub.DimDirection))
	if err != nil {
		return nil, 0, err
	}
	var total int64
	var years []string
	for _, r := range byYD {
		total += r.Total
		if !slices.Contains(years, r.Keys[0]) {
			years = append(years, r.Keys[0])
		}
	}
	years = yearRange(years)
	lang := string(v.Lang)
	empty, missing := v.P.T("stats.empty"), v.P.T("content.no_data")
	// A cell starts as NaN, "no value": a year or category without records
	// is drawn as "no data", not as a count of 0.
	series := func(rows []partnerhub.StatsRow, cats []string, names []string, label func(string) string) []chart.Series {
		var out []chart.Series
		for _, n := range names {
			sr := chart.Series{Name: label(n), Values: nans(len(cats))}
			for _, r := range rows {
				if r.Keys[1] == n {
					if i := slices.Index(cats, r.Keys[0]); i >= 0 {
						sr.Values[i] = addTo(sr.Values[i], float64(r.Total))
					}
				}
			}
			out = append(out, sr)
		}
		return out
	}
	dirs := joinAll(partnerhub.Directions)
	bar := chart.Bar{Title: v.P.T("stats.chart.year_direction"), Categories: years, Stacked: true, Width: 720, Height: 360, Lang: lang,
		YLabel: v.P.T("stats.people"), Empty: empty, Missing: missing, Series: series(byYD, years, dirs, func(d string) string { return v.P.T("direction." + d) })}
	charts := []statsChart{{View: "year_direction", SVG: bar.SVG(), Table: bar.Table()}}

	byYC, err := m.Stats(ctx, s.query(v, f, partnerhub.DimYear, partnerhub.DimCategory))
	if err != nil {
		return nil, 0, err
	}
	line := chart.Line{Title: v.P.T("stats.chart.year_category"), Categories: years, Width: 720, Height: 360, Lang: lang,
		YLabel: v.P.T("stats.people"), Empty: empty, Missing: missing,
		Series: series(byYC, years, joinAll(partnerhub.Categories), func(c string) string { return v.P.T("category." + c) })}
	charts = append(charts, statsChart{View: "year_category", SVG: line.SVG(), Table: line.Table()})

	// Per phase: the years of each phase added up.
	var phaseNames []string
	phaseBar := chart.Bar{Title: v.P.T("stats.chart.phase"), Width: 720, Height: 320, Lang: lang, YLabel: v.P.T("stats.people"), Empty: empty, Missing: missing}
	for _, d := range dirs {
		phaseBar.Series = append(phaseBar.Series, chart.Series{Name: v.P.T("direction." + d)})
	}
	for _, ph := range v.X.Phases() {
		phaseNames = append(phaseNames, v.P.T("phase.name", ph.Number)+v.P.T("label.paren", v.P.T("phase.years", ph.StartYear, ph.EndYear)))
		for i, d := range dirs {
			sum := math.NaN() // a phase without records has no value, not 0
			for _, r := range byYD {
				y, _ := strconv.Atoi(r.Keys[0])
				if r.Keys[1] == d && y >= ph.StartYear && y <= ph.EndYear {
					sum = addTo(sum, float64(r.Total))
				}
			}
			phaseBar.Series[i].Values = append(phaseBar.Series[i].Values, sum)
		}
	}
	phaseBar.Categories = phaseNames
	if total == 0 {
		phaseBar.Series = nil
	}
	charts = append(charts, statsChart{View: "phase", SVG: phaseBar.SVG(), Table: phaseBar.Table()})

	// Which kinds of programme the people moved in: exchange, short
	// programmes, joint degrees...
	byProg, err := m.Stats(ctx, s.query(v, f, partnerhub.DimProgramme))
	if err != nil {
		return nil, 0, err
	}
	charts = append(charts, s.ranked(v, "programmes", v.P.T("stats.chart.programmes"), partnerhub.DimProgramme, byProg, len(byProg)))

	// The top ten partners, or, on a partner's page, its units.
	dim, view, title := partnerhub.DimPartner, "partners", v.P.T("stats.chart.partners")
	if f.Partner != "" {
		dim, view, title = partnerhub.DimUnit, "units", v.P.T("stats.chart.units")
	}
	top, err := m.Stats(ctx, s.query(v, f, dim))
	if err != nil {
		return nil, 0, err
	}
	charts = append(charts, s.ranked(v, view, title, dim, top, 10))
	return charts, total, nil
}

// ranked draws the n largest groups of rows (grouped by dim alone) as
// horizontal bars, largest first.
func (s *Server) ranked(v *view, view, title, dim string, rows []partnerhub.StatsRow, n int) statsChart {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b partnerhub.StatsRow) int { return cmp.Compare(b.Total, a.Total) })
	hb := chart.HBar{Title: title, Width: 720, Lang: string(v.Lang), XLabel: v.P.T("stats.people"), Empty: v.P.T("stats.empty"),
		Series: chart.Series{Name: v.P.T("stats.people")}}
	for _, r := range rows[:min(n, len(rows))] {
		hb.Categories = append(hb.Categories, s.keyLabel(v, dim, r.Keys[0]))
		hb.Series.Values = append(hb.Series.Values, float64(r.Total))
	}
	return statsChart{View: view, SVG: hb.SVG(), Table: hb.Table()}
}

// nans is n cells with no value yet.
func nans(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

// addTo adds v to a cell that may have no value yet.
func addTo(cell, v float64) float64 {
	if math.IsNaN(cell) {
		return v
	}
	return cell + v
}

// yearRange fills the gaps of sorted academic years, so that a year
// without records between two with records shows as a year with no data
// instead of vanishing from the axis.
func yearRange(years []string) []string {
	if len(years) < 2 {
		return years
	}
	first, err1 := strconv.Atoi(years[0])
	last, err2 := strconv.Atoi(years[len(years)-1])
	if err1 != nil || err2 != nil {
		return years
	}
	out := make([]string, 0, last-first+1)
	for y := first; y <= last; y++ {
		out = append(out, strconv.Itoa(y))
	}
	return out
}

func joinAll[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// keyLabel is how a statistics key reads on a page.
func (s *Server) keyLabel(v *view, dim, key string) string {
	switch dim {
	case partnerhub.DimPartner:
		if p, err := v.X.Partner(key); err == nil {
			return mustText(v, p.Name)
		}
	case partnerhub.DimUnit:
		if key == "" {
			return v.P.T("stats.university_wide")
		}
		if u, err := v.X.Unit(key); err == nil {
			return mustText(v, u.Abbr) + " " + mustText(v, u.Name)
		}
	case partnerhub.DimDirection:
		return v.P.T("direction." + key)
	case partnerhub.DimCategory:
		return v.P.T("category." + key)
	case partnerhub.DimProgramme:
		return v.P.T("programme." + key)
	}
	return key
}

// exportStats downloads the data of one statistics view.
func (s *Server) exportStats(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	view := q.Get("view")
	q.Del("view")
	dims, ok := statsViews[view]
	if !ok {
		return transfer.Table{}, (partnerhub.FieldErrors{"view": {Key: "one_of", Args: []any{strings.Join(slices.Sorted(maps.Keys(statsViews)), ", ")}}}).Err()
	}
	f, errs := parseStatsFilter(v.X, q)
	if err := errs.Err(); err != nil {
		return transfer.Table{}, err
	}
	if s.deps.Mobility == nil {
		return transfer.Table{}, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	rows, err := s.deps.Mobility.Stats(ctx, s.query(v, f, dims...))
	if err != nil {
		return transfer.Table{}, err
	}
	t := transfer.Table{Name: v.P.T("stats.export_name") + "-" + view}
	for _, d := range dims {
		t.Headers = append(t.Headers, v.P.T("dim."+d))
	}
	t.Headers = append(t.Headers, v.P.T("stats.people"))
	for _, r := range rows {
		row := make([]any, 0, len(dims)+1)
		for i, d := range dims {
			if d == partnerhub.DimYear {
				n, _ := strconv.Atoi(r.Keys[i])
				row = append(row, n)
				continue
			}
			row = append(row, s.keyLabel(v, d, r.Keys[i]))
		}
		t.Rows = append(t.Rows, append(row, r.Total))
	}
	return t, nil
}

// apiStats is GET /api/v1/stats/mobility?group_by=year,partner,direction&….
// home=all asks for every home institution together.
func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Mobility == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	q := r.URL.Query()
	f, errs := parseStatsFilter(s.snapFor(r).index, q, "group_by", "home")
	f.Home = s.home(r)
	if h := single(q, errs, "home"); h == "all" {
		f.Home = ""
	} else if h != "" && h != s.home(r) {
		errs.Add("home", "one_of", s.home(r)+", all")
	}
	if g := single(q, errs, "group_by"); g != "" {
		f.GroupBy = strings.Split(g, ",")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	rows, err := s.deps.Mobility.Stats(r.Context(), f.StatsQuery)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []partnerhub.StatsRow{}
	}
	groupBy := f.GroupBy
	if groupBy == nil {
		groupBy = []string{}
	}
	return writeJSON(w, r, struct {
		GroupBy []string              `json:"group_by"`
		Items   []partnerhub.StatsRow `json:"items"`
	}{groupBy, rows})
}

// apiMobility is GET /api/v1/mobility: the figures, filtered and paged.
func (s *Server) apiMobility(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Mobility == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	q := r.URL.Query()
	f, errs := parseStatsFilter(s.snapFor(r).index, q, "limit", "offset")
	// The figures page by offset, as they did before lists had `next`;
	// limit has the bounds of every other list.
	limit, offset := parseLimit(q, errs), 0
	if v := single(q, errs, "offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs.Add("offset", "bad_int", v)
		} else if n < 0 {
			errs.Add("offset", "not_negative")
		}
		offset = n
	}
	if err := errs.Err(); err != nil {
		return err
	}
	items, total, err := s.deps.Mobility.ListMobility(r.Context(), s.home(r), partnerhub.MobilityFilter{Partner: f.Partner, Unit: f.Unit,
		Direction: f.Direction, Category: f.Category, Programme: f.Programme, FromYear: f.FromYear, ToYear: f.ToYear}, limit, offset)
	if err != nil {
		return err
	}
	if items == nil {
		items = []partnerhub.Mobility{}
	}
	out := struct {
		Items []partnerhub.Mobility `json:"items"`
		Next  *string               `json:"next"`
		Total int64                 `json:"total"`
	}{Items: items, Total: total}
	if end := offset + len(items); len(items) > 0 && int64(end) < total {
		out.Next = s.nextURL(r, "offset", strconv.Itoa(end))
	}
	return writeJSON(w, r, out)
}

// apiPutMobility is PUT /api/v1/mobility: one figure, created or replaced.
func (s *Server) apiPutMobility(w http.ResponseWriter, r *http.Request) error {
	u := s.user(r)
	if u == nil {
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if s.deps.Mobility == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err := noParams(r); err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var m partnerhub.Mobility
	if err := decodeStrict(b, &m); err != nil {
		return err
	}
	if err := s.deps.Mobility.PutMobility(r.Context(), u, s.home(r), m); err != nil {
		return err
	}
	s.afterWrite(r)
	return writeStatusJSON(w, http.StatusOK, m)
}

// mobilitySummary is the few lines of figures a home or partner page shows:
// the latest years, people each way.
type mobilitySummary struct {
	Years []summaryYear
	Link  string
}

type summaryYear struct {
	Year              string
	Outbound, Inbound int64
}

// summary reads the latest five academic years of figures, for a partner
// or (partner "") the whole programme; nil when there are none.
func (s *Server) summary(ctx context.Context, v *view, partner string) *mobilitySummary {
	if s.deps.Mobility == nil {
		return nil
	}
	rows, err := s.deps.Mobility.Stats(ctx, partnerhub.StatsQuery{Home: v.Home, Partner: partner,
		GroupBy: []string{partnerhub.DimYear, partnerhub.DimDirection}})
	if err != nil {
		s.deps.Logger.Error("mobility summary failed", "partner", partner, "err", err)
		return nil
	}
	if len(rows) == 0 {
		return nil
	}
	sum := &mobilitySummary{Link: v.L() + "/stats"}
	if partner != "" {
		sum.Link += "/partners/" + partner
	}
	for _, r := range rows {
		if len(sum.Years) == 0 || sum.Years[len(sum.Years)-1].Year != r.Keys[0] {
			sum.Years = append(sum.Years, summaryYear{Year: r.Keys[0]})
		}
		y := &sum.Years[len(sum.Years)-1]
		if r.Keys[1] == string(partnerhub.Outbound) {
			y.Outbound += r.Total
		} else {
			y.Inbound += r.Total
		}
	}
	slices.Reverse(sum.Years)
	sum.Years = sum.Years[:min(5, len(sum.Years))]
	return sum
}

// exportMobility downloads the figures themselves, with the filters in use.
func (s *Server) exportMobility(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	f, errs := parseStatsFilter(v.X, q)
	if err := errs.Err(); err != nil {
		return transfer.Table{}, err
	}
	if s.deps.Mobility == nil {
		return transfer.Table{}, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	t := transfer.Table{Name: v.P.T("stats.export_name"), Headers: []string{v.P.T("dim.partner"), v.P.T("form.member_institution"),
		v.P.T("dim.unit"), v.P.T("dim.year"), v.P.T("dim.direction"), v.P.T("dim.category"), v.P.T("dim.programme"), v.P.T("stats.people")}}
	filter := partnerhub.MobilityFilter{Partner: f.Partner, Unit: f.Unit, Direction: f.Direction, Category: f.Category,
		Programme: f.Programme, FromYear: f.FromYear, ToYear: f.ToYear}
	for offset := 0; ; {
		items, _, err := s.deps.Mobility.ListMobility(ctx, v.Home, filter, 1000, offset)
		if err != nil {
			return transfer.Table{}, err
		}
		for _, m := range items {
			inst := ""
			if in, ok := v.X.Institution(m.Institution); ok {
				inst = mustText(v, in.Name)
			}
			t.Rows = append(t.Rows, []any{s.keyLabel(v, partnerhub.DimPartner, m.Partner), inst, s.keyLabel(v, partnerhub.DimUnit, m.Unit),
				m.Year, v.P.T("direction." + string(m.Direction)), v.P.T("category." + string(m.Category)),
				v.P.T("programme." + string(m.Programme)), m.Count})
		}
		if len(items) < 1000 {
			return t, nil
		}
		offset += len(items)
	}
}
