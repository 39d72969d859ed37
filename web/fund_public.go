package web

import (
	"net/http"
	"slices"
	"strconv"

	"partnerhub"
)

// The public side of a joint fund: its page (partners, each side's
// contributions by year, its history, its calls and the projects it
// awarded), each awarded project's page, and the API of projects. Only
// awarded proposals whose letters went out are public, and of them only
// what partnerhub.Project holds.

// fundYearRow is a year of the fund: what each side put in.
type fundYearRow struct {
	Year          int
	Home, Partner []partnerhub.Money
}

// leadRow is a project's lead as a page shows them: name and place.
type leadRow struct {
	Name  string
	Role  partnerhub.MemberRole
	Place string
}

// projectRow is a project in a list.
type projectRow struct {
	partnerhub.Project
	Href     string
	CallHref string
	Leads    []leadRow
	Units    []*partnerhub.UnitView
}

type fundPublicData struct {
	Fund          partnerhub.Fund
	Partners      []*partnerhub.PartnerView
	Contributions []fundYearRow
	History       partnerhub.FundHistory
	HistoryText   string
	Calls         []callRow
	Projects      []projectRow
}

type callRow struct {
	partnerhub.Call
	Href  string
	State partnerhub.CallState
}

// fundPublicPage is a fund's public page.
func (s *Server) fundPublicPage(r *http.Request, v *view) (*page, error) {
	if s.deps.Decisions == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err := noParams(r); err != nil {
		return nil, err
	}
	ctx, slug := r.Context(), r.PathValue("fund")
	f, err := s.deps.Funds.Fund(ctx, nil, v.Home, slug)
	if err != nil {
		return nil, err
	}
	h, err := s.deps.Decisions.FundHistory(ctx, v.Home, slug)
	if err != nil {
		return nil, err
	}
	calls, err := s.deps.Funds.Calls(ctx, nil, v.Home, partnerhub.CallFilter{Fund: slug, Public: true})
	if err != nil {
		return nil, err
	}
	projects, err := s.deps.Decisions.Projects(ctx, v.Home, partnerhub.ProjectFilter{Fund: slug})
	if err != nil {
		return nil, err
	}
	d := &fundPublicData{Fund: f, History: h}
	for _, p := range f.Partners {
		if pv, err := v.X.Partner(p); err == nil {
			d.Partners = append(d.Partners, pv)
		}
	}
	byYear := map[int]*fundYearRow{}
	for _, c := range f.Contributions {
		row, ok := byYear[c.Year]
		if !ok {
			row = &fundYearRow{Year: c.Year}
			byYear[c.Year] = row
		}
		if c.Side == partnerhub.SidePartner {
			row.Partner = append(row.Partner, c.Amount)
		} else {
			row.Home = append(row.Home, c.Amount)
		}
	}
	for _, row := range byYear {
		d.Contributions = append(d.Contributions, *row)
	}
	slices.SortFunc(d.Contributions, func(a, b fundYearRow) int { return a.Year - b.Year })
	d.HistoryText = historyText(v, h)
	now := s.deps.Now()
	for _, c := range calls {
		d.Calls = append(d.Calls, callRow{Call: c, Href: v.L() + c.Path(), State: c.State(now)})
	}
	for _, p := range projects {
		d.Projects = append(d.Projects, projectRowOf(v, p))
	}
	title, _ := f.Name.In(v.Lang)
	summary, _ := f.Summary.In(v.Lang)
	return &page{Template: "fund_public", Title: title, Description: summary, Data: d,
		Parents: []crumb{{Label: v.P.T("fund_decisions.calls"), Href: v.L() + "/calls"}}}, nil
}

// historyText tells a fund's record in a sentence: what it did before it
// was run here, and what is recorded here since.
func historyText(v *view, h partnerhub.FundHistory) string {
	total := v.P.T("fund_decisions.history.total", h.DeclaredCalls+h.Calls, h.DeclaredProjects+h.Projects)
	if h.DeclaredCalls == 0 && h.DeclaredProjects == 0 {
		return total
	}
	return total + v.P.T("fund_decisions.history.split", h.DeclaredCalls, h.DeclaredProjects, h.Calls, h.Projects)
}

// projectRowOf is a project with its leads and units as pages show them.
func projectRowOf(v *view, p partnerhub.Project) projectRow {
	row := projectRow{Project: p, Href: v.L() + p.Path(),
		CallHref: v.L() + "/calls/" + p.Fund + "/" + strconv.Itoa(p.Call)}
	for _, l := range p.Leads {
		lr := leadRow{Name: l.Name, Role: l.Role}
		switch {
		case l.Side == partnerhub.SideHome && l.Unit != "":
			if u, err := v.X.Unit(l.Unit); err == nil {
				lr.Place, _ = u.Name.In(v.Lang)
			} else {
				lr.Place = l.Unit
			}
		case l.Side == partnerhub.SidePartner:
			lr.Place = l.Affiliation
			if len(p.Partners) > 0 {
				if pv, err := v.X.Partner(p.Partners[0]); err == nil {
					name, _ := pv.Name.In(v.Lang)
					if lr.Place == "" {
						lr.Place = name
					} else {
						lr.Place = v.P.T("fund_decisions.affiliation", lr.Place, name)
					}
				}
			}
		}
		row.Leads = append(row.Leads, lr)
	}
	for _, code := range p.Units {
		if u, err := v.X.Unit(code); err == nil {
			row.Units = append(row.Units, u)
		}
	}
	return row
}

// mobilityRow is a year's mobility of a project's partner and units.
type mobilityRow struct {
	Year              string
	Outbound, Inbound int64
}

type projectData struct {
	projectRow
	FundHref   string
	Activities []*partnerhub.Activity
	Mobility   []mobilityRow
	// MobilityOf says whose mobility it is: the partner, and the units.
	MobilityOf string
	Reports    string // the reports page, for those signed in
}

// projectPage is an awarded project's public page.
func (s *Server) projectPage(r *http.Request, v *view) (*page, error) {
	if s.deps.Decisions == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err := noParams(r); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	p, err := s.deps.Decisions.Project(r.Context(), v.Home, id)
	if err != nil {
		return nil, err
	}
	d := &projectData{projectRow: projectRowOf(v, p), FundHref: v.L() + "/funds/" + p.Fund}
	for _, slug := range p.Activities {
		if a, err := v.X.Activity(slug); err == nil {
			d.Activities = append(d.Activities, a)
		}
	}
	if d.Mobility, err = s.projectMobility(r, p); err != nil {
		return nil, err
	}
	if len(d.Mobility) > 0 {
		d.MobilityOf = mobilityOf(v, d.projectRow)
	}
	if v.User != nil {
		d.Reports = v.L() + p.Path() + "/reports"
	}
	title, _ := p.Title.In(v.Lang)
	fund, _ := p.FundName.In(v.Lang)
	return &page{Template: "project", Title: title, Data: d,
		Parents: []crumb{{Label: fund, Href: d.FundHref}}}, nil
}

// mobilityOf names whose mobility a project's page counts.
func mobilityOf(v *view, p projectRow) string {
	partner := ""
	if len(p.Partners) > 0 {
		if pv, err := v.X.Partner(p.Partners[0]); err == nil {
			partner, _ = pv.Name.In(v.Lang)
		}
	}
	if len(p.Units) == 0 {
		return v.P.T("fund_decisions.mobility_of_partner", partner)
	}
	var units string
	for i, u := range p.Units {
		if i > 0 {
			units += v.P.T("fund_decisions.list_sep")
		}
		n, _ := u.Name.In(v.Lang)
		units += n
	}
	return v.P.T("fund_decisions.mobility_of", partner, units)
}

// projectMobility is the mobility, year by year from the award's, between
// the project's partner and its units (the partner's whole when it names
// none): the exchanges the project may have led to.
func (s *Server) projectMobility(r *http.Request, p partnerhub.Project) ([]mobilityRow, error) {
	if s.deps.Mobility == nil || len(p.Partners) == 0 {
		return nil, nil
	}
	units := p.Units
	if len(units) == 0 {
		units = []string{""}
	}
	byYear := map[string]*mobilityRow{}
	for _, u := range units {
		rows, err := s.deps.Mobility.Stats(r.Context(), partnerhub.StatsQuery{Home: s.home(r), Partner: p.Partners[0], Unit: u,
			GroupBy: []string{partnerhub.DimYear, partnerhub.DimDirection}, FromYear: p.Year})
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if len(row.Keys) != 2 {
				continue
			}
			m, ok := byYear[row.Keys[0]]
			if !ok {
				m = &mobilityRow{Year: row.Keys[0]}
				byYear[row.Keys[0]] = m
			}
			if row.Keys[1] == string(partnerhub.Inbound) {
				m.Inbound += row.Total
			} else {
				m.Outbound += row.Total
			}
		}
	}
	out := []mobilityRow{}
	for _, m := range byYear {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b mobilityRow) int {
		if a.Year < b.Year {
			return -1
		}
		if a.Year > b.Year {
			return 1
		}
		return 0
	})
	return out, nil
}

// apiProjects lists the public awards: GET /api/v1/projects[?fund=].
func (s *Server) apiProjects(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Decisions == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	q := r.URL.Query()
	errs := params(q, "fund", "limit")
	limit := parseLimit(q, errs)
	if err := errs.Err(); err != nil {
		return err
	}
	ps, err := s.deps.Decisions.Projects(r.Context(), s.home(r), partnerhub.ProjectFilter{Fund: q.Get("fund")})
	if err != nil {
		return err
	}
	if len(ps) > limit {
		ps = ps[:limit]
	}
	return writeJSON(w, r, struct {
		Items []partnerhub.Project `json:"items"`
		Next  *string              `json:"next"`
	}{ps, nil})
}

// apiProject is one public award: GET /api/v1/projects/{id}.
func (s *Server) apiProject(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Decisions == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err := noParams(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.project_not_found", r.PathValue("id"))
	}
	p, err := s.deps.Decisions.Project(r.Context(), s.home(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, p)
}

// fundPublicPaths are the public pages of funds and projects, for the
// sitemap.
func (s *Server) fundPublicPaths(r *http.Request) []string {
	if s.deps.Decisions == nil || s.deps.Funds == nil {
		return nil
	}
	var out []string
	funds, err := s.deps.Funds.Funds(r.Context(), nil, s.home(r))
	if err != nil {
		return nil
	}
	for _, f := range funds {
		out = append(out, "/funds/"+f.Slug)
	}
	ps, err := s.deps.Decisions.Projects(r.Context(), s.home(r), partnerhub.ProjectFilter{})
	if err != nil {
		return out
	}
	for _, p := range ps {
		out = append(out, p.Path())
	}
	return out
}
