package partnerhub

import (
	"reflect"
	"testing"
	"time"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func healthCatalog() *Catalog {
	return &Catalog{
		Phases:   []Phase{{Number: 1}, {Number: 2}},
		Partners: []Partner{{Slug: "lively"}, {Slug: "quiet"}, {Slug: "silent"}},
	}
}

func healthOf(t *testing.T, hs []PartnerHealth, slug string) PartnerHealth {
	t.Helper()
	for _, h := range hs {
		if h.Partner == slug {
			return h
		}
	}
	t.Fatalf("no health for %s", slug)
	return PartnerHealth{}
}

func TestHealthActivities(t *testing.T) {
	today := day(2026, 12, 6)
	c := healthCatalog()
	c.Activities = []Activity{
		{Slug: "a-2026", Start: PartialDate{2026, 11, 30}, Partners: []string{"lively"}},
		{Slug: "a-2026b", Start: PartialDate{2026, 2, 0}, Partners: []string{"lively", "quiet"}},
		{Slug: "a-2022", Start: PartialDate{2022, 1, 1}, Partners: []string{"lively"}},
		{Slug: "a-2021", Start: PartialDate{2021, 12, 31}, Partners: []string{"lively"}}, // before the five years
		{Slug: "planned", Start: PartialDate{2026, 12, 7}, Partners: []string{"lively"}},
		{Slug: "today", Start: PartialDate{2026, 12, 6}, Partners: []string{"quiet"}},
		{Slug: "phase-only", Phase: 1, Partners: []string{"silent"}},
		{Slug: "year-only", Start: PartialDate{Year: 2019}, Partners: []string{"silent", "unknown"}},
	}
	hs := Health(c, nil, nil, today)
	if len(hs) != 3 || hs[0].Partner != "lively" || hs[2].Partner != "silent" {
		t.Fatalf("partners in the catalog's order: %+v", hs)
	}
	cases := []struct {
		slug    string
		last    *HealthActivity
		counts  []int
		planned int
	}{
		{"lively", &HealthActivity{Slug: "a-2026", Start: PartialDate{2026, 11, 30}, DaysAgo: 6}, []int{1, 0, 0, 0, 2}, 1},
		{"quiet", &HealthActivity{Slug: "today", Start: PartialDate{2026, 12, 6}, DaysAgo: 0}, []int{0, 0, 0, 0, 2}, 0},
		// A year-only date counts from its last day, 31 December 2019.
		{"silent", &HealthActivity{Slug: "year-only", Start: PartialDate{Year: 2019}, DaysAgo: 2532}, []int{0, 0, 0, 0, 0}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.slug, func(t *testing.T) {
			h := healthOf(t, hs, tc.slug)
			if !reflect.DeepEqual(h.LastActivity, tc.last) {
				t.Errorf("last = %+v, want %+v", h.LastActivity, tc.last)
			}
			var years, counts []int
			for _, y := range h.Activities {
				years, counts = append(years, y.Year), append(counts, y.Count)
			}
			if !reflect.DeepEqual(years, []int{2022, 2023, 2024, 2025, 2026}) || !reflect.DeepEqual(counts, tc.counts) {
				t.Errorf("years %v counts %v, want counts %v", years, counts, tc.counts)
			}
			if h.Planned != tc.planned {
				t.Errorf("planned = %d, want %d", h.Planned, tc.planned)
			}
		})
	}
}

func TestHealthMobility(t *testing.T) {
	c := healthCatalog()
	mob := []MobilityYear{
		// today 2026-12-06 is in academic year 2026: recent 2023-2025, before 2020-2022.
		{"lively", 2025, Outbound, 10}, {"lively", 2023, Inbound, 5}, {"lively", 2022, Outbound, 4}, {"lively", 2020, Inbound, 2},
		{"lively", 2026, Outbound, 100}, // the year under way is left out
		{"lively", 2019, Inbound, 100},  // before both spans
		{"quiet", 2021, Outbound, 8}, {"quiet", 2024, Outbound, 3},
		{"nobody", 2024, Outbound, 3},
	}
	cases := []struct {
		name  string
		today time.Time
		slug  string
		want  MobilityTrend
		pct   int64
		ok    bool
	}{
		{"rising", day(2026, 12, 6), "lively", MobilityTrend{2023, 2025, 2020, 2022, 10, 5, 4, 2}, 150, true},
		{"falling", day(2026, 12, 6), "quiet", MobilityTrend{2023, 2025, 2020, 2022, 3, 0, 8, 0}, -63, true},
		{"no data", day(2026, 12, 6), "silent", MobilityTrend{2023, 2025, 2020, 2022, 0, 0, 0, 0}, 0, false},
		// On 31 March 2027 the academic year is still 2026; on 1 April it is 2027.
		{"march", day(2027, 3, 31), "lively", MobilityTrend{2023, 2025, 2020, 2022, 10, 5, 4, 2}, 150, true},
		{"april", day(2027, 4, 1), "lively", MobilityTrend{2024, 2026, 2021, 2023, 110, 0, 4, 5}, 1122, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := healthOf(t, Health(c, mob, nil, tc.today), tc.slug)
			if h.Mobility != tc.want {
				t.Fatalf("trend = %+v, want %+v", h.Mobility, tc.want)
			}
			if p, ok := h.Mobility.Percent(); p != tc.pct || ok != tc.ok {
				t.Errorf("percent = %d %v, want %d %v", p, ok, tc.pct, tc.ok)
			}
			if h.Mobility.Falling() != (tc.want.Change() < 0) {
				t.Error("falling disagrees with the change")
			}
		})
	}
}

func TestHealthAgreements(t *testing.T) {
	today := day(2026, 12, 6)
	signed := func(slug, partner string, expires PartialDate) Agreement {
		return Agreement{Slug: slug, Partner: partner, Kind: "mou", Stage: StageSigned, Signed: PartialDate{2020, 1, 1}, Expires: expires}
	}
	c := healthCatalog()
	renewal := signed("lively-2027", "lively", PartialDate{2032, 1, 1})
	renewal.Stage, renewal.Renews = StageReview, "lively-old"
	c.Agreements = []Agreement{
		signed("lively-old", "lively", PartialDate{2027, 3, 31}),
		renewal,
		signed("quiet-edge", "quiet", PartialDate{2027, 12, 6}),  // 365 days left: in
		signed("quiet-far", "quiet", PartialDate{2027, 12, 7}),   // 366: out
		signed("quiet-today", "quiet", PartialDate{2026, 12, 6}), // ends today: 0 days left
		signed("quiet-gone", "quiet", PartialDate{2026, 12, 5}),  // expired
		signed("silent-open", "silent", PartialDate{}),           // no end
		{Slug: "silent-draft", Partner: "silent", Stage: StageDraft, Expires: PartialDate{2027, 1, 1}},
		{Slug: "silent-ended", Partner: "silent", Stage: StageTerminated, Signed: PartialDate{2020, 1, 1}, Expires: PartialDate{2027, 1, 1}},
	}
	hs := Health(c, nil, nil, today)
	want := map[string][]ExpiringDeal{
		"lively": {{Slug: "lively-old", Expires: PartialDate{2027, 3, 31}, DaysLeft: 115, Successor: "lively-2027", SuccessorState: InReview}},
		// quiet-far runs longest and is signed: it follows both.
		"quiet": {{Slug: "quiet-today", Expires: PartialDate{2026, 12, 6}, DaysLeft: 0, Successor: "quiet-far", SuccessorState: Active},
			{Slug: "quiet-edge", Expires: PartialDate{2027, 12, 6}, DaysLeft: 365, Successor: "quiet-far", SuccessorState: Active}},
		"silent": {},
	}
	for slug, w := range want {
		if got := healthOf(t, hs, slug).Expiring; !reflect.DeepEqual(got, w) {
			t.Errorf("%s: expiring = %+v, want %+v", slug, got, w)
		}
	}

	// Without it, quiet-edge follows quiet-today and nothing follows quiet-edge.
	c.Agreements = append(c.Agreements[:3], c.Agreements[4:]...)
	q := healthOf(t, Health(c, nil, nil, today), "quiet")
	d, ok := q.Unfollowed()
	if len(q.Expiring) != 2 || !ok || d.Slug != "quiet-edge" || q.Expiring[0].Successor != "quiet-edge" || q.Expiring[1].Successor != "" {
		t.Errorf("expiring = %+v, unfollowed = %+v %v", q.Expiring, d, ok)
	}
}

func TestHealthProjectsAndTeam(t *testing.T) {
	today := day(2026, 12, 6)
	c := healthCatalog()
	c.Teams = []TeamMembership{
		{Partner: "lively", Unit: "law", Phase: 1, Lead: true},
		{Partner: "lively", Unit: "eng", Phase: 2, Lead: true},
		{Partner: "lively", Unit: "sci", Phase: 2},
		{Partner: "lively", Unit: "med", Phase: 2},
		{Partner: "quiet", Unit: "law", Phase: 1},
	}
	ps := []HealthProject{
		{ID: 3, Fund: "f", Partners: []string{"lively"}, Year: 2025, Ends: PartialDate{2026, 12, 6}}, // ends today: running
		{ID: 1, Fund: "f", Partners: []string{"lively", "quiet"}, Year: 2026},                        // no end: its award year
		{ID: 2, Fund: "f", Partners: []string{"lively"}, Year: 2024, Ends: PartialDate{2026, 12, 5}}, // ended
		{ID: 4, Fund: "f", Partners: []string{"quiet"}, Year: 2025},                                  // no end, last year
		{ID: 5, Fund: "f", Partners: []string{"quiet"}, Year: 2027, Ends: PartialDate{2028, 3, 31}},  // not yet awarded
	}
	hs := Health(c, nil, ps, today)
	cases := []struct {
		slug     string
		projects []RunningFund
		team     TeamSignal
	}{
		{"lively", []RunningFund{{3, "f", PartialDate{2026, 12, 6}}, {1, "f", PartialDate{Year: 2026}}}, TeamSignal{Phase: 2, Current: true, Size: 3, Lead: "eng"}},
		{"quiet", []RunningFund{{1, "f", PartialDate{Year: 2026}}}, TeamSignal{Phase: 1, Size: 1}},
		{"silent", []RunningFund{}, TeamSignal{}},
	}
	for _, tc := range cases {
		h := healthOf(t, hs, tc.slug)
		if !reflect.DeepEqual(h.Projects, tc.projects) {
			t.Errorf("%s: projects = %+v, want %+v", tc.slug, h.Projects, tc.projects)
		}
		if h.Team != tc.team {
			t.Errorf("%s: team = %+v, want %+v", tc.slug, h.Team, tc.team)
		}
	}
}

func TestHealthEmpty(t *testing.T) {
	if hs := Health(&Catalog{}, nil, nil, day(2026, 1, 1)); len(hs) != 0 {
		t.Errorf("no partners: %+v", hs)
	}
	hs := Health(&Catalog{Partners: []Partner{{Slug: "p"}}}, nil, nil, day(2026, 1, 1))
	h := hs[0]
	if h.LastActivity != nil || h.QuietDays() != -1 || h.QuietYears() != -1 || len(h.Activities) != HealthActivityYears ||
		h.Mobility.Recent() != 0 || h.Expiring == nil || h.Projects == nil || h.Team.Phase != 0 {
		t.Errorf("empty health = %+v", h)
	}
	// 1 January 2026 is in academic year 2025.
	if h.Mobility.RecentFrom != 2022 || h.Mobility.RecentTo != 2024 || h.Mobility.BeforeFrom != 2019 || h.Mobility.BeforeTo != 2021 {
		t.Errorf("spans = %+v", h.Mobility)
	}
}

func TestSortQuiet(t *testing.T) {
	last := func(days int) *HealthActivity { return &HealthActivity{Slug: "x", DaysAgo: days} }
	trend := func(recent, before int64) MobilityTrend { return MobilityTrend{RecentOut: recent, BeforeOut: before} }
	ending := func(days int, successor string) []ExpiringDeal {
		return []ExpiringDeal{{Slug: "e", DaysLeft: days, Successor: successor}}
	}
	hs := []PartnerHealth{
		{Partner: "a-lively", LastActivity: last(10)},
		{Partner: "b-falling", LastActivity: last(20), Mobility: trend(1, 9)},
		{Partner: "c-never"},
		{Partner: "d-two-years", LastActivity: last(800)},
		{Partner: "e-ending", LastActivity: last(5), Expiring: ending(30, "")},
		{Partner: "f-ending-followed", LastActivity: last(5), Expiring: ending(10, "next")},
		{Partner: "g-older-same-year", LastActivity: last(300)},
		{Partner: "h-never-rising", Mobility: trend(9, 1)},
		{Partner: "i-never-falling", Mobility: trend(0, 3)},
	}
	SortQuiet(hs)
	var got []string
	for _, h := range hs {
		got = append(got, h.Partner)
	}
	want := []string{"i-never-falling", "c-never", "h-never-rising", "d-two-years", "b-falling", "e-ending",
		"g-older-same-year", "a-lively", "f-ending-followed"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}
