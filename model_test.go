package partnerhub

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != EInvalid {
		t.Fatalf("want an EInvalid *Error, got %v", err)
	}
	return slices.Sorted(maps.Keys(e.Fields))
}

func ptr[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	name := Text{Ja: "名", En: "Name"}
	for _, tc := range []struct {
		name string
		v    interface{ Validate() error }
		want []string
	}{
		{"institution ok", &Institution{Slug: "pku", Name: name, Country: "CN", Lat: ptr(39.9), Lng: ptr(116.4), Website: "https://www.pku.edu.cn", ROR: "https://ror.org/02v51f717"}, nil},
		{"institution bad", &Institution{Slug: "Bad Slug", Name: Text{En: "x"}, Country: "china", Lat: ptr(91.0), Website: "www.x", ROR: "ror:1"},
			[]string{"country", "lat", "name.ja", "ror", "slug", "website"}},
		{"institution lng out of range", &Institution{Slug: "x", Name: name, Country: "JP", Lat: ptr(1.0), Lng: ptr(-181.0)}, []string{"lng"}},
		{"unit ok", &Unit{Code: "eng", Name: name, Abbr: Text{Ja: "工", En: "Eng"}, Kind: GraduateSchool}, nil},
		{"unit bad", &Unit{Code: "", Name: name, Abbr: Text{}, Kind: "faculty"}, []string{"abbr.en", "abbr.ja", "code", "kind"}},
		{"partner institution with two members", &Partner{Slug: "p", Name: name, Kind: PartnerInstitution, Members: []string{"a", "b"}}, []string{"members"}},
		{"group with one member", &Partner{Slug: "g", Name: name, Kind: PartnerGroup, Members: []string{"a"}}, []string{"members"}},
		{"partner without members", &Partner{Slug: "p", Name: name, Kind: PartnerInstitution}, []string{"members"}},
		{"partner overlong summary", &Partner{Slug: "p", Name: name, Kind: PartnerInstitution, Members: []string{"a"}, Summary: Text{En: strings.Repeat("x", MaxTextLen+1)}}, []string{"summary.en"}},
		{"phase counts must add up", &Phase{Number: 2, StartYear: 2017, EndYear: 2020, Declared: PartnerCount{Total: 20, Primary: ptr(10), Prospective: ptr(9)}}, []string{"partner_count.total"}},
		{"phase ends before it starts", &Phase{Number: 1, StartYear: 2016, EndYear: 2014}, []string{"end_year"}},
		{"phase total only", &Phase{Number: 1, StartYear: 2014, EndYear: 2016, Declared: PartnerCount{Total: 26}}, nil},
		{"agreement expires before signed", &Agreement{Slug: "a", Partner: "p", Kind: MoU, Level: UniversityLevel, Title: name, Stage: StageSigned,
			Signed: MustPartialDate("2015"), Expires: MustPartialDate("2014-12")}, []string{"expires"}},
		{"unit agreement without units", &Agreement{Slug: "a", Partner: "p", Kind: Exchange, Level: UnitLevel, Title: name, Stage: StageDraft}, []string{"units"}},
		{"activity ok", &Activity{Slug: "a", Kind: Symposium, Title: name, Start: MustPartialDate("2020-04"), End: MustPartialDate("2021-03"), FiscalYear: true,
			Participants: &Count{Value: 120, Qualifier: Exact}}, nil},
		{"activity bad", &Activity{Slug: "a", Kind: "party", Title: name, Format: "zoom", Start: MustPartialDate("2021"), End: MustPartialDate("2020"),
			Participants: &Count{Value: -1, Qualifier: "lots"}, Edition: 2},
			[]string{"end", "format", "kind", "participants.qualifier", "participants.value", "series"}},
		{"fiscal year must span April to March", &Activity{Slug: "a", Kind: Symposium, Title: name, Start: MustPartialDate("2020"), FiscalYear: true}, []string{"fiscal_year"}},
		{"end without start", &Activity{Slug: "a", Kind: Symposium, Title: name, End: MustPartialDate("2020")}, []string{"start"}},
		{"figure", &Figure{Key: "Fund Calls", Value: Count{Value: 9}}, []string{"key", "note.en", "note.ja", "value.qualifier"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fields(t, tc.v.Validate()); !slices.Equal(got, tc.want) {
				t.Fatalf("fields = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCatalogValidateReferences(t *testing.T) {
	c := smallCatalog()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid catalog: %v", err)
	}
	c.Partners[1].Members = append(c.Partners[1].Members, "nowhere")
	c.Teams = append(c.Teams, TeamMembership{Partner: "alpha", Unit: "ghost", Phase: 9})
	c.Teams = append(c.Teams, TeamMembership{Partner: "alpha", Unit: "sci", Phase: 1, Lead: true})
	c.Activities[0].Series = "nope"
	c.Units = append(c.Units, c.Units[0])
	want := []string{"activities[0].series", "partners[1].members[2]", "teams[3].phase", "teams[3].unit", "teams[4].lead", "units[2].code"}
	if got := fields(t, c.Validate()); !slices.Equal(got, want) {
		t.Fatalf("fields = %v, want %v", got, want)
	}
}

// smallCatalog is a programme of two partners, two units and one phase.
func smallCatalog() *Catalog {
	name := func(s string) Text { return Text{Ja: s + "（日）", En: s} }
	return &Catalog{
		Home: HomeInstitution{Slug: "home", Institution: "home-u", Programme: name("Programme")},
		Institutions: []Institution{
			{Slug: "home-u", Name: name("Home"), Country: "JP"},
			{Slug: "a-u", Name: name("Alpha University"), Acronym: "AU", Country: "US"},
			{Slug: "b1", Name: name("Beta One"), Country: "SE"},
			{Slug: "b2", Name: name("Beta Two"), Country: "FI"},
		},
		Units: []Unit{
			{Code: "eng", Name: name("Engineering"), Abbr: Text{Ja: "工", En: "Eng"}, Kind: GraduateSchool},
			{Code: "sci", Name: name("Science"), Abbr: Text{Ja: "理", En: "Sci"}, Kind: GraduateSchool},
		},
		Phases: []Phase{{Number: 1, StartYear: 2020, EndYear: 2022, Aims: []Text{name("Aim")}, Declared: PartnerCount{Total: 2}}},
		Partners: []Partner{
			{Slug: "alpha", Name: name("Alpha"), ShortName: "AU", Kind: PartnerInstitution, Members: []string{"a-u"}},
			{Slug: "beta", Name: name("Beta group"), Kind: PartnerGroup, Members: []string{"b1", "b2"}},
		},
		Standings: []Standing{{Partner: "alpha", Phase: 1, Tier: Prospective}, {Partner: "beta", Phase: 1, Tier: Primary}},
		Teams: []TeamMembership{
			{Partner: "alpha", Unit: "eng", Phase: 1, Lead: true},
			{Partner: "beta", Unit: "eng", Phase: 1},
			{Partner: "beta", Unit: "sci", Phase: 1},
		},
		Series: []Series{{Slug: "sym", Name: name("Symposium"), Partner: "beta", Recurrence: "annual"}},
		Activities: []Activity{
			{Slug: "sym-2", Kind: Symposium, Title: name("Second symposium"), Start: MustPartialDate("2021-03"), Partners: []string{"beta"}, Units: []string{"sci"}, Series: "sym", Edition: 2},
			{Slug: "fy", Kind: Programme, Title: name("Training"), Start: MustPartialDate("2020-04"), End: MustPartialDate("2021-03"), FiscalYear: true, Partners: []string{"alpha"}},
			{Slug: "undated", Kind: Programme, Title: name("Summer school"), Partners: []string{"alpha"}},
			{Slug: "early", Kind: Workshop, Title: name("Kick-off workshop"), Start: MustPartialDate("2019"), Partners: []string{"alpha", "beta"}, Units: []string{"eng"}},
		},
	}
}

func TestMobilityValidateAndAuthorize(t *testing.T) {
	ok := Mobility{Partner: "ntu", Unit: "agr", Year: 2021, Direction: Outbound, Category: Graduate, Programme: ExchangeProgramme, Count: 12}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Mobility{Partner: "NTU", Year: 1800, Direction: "sideways", Category: "alumni", Programme: "holiday", Count: -1}
	if got := fields(t, bad.Validate()); !slices.Equal(got, []string{"category", "count", "direction", "partner", "programme", "year"}) {
		t.Fatalf("fields %v", got)
	}
	team := func(p string) []string { return map[string][]string{"ntu": {"agr", "eng"}, "cambridge": {"eng"}}[p] }
	coord := &User{Role: RoleCoordinator, Units: []string{"agr"}}
	for _, tc := range []struct {
		u    *User
		m    Mobility
		code string
	}{
		{coord, ok, ""},
		{coord, Mobility{Partner: "ntu", Unit: "eng"}, EForbidden},
		{coord, Mobility{Partner: "ntu"}, EForbidden},
		{coord, Mobility{Partner: "cambridge", Unit: "agr"}, EForbidden},
		{&User{Role: RoleAdmin}, Mobility{Partner: "cambridge"}, ""},
		{&User{Role: RoleViewer}, ok, EForbidden},
		{nil, ok, EUnauthorized},
	} {
		if got := ErrorCode(AuthorizeMobility(tc.u, &tc.m, team)); got != tc.code {
			t.Errorf("%+v on %+v: %q, want %q", tc.u, tc.m, got, tc.code)
		}
	}
}

// slugPattern is the rule validSlug implements by hand.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func checkSlug(t *testing.T, s string) {
	t.Helper()
	want := len(s) <= 64 && slugPattern.MatchString(s)
	if got := validSlug(s); got != want {
		t.Errorf("validSlug(%q) = %v, the pattern says %v", s, got, want)
	}
}

func TestValidSlug(t *testing.T) {
	for _, s := range []string{"", "a", "pku", "seoul-national", "a-b-c", "0-9", "-a", "a-", "a--b", "A", "a_b", "a b",
		"ü", "a\n", "\na", strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("a-", 32) + "a", "-", "--"} {
		checkSlug(t, s)
	}
}

func FuzzValidSlug(f *testing.F) {
	for _, s := range []string{"", "pku", "a-b", "a--b", "-a", "a-", "Z"} {
		f.Add(s)
	}
	f.Fuzz(checkSlug)
}

func TestAuthorizeHome(t *testing.T) {
	for _, tc := range []struct {
		u    *User
		want string
	}{
		{nil, EUnauthorized},
		{&User{Home: "utokyo", Role: RoleAdmin, Disabled: true}, EUnauthorized},
		{&User{Home: "kyoto", Role: RoleAdmin}, EForbidden},
		{&User{Role: RoleAdmin}, EForbidden},
	} {
		if got := ErrorCode(AuthorizeHome(tc.u, "utokyo")); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.u, got, tc.want)
		}
	}
	if err := AuthorizeHome(&User{Home: "utokyo", Role: RoleViewer}, "utokyo"); err != nil {
		t.Errorf("a user of the home: %v", err)
	}
}
