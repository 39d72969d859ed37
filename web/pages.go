package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
	"partnerhub/store"
)

// tierGroup is the partners of one tier, as the pages list them.
type tierGroup struct {
	Tier     partnerhub.Tier
	Partners []*partnerhub.PartnerView
}

func groupByTier(ps []*partnerhub.PartnerView, phase int) []tierGroup {
	var gs []tierGroup
	for _, t := range append(slices.Clone(partnerhub.Tiers), "") {
		var in []*partnerhub.PartnerView
		for _, p := range ps {
			if p.TierIn(phase) == t {
				in = append(in, p)
			}
		}
		if len(in) > 0 {
			gs = append(gs, tierGroup{Tier: t, Partners: in})
		}
	}
	return gs
}

// The data of each public page's template. Each page has a type of its own
// so that a misspelt field is an error when the templates are executed
// (render fails the test that renders every page), not an empty string.

// phaseView is a phase as the pages show it.
type phaseView struct {
	Number, StartYear, EndYear int
	Aims                       []partnerhub.Text
	Declared                   declaredCount
	Groups                     []tierGroup // the partners by tier in this phase (phases page only)
}

// declaredCount is a phase's declared number of partners with the tier
// split as plain numbers: the model keeps the split as pointers (nil where
// only a total was declared), which a template would print as addresses.
type declaredCount struct {
	Total, Primary, Prospective int
	Split                       bool // the programme declared primary and prospective counts
}

func newPhaseView(ph partnerhub.Phase) phaseView {
	d := declaredCount{Total: ph.Declared.Total}
	if ph.Declared.Primary != nil && ph.Declared.Prospective != nil {
		d.Primary, d.Prospective, d.Split = *ph.Declared.Primary, *ph.Declared.Prospective, true
	}
	return phaseView{Number: ph.Number, StartYear: ph.StartYear, EndYear: ph.EndYear, Aims: ph.Aims, Declared: d}
}

type homeData struct {
	Phases   []phaseView
	Current  int
	Groups   []tierGroup
	Latest   []*partnerhub.Activity
	Forum    []string // the national forum's figures, in words
	Mobility *mobilitySummary
	Declared []declaredFigure // mobility the brochure states, by partner
}

// listFilter is the values of a list's filters as given, for the form.
type listFilter = map[string]string

type partnersData struct {
	Filter    listFilter
	Errors    map[string]string
	Groups    []tierGroup
	Total     int
	Phase     int
	Tiers     []partnerhub.Tier
	Units     []partnerhub.Unit
	Countries []string
	Phases    []partnerhub.Phase
	Filtered  bool
}

type partnerData struct {
	P          *partnerhub.PartnerView
	Activities []*partnerhub.Activity
	Current    int
	Mobility   *mobilitySummary
	Declared   []declaredFigure // mobility the brochure states for this partner
}

// unitGroup is the units of one kind.
type unitGroup struct {
	Kind  partnerhub.UnitKind
	Units []*partnerhub.UnitView
}

type unitsData struct {
	Groups []unitGroup
	Total  int
}

type unitData struct {
	U          *partnerhub.UnitView
	Activities []*partnerhub.Activity
}

// matrixGroup is the rows of the matrix under one tier, or all rows
// (Tier "") when they are sorted otherwise.
type matrixGroup struct {
	Tier partnerhub.Tier
	Rows []matrixRow
}

type matrixData struct {
	Units    []partnerhub.Unit
	Groups   []matrixGroup
	Rows     []matrixRow
	Count    map[string]int // partners per unit code
	SortRows string
	SortCols string
}

type phasesData struct {
	Phases  []phaseView
	Current int
	// ReportYear is the year whose annual report (PDF) the page links to.
	ReportYear int
}

// yearGroup is the activities of one year, or the undated ones.
type yearGroup struct {
	Label      string
	Activities []*partnerhub.Activity
}

type activitiesData struct {
	Filter   listFilter
	Errors   map[string]string
	Groups   []yearGroup
	Total    int
	Filtered bool
	Pager    *pager // nil when the filters are wrong
	Query    string // the filters, without the page: the downloads are of the whole list
	Partners []*partnerhub.PartnerView
	Units    []partnerhub.Unit
	Kinds    []partnerhub.ActivityKind
	Years    []string
}

type activityData struct {
	A            *partnerhub.Activity
	Partners     []*partnerhub.PartnerView
	Units        []*partnerhub.UnitView
	Institutions []*partnerhub.Institution
	Host         *partnerhub.Institution // nil when the source names none
	Series       *partnerhub.Series      // nil outside a series
	Editions     []*partnerhub.Activity  // the series' activities, this one included
}

// errorData is what the error and not-found pages show: the message and,
// for bad parameters, each field's problem.
type errorData struct {
	Message string
	Fields  map[string]string
}

// fieldErrors renders a validation error's fields in the page's language.
func fieldErrors(v *view, err error) (map[string]string, error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code != partnerhub.EInvalid {
		return nil, err
	}
	m := map[string]string{}
	for f, fe := range e.Fields {
		m[f] = v.P.Field(fe)
	}
	return m, nil
}

func (s *Server) homePage(r *http.Request, v *view) (*page, error) {
	x := v.X
	cur := x.CurrentPhase()
	var dated []*partnerhub.Activity
	for _, a := range x.Activities(partnerhub.ActivityFilter{}) {
		if !a.Start.IsZero() {
			dated = append(dated, a)
		}
	}
	slices.Reverse(dated)
	latest := dated[:min(6, len(dated))]
	// The figures of the programme as a whole are the national forum's
	// (universities, projects); each is said with what it counts.
	var forum []string
	for _, f := range x.Catalog().Figures {
		if f.Partner == "" && strings.HasPrefix(f.Key, "forum.") {
			forum = append(forum, figureText(v, f))
		}
	}
	return &page{
		Template:    "home",
		Title:       v.P.T("page.home.title"),
		Description: v.P.T("page.home.description"),
		Data: &homeData{
			Phases:   phaseViews(x.Phases()),
			Current:  cur,
			Groups:   groupByTier(x.Partners(partnerhub.PartnerFilter{}), cur),
			Latest:   latest,
			Forum:    forum,
			Mobility: s.summary(r.Context(), v, ""),
			Declared: declaredMobility(v, ""),
		},
	}, nil
}

func phaseViews(phs []partnerhub.Phase) []phaseView {
	out := make([]phaseView, len(phs))
	for i, ph := range phs {
		out[i] = newPhaseView(ph)
	}
	return out
}

func (s *Server) partnersPage(r *http.Request, v *view) (*page, error) {
	x := v.X
	q := r.URL.Query()
	f, err := partnerFilter(x, q)
	errs, err := fieldErrors(v, err)
	if err != nil {
		return nil, err
	}
	p := &page{Template: "partners", Title: v.P.T("page.partners.title"), Description: v.P.T("page.partners.description")}
	phase := cmp.Or(f.Phase, x.CurrentPhase())
	var groups []tierGroup
	total := 0
	if errs == nil {
		ps := x.Partners(f)
		total = len(ps)
		groups = groupByTier(ps, phase)
	} else {
		p.Status = http.StatusBadRequest
	}
	countries := map[string]bool{}
	for _, pv := range x.Partners(partnerhub.PartnerFilter{}) {
		for _, c := range pv.Countries {
			countries[c] = true
		}
	}
	p.Data = &partnersData{
		Filter: listFilter{"tier": q.Get("tier"), "unit": q.Get("unit"), "country": strings.ToUpper(q.Get("country")), "phase": q.Get("phase")},
		Errors: errs, Groups: groups, Total: total, Phase: phase,
		Tiers: partnerhub.Tiers, Units: x.Units(), Countries: slices.Sorted(mapKeys(countries)), Phases: x.Phases(),
		Filtered: !f.IsZero(),
	}
	p.Data.(*partnersData).offerOnlyResults(x)
	return p, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (s *Server) partnerPage(r *http.Request, v *view) (*page, error) {
	p, err := v.X.Partner(r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	acts := v.X.Activities(partnerhub.ActivityFilter{Partner: p.Slug})
	summary, _ := p.Summary.In(v.Lang)
	return &page{
		Template:    "partner",
		Title:       mustText(v, p.Name),
		Description: firstSentence(summary),
		Data: &partnerData{P: p, Activities: acts, Current: v.X.CurrentPhase(), Mobility: s.summary(r.Context(), v, p.Slug),
			Declared: declaredMobility(v, p.Slug)},
	}, nil
}

func mustText(v *view, t partnerhub.Text) string { s, _ := t.In(v.Lang); return s }

// firstSentence shortens a summary for a meta description.
func firstSentence(s string) string {
	for _, end := range []string{"。", ". "} {
		if i := strings.Index(s, end); i > 0 {
			return s[:i+len(end)]
		}
	}
	return s
}

func (s *Server) unitsPage(r *http.Request, v *view) (*page, error) {
	var groups []unitGroup
	for _, k := range partnerhub.UnitKinds {
		g := unitGroup{Kind: k}
		for _, u := range v.X.Units() {
			if u.Kind == k {
				uv, _ := v.X.Unit(u.Code)
				g.Units = append(g.Units, uv)
			}
		}
		if len(g.Units) > 0 {
			groups = append(groups, g)
		}
	}
	return &page{Template: "units", Title: v.P.T("page.units.title"), Description: v.P.T("page.units.description"),
		Data: &unitsData{Groups: groups, Total: len(v.X.Units())}}, nil
}

func (s *Server) unitPage(r *http.Request, v *view) (*page, error) {
	u, err := v.X.Unit(r.PathValue("code"))
	if err != nil {
		return nil, err
	}
	return &page{Template: "unit", Title: mustText(v, u.Name),
		Description: v.P.T("page.unit.description", mustText(v, u.Name), len(u.Partners)),
		Data:        &unitData{U: u, Activities: v.X.Activities(partnerhub.ActivityFilter{Unit: u.Code})}}, nil
}

// matrixRow is a partner and, for each unit column, its part in the team.
type matrixRow struct {
	P     *partnerhub.PartnerView
	Cells []string // "", "member" or "lead"
	Size  int
}

func (s *Server) matrixPage(r *http.Request, v *view) (*page, error) {
	q := r.URL.Query()
	errs := params(q, "rows", "cols")
	rows, cols := cmp.Or(single(q, errs, "rows"), "tier"), cmp.Or(single(q, errs, "cols"), "legend")
	if !slices.Contains([]string{"tier", "name", "size"}, rows) {
		errs.Add("rows", "one_of", "tier, name, size")
	}
	if !slices.Contains([]string{"legend", "count"}, cols) {
		errs.Add("cols", "one_of", "legend, count")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	units := slices.Clone(v.X.Units())
	partners := v.X.Partners(partnerhub.PartnerFilter{})
	count := map[string]int{}
	for _, p := range partners {
		for _, u := range p.Units {
			count[u.Code]++
		}
	}
	if cols == "count" {
		slices.SortStableFunc(units, func(a, b partnerhub.Unit) int { return count[b.Code] - count[a.Code] })
	}
	var out []matrixRow
	for _, p := range partners {
		row := matrixRow{P: p, Cells: make([]string, len(units)), Size: len(p.Units)}
		for i, u := range units {
			for _, tu := range p.Units {
				if tu.Code == u.Code {
					row.Cells[i] = "member"
					if tu.Lead {
						row.Cells[i] = "lead"
					}
				}
			}
		}
		out = append(out, row)
	}
	// By tier, the rows come in one group per tier; sorted otherwise, in one
	// group whose rows name their tier.
	var groups []matrixGroup
	switch rows {
	case "tier":
		for _, g := range groupByTier(partners, v.X.CurrentPhase()) {
			rg := matrixGroup{Tier: g.Tier}
			for _, r := range out {
				if slices.Contains(g.Partners, r.P) {
					rg.Rows = append(rg.Rows, r)
				}
			}
			groups = append(groups, rg)
		}
	case "name":
		slices.SortStableFunc(out, func(a, b matrixRow) int { return strings.Compare(mustText(v, a.P.Name), mustText(v, b.P.Name)) })
		groups = []matrixGroup{{Rows: out}}
	case "size":
		slices.SortStableFunc(out, func(a, b matrixRow) int { return b.Size - a.Size })
		groups = []matrixGroup{{Rows: out}}
	}
	return &page{Template: "matrix", Title: v.P.T("page.matrix.title"), Description: v.P.T("page.matrix.description"),
		Data: &matrixData{Units: units, Groups: groups, Rows: out, Count: count, SortRows: rows, SortCols: cols}}, nil
}

func (s *Server) phasesPage(r *http.Request, v *view) (*page, error) {
	var out []phaseView
	for _, ph := range v.X.Phases() {
		pv := newPhaseView(ph)
		pv.Groups = groupByTier(v.X.Partners(partnerhub.PartnerFilter{Phase: ph.Number}), ph.Number)
		out = append(out, pv)
	}
	slices.Reverse(out)
	return &page{Template: "phases", Title: v.P.T("page.phases.title"), Description: v.P.T("page.phases.description"),
		Data: &phasesData{Phases: out, Current: v.X.CurrentPhase(), ReportYear: s.reportLinkYear(v)}}, nil
}

func (s *Server) activitiesPage(r *http.Request, v *view) (*page, error) {
	x := v.X
	q := r.URL.Query()
	errs := params(q, "partner", "unit", "kind", "year", "page")
	f := partnerhub.ActivityFilter{
		Partner: single(q, errs, "partner"),
		Unit:    single(q, errs, "unit"),
		Kind:    partnerhub.ActivityKind(single(q, errs, "kind")),
	}
	year := single(q, errs, "year")
	if year != "" {
		if n, err := strconv.Atoi(year); err != nil || n < 1000 || n > 9999 {
			errs.Add("year", "bad_year", year)
		} else {
			f.From, f.To = partnerhub.PartialDate{Year: n}, partnerhub.PartialDate{Year: n}
		}
	}
	// The page number is checked against the filtered list's length, so
	// the list is read before the errors are rendered.
	var acts []*partnerhub.Activity
	n := 1
	filterErr := x.ValidateActivityFilter(f)
	if filterErr == nil && len(errs) == 0 {
		acts = x.Activities(f)
		n = parsePage(q, errs, len(acts))
	}
	ferrs, err := fieldErrors(v, merge(errs, filterErr))
	if err != nil {
		return nil, err
	}
	p := &page{Template: "activities", Title: v.P.T("page.activities.title"), Description: v.P.T("page.activities.description")}
	var groups []yearGroup
	var pg *pager
	total := 0
	if ferrs == nil {
		total = len(acts)
		slices.Reverse(acts) // newest first; undated ones now lead, so move them last
		var undated []*partnerhub.Activity
		for _, a := range acts {
			if a.Start.IsZero() {
				undated = append(undated, a)
			}
		}
		slices.Reverse(undated)
		acts = append(slices.DeleteFunc(acts, func(a *partnerhub.Activity) bool { return a.Start.IsZero() }), undated...)
		pg = newPager(v.L()+"/activities", q, n, total)
		start := (n - 1) * pageSize
		for _, a := range acts[start:min(start+pageSize, total)] {
			label := v.P.T("label.undated_group")
			if !a.Start.IsZero() {
				label = strconv.Itoa(a.Start.Year)
			}
			if len(groups) == 0 || groups[len(groups)-1].Label != label {
				groups = append(groups, yearGroup{Label: label})
			}
			groups[len(groups)-1].Activities = append(groups[len(groups)-1].Activities, a)
		}
	} else {
		p.Status = http.StatusBadRequest
	}
	years := map[string]bool{}
	for _, a := range x.Activities(partnerhub.ActivityFilter{}) {
		if !a.Start.IsZero() {
			years[strconv.Itoa(a.Start.Year)] = true
		}
	}
	ys := slices.Sorted(mapKeys(years))
	slices.Reverse(ys)
	p.Data = &activitiesData{
		Filter: listFilter{"partner": q.Get("partner"), "unit": q.Get("unit"), "kind": q.Get("kind"), "year": year},
		Errors: ferrs, Groups: groups, Total: total, Filtered: f != (partnerhub.ActivityFilter{}) && ferrs == nil, Pager: pg, Query: withoutPage(q),
		Partners: x.Partners(partnerhub.PartnerFilter{}), Units: x.Units(), Kinds: partnerhub.ActivityKinds, Years: ys,
	}
	p.Data.(*activitiesData).offerOnlyResults(x)
	return p, nil
}

func (s *Server) activityPage(r *http.Request, v *view) (*page, error) {
	a, err := v.X.Activity(r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	var partners []*partnerhub.PartnerView
	for _, slug := range a.Partners {
		if p, err := v.X.Partner(slug); err == nil {
			partners = append(partners, p)
		}
	}
	var units []*partnerhub.UnitView
	for _, code := range a.Units {
		if u, err := v.X.Unit(code); err == nil {
			units = append(units, u)
		}
	}
	var insts []*partnerhub.Institution
	for _, slug := range a.Institutions {
		if in, ok := v.X.Institution(slug); ok {
			insts = append(insts, in)
		}
	}
	data := &activityData{A: a, Partners: partners, Units: units, Institutions: insts}
	if in, ok := v.X.Institution(a.Host); ok {
		data.Host = in
	}
	if se, ok := v.X.Series(a.Series); ok {
		data.Series = se
		for _, o := range v.X.Activities(partnerhub.ActivityFilter{}) {
			if o.Series == a.Series {
				data.Editions = append(data.Editions, o)
			}
		}
	}
	summary, _ := a.Summary.In(v.Lang)
	return &page{Template: "activity", Title: mustText(v, a.Title), Description: firstSentence(summary), Data: data}, nil
}

// errorPage turns a handler's error into a page: 404 for what does not
// exist, 400 for bad parameters, and a generic 500 that shows no internals.
func (s *Server) errorPage(v *view, err error) *page {
	err = store.Unavailable(err)
	p := &page{Template: "error", Status: statusOf(partnerhub.ErrorCode(err))}
	var e *partnerhub.Error
	switch {
	case errors.As(err, &e) && e.Code == partnerhub.EUnavailable:
		// Said as it is, and sent with Retry-After (privatePage,
		// writePage): trying again soon is the remedy.
		s.deps.Logger.Warn("page unavailable", "path", v.Path, "lang", string(v.Lang), "err", err)
		p.Title = v.P.T("unavailable.title")
		p.Data = &errorData{Message: v.P.Error(e)}
	case errors.As(err, &e) && e.Code == partnerhub.ENotFound:
		p.Title = v.P.T("page.notfound.title")
		p.Data = &errorData{Message: v.P.Error(e)}
	case errors.As(err, &e) && e.Code == partnerhub.EInvalid:
		p.Title = v.P.T("page.badrequest.title")
		fields, _ := fieldErrors(v, err)
		p.Data = &errorData{Message: v.P.Error(e), Fields: fields}
	case errors.As(err, &e) && e.Code != partnerhub.EInternal:
		// Refusals and conflicts: the reason, in the reader's language.
		p.Title = v.P.T("page.refused.title")
		p.Data = &errorData{Message: v.P.Error(e)}
	default:
		s.deps.Logger.Error("page failed", "path", v.Path, "lang", string(v.Lang), "err", err)
		p.Status = http.StatusInternalServerError
		p.Title = v.P.T("page.error.title")
		p.Data = &errorData{Message: v.P.T("error.internal")}
	}
	return p
}

// notFoundPage answers an unknown path under a language prefix.
func (s *Server) notFoundPage(r *http.Request, v *view) (*page, error) {
	return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
}

// root sends "/" to the reader's language: an earlier choice (cookie), else
// the browser's Accept-Language.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	choice := ""
	if ck, err := r.Cookie(s.langCookieName(r)); err == nil {
		choice = ck.Value
	}
	lang := s.deps.Messages.Negotiate(choice, r.Header.Get("Accept-Language"))
	w.Header().Set("Vary", "Accept-Language, Cookie")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.l(lang)+"/", http.StatusFound)
}

// static serves an embedded asset by its content-hashed URL.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets.byURL[r.URL.Path]
	if !ok {
		s.bilingualNotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(a.body)
}

// bilingualNotFound answers a path outside both languages in both.
func (s *Server) bilingualNotFound(w http.ResponseWriter, r *http.Request) {
	snap := s.snap.Load()
	v := s.newView(r, partnerhub.English, "", snap)
	p := s.errorPage(v, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found"))
	p.Template = "notfound"
	c, err := s.render(v, p)
	if err != nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h["Content-Type"] = hdrHTML
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	w.Write(c.body)
}

// langSwitch is the link to the same page, with its query, in the other language.
func (v *view) LangSwitch() string {
	u := v.Root + "/" + string(v.Other) + v.Path
	if v.Query != "" {
		u += "?" + v.Query
	}
	return u
}

// Alternate is the URL of this page in lang, for hreflang links.
func (v *view) Alternate(lang partnerhub.Lang) string {
	u := v.Base + v.Root + "/" + string(lang) + v.Path
	if v.Query != "" {
		u += "?" + v.Query
	}
	return u
}

// Title is the document title: the page's, then the site's.
func (v *view) Title() string {
	site := v.SiteName()
	if v.Page.Title == "" || v.Page.Title == site {
		return site
	}
	return v.Page.Title + " | " + site
}

// Selected reports whether a filter field holds a value, for <option selected>.
func Selected(m map[string]string, key string, value any) bool { return m[key] == fmt.Sprint(value) }

// Path of a filtered list with one parameter changed, keeping the others.
func (v *view) With(key, value string) string {
	q, _ := url.ParseQuery(v.Query)
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	u := v.L() + v.Path
	if e := q.Encode(); e != "" {
		u += "?" + e
	}
	return u
}
