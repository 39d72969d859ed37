package partnerhub

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Catalog is the whole programme of one home institution: the flat records
// as they are stored, in their display order. It is what the dataset loads,
// what the store writes and reads back, and what an Index serves from.
type Catalog struct {
	Home         HomeInstitution  `json:"home"`
	Institutions []Institution    `json:"institutions"`
	Units        []Unit           `json:"units"`
	Phases       []Phase          `json:"phases"`
	Partners     []Partner        `json:"partners"`
	Standings    []Standing       `json:"standings"`
	Teams        []TeamMembership `json:"teams"`
	Series       []Series         `json:"series"`
	Agreements   []Agreement      `json:"agreements"`
	Activities   []Activity       `json:"activities"`
	Figures      []Figure         `json:"figures"`
	// Funds are the joint funds run with partners, without their
	// committees (which are people, kept apart from the programme's data).
	Funds []Fund `json:"funds"`
}

// Validate checks every record and every reference between records. Field
// paths name the record by list and position ("partners[3].members[1]") so a
// loader can point at the line it came from.
func (c *Catalog) Validate() error {
	errs := FieldErrors{}
	sub := func(prefix string, err error) {
		var e *Error
		if errors.As(err, &e) {
			for f, fe := range e.Fields {
				errs[prefix+"."+f] = fe
			}
		}
	}
	sub("home", c.Home.Validate())

	insts := map[string]bool{}
	for i, in := range c.Institutions {
		p := indexed("institutions", i)
		sub(p, in.Validate())
		if insts[in.Slug] {
			errs.Add(p+".slug", "duplicate", in.Slug)
		}
		insts[in.Slug] = true
	}
	if c.Home.Institution != "" && !insts[c.Home.Institution] {
		errs.Add("home.institution", "unknown_institution", c.Home.Institution)
	}
	units := map[string]bool{}
	for i, u := range c.Units {
		p := indexed("units", i)
		sub(p, u.Validate())
		if units[u.Code] {
			errs.Add(p+".code", "duplicate", u.Code)
		}
		units[u.Code] = true
	}
	phases := map[int]bool{}
	for i, ph := range c.Phases {
		p := indexed("phases", i)
		sub(p, ph.Validate())
		if phases[ph.Number] {
			errs.Add(p+".number", "duplicate", ph.Number)
		}
		phases[ph.Number] = true
	}
	partners := map[string]bool{}
	for i, pa := range c.Partners {
		p := indexed("partners", i)
		sub(p, pa.Validate())
		if partners[pa.Slug] {
			errs.Add(p+".slug", "duplicate", pa.Slug)
		}
		partners[pa.Slug] = true
		seen := map[string]bool{}
		for j, m := range pa.Members {
			mp := indexed(p+".members", j)
			if !insts[m] {
				errs.Add(mp, "unknown_institution", m)
			}
			if seen[m] {
				errs.Add(mp, "duplicate", m)
			}
			seen[m] = true
		}
	}
	standing := map[[2]string]bool{}
	for i, s := range c.Standings {
		p := indexed("standings", i)
		if !partners[s.Partner] {
			errs.Add(p+".partner", "unknown_partner", s.Partner)
		}
		if !phases[s.Phase] {
			errs.Add(p+".phase", "unknown_phase", s.Phase)
		}
		validateEnum(errs, p+".tier", s.Tier, Tiers, true)
		k := [2]string{s.Partner, fmt.Sprint(s.Phase)}
		if standing[k] {
			errs.Add(p, "duplicate", s.Partner)
		}
		standing[k] = true
	}
	team := map[[3]string]bool{}
	leads := map[[2]string]int{}
	for i, t := range c.Teams {
		p := indexed("teams", i)
		if !partners[t.Partner] {
			errs.Add(p+".partner", "unknown_partner", t.Partner)
		}
		if !units[t.Unit] {
			errs.Add(p+".unit", "unknown_unit", t.Unit)
		}
		if !phases[t.Phase] {
			errs.Add(p+".phase", "unknown_phase", t.Phase)
		}
		k := [3]string{t.Partner, t.Unit, fmt.Sprint(t.Phase)}
		if team[k] {
			errs.Add(p+".unit", "duplicate", t.Unit)
		}
		team[k] = true
		if t.Lead {
			lk := [2]string{t.Partner, fmt.Sprint(t.Phase)}
			leads[lk]++
			if leads[lk] > 1 {
				errs.Add(p+".lead", "one_lead")
			}
		}
	}
	series := map[string]bool{}
	for i, s := range c.Series {
		p := indexed("series", i)
		sub(p, s.Validate())
		if series[s.Slug] {
			errs.Add(p+".slug", "duplicate", s.Slug)
		}
		series[s.Slug] = true
		if s.Partner != "" && !partners[s.Partner] {
			errs.Add(p+".partner", "unknown_partner", s.Partner)
		}
	}
	refs := func(p, field string, list []string, known map[string]bool, key string) {
		for j, v := range list {
			if !known[v] {
				errs.Add(indexed(p+"."+field, j), key, v)
			}
		}
	}
	agreements := map[string]bool{}
	for _, a := range c.Agreements {
		agreements[a.Slug] = true
	}
	seen := map[string]bool{}
	for i, a := range c.Agreements {
		p := indexed("agreements", i)
		sub(p, a.Validate())
		if seen[a.Slug] {
			errs.Add(p+".slug", "duplicate", a.Slug)
		}
		seen[a.Slug] = true
		if a.Renews != "" && !agreements[a.Renews] {
			errs.Add(p+".renews", "unknown_agreement", a.Renews)
		}
		if a.Partner != "" && !partners[a.Partner] {
			errs.Add(p+".partner", "unknown_partner", a.Partner)
		}
		if a.Institution != "" && !insts[a.Institution] {
			errs.Add(p+".institution", "unknown_institution", a.Institution)
		}
		refs(p, "units", a.Units, units, "unknown_unit")
	}
	activities := map[string]bool{}
	for i, a := range c.Activities {
		p := indexed("activities", i)
		sub(p, a.Validate())
		if activities[a.Slug] {
			errs.Add(p+".slug", "duplicate", a.Slug)
		}
		activities[a.Slug] = true
		refs(p, "partners", a.Partners, partners, "unknown_partner")
		refs(p, "units", a.Units, units, "unknown_unit")
		refs(p, "institutions", a.Institutions, insts, "unknown_institution")
		if a.Host != "" && !insts[a.Host] {
			errs.Add(p+".host", "unknown_institution", a.Host)
		}
		if a.Series != "" && !series[a.Series] {
			errs.Add(p+".series", "unknown_series", a.Series)
		}
		if a.Phase != 0 && !phases[a.Phase] {
			errs.Add(p+".phase", "unknown_phase", a.Phase)
		}
	}
	for i, f := range c.Figures {
		p := indexed("figures", i)
		sub(p, f.Validate())
		if f.Partner != "" && !partners[f.Partner] {
			errs.Add(p+".partner", "unknown_partner", f.Partner)
		}
	}
	funds := map[string]bool{}
	for i, f := range c.Funds {
		p := indexed("funds", i)
		sub(p, f.Validate())
		if funds[f.Slug] {
			errs.Add(p+".slug", "duplicate", f.Slug)
		}
		funds[f.Slug] = true
		refs(p, "partners", f.Partners, partners, "unknown_partner")
	}
	return errs.Err()
}

// CurrentPhase is the latest phase, or 0 when there is none.
func (c *Catalog) CurrentPhase() int {
	n := 0
	for _, p := range c.Phases {
		n = max(n, p.Number)
	}
	return n
}

// Normalize puts the records of the lists that have no display order of
// their own into a canonical order and makes every list non-nil, so two
// catalogs with the same content compare equal whichever way they were built
// and lists encode as [] rather than null.
func (c *Catalog) Normalize() {
	c.Institutions = nonNil(c.Institutions)
	c.Units = nonNil(c.Units)
	c.Phases = nonNil(c.Phases)
	c.Partners = nonNil(c.Partners)
	c.Standings = nonNil(c.Standings)
	c.Teams = nonNil(c.Teams)
	c.Series = nonNil(c.Series)
	c.Agreements = nonNil(c.Agreements)
	c.Activities = nonNil(c.Activities)
	c.Figures = nonNil(c.Figures)
	c.Funds = nonNil(c.Funds)
	for i := range c.Funds {
		f := &c.Funds[i]
		f.Partners, f.Contributions, f.Seats = nonNil(f.Partners), nonNil(f.Contributions), nil
	}
	for i := range c.Phases {
		c.Phases[i].Aims = nonNil(c.Phases[i].Aims)
	}
	for i := range c.Partners {
		c.Partners[i].Members = nonNil(c.Partners[i].Members)
	}
	for i := range c.Agreements {
		c.Agreements[i].Units = nonNil(c.Agreements[i].Units)
	}
	for i := range c.Activities {
		a := &c.Activities[i]
		a.Partners, a.Units, a.Institutions = nonNil(a.Partners), nonNil(a.Units), nonNil(a.Institutions)
	}
	slices.SortFunc(c.Institutions, func(a, b Institution) int { return cmp.Compare(a.Slug, b.Slug) })
	slices.SortFunc(c.Phases, func(a, b Phase) int { return cmp.Compare(a.Number, b.Number) })
	slices.SortFunc(c.Standings, func(a, b Standing) int {
		return cmp.Or(cmp.Compare(a.Partner, b.Partner), cmp.Compare(a.Phase, b.Phase))
	})
	slices.SortFunc(c.Series, func(a, b Series) int { return cmp.Compare(a.Slug, b.Slug) })
	slices.SortFunc(c.Agreements, func(a, b Agreement) int { return cmp.Compare(a.Slug, b.Slug) })
	slices.SortFunc(c.Activities, func(a, b Activity) int { return cmp.Compare(a.Slug, b.Slug) })
	slices.SortFunc(c.Funds, func(a, b Fund) int { return cmp.Compare(a.Slug, b.Slug) })
	slices.SortFunc(c.Figures, func(a, b Figure) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Partner, b.Partner), a.AsOf.Compare(b.AsOf))
	})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Public returns the catalog as the public sees it: without drafts or
// agreements not yet signed. The
// lists it does not filter are shared with c.
func (c *Catalog) Public() *Catalog {
	p := *c
	// An agreement is public once signed: drafts under negotiation, and who
	// reviews them, are the office's own.
	p.Agreements = slices.DeleteFunc(slices.Clone(c.Agreements), func(a Agreement) bool {
		return !a.Published || a.Stage != StageSigned && a.Stage != StageTerminated
	})
	for i := range p.Agreements {
		p.Agreements[i].Review = nil
	}
	p.Activities = slices.DeleteFunc(slices.Clone(c.Activities), func(a Activity) bool { return !a.Published })
	return &p
}
