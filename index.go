package partnerhub

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Index answers the read queries of one catalog from memory. The programme's
// data changes rarely and is read constantly, so an Index is built once per
// version of the data and then shared, read-only, by every request.
type Index struct {
	cat            *Catalog
	current        int
	institutions   map[string]*Institution
	units          map[string]*Unit
	unitPos        map[string]int
	partners       []PartnerView
	partnerBySlug  map[string]int
	unitViews      []UnitView
	unitByCode     map[string]int
	activities     []Activity
	activityBySlug map[string]int
	series         map[string]*Series
}

// TeamUnit is a unit in a partner's team.
type TeamUnit struct {
	Code string   `json:"code"`
	Name Text     `json:"name"`
	Abbr Text     `json:"abbr"`
	Kind UnitKind `json:"kind"`
	Lead bool     `json:"lead"`
}

// Team is a partner's team in one phase.
type Team struct {
	Phase int        `json:"phase"`
	Units []TeamUnit `json:"units"`
}

// PhaseTier is a partner's tier in one phase.
type PhaseTier struct {
	Phase int  `json:"phase"`
	Tier  Tier `json:"tier"`
}

// PartnerView is a partner with everything a reader of it needs: its
// members, tiers, teams and agreements.
type PartnerView struct {
	Slug       string        `json:"slug"`
	Name       Text          `json:"name"`
	ShortName  string        `json:"short_name"`
	Kind       PartnerKind   `json:"kind"`
	Tier       *Tier         `json:"tier"` // in the current phase
	Standings  []PhaseTier   `json:"standings"`
	Countries  []string      `json:"countries"`
	Members    []Institution `json:"members"`
	Units      []TeamUnit    `json:"units"` // team of the current phase
	Teams      []Team        `json:"teams"`
	Agreements []Agreement   `json:"agreements"`
	Summary    Text          `json:"summary"`
	Note       Text          `json:"note"`
	Version    int           `json:"version"` // of the partner record, for edits
}

// TierIn returns the partner's tier in phase, "" when it had none.
func (p *PartnerView) TierIn(phase int) Tier {
	for _, s := range p.Standings {
		if s.Phase == phase {
			return s.Tier
		}
	}
	return ""
}

// TeamIn returns the partner's team in phase.
func (p *PartnerView) TeamIn(phase int) []TeamUnit {
	for _, t := range p.Teams {
		if t.Phase == phase {
			return t.Units
		}
	}
	return nil
}

// UnitPartner is a partner as listed on a unit.
type UnitPartner struct {
	Slug      string `json:"slug"`
	Name      Text   `json:"name"`
	ShortName string `json:"short_name"`
	Tier      *Tier  `json:"tier"`
	Lead      bool   `json:"lead"`
}

// UnitView is a unit with the partners whose current team it belongs to.
type UnitView struct {
	Unit
	Partners []UnitPartner `json:"partners"`
}

// NewIndex builds the read model of a validated catalog. The catalog must
// not change afterwards.
func NewIndex(c *Catalog) *Index {
	x := &Index{
		cat: c, current: c.CurrentPhase(),
		institutions: map[string]*Institution{}, units: map[string]*Unit{}, unitPos: map[string]int{},
		partnerBySlug: map[string]int{}, unitByCode: map[string]int{}, activityBySlug: map[string]int{},
		series: map[string]*Series{},
	}
	for i := range c.Institutions {
		x.institutions[c.Institutions[i].Slug] = &c.Institutions[i]
	}
	for i := range c.Units {
		x.units[c.Units[i].Code] = &c.Units[i]
		x.unitPos[c.Units[i].Code] = i
	}
	for i := range c.Series {
		x.series[c.Series[i].Slug] = &c.Series[i]
	}
	for _, p := range c.Partners {
		x.partnerBySlug[p.Slug] = len(x.partners)
		x.partners = append(x.partners, x.partnerView(p))
	}
	for _, u := range c.Units {
		v := UnitView{Unit: u, Partners: []UnitPartner{}}
		for _, p := range x.partners {
			for _, tu := range p.Units {
				if tu.Code == u.Code {
					v.Partners = append(v.Partners, UnitPartner{Slug: p.Slug, Name: p.Name, ShortName: p.ShortName, Tier: p.Tier, Lead: tu.Lead})
				}
			}
		}
		x.unitByCode[u.Code] = len(x.unitViews)
		x.unitViews = append(x.unitViews, v)
	}
	x.activities = slices.Clone(c.Activities)
	slices.SortStableFunc(x.activities, func(a, b Activity) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Phase, b.Phase), cmp.Compare(a.Slug, b.Slug))
	})
	for i, a := range x.activities {
		x.activityBySlug[a.Slug] = i
	}
	return x
}

func (x *Index) partnerView(p Partner) PartnerView {
	c := x.cat
	v := PartnerView{
		Slug: p.Slug, Name: p.Name, ShortName: p.ShortName, Kind: p.Kind, Summary: p.Summary, Note: p.Note, Version: p.Version,
		Standings: []PhaseTier{}, Countries: []string{}, Members: []Institution{}, Units: []TeamUnit{},
		Teams: []Team{}, Agreements: []Agreement{},
	}
	for _, m := range p.Members {
		in := *x.institutions[m]
		v.Members = append(v.Members, in)
		if !slices.Contains(v.Countries, in.Country) {
			v.Countries = append(v.Countries, in.Country)
		}
	}
	for _, s := range c.Standings {
		if s.Partner == p.Slug {
			v.Standings = append(v.Standings, PhaseTier{Phase: s.Phase, Tier: s.Tier})
			if s.Phase == x.current {
				t := s.Tier
				v.Tier = &t
			}
		}
	}
	slices.SortFunc(v.Standings, func(a, b PhaseTier) int { return cmp.Compare(a.Phase, b.Phase) })
	for _, t := range c.Teams {
		if t.Partner != p.Slug {
			continue
		}
		i := slices.IndexFunc(v.Teams, func(tm Team) bool { return tm.Phase == t.Phase })
		if i < 0 {
			i = len(v.Teams)
			v.Teams = append(v.Teams, Team{Phase: t.Phase, Units: []TeamUnit{}})
		}
		u := x.units[t.Unit]
		v.Teams[i].Units = append(v.Teams[i].Units, TeamUnit{Code: u.Code, Name: u.Name, Abbr: u.Abbr, Kind: u.Kind, Lead: t.Lead})
	}
	slices.SortFunc(v.Teams, func(a, b Team) int { return cmp.Compare(a.Phase, b.Phase) })
	for _, t := range v.Teams {
		if t.Phase == x.current {
			v.Units = t.Units
		}
	}
	for _, a := range c.Agreements {
		if a.Partner == p.Slug {
			v.Agreements = append(v.Agreements, a)
		}
	}
	slices.SortStableFunc(v.Agreements, func(a, b Agreement) int { return a.Signed.Compare(b.Signed) })
	return v
}

// Catalog returns the catalog the index serves.
func (x *Index) Catalog() *Catalog { return x.cat }

// CurrentPhase is the number of the latest phase.
func (x *Index) CurrentPhase() int { return x.current }

// Institution returns the institution with slug.
func (x *Index) Institution(slug string) (*Institution, bool) {
	in, ok := x.institutions[slug]
	return in, ok
}

// PartnerFilter selects partners; the zero value selects all. Tier and Unit
// apply to Phase, which defaults to the current phase; a non-zero Phase also
// keeps only the partners that had a standing or a team in it.
type PartnerFilter struct {
	Tier    Tier
	Unit    string
	Phase   int
	Country string
	Q       string
}

// Validate checks the filter's values against the catalog.
func (x *Index) ValidatePartnerFilter(f PartnerFilter) error {
	errs := FieldErrors{}
	if f.Tier != "" {
		if _, ok := ParseTier(string(f.Tier)); !ok {
			errs.Add("tier", "one_of", joinEnum(Tiers))
		}
	}
	if f.Unit != "" {
		if _, ok := x.units[f.Unit]; !ok {
			errs.Add("unit", "unknown_unit", f.Unit)
		}
	}
	if f.Phase != 0 && !slices.ContainsFunc(x.cat.Phases, func(p Phase) bool { return p.Number == f.Phase }) {
		errs.Add("phase", "unknown_phase", f.Phase)
	}
	if f.Country != "" && !countryRE.MatchString(f.Country) {
		errs.Add("country", "bad_country")
	}
	if utf8.RuneCountInString(f.Q) > MaxQueryLen {
		errs.Add("q", "too_long_chars", MaxQueryLen)
	}
	return errs.Err()
}

// MaxQueryLen bounds a search query, in characters.
const MaxQueryLen = 200

// IsZero reports whether the filter selects everything.
func (f PartnerFilter) IsZero() bool { return f == PartnerFilter{} }

// Partners returns the partners f selects, primary before prospective, each
// tier in the catalog's order. The views are shared: callers must not change them.
func (x *Index) Partners(f PartnerFilter) []*PartnerView {
	phase := cmp.Or(f.Phase, x.current)
	out := []*PartnerView{}
	for i := range x.partners {
		p := &x.partners[i]
		tier, team := p.TierIn(phase), p.TeamIn(phase)
		switch {
		case f.Phase != 0 && tier == "" && len(team) == 0:
			continue
		case f.Tier != "" && tier != f.Tier:
			continue
		case f.Unit != "" && !slices.ContainsFunc(team, func(u TeamUnit) bool { return u.Code == f.Unit }):
			continue
		case f.Country != "" && !slices.Contains(p.Countries, f.Country):
			continue
		case f.Q != "" && !p.matches(f.Q):
			continue
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b *PartnerView) int {
		return cmp.Compare(tierRank(a.TierIn(phase)), tierRank(b.TierIn(phase)))
	})
	return out
}

func tierRank(t Tier) int {
	switch t {
	case Primary:
		return 0
	case Prospective:
		return 1
	}
	return 2
}

func (p *PartnerView) matches(q string) bool {
	q = strings.TrimSpace(q)
	if p.Name.Contains(q) || containsFold(p.ShortName, q) || containsFold(p.Slug, q) {
		return true
	}
	for _, m := range p.Members {
		if m.Name.Contains(q) || containsFold(m.Acronym, q) {
			return true
		}
	}
	return false
}

// Partner returns the partner with slug, or an ENotFound error.
func (x *Index) Partner(slug string) (*PartnerView, error) {
	i, ok := x.partnerBySlug[slug]
	if !ok {
		return nil, Errorf(ENotFound, "error.partner_not_found", slug)
	}
	return &x.partners[i], nil
}

// Units returns every unit in the legend's order.
func (x *Index) Units() []Unit { return x.cat.Units }

// Unit returns the unit with code and its partners, or an ENotFound error.
func (x *Index) Unit(code string) (*UnitView, error) {
	i, ok := x.unitByCode[code]
	if !ok {
		return nil, Errorf(ENotFound, "error.unit_not_found", code)
	}
	return &x.unitViews[i], nil
}

// Phases returns the phases in order.
func (x *Index) Phases() []Phase { return x.cat.Phases }

// Series returns the series with slug.
func (x *Index) Series(slug string) (*Series, bool) {
	s, ok := x.series[slug]
	return s, ok
}

// ActivityFilter selects activities; the zero value selects all. From and To
// keep the activities whose dates may overlap the range they span, so
// from=2021 keeps an activity dated "2021-03" and one dated "2020-04" to "2021-03".
type ActivityFilter struct {
	Partner  string
	Unit     string
	Kind     ActivityKind
	From, To PartialDate
	Q        string
}

// ValidateActivityFilter checks the filter's values against the catalog.
func (x *Index) ValidateActivityFilter(f ActivityFilter) error {
	errs := FieldErrors{}
	if f.Partner != "" {
		if _, ok := x.partnerBySlug[f.Partner]; !ok {
			errs.Add("partner", "unknown_partner", f.Partner)
		}
	}
	if f.Unit != "" {
		if _, ok := x.units[f.Unit]; !ok {
			errs.Add("unit", "unknown_unit", f.Unit)
		}
	}
	if f.Kind != "" {
		if _, ok := ParseActivityKind(string(f.Kind)); !ok {
			errs.Add("kind", "one_of", joinEnum(ActivityKinds))
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Last().Before(f.From.First()) {
		errs.Add("to", "before_start")
	}
	if utf8.RuneCountInString(f.Q) > MaxQueryLen {
		errs.Add("q", "too_long_chars", MaxQueryLen)
	}
	return errs.Err()
}

// Activities returns the activities f selects, by start date; undated last.
func (x *Index) Activities(f ActivityFilter) []*Activity {
	out := []*Activity{}
	for i := range x.activities {
		a := &x.activities[i]
		switch {
		case f.Partner != "" && !slices.Contains(a.Partners, f.Partner):
			continue
		case f.Unit != "" && !slices.Contains(a.Units, f.Unit):
			continue
		case f.Kind != "" && a.Kind != f.Kind:
			continue
		case (!f.From.IsZero() || !f.To.IsZero()) && a.Start.IsZero():
			continue
		case !f.From.IsZero() && cmp.Or(a.End, a.Start).Last().Before(f.From.First()):
			continue
		case !f.To.IsZero() && a.Start.First().After(f.To.Last()):
			continue
		case f.Q != "" && !a.Title.Contains(f.Q) && !a.Summary.Contains(f.Q):
			continue
		}
		out = append(out, a)
	}
	return out
}

// Activity returns the activity with slug, or an ENotFound error.
func (x *Index) Activity(slug string) (*Activity, error) {
	i, ok := x.activityBySlug[slug]
	if !ok {
		return nil, Errorf(ENotFound, "error.activity_not_found", slug)
	}
	return &x.activities[i], nil
}
