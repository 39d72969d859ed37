package partnerhub

import (
	"slices"
	"testing"
)

func slugsOf(ps []*PartnerView) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Slug)
	}
	return s
}

func TestIndexPartners(t *testing.T) {
	x := NewIndex(smallCatalog())
	for _, tc := range []struct {
		name string
		f    PartnerFilter
		want []string
	}{
		{"all, primary first", PartnerFilter{}, []string{"beta", "alpha"}},
		{"tier", PartnerFilter{Tier: Prospective}, []string{"alpha"}},
		{"unit", PartnerFilter{Unit: "sci"}, []string{"beta"}},
		{"unit and tier combine", PartnerFilter{Unit: "eng", Tier: Primary}, []string{"beta"}},
		{"country of a group member", PartnerFilter{Country: "FI"}, []string{"beta"}},
		{"query on a member's name", PartnerFilter{Q: "beta two"}, []string{"beta"}},
		{"query on Japanese name", PartnerFilter{Q: "Alpha（日）"}, []string{"alpha"}},
		{"query on acronym", PartnerFilter{Q: "au"}, []string{"alpha"}},
		{"nothing", PartnerFilter{Country: "JP"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := x.ValidatePartnerFilter(tc.f); err != nil {
				t.Fatal(err)
			}
			if got := slugsOf(x.Partners(tc.f)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	a, err := x.Partner("alpha")
	if err != nil {
		t.Fatal(err)
	}
	if a.Tier == nil || *a.Tier != Prospective || len(a.Units) != 1 || !a.Units[0].Lead || a.Units[0].Abbr.Ja != "工" {
		t.Fatalf("alpha view = %+v", a)
	}
	b, _ := x.Partner("beta")
	if !slices.Equal(b.Countries, []string{"SE", "FI"}) || len(b.Members) != 2 {
		t.Fatalf("beta countries %v members %d", b.Countries, len(b.Members))
	}
	if _, err := x.Partner("gamma"); ErrorCode(err) != ENotFound {
		t.Fatalf("unknown partner: %v", err)
	}
	u, err := x.Unit("eng")
	if err != nil || len(u.Partners) != 2 || !u.Partners[0].Lead || u.Partners[1].Lead {
		t.Fatalf("unit eng = %+v, %v", u, err)
	}
}

func TestValidatePartnerFilter(t *testing.T) {
	x := NewIndex(smallCatalog())
	for _, tc := range []struct {
		f    PartnerFilter
		want []string
	}{
		{PartnerFilter{Tier: "gold"}, []string{"tier"}},
		{PartnerFilter{Unit: "law", Phase: 7, Country: "jpn"}, []string{"country", "phase", "unit"}},
	} {
		if got := fields(t, x.ValidatePartnerFilter(tc.f)); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: fields %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestIndexActivities(t *testing.T) {
	x := NewIndex(smallCatalog())
	slugs := func(as []*Activity) []string {
		var s []string
		for _, a := range as {
			s = append(s, a.Slug)
		}
		return s
	}
	d := MustPartialDate
	for _, tc := range []struct {
		name string
		f    ActivityFilter
		want []string
	}{
		{"all by date, undated last", ActivityFilter{}, []string{"early", "fy", "sym-2", "undated"}},
		{"partner", ActivityFilter{Partner: "beta"}, []string{"early", "sym-2"}},
		{"unit", ActivityFilter{Unit: "eng"}, []string{"early"}},
		{"kind", ActivityFilter{Kind: Programme}, []string{"fy", "undated"}},
		// A fiscal year 2020 runs to March 2021, so it overlaps 2021.
		{"from a year keeps what overlaps it", ActivityFilter{From: d("2021")}, []string{"fy", "sym-2"}},
		{"to a month", ActivityFilter{To: d("2020-03")}, []string{"early"}},
		{"range", ActivityFilter{From: d("2020-05"), To: d("2020-12-31")}, []string{"fy"}},
		{"query", ActivityFilter{Q: "symposium"}, []string{"sym-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := x.ValidateActivityFilter(tc.f); err != nil {
				t.Fatal(err)
			}
			if got := slugs(x.Activities(tc.f)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := fields(t, x.ValidateActivityFilter(ActivityFilter{Partner: "x", Kind: "party", From: d("2021"), To: d("2020")})); !slices.Equal(got, []string{"kind", "partner", "to"}) {
		t.Fatalf("fields %v", got)
	}
}
