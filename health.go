package partnerhub

import (
	"cmp"
	"slices"
	"time"
)

// Partnership health puts side by side, for each partner, the signals the
// office otherwise reads on separate pages: activities, mobility,
// agreements about to end, fund projects and the team. Each signal keeps
// its numbers; the partnerships are ordered by the signals one after the
// other (SortQuiet), never by a score that mixes them.

const (
	// HealthActivityYears is how many calendar years of activities are
	// counted, the current one included.
	HealthActivityYears = 5
	// HealthTrendYears is the length of each of the two spans of academic
	// years whose mobility is compared.
	HealthTrendYears = 3
	// HealthExpiryDays is how far ahead an agreement's end is reported.
	HealthExpiryDays = 365
)

// PartnerHealth is one partnership's signals on a day.
type PartnerHealth struct {
	Partner string `json:"partner"`
	// LastActivity is the latest activity that has started by the day,
	// nil when there is none.
	LastActivity *HealthActivity `json:"last_activity"`
	// Activities counts the activities starting in each of the last
	// HealthActivityYears calendar years, oldest first.
	Activities []YearCount `json:"activities"`
	// Planned counts the activities that start after the day.
	Planned  int            `json:"planned"`
	Mobility MobilityTrend  `json:"mobility"`
	Expiring []ExpiringDeal `json:"expiring"`
	Projects []RunningFund  `json:"projects"`
	Team     TeamSignal     `json:"team"`
}

// HealthActivity is the last activity and how long ago it was.
type HealthActivity struct {
	Slug  string      `json:"slug"`
	Start PartialDate `json:"start"`
	// DaysAgo counts from the latest day its date may mean (the end of
	// the month or year when only those are known): 0 for today.
	DaysAgo int `json:"days_ago"`
}

// YearCount is a number for one year.
type YearCount struct {
	Year  int `json:"year"`
	Count int `json:"count"`
}

// MobilityTrend compares the people who moved in the last HealthTrendYears
// academic years that have ended with the HealthTrendYears before them.
type MobilityTrend struct {
	RecentFrom, RecentTo int   // academic years, inclusive
	BeforeFrom, BeforeTo int   // academic years, inclusive
	RecentOut, RecentIn  int64 // outbound and inbound in the recent span
	BeforeOut, BeforeIn  int64
}

// Recent and Before are the spans' totals, both directions together.
func (m MobilityTrend) Recent() int64 { return m.RecentOut + m.RecentIn }
func (m MobilityTrend) Before() int64 { return m.BeforeOut + m.BeforeIn }

// Change is the recent span's total less the earlier one's.
func (m MobilityTrend) Change() int64 { return m.Recent() - m.Before() }

// Percent is Change as a whole percentage of the earlier span's total;
// false when that total is 0 (no base to compare with).
func (m MobilityTrend) Percent() (int64, bool) {
	if m.Before() == 0 {
		return 0, false
	}
	c := m.Change() * 100
	// Rounded half away from zero, so that -2.5% reads -3% like +2.5% reads +3%.
	if c < 0 {
		return (c - m.Before()/2) / m.Before(), true
	}
	return (c + m.Before()/2) / m.Before(), true
}

// Falling reports whether fewer people moved in the recent span.
func (m MobilityTrend) Falling() bool { return m.Change() < 0 }

// MobilityYear is the people who moved between the home and a partner in
// an academic year, by direction: the store's sums grouped by partner,
// year and direction.
type MobilityYear struct {
	Partner   string
	Year      int
	Direction Direction
	Total     int64
}

// ExpiringDeal is an agreement in force that ends within
// HealthExpiryDays, and the agreement that follows it, if any.
type ExpiringDeal struct {
	Slug     string      `json:"slug"`
	Expires  PartialDate `json:"expires"`
	DaysLeft int         `json:"days_left"`
	// Successor is the agreement that renews it (its Renews names this
	// one), or else a signed agreement of the same partner, kind and
	// institution that runs longer; "" when there is none.
	Successor      string          `json:"successor"`
	SuccessorState AgreementStatus `json:"successor_status"`
}

// HealthProject is an awarded fund project as health reads it: its
// partners and when it ends (the date its call sets for the final
// report; zero when the call sets none, and then it runs in the year of
// its award).
type HealthProject struct {
	ID       int64
	Fund     string
	Partners []string
	Year     int // of the award
	Ends     PartialDate
}

// RunningFund is a fund project running on the day.
type RunningFund struct {
	ID   int64       `json:"id"`
	Fund string      `json:"fund"`
	Ends PartialDate `json:"ends"`
}

// TeamSignal is the partner's team in the latest phase it has one.
type TeamSignal struct {
	Phase   int    `json:"phase"` // 0: no team in any phase
	Current bool   `json:"current"`
	Size    int    `json:"size"`
	Lead    string `json:"lead"` // the lead unit's code, "" when none is marked
}

// AcademicYear is the academic year (April to March, by the year it
// starts in) a day falls in.
func AcademicYear(day time.Time) int {
	if day.Month() < time.April {
		return day.Year() - 1
	}
	return day.Year()
}

// Health computes every partner's signals on day today (a day as Today
// gives it), from the catalog, the mobility sums and the awarded
// projects, in the catalog's order of partners. It reads nothing else: the
// caller decides what the reader may see by what it passes.
func Health(c *Catalog, mobility []MobilityYear, projects []HealthProject, today time.Time) []PartnerHealth {
	out := make([]PartnerHealth, len(c.Partners))
	at := map[string]int{}
	ay := AcademicYear(today)
	for i, p := range c.Partners {
		at[p.Slug] = i
		h := PartnerHealth{Partner: p.Slug, Activities: make([]YearCount, HealthActivityYears), Expiring: []ExpiringDeal{}, Projects: []RunningFund{}}
		for y := range h.Activities {
			h.Activities[y].Year = today.Year() - HealthActivityYears + 1 + y
		}
		h.Mobility = MobilityTrend{RecentFrom: ay - HealthTrendYears, RecentTo: ay - 1,
			BeforeFrom: ay - 2*HealthTrendYears, BeforeTo: ay - HealthTrendYears - 1}
		out[i] = h
	}

	for _, a := range c.Activities {
		if a.Start.IsZero() {
			continue // dated by phase only: no year to count it in
		}
		for _, slug := range a.Partners {
			i, ok := at[slug]
			if !ok {
				continue
			}
			h := &out[i]
			if today.Before(a.Start.First()) {
				h.Planned++
				continue
			}
			if y := a.Start.Year - h.Activities[0].Year; y >= 0 && y < len(h.Activities) {
				h.Activities[y].Count++
			}
			ago := max(0, int(today.Sub(a.Start.Last()).Hours()/24))
			last := h.LastActivity
			if last == nil || ago < last.DaysAgo || (ago == last.DaysAgo && a.Slug < last.Slug) {
				h.LastActivity = &HealthActivity{Slug: a.Slug, Start: a.Start, DaysAgo: ago}
			}
		}
	}

	for _, m := range mobility {
		i, ok := at[m.Partner]
		if !ok {
			continue
		}
		t := &out[i].Mobility
		var outbound, inbound *int64
		switch {
		case m.Year >= t.RecentFrom && m.Year <= t.RecentTo:
			outbound, inbound = &t.RecentOut, &t.RecentIn
		case m.Year >= t.BeforeFrom && m.Year <= t.BeforeTo:
			outbound, inbound = &t.BeforeOut, &t.BeforeIn
		default:
			continue
		}
		if m.Direction == Inbound {
			*inbound += m.Total
		} else {
			*outbound += m.Total
		}
	}

	for _, a := range c.Agreements {
		i, ok := at[a.Partner]
		if !ok || a.Expires.IsZero() || !a.StatusOn(today, false).InForce() {
			continue
		}
		left := DaysLeft(a.Expires, today)
		if left < 0 || left > HealthExpiryDays {
			continue
		}
		d := ExpiringDeal{Slug: a.Slug, Expires: a.Expires, DaysLeft: left}
		d.Successor, d.SuccessorState = successor(c, a, today)
		out[i].Expiring = append(out[i].Expiring, d)
	}
	for i := range out {
		slices.SortFunc(out[i].Expiring, func(a, b ExpiringDeal) int {
			return cmp.Or(cmp.Compare(a.DaysLeft, b.DaysLeft), cmp.Compare(a.Slug, b.Slug))
		})
	}

	for _, p := range projects {
		ends := p.Ends
		if ends.IsZero() {
			ends = PartialDate{Year: p.Year}
		}
		if p.Year > today.Year() || ends.Last().Before(today) {
			continue
		}
		for _, slug := range p.Partners {
			if i, ok := at[slug]; ok {
				out[i].Projects = append(out[i].Projects, RunningFund{ID: p.ID, Fund: p.Fund, Ends: ends})
			}
		}
	}
	for i := range out {
		slices.SortFunc(out[i].Projects, func(a, b RunningFund) int {
			return cmp.Or(a.Ends.Last().Compare(b.Ends.Last()), cmp.Compare(a.ID, b.ID))
		})
	}

	// The team of the latest phase the partner has one in.
	current := c.CurrentPhase()
	for _, t := range c.Teams {
		i, ok := at[t.Partner]
		if !ok {
			continue
		}
		s := &out[i].Team
		if t.Phase > s.Phase {
			*s = TeamSignal{Phase: t.Phase, Current: t.Phase == current}
		}
		if t.Phase == s.Phase {
			s.Size++
			if t.Lead {
				s.Lead = t.Unit
			}
		}
	}
	return out
}

// successor finds the agreement that follows a: one that renews it and is
// not terminated, or else a signed one of the same partner, kind and
// institution, in force or about to be, that ends later or not at all
// (the one that runs longest).
func successor(c *Catalog, a Agreement, today time.Time) (string, AgreementStatus) {
	var other *Agreement
	for i := range c.Agreements {
		b := &c.Agreements[i]
		if b.Slug == a.Slug || b.Stage == StageTerminated {
			continue
		}
		if b.Renews == a.Slug {
			return b.Slug, b.StatusOn(today, false)
		}
		if b.Partner == a.Partner && b.Kind == a.Kind && b.Institution == a.Institution && b.Stage == StageSigned &&
			(b.Expires.IsZero() || b.Expires.Compare(a.Expires) > 0) {
			if st := b.StatusOn(today, false); (st.InForce() || st == Signed) && (other == nil || runsLonger(b, other)) {
				other = b
			}
		}
	}
	if other != nil {
		return other.Slug, other.StatusOn(today, false)
	}
	return "", ""
}

// runsLonger reports whether a ends after b: no end is the latest.
func runsLonger(a, b *Agreement) bool {
	switch {
	case a.Expires.IsZero():
		return !b.Expires.IsZero()
	case b.Expires.IsZero():
		return false
	}
	return a.Expires.Last().After(b.Expires.Last())
}

// QuietDays is how long the partnership has gone without an activity,
// for ordering: -1 when it never had one.
func (h *PartnerHealth) QuietDays() int {
	if h.LastActivity == nil {
		return -1
	}
	return h.LastActivity.DaysAgo
}

// QuietYears is QuietDays in whole years; -1 when it never had one.
func (h *PartnerHealth) QuietYears() int {
	if h.LastActivity == nil {
		return -1
	}
	return h.LastActivity.DaysAgo / 365
}

// Unfollowed is the soonest ending of the expiring agreements that no
// other agreement follows; false when every one is followed.
func (h *PartnerHealth) Unfollowed() (ExpiringDeal, bool) {
	for _, d := range h.Expiring { // sorted by days left
		if d.Successor == "" {
			return d, true
		}
	}
	return ExpiringDeal{}, false
}

// SortQuiet orders partnerships going quiet first, by the signals one
// after the other:
//
//  1. whole years since the last activity, most first, never before any;
//  2. the change in mobility, the largest fall first;
//  3. the agreement ending soonest that nothing follows, soonest first,
//     those without one after;
//  4. days since the last activity, most first;
//  5. the partner's slug.
//
// A later signal only decides between partners equal on every earlier one.
func SortQuiet(hs []PartnerHealth) {
	years := func(h *PartnerHealth) int {
		if y := h.QuietYears(); y >= 0 {
			return y
		}
		return int(^uint(0) >> 1)
	}
	days := func(h *PartnerHealth) int {
		if d := h.QuietDays(); d >= 0 {
			return d
		}
		return int(^uint(0) >> 1)
	}
	unfollowed := func(h *PartnerHealth) int {
		if d, ok := h.Unfollowed(); ok {
			return d.DaysLeft
		}
		return HealthExpiryDays + 1
	}
	slices.SortStableFunc(hs, func(a, b PartnerHealth) int {
		return cmp.Or(
			cmp.Compare(years(&b), years(&a)),
			cmp.Compare(a.Mobility.Change(), b.Mobility.Change()),
			cmp.Compare(unfollowed(&a), unfollowed(&b)),
			cmp.Compare(days(&b), days(&a)),
			cmp.Compare(a.Partner, b.Partner),
		)
	})
}
