package dataset

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"partnerhub"
)

// The brochure's facts, as the tests check them. Marks are written as the
// brochure prints them beside each partner (runs like 工理 split into 工, 理).

var primarySlugs = []string{"princeton", "pku", "snu", "anu", "cambridge", "ucb", "ethz", "stockholm", "tsinghua"}
var prospectiveSlugs = []string{"tum", "chile-mexico", "ytu", "vnu", "ntu", "uchicago", "paris"}

var brochureTeams = map[string][]string{
	"princeton":    nil, // the brochure lists no units; runs as the Princeton joint project
	"pku":          {"法", "工", "総文", "数理", "公共", "東文研"},
	"snu":          {"法", "医", "工", "農", "総文", "数理", "学環", "公共", "生研"},
	"anu":          {"工", "理", "経済", "総文", "公共", "地震", "大海研"},
	"cambridge":    {"工", "人文", "薬", "数理", "公共", "生研", "先端研"},
	"ucb":          {"工", "理", "総文", "教育", "数理", "社研", "IPMU"},
	"ethz":         {"工", "理", "農", "情理", "素粒子"},
	"stockholm":    {"医", "工", "農", "教育", "新領域", "先端研", "IRCN", "IFI", "高齢"},
	"tsinghua":     {"工", "理", "総文", "新領域", "学環", "生研", "物性研", "先端研", "IRCN", "IFI", "産学"},
	"tum":          {"工", "理", "情理", "学環"},
	"chile-mexico": {"工", "人文", "理", "農", "総文", "地震", "東文研", "社研", "生研"},
	"ytu":          {"工", "学環", "病院", "生研", "IFI"},
	"vnu":          {"工", "理", "病院", "IFI"},
	"ntu":          {"医", "工", "理", "農", "数理", "情理", "大海研", "情基"},
	"uchicago":     {"医", "経済", "薬", "公共", "医科研", "東文研", "宇宙線", "素粒子"},
	"paris":        {"工", "総文", "数理", "情理", "生研", "先端研"},
}

// The 32 units of home.yaml, in the legend's order: code and mark.
var brochureUnits = [][2]string{
	{"law", "法"}, {"med", "医"}, {"eng", "工"}, {"hum", "人文"}, {"sci", "理"}, {"agr", "農"},
	{"econ", "経済"}, {"arts", "総文"}, {"edu", "教育"}, {"pharm", "薬"}, {"math", "数理"},
	{"frontier", "新領域"}, {"ist", "情理"}, {"iii", "学環"}, {"gspp", "公共"}, {"hospital", "病院"},
	{"ims", "医科研"}, {"eri", "地震"}, {"ioc", "東文研"}, {"iss", "社研"}, {"iis", "生研"},
	{"icrr", "宇宙線"}, {"issp", "物性研"}, {"aori", "大海研"}, {"rcast", "先端研"}, {"ipmu", "IPMU"},
	{"ircn", "IRCN"}, {"ifi", "IFI"}, {"itc", "情基"}, {"icepp", "素粒子"}, {"iog", "高齢"}, {"ducr", "産学"},
}

func loadBuiltin(t *testing.T) *partnerhub.Catalog {
	t.Helper()
	c, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	if c == nil {
		t.Fatal("Builtin returned a nil catalog and no error")
	}
	return c
}

func partnerBySlug(t *testing.T, c *partnerhub.Catalog, slug string) partnerhub.Partner {
	t.Helper()
	for _, p := range c.Partners {
		if p.Slug == slug {
			return p
		}
	}
	t.Fatalf("no partner %q", slug)
	return partnerhub.Partner{}
}

func activityBySlug(t *testing.T, c *partnerhub.Catalog, slug string) partnerhub.Activity {
	t.Helper()
	for _, a := range c.Activities {
		if a.Slug == slug {
			return a
		}
	}
	t.Fatalf("no activity %q", slug)
	return partnerhub.Activity{}
}

func markToCode(c *partnerhub.Catalog) map[string]string {
	m := map[string]string{}
	for _, u := range c.Units {
		m[u.Abbr.Ja] = u.Code
	}
	return m
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestBuiltinLoads(t *testing.T) {
	c := loadBuiltin(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("loaded catalog does not validate: %v", err)
	}
	if c.Home.Slug != BuiltinHome || c.Home.Institution != "utokyo" {
		t.Errorf("home = %+v, want utokyo", c.Home)
	}
	if got := c.CurrentPhase(); got != 3 {
		t.Errorf("CurrentPhase = %d, want 3", got)
	}
}

func TestPartnersAndStandings(t *testing.T) {
	c := loadBuiltin(t)
	var slugs []string
	for _, p := range c.Partners {
		slugs = append(slugs, p.Slug)
	}
	want := slices.Concat(primarySlugs, prospectiveSlugs)
	if !slices.Equal(slugs, want) {
		t.Fatalf("partners (in order) = %v\nwant %v", slugs, want)
	}
	tiers := map[string]partnerhub.Tier{}
	for _, s := range c.Standings {
		if s.Phase != 3 {
			t.Errorf("standing of %s in phase %d: the brochure gives tiers for phase 3 only", s.Partner, s.Phase)
			continue
		}
		if _, dup := tiers[s.Partner]; dup {
			t.Errorf("two phase-3 standings for %s", s.Partner)
		}
		tiers[s.Partner] = s.Tier
	}
	var primary, prospective []string
	for slug, tier := range tiers {
		switch tier {
		case partnerhub.Primary:
			primary = append(primary, slug)
		case partnerhub.Prospective:
			prospective = append(prospective, slug)
		default:
			t.Errorf("%s: tier %q", slug, tier)
		}
	}
	if got, want := sortedCopy(primary), sortedCopy(primarySlugs); !slices.Equal(got, want) {
		t.Errorf("primary in phase 3 = %v, want %v", got, want)
	}
	if got, want := sortedCopy(prospective), sortedCopy(prospectiveSlugs); !slices.Equal(got, want) {
		t.Errorf("prospective in phase 3 = %v, want %v", got, want)
	}
	if len(primary) != 9 || len(prospective) != 7 {
		t.Errorf("phase 3: %d primary + %d prospective, want 9 + 7", len(primary), len(prospective))
	}
}

func TestPartnerDetails(t *testing.T) {
	c := loadBuiltin(t)
	tests := []struct {
		slug, ja, en, short string
		kind                partnerhub.PartnerKind
		members             []string
	}{
		{"princeton", "プリンストン大学", "Princeton University", "Princeton", partnerhub.PartnerInstitution, []string{"princeton"}},
		{"pku", "北京大学", "Peking University", "PKU", partnerhub.PartnerInstitution, []string{"pku"}},
		{"snu", "ソウル国立大学", "Seoul National University", "SNU", partnerhub.PartnerInstitution, []string{"snu"}},
		{"anu", "オーストラリア国立大学", "The Australian National University", "ANU", partnerhub.PartnerInstitution, []string{"anu"}},
		{"cambridge", "ケンブリッジ大学", "University of Cambridge", "Cambridge", partnerhub.PartnerInstitution, []string{"cambridge"}},
		{"ucb", "カリフォルニア大学バークレー校", "University of California, Berkeley", "UCB", partnerhub.PartnerInstitution, []string{"ucb"}},
		{"ethz", "スイス連邦工科大学チューリッヒ校", "ETH Zurich", "ETHZ", partnerhub.PartnerInstitution, []string{"ethz"}},
		{"stockholm", "ストックホルム大学群", "", "Stockholm", partnerhub.PartnerGroup, []string{"su", "kth", "ki"}},
		{"tsinghua", "清華大学", "Tsinghua University", "", partnerhub.PartnerInstitution, []string{"tsinghua"}},
		{"tum", "ミュンヘン工科大学", "Technical University of Munich", "TUM", partnerhub.PartnerInstitution, []string{"tum"}},
		{"chile-mexico", "チリ・メキシコ大学群", "", "", partnerhub.PartnerGroup, []string{"uchile", "puc", "umag", "unam", "colmex"}},
		{"ytu", "ヤンゴン工科大学", "Yangon Technological University", "YTU", partnerhub.PartnerInstitution, []string{"ytu"}},
		{"vnu", "ベトナム国家大学ハノイ校", "Vietnam National University, Hanoi", "VNU", partnerhub.PartnerInstitution, []string{"vnu"}},
		{"ntu", "国立台湾大学", "National Taiwan University", "NTU", partnerhub.PartnerInstitution, []string{"ntu"}},
		{"uchicago", "シカゴ大学", "University of Chicago", "", partnerhub.PartnerInstitution, []string{"uchicago"}},
		{"paris", "パリ・グランゼコール群", "", "", partnerhub.PartnerGroup, []string{"polytechnique", "enpc", "ens-paris-saclay", "ens-psl", "cnrs", "u-bordeaux"}},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			p := partnerBySlug(t, c, tt.slug)
			if p.Name.Ja != tt.ja {
				t.Errorf("name.ja = %q, want %q", p.Name.Ja, tt.ja)
			}
			if tt.en != "" && p.Name.En != tt.en {
				t.Errorf("name.en = %q, want %q", p.Name.En, tt.en)
			}
			if p.Name.En == "" {
				t.Error("name.en is empty")
			}
			if tt.short != "" && p.ShortName != tt.short {
				t.Errorf("short_name = %q, want %q", p.ShortName, tt.short)
			}
			if p.ShortName == "" {
				t.Error("short_name is empty")
			}
			if p.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", p.Kind, tt.kind)
			}
			if !slices.Equal(p.Members, tt.members) {
				t.Errorf("members = %v, want %v", p.Members, tt.members)
			}
			if strings.TrimSpace(p.Summary.Ja) == "" || strings.TrimSpace(p.Summary.En) == "" {
				t.Errorf("summary must be set in both languages: %+v", p.Summary)
			}
		})
	}
}

func TestGroupMembers(t *testing.T) {
	c := loadBuiltin(t)
	groups := map[string]int{}
	for _, p := range c.Partners {
		if p.Kind == partnerhub.PartnerGroup {
			groups[p.Slug] = len(p.Members)
		}
	}
	want := map[string]int{"stockholm": 3, "chile-mexico": 5, "paris": 6}
	if !maps.Equal(groups, want) {
		t.Errorf("groups and member counts = %v, want %v", groups, want)
	}
}

func TestPrincetonNote(t *testing.T) {
	p := partnerBySlug(t, loadBuiltin(t), "princeton")
	if !strings.Contains(p.Note.Ja, "プリンストン共同研究教育プロジェクト") {
		t.Errorf("note.ja = %q, want it to say the partnership runs as the Princeton joint research and education project", p.Note.Ja)
	}
	if !strings.Contains(strings.ToLower(p.Note.En), "joint research and education project") {
		t.Errorf("note.en = %q", p.Note.En)
	}
}

func TestUnits(t *testing.T) {
	c := loadBuiltin(t)
	if len(c.Units) != 32 {
		t.Fatalf("%d units, want 32", len(c.Units))
	}
	for i, u := range c.Units {
		if want := brochureUnits[i]; u.Code != want[0] || u.Abbr.Ja != want[1] {
			t.Errorf("units[%d] = %s/%s, want %s/%s", i, u.Code, u.Abbr.Ja, want[0], want[1])
		}
	}
}

func TestTeams(t *testing.T) {
	c := loadBuiltin(t)
	codes := markToCode(c)
	got := map[string][]string{}
	for _, tm := range c.Teams {
		if tm.Phase != 3 {
			t.Errorf("team membership %s/%s in phase %d: the brochure lists phase-3 teams only", tm.Partner, tm.Unit, tm.Phase)
		}
		got[tm.Partner] = append(got[tm.Partner], tm.Unit)
	}
	for _, slug := range slices.Sorted(maps.Keys(brochureTeams)) {
		marks := brochureTeams[slug]
		t.Run(slug, func(t *testing.T) {
			var want []string
			for _, m := range marks {
				code, ok := codes[m]
				if !ok {
					t.Fatalf("mark %q is not a unit", m)
				}
				want = append(want, code)
			}
			if g, w := sortedCopy(got[slug]), sortedCopy(want); !slices.Equal(g, w) {
				t.Errorf("team = %v, want %v (marks %v)", g, w, marks)
			}
		})
	}
	for slug := range got {
		if _, ok := brochureTeams[slug]; !ok {
			t.Errorf("team for unknown partner %q", slug)
		}
	}
	total := 0
	for _, m := range brochureTeams {
		total += len(m)
	}
	if len(c.Teams) != total {
		t.Errorf("%d team memberships, want %d", len(c.Teams), total)
	}
	if n := len(got["princeton"]); n != 0 {
		t.Errorf("princeton has %d team units, want none", n)
	}
	if n := len(got["snu"]); n != 9 {
		t.Errorf("SNU team has %d units; the brochure says 9 units take part", n)
	}
	if n := len(got["ntu"]); n != 8 {
		t.Errorf("NTU team has %d units; the brochure says 8 units take part", n)
	}
}

func TestLeads(t *testing.T) {
	c := loadBuiltin(t)
	var leads []string
	for _, tm := range c.Teams {
		if tm.Lead {
			leads = append(leads, tm.Partner+"/"+tm.Unit)
		}
	}
	if !slices.Equal(leads, []string{"ntu/agr"}) {
		t.Errorf("leads = %v, want only ntu/agr (農学生命科学研究科 is NTU's 主幹部局)", leads)
	}
}

func TestPhases(t *testing.T) {
	c := loadBuiltin(t)
	ip := func(n int) *int { return &n }
	tests := []struct {
		number, start, end, total int
		primary, prospective      *int
		aims                      int
	}{
		{1, 2014, 2016, 26, nil, nil, 2},
		{2, 2017, 2020, 19, ip(10), ip(9), 3},
		{3, 2021, 2024, 16, ip(9), ip(7), 1},
	}
	if len(c.Phases) != len(tests) {
		t.Fatalf("%d phases, want %d", len(c.Phases), len(tests))
	}
	eq := func(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	show := func(p *int) string {
		if p == nil {
			return "nil"
		}
		return strconv.Itoa(*p)
	}
	for i, tt := range tests {
		p := c.Phases[i]
		if p.Number != tt.number || p.StartYear != tt.start || p.EndYear != tt.end {
			t.Errorf("phase %d: %d %d–%d, want %d %d–%d", i, p.Number, p.StartYear, p.EndYear, tt.number, tt.start, tt.end)
		}
		d := p.Declared
		if d.Total != tt.total || !eq(d.Primary, tt.primary) || !eq(d.Prospective, tt.prospective) {
			t.Errorf("phase %d declared %d (%s+%s), want %d (%s+%s)", tt.number,
				d.Total, show(d.Primary), show(d.Prospective), tt.total, show(tt.primary), show(tt.prospective))
		}
		if len(p.Aims) != tt.aims {
			t.Errorf("phase %d has %d aims, want %d", tt.number, len(p.Aims), tt.aims)
		}
		for j, a := range p.Aims {
			if a.Ja == "" || a.En == "" {
				t.Errorf("phase %d aim %d missing a language: %+v", tt.number, j, a)
			}
		}
	}
	// The current phase's declared split matches the partners recorded.
	n := map[partnerhub.Tier]int{}
	for _, s := range c.Standings {
		if s.Phase == 3 {
			n[s.Tier]++
		}
	}
	if p3 := c.Phases[2].Declared; n[partnerhub.Primary] != *p3.Primary || n[partnerhub.Prospective] != *p3.Prospective || len(c.Partners) != p3.Total {
		t.Errorf("phase 3 records %v of %d partners, declared %d (%d+%d)", n, len(c.Partners), p3.Total, *p3.Primary, *p3.Prospective)
	}
}

func TestAgreements(t *testing.T) {
	c := loadBuiltin(t)
	tests := []struct {
		slug, partner string
		kind          partnerhub.AgreementKind
		signed        string
		status        partnerhub.AgreementStatus
		renews        string
	}{
		// Princeton's memorandum of 2013, renewed in December 2018 and
		// again in January 2023.
		{"princeton-mou", "princeton", partnerhub.MoU, "2013-01", partnerhub.Renewed, ""},
		{"princeton-mou-2018", "princeton", partnerhub.MoU, "2018-12", partnerhub.Renewed, "princeton-mou"},
		{"princeton-mou-2023", "princeton", partnerhub.MoU, "2023-01", partnerhub.Active, "princeton-mou-2018"},
		{"pku-mou", "pku", partnerhub.MoU, "2015", partnerhub.Active, ""},
		{"snu-mou", "snu", partnerhub.MoU, "2015", partnerhub.Active, ""},
		{"snu-offices", "snu", partnerhub.MutualOffices, "2014", partnerhub.Active, ""},
	}
	if len(c.Agreements) != len(tests) {
		t.Errorf("%d agreements, want %d", len(c.Agreements), len(tests))
	}
	bySlug := map[string]partnerhub.Agreement{}
	for _, a := range c.Agreements {
		bySlug[a.Slug] = a
	}
	for _, tt := range tests {
		a, ok := bySlug[tt.slug]
		if !ok {
			t.Errorf("no agreement %q", tt.slug)
			continue
		}
		if a.Partner != tt.partner || a.Kind != tt.kind || a.Signed.String() != tt.signed {
			t.Errorf("%s: %s %s signed %q, want %s %s signed %q", tt.slug, a.Partner, a.Kind, a.Signed, tt.partner, tt.kind, tt.signed)
		}
		if a.Level != partnerhub.UniversityLevel || a.Status != tt.status || a.Stage != partnerhub.StageSigned || a.Renews != tt.renews {
			t.Errorf("%s: level %s stage %s status %s renews %q, want university, signed, %s, %q", tt.slug, a.Level, a.Stage, a.Status, a.Renews, tt.status, tt.renews)
		}
		if a.Title.Ja == "" || a.Title.En == "" {
			t.Errorf("%s: title missing a language", tt.slug)
		}
	}
	// Princeton's was UTokyo's first strategic partnership memorandum.
	var first partnerhub.Agreement
	for _, a := range c.Agreements {
		if a.Kind == partnerhub.MoU && (first.Slug == "" || a.Signed.Compare(first.Signed) < 0) {
			first = a
		}
	}
	if first.Slug != "princeton-mou" {
		t.Errorf("earliest MoU is %q, want princeton-mou", first.Slug)
	}
	if p := bySlug["princeton-mou"]; p.Note.Ja == "" || p.Note.En == "" {
		t.Error("princeton-mou should note it was the first such memorandum")
	}
}

func TestActivities(t *testing.T) {
	c := loadBuiltin(t)
	type want struct {
		kind         partnerhub.ActivityKind
		start, end   string
		fiscal       bool
		phase        int
		format       partnerhub.Format
		host         string
		participants *partnerhub.Count
		partners     []string
		units        []string // marks
		institutions []string
		series       string
		edition      int
		titleEn      string
	}
	cnt := func(v int, q partnerhub.Qualifier) *partnerhub.Count {
		return &partnerhub.Count{Value: v, Qualifier: q}
	}
	tests := map[string]want{
		"princeton-utokyo-day-2021": {kind: partnerhub.Symposium, start: "2021-03", format: partnerhub.Online, partners: []string{"princeton"}, titleEn: "Princeton-UTokyo Day"},
		"anu-virtual-training-fy2020": {kind: partnerhub.Programme, start: "2020-04", end: "2021-03", fiscal: true, format: partnerhub.Online,
			partners: []string{"anu"}, series: "anu-international-training"},
		"ethz-symposium-2019": {kind: partnerhub.Symposium, start: "2019", participants: cnt(100, partnerhub.AtLeast),
			partners: []string{"ethz"}, series: "ethz-symposium", edition: 3},
		"stockholm-online-workshop-sustainable-development": {kind: partnerhub.Workshop, start: "2020", end: "2021", format: partnerhub.Online,
			partners: []string{"stockholm"}, series: "stockholm-international-workshop", titleEn: "Online Workshop on Sustainable Development"},
		"tsinghua-joint-symposium-fy2020": {kind: partnerhub.Symposium, start: "2020-04", end: "2021-03", fiscal: true, format: partnerhub.Online, partners: []string{"tsinghua"}},
		"tsinghua-innovative-thinking-teamwork": {kind: partnerhub.Workshop, start: "2020-04", end: "2021-03", fiscal: true, format: partnerhub.Online,
			partners: []string{"tsinghua"}, titleEn: "Innovative thinking and teamwork"},
		"tsinghua-language-exchange-2021-03": {kind: partnerhub.ExchangeActivity, start: "2021-03", format: partnerhub.Online,
			participants: cnt(120, partnerhub.Exact), partners: []string{"tsinghua"}, series: "tsinghua-language-exchange", edition: 1},
		"tsinghua-language-exchange-2021-10": {kind: partnerhub.ExchangeActivity, start: "2021-10", partners: []string{"tsinghua"},
			series: "tsinghua-language-exchange", edition: 2},
		"ucb-number-theory-rtg-2019":    {kind: partnerhub.Programme, start: "2019", host: "ucb", partners: []string{"ucb"}},
		"ucb-quantum-topology-workshop": {kind: partnerhub.Workshop, phase: 2, partners: []string{"ucb"}, titleEn: "New Developments in Quantum Topology"},
		"cambridge-voices-education-covid-2020": {kind: partnerhub.Symposium, start: "2020-11", format: partnerhub.Online, partners: []string{"cambridge"},
			series: "utokyo-cambridge-voices", titleEn: "Education in the Time of Novel Coronavirus"},
		"cambridge-unit-online-sessions": {kind: partnerhub.Seminar, format: partnerhub.Online, partners: []string{"cambridge"},
			units: []string{"薬", "公共", "工", "生研", "先端研"}, series: "utokyo-cambridge-voices"},
		"cambridge-symposium-fy2021-covid-research": {kind: partnerhub.Symposium, start: "2021-04", end: "2022-03", fiscal: true,
			partners: []string{"cambridge"}, series: "cambridge-joint-symposium", edition: 6},
		"cambridge-symposium-fy2021-sustainable-cities": {kind: partnerhub.Symposium, start: "2021-04", end: "2022-03", fiscal: true,
			partners: []string{"cambridge"}, series: "cambridge-joint-symposium", edition: 6},
		"cambridge-symposium-fy2021-pandemic-collaboration": {kind: partnerhub.Symposium, start: "2021-04", end: "2022-03", fiscal: true,
			partners: []string{"cambridge"}, series: "cambridge-joint-symposium", edition: 6},
		"vnu-analytical-chemistry-education": {kind: partnerhub.Programme, phase: 1, partners: []string{"vnu"}},
		"vnu-analytical-chemistry-lab-fy2019": {kind: partnerhub.Programme, start: "2019-04", end: "2020-03", fiscal: true, host: "vnu",
			participants: cnt(300, partnerhub.Exact), partners: []string{"vnu"}},
		"vnu-ta-training":           {kind: partnerhub.Programme, phase: 2, partners: []string{"vnu"}, units: []string{"工"}},
		"ytu-urban-safety-research": {kind: partnerhub.OtherActivity, phase: 1, partners: []string{"ytu"}, units: []string{"生研"}},
		"ytu-satreps":               {kind: partnerhub.Programme, partners: []string{"ytu"}, units: []string{"生研"}},
		"ytu-joint-seminars":        {kind: partnerhub.Seminar, partners: []string{"ytu"}},
		"ntu-joint-conference-2019": {kind: partnerhub.Conference, start: "2019", host: "utokyo", participants: cnt(250, partnerhub.Approx),
			partners: []string{"ntu"}, series: "ntu-joint-conference", titleEn: "Co-creating the Future Society in Asia"},
		"tum-workshop-2018": {kind: partnerhub.Workshop, start: "2018", host: "utokyo", partners: []string{"tum"}, series: "tum-workshop",
			titleEn: "Society with Automobiles, Robots, and AI"},
		"tum-workshop-2020":              {kind: partnerhub.Workshop, start: "2020", host: "tum", partners: []string{"tum"}, series: "tum-workshop"},
		"tum-workshop-2021":              {kind: partnerhub.Workshop, start: "2021", format: partnerhub.Online, partners: []string{"tum"}, series: "tum-workshop"},
		"uchicago-joint-forum-2018":      {kind: partnerhub.Forum, start: "2018", partners: []string{"uchicago"}},
		"uchicago-student-workshop-2018": {kind: partnerhub.Workshop, start: "2018", partners: []string{"uchicago"}},
		"uchicago-three-university-workshop-2020": {kind: partnerhub.Workshop, start: "2020", format: partnerhub.Online, partners: []string{"uchicago"},
			institutions: []string{"tohoku"}, series: "uchicago-japanese-studies-workshop"},
		"chile-mexico-academic-forum": {kind: partnerhub.Forum, participants: cnt(250, partnerhub.Approx), partners: []string{"chile-mexico"},
			series: "chile-mexico-academic-forum"},
		"chile-mexico-field-training":   {kind: partnerhub.Programme, partners: []string{"chile-mexico"}},
		"mexico-international-training": {kind: partnerhub.Programme, partners: []string{"chile-mexico"}},
		"paris-symposium-digital-art-fy2017": {kind: partnerhub.Symposium, start: "2017-04", end: "2018-03", fiscal: true, host: "utokyo",
			partners: []string{"paris"}, units: []string{"総文"}},
		"paris-seminar-humanities-digital-fy2018": {kind: partnerhub.Seminar, start: "2018-04", end: "2019-03", fiscal: true, host: "utokyo",
			partners: []string{"paris"}, units: []string{"総文"}},
		"paris-symposium-art-collections-fy2019": {kind: partnerhub.Symposium, start: "2019-04", end: "2020-03", fiscal: true, host: "utokyo",
			partners: []string{"paris"}, units: []string{"総文"}},
		"paris-ens-events-fy2018": {kind: partnerhub.Symposium, start: "2018-04", end: "2019-03", fiscal: true, host: "ens-psl",
			partners: []string{"paris"}, units: []string{"情理"}},
		"paris-ens-events-fy2019": {kind: partnerhub.Symposium, start: "2019-04", end: "2020-03", fiscal: true, host: "ens-psl",
			partners: []string{"paris"}, units: []string{"情理"}},
		"paris-symposium-ai-humanities-fy2020": {kind: partnerhub.Symposium, start: "2020-04", end: "2021-03", fiscal: true, format: partnerhub.Online,
			partners: []string{"paris"}, units: []string{"総文", "情理"}},
		"pku-interdisciplinary-meeting":    {kind: partnerhub.Conference, partners: []string{"pku"}, series: "pku-interdisciplinary-meeting"},
		"pku-campus-asia":                  {kind: partnerhub.Programme, partners: []string{"pku"}},
		"pku-summer-institute":             {kind: partnerhub.Programme, partners: []string{"pku"}},
		"snu-interdisciplinary-meeting":    {kind: partnerhub.Conference, partners: []string{"snu"}, series: "snu-interdisciplinary-meeting"},
		"snu-alumni-symposium":             {kind: partnerhub.Symposium, partners: []string{"snu"}},
		"princeton-joint-project-calls":    {kind: partnerhub.Programme, partners: []string{"princeton"}},
		"strategic-partnerships-symposium": {kind: partnerhub.Symposium, series: "strategic-partnerships-symposium"},
		"forum-internationalization-universities": {kind: partnerhub.Forum, start: "2021-09",
			titleEn: "Forum for Promoting the Internationalization of Universities"},
	}
	codes := markToCode(c)
	for _, slug := range slices.Sorted(maps.Keys(tests)) {
		w := tests[slug]
		t.Run(slug, func(t *testing.T) {
			a := activityBySlug(t, c, slug)
			if a.Kind != w.kind {
				t.Errorf("kind = %q, want %q", a.Kind, w.kind)
			}
			if a.Start.String() != w.start || a.End.String() != w.end || a.FiscalYear != w.fiscal {
				t.Errorf("dates = %q–%q fiscal %v, want %q–%q fiscal %v", a.Start, a.End, a.FiscalYear, w.start, w.end, w.fiscal)
			}
			if a.Phase != w.phase {
				t.Errorf("phase = %d, want %d", a.Phase, w.phase)
			}
			if a.Format != w.format {
				t.Errorf("format = %q, want %q", a.Format, w.format)
			}
			if a.Host != w.host {
				t.Errorf("host = %q, want %q", a.Host, w.host)
			}
			switch {
			case (a.Participants == nil) != (w.participants == nil):
				t.Errorf("participants = %v, want %v", a.Participants, w.participants)
			case a.Participants != nil && *a.Participants != *w.participants:
				t.Errorf("participants = %+v, want %+v", *a.Participants, *w.participants)
			}
			if !slices.Equal(a.Partners, w.partners) {
				t.Errorf("partners = %v, want %v", a.Partners, w.partners)
			}
			var units []string
			for _, m := range w.units {
				units = append(units, codes[m])
			}
			if !slices.Equal(sortedCopy(a.Units), sortedCopy(units)) {
				t.Errorf("units = %v, want %v (%v)", a.Units, units, w.units)
			}
			if !slices.Equal(a.Institutions, w.institutions) {
				t.Errorf("institutions = %v, want %v", a.Institutions, w.institutions)
			}
			if a.Series != w.series || a.Edition != w.edition {
				t.Errorf("series %q edition %d, want %q edition %d", a.Series, a.Edition, w.series, w.edition)
			}
			if w.titleEn != "" && a.Title.En != w.titleEn {
				t.Errorf("title.en = %q, want %q", a.Title.En, w.titleEn)
			}
			if a.Summary.Ja == "" || a.Summary.En == "" {
				t.Errorf("summary missing a language: %+v", a.Summary)
			}
		})
	}
}

func TestActivityTitles(t *testing.T) {
	c := loadBuiltin(t)
	// The brochure's own titles, kept verbatim in their language.
	titles := map[string][2]string{ // slug -> {ja, en}; "" = not checked
		"paris-symposium-digital-art-fy2017":                {"デジタルと芸術", ""},
		"paris-seminar-humanities-digital-fy2018":           {"人文科学とデジタル", ""},
		"paris-symposium-art-collections-fy2019":            {"近代美術コレクションの形成と移動－歴史研究とデータベース活用", ""},
		"paris-symposium-ai-humanities-fy2020":              {"AIと人文科学：国境を越えて・分野を越えて", ""},
		"cambridge-symposium-fy2021-covid-research":         {"COVID-19に関する研究と挑戦", ""},
		"cambridge-symposium-fy2021-sustainable-cities":     {"持続可能な都市", ""},
		"cambridge-symposium-fy2021-pandemic-collaboration": {"パンデミックとその後の国際共同研究の展開", ""},
		"strategic-partnerships-symposium":                  {"戦略的パートナーシップシンポジウム", ""},
		"forum-internationalization-universities":           {"大学の国際化促進フォーラム", ""},
		"princeton-utokyo-days":                             {"UTokyo Days / Princeton Days", "UTokyo Days / Princeton Days"},
	}
	for slug, w := range titles {
		a := activityBySlug(t, c, slug)
		if w[0] != "" && a.Title.Ja != w[0] {
			t.Errorf("%s: title.ja = %q, want %q", slug, a.Title.Ja, w[0])
		}
		if w[1] != "" && a.Title.En != w[1] {
			t.Errorf("%s: title.en = %q, want %q", slug, a.Title.En, w[1])
		}
	}
	// The sixth Cambridge series had exactly three events, all in FY2021.
	var sixth []string
	for _, a := range c.Activities {
		if a.Series == "cambridge-joint-symposium" && a.Edition == 6 {
			sixth = append(sixth, a.Slug)
			if a.Start.String() != "2021-04" || !a.FiscalYear {
				t.Errorf("%s: not dated FY2021", a.Slug)
			}
		}
	}
	if len(sixth) != 3 {
		t.Errorf("6th Cambridge series has %d events (%v), want 3", len(sixth), sixth)
	}
}

func TestSeries(t *testing.T) {
	c := loadBuiltin(t)
	tests := []struct {
		slug, partner, since, recurrence string
		alternates                       bool
	}{
		{"pku-interdisciplinary-meeting", "pku", "", "annual", true},
		{"snu-interdisciplinary-meeting", "snu", "2017", "annual", false},
		{"anu-international-training", "anu", "2017-04", "irregular", false},
		{"ethz-symposium", "ethz", "", "annual", false},
		{"cambridge-joint-symposium", "cambridge", "2015", "irregular", true},
		{"utokyo-cambridge-voices", "cambridge", "2020", "irregular", false},
		{"tsinghua-language-exchange", "tsinghua", "2021-03", "irregular", false},
		{"ntu-joint-conference", "ntu", "2015-04", "irregular", true},
		{"tum-workshop", "tum", "2018", "annual", false},
		{"uchicago-japanese-studies-workshop", "uchicago", "2015", "irregular", false},
		{"chile-mexico-academic-forum", "chile-mexico", "", "irregular", false},
		{"princeton-utokyo-days", "princeton", "", "irregular", false},
		{"stockholm-international-workshop", "stockholm", "", "irregular", false},
		{"strategic-partnerships-symposium", "", "", "annual", false},
	}
	bySlug := map[string]partnerhub.Series{}
	for _, s := range c.Series {
		bySlug[s.Slug] = s
	}
	if len(c.Series) != len(tests) {
		t.Errorf("%d series, want %d", len(c.Series), len(tests))
	}
	for _, tt := range tests {
		s, ok := bySlug[tt.slug]
		if !ok {
			t.Errorf("no series %q", tt.slug)
			continue
		}
		if s.Partner != tt.partner || s.Since.String() != tt.since || s.Recurrence != tt.recurrence || s.Alternates != tt.alternates {
			t.Errorf("%s = {%s %q %s alternates=%v}, want {%s %q %s alternates=%v}", tt.slug,
				s.Partner, s.Since, s.Recurrence, s.Alternates, tt.partner, tt.since, tt.recurrence, tt.alternates)
		}
	}
	// Every series has at least one activity, and editions are numbered
	// only within a series.
	used := map[string]bool{}
	for _, a := range c.Activities {
		used[a.Series] = true
		if a.Series != "" {
			if s := bySlug[a.Series]; s.Partner != "" && !slices.Contains(a.Partners, s.Partner) {
				t.Errorf("activity %s is in series %s of %s but not among its partners %v", a.Slug, s.Slug, s.Partner, a.Partners)
			}
		}
	}
	for slug := range bySlug {
		if !used[slug] {
			t.Errorf("series %q has no activity", slug)
		}
	}
}

func TestFigures(t *testing.T) {
	c := loadBuiltin(t)
	type key struct{ key, partner string }
	figs := map[key]partnerhub.Figure{}
	for _, f := range c.Figures {
		k := key{f.Key, f.Partner}
		if _, dup := figs[k]; dup {
			t.Errorf("figure %v given twice", k)
		}
		figs[k] = f
		if f.Note.Ja == "" || f.Note.En == "" {
			t.Errorf("figure %v: note missing a language", k)
		}
	}
	tests := []struct {
		key, partner string
		value        int
		q            partnerhub.Qualifier
		perYear      bool
	}{
		{"fund.calls", "princeton", 9, partnerhub.Exact, false},
		{"fund.projects", "princeton", 29, partnerhub.Exact, false},
		{"mobility.annual", "pku", 100, partnerhub.Approx, true},
		{"mobility.annual", "snu", 100, partnerhub.AtLeast, true},
		{"team.units", "snu", 9, partnerhub.Exact, false},
		{"team.units", "ntu", 8, partnerhub.Exact, false},
		{"network.institutions", "stockholm", 4, partnerhub.Exact, false},
		{"forum.universities", "", 18, partnerhub.Exact, false},
		{"forum.projects", "", 19, partnerhub.Exact, false},
	}
	for _, tt := range tests {
		f, ok := figs[key{tt.key, tt.partner}]
		if !ok {
			t.Errorf("no figure %s for %q", tt.key, tt.partner)
			continue
		}
		if f.Value.Value != tt.value || f.Value.Qualifier != tt.q || f.PerYear != tt.perYear {
			t.Errorf("%s/%s = %+v per_year=%v, want %d %s per_year=%v", tt.key, tt.partner, f.Value, f.PerYear, tt.value, tt.q, tt.perYear)
		}
	}
	// Declared team sizes agree with the teams recorded.
	size := map[string]int{}
	for _, tm := range c.Teams {
		size[tm.Partner]++
	}
	for k, f := range figs {
		if k.key == "team.units" && size[k.partner] != f.Value.Value {
			t.Errorf("%s declares %d units, team has %d", k.partner, f.Value.Value, size[k.partner])
		}
	}
	// Stockholm's four institutions: its three members and UTokyo.
	if n := len(partnerBySlug(t, c, "stockholm").Members) + 1; n != figs[key{"network.institutions", "stockholm"}].Value.Value {
		t.Errorf("stockholm members + UTokyo = %d, figure says %d", n, figs[key{"network.institutions", "stockholm"}].Value.Value)
	}
}

func TestReferences(t *testing.T) {
	c := loadBuiltin(t)
	units := map[string]bool{}
	for _, u := range c.Units {
		units[u.Code] = true
	}
	for _, tm := range c.Teams {
		if !units[tm.Unit] {
			t.Errorf("team %s: unknown unit %q", tm.Partner, tm.Unit)
		}
	}
	for _, a := range c.Activities {
		for _, u := range a.Units {
			if !units[u] {
				t.Errorf("activity %s: unknown unit %q", a.Slug, u)
			}
		}
	}
	for _, a := range c.Agreements {
		for _, u := range a.Units {
			if !units[u] {
				t.Errorf("agreement %s: unknown unit %q", a.Slug, u)
			}
		}
	}
	// Every institution is known, and every known one is used.
	insts := map[string]bool{}
	for _, in := range c.Institutions {
		insts[in.Slug] = true
	}
	used := map[string]bool{c.Home.Institution: true}
	for _, p := range c.Partners {
		for _, m := range p.Members {
			used[m] = true
		}
	}
	for _, a := range c.Activities {
		if a.Host != "" {
			used[a.Host] = true
		}
		for _, in := range a.Institutions {
			used[in] = true
		}
	}
	for _, a := range c.Agreements {
		if a.Institution != "" {
			used[a.Institution] = true
		}
	}
	for slug := range used {
		if !insts[slug] {
			t.Errorf("institution %q is referenced but not defined", slug)
		}
	}
	for slug := range insts {
		if !used[slug] {
			t.Errorf("institution %q is defined but never referenced", slug)
		}
	}
	want := []string{"anu", "cambridge", "cnrs", "colmex", "enpc", "ens-paris-saclay", "ens-psl", "ethz", "ki", "kth",
		"ntu", "pku", "polytechnique", "princeton", "puc", "snu", "su", "tohoku", "tsinghua", "tum", "u-bordeaux",
		"uchicago", "uchile", "ucb", "umag", "unam", "utokyo", "vnu", "ytu"}
	if got := slices.Sorted(maps.Keys(insts)); !slices.Equal(got, sortedCopy(want)) {
		t.Errorf("institutions = %v\nwant %v", got, sortedCopy(want))
	}
}

func TestInstitutionNames(t *testing.T) {
	c := loadBuiltin(t)
	ja := map[string][2]string{ // slug -> {name.ja, city.ja}
		"utokyo": {"東京大学", "東京"}, "pku": {"北京大学", "北京"}, "snu": {"ソウル国立大学", "ソウル"},
		"anu": {"オーストラリア国立大学", "キャンベラ"}, "su": {"ストックホルム大学", "ストックホルム"},
		"kth": {"スウェーデン王立工科大学", "ストックホルム"}, "ki": {"カロリンスカ研究所", "ストックホルム"},
		"tsinghua": {"清華大学", "北京"}, "uchile": {"チリ大学", "サンティアゴ"}, "puc": {"チリ・カトリック大学", "サンティアゴ"},
		"umag": {"マガジャネス大学", ""}, "unam": {"メキシコ国立自治大学", ""}, "colmex": {"コレヒオ・デ・メヒコ", ""},
		"polytechnique": {"エコール・ポリテクニーク", ""}, "enpc": {"フランス国立土木学校", ""},
		"ens-paris-saclay": {"パリ・サクレー高等師範学校", ""}, "ens-psl": {"パリ高等師範学校", "パリ"},
		"cnrs": {"フランス国立科学研究センター", "パリ"}, "u-bordeaux": {"ボルドー大学", "ボルドー"}, "tohoku": {"東北大学", "仙台"},
		"ytu": {"ヤンゴン工科大学", "ヤンゴン"}, "vnu": {"ベトナム国家大学ハノイ校", "ハノイ"}, "ntu": {"国立台湾大学", "台北"},
	}
	for _, in := range c.Institutions {
		if in.Name.Ja == "" || in.City.Ja == "" || in.City.En == "" {
			t.Errorf("%s: name.ja %q city %+v: Japanese name and both city names are required", in.Slug, in.Name.Ja, in.City)
		}
		if w, ok := ja[in.Slug]; ok {
			if in.Name.Ja != w[0] {
				t.Errorf("%s: name.ja = %q, want %q", in.Slug, in.Name.Ja, w[0])
			}
			if w[1] != "" && in.City.Ja != w[1] {
				t.Errorf("%s: city.ja = %q, want %q", in.Slug, in.City.Ja, w[1])
			}
		}
	}
}

// EnvShared names the variable that points at the shared folder (the
// brochure and the ROR extract), which CI has beside the repository.
const EnvShared = "PARTNERHUB_SHARED"

// sharedSkip begins the message of a test skipped for want of the shared
// folder; .ci/run fails when it finds it in the log.
const sharedSkip = "needs the shared folder"

// findShared returns the path of a file under the shared folder: at
// $PARTNERHUB_SHARED, else at ../../shared or ../shared. Without it the test
// skips, saying what it needs: a fresh clone has no shared folder, and the
// facts every run needs are in the repository (testdata/).
func findShared(t *testing.T, rel ...string) string {
	t.Helper()
	var tried []string
	dirs := []string{filepath.Join("..", "..", "shared"), filepath.Join("..", "shared")}
	if dir := os.Getenv(EnvShared); dir != "" {
		dirs = []string{dir} // set on purpose: look nowhere else
	}
	for _, dir := range dirs {
		p := filepath.Join(append([]string{dir}, rel...)...)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		tried = append(tried, p)
	}
	t.Skipf("%s (%s): set %s to its path; tried %v", sharedSkip, filepath.Join(rel...), EnvShared, tried)
	return ""
}

// The repository's copy of the ROR extract is the shared one.
func TestRORExtractIsTheShared(t *testing.T) {
	shared, err := os.ReadFile(findShared(t, "data", "institutions-ror.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(filepath.Join("testdata", "institutions-ror.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if string(ours) != string(shared) {
		t.Fatal("testdata/institutions-ror.csv differs from the shared extract: copy the shared file again and check the institutions")
	}
}

func TestInstitutionsMatchROR(t *testing.T) {
	c := loadBuiltin(t)
	f, err := os.Open(filepath.Join("testdata", "institutions-ror.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading csv: %v", err)
	}
	if len(records) < 2 {
		t.Fatal("csv has no rows")
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	for _, h := range []string{"ror_id", "name_en", "acronym", "country_code", "city", "lat", "lng", "website", "established"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("csv has no column %q", h)
		}
	}
	rows := map[string][]string{}
	for _, r := range records[1:] {
		rows[r[col["ror_id"]]] = r
	}
	matched := map[string]string{}
	withoutROR := []string{}
	for _, in := range c.Institutions {
		if in.ROR == "" {
			withoutROR = append(withoutROR, in.Slug)
			continue
		}
		r, ok := rows[in.ROR]
		if !ok {
			t.Errorf("%s: ror %s is not in the csv", in.Slug, in.ROR)
			continue
		}
		if prev, dup := matched[in.ROR]; dup {
			t.Errorf("%s and %s share ror %s", prev, in.Slug, in.ROR)
		}
		matched[in.ROR] = in.Slug
		check := func(field, got, want string) {
			if got != want {
				t.Errorf("%s: %s = %q, csv has %q", in.Slug, field, got, want)
			}
		}
		check("name.en", in.Name.En, r[col["name_en"]])
		check("country", in.Country, r[col["country_code"]])
		check("city.en", in.City.En, r[col["city"]])
		check("website", in.Website, r[col["website"]])
		acronym, _, _ := strings.Cut(r[col["acronym"]], ";")
		check("acronym", in.Acronym, acronym)
		check("established", strconv.Itoa(in.Established), r[col["established"]])
		for _, ll := range []struct {
			name string
			got  *float64
		}{{"lat", in.Lat}, {"lng", in.Lng}} {
			want, err := strconv.ParseFloat(r[col[ll.name]], 64)
			if err != nil {
				t.Errorf("%s: csv %s: %v", in.Slug, ll.name, err)
				continue
			}
			switch {
			case ll.got == nil:
				t.Errorf("%s: %s is missing, csv has %v", in.Slug, ll.name, want)
			case *ll.got != want:
				t.Errorf("%s: %s = %v, csv has %v", in.Slug, ll.name, *ll.got, want)
			}
		}
	}
	for id := range rows {
		if _, ok := matched[id]; !ok {
			t.Errorf("csv row %s is used by no institution", id)
		}
	}
	if !slices.Equal(withoutROR, []string{"ytu"}) {
		t.Errorf("institutions without ror = %v, want only ytu", withoutROR)
	}
}

func TestYangonWithoutROR(t *testing.T) {
	c := loadBuiltin(t)
	for _, in := range c.Institutions {
		if in.Slug != "ytu" {
			continue
		}
		if in.Country != "MM" || in.City.En != "Yangon" || in.City.Ja != "ヤンゴン" || in.Website != "https://www.ytu.edu.mm" {
			t.Errorf("ytu = %+v", in)
		}
		if in.Lat == nil || in.Lng == nil || *in.Lat != 16.80528 || *in.Lng != 96.15611 {
			t.Errorf("ytu coordinates are not the GeoNames point of Yangon 16.80528, 96.15611")
		}
		if in.ROR != "" || in.Established != 0 {
			t.Errorf("ytu has no ROR record: ror %q established %d", in.ROR, in.Established)
		}
		return
	}
	t.Fatal("no institution ytu")
}

// TestSummariesParaphrase checks that no Japanese summary copies the
// brochure: no run of copyRun Japanese characters of a summary's own prose
// (quoted titles and Latin-script names aside) appears in the brochure.
func TestSummariesParaphrase(t *testing.T) {
	const copyRun = 20
	b, err := os.ReadFile(findShared(t, "seed", "000_3a9e6fe3850c785c.txt"))
	if err != nil {
		t.Fatal(err)
	}
	brochure := strings.Join(strings.FieldsFunc(string(b), unicode.IsSpace), "")
	c := loadBuiltin(t)
	texts := map[string]string{}
	for _, p := range c.Partners {
		texts["partner "+p.Slug] = p.Summary.Ja
	}
	for _, a := range c.Activities {
		texts["activity "+a.Slug] = a.Summary.Ja
	}
	for _, p := range c.Phases {
		for i, a := range p.Aims {
			texts["phase "+strconv.Itoa(p.Number)+" aim "+strconv.Itoa(i)] = a.Ja
		}
	}
	for name, s := range texts {
		for _, seg := range proseSegments(s) {
			r := []rune(seg)
			for i := 0; i+copyRun <= len(r); i++ {
				if w := string(r[i : i+copyRun]); strings.Contains(brochure, w) {
					t.Errorf("%s copies the brochure: %q", name, w)
					break
				}
			}
		}
	}
}

// proseSegments splits Japanese text into its own prose: it drops quoted
// titles (「…」, "…") and runs of Latin script, and removes white space.
func proseSegments(s string) []string {
	var segs []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			segs = append(segs, string(cur))
		}
		cur = nil
	}
	quote := rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '「':
			flush()
			quote = '」'
		case r == '"':
			flush()
			quote = '"'
		case unicode.IsSpace(r):
		case r < 0x80 || unicode.Is(unicode.Latin, r):
			flush()
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return segs
}

// Loader rejection: copies of the embedded files with one defect each.

func builtinFS(t *testing.T) fstest.MapFS {
	t.Helper()
	sub, err := fs.Sub(builtin, "data")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, name := range Files {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: b}
	}
	return m
}

// lineOf is the 1-based line where needle, which must occur once, starts.
func lineOf(t *testing.T, content, needle string) int {
	t.Helper()
	if n := strings.Count(content, needle); n != 1 {
		t.Fatalf("%q occurs %d times, want once", needle, n)
	}
	return strings.Count(content[:strings.Index(content, needle)], "\n") + 1
}

// TestPrincetonFund: the brochure's joint fund with Princeton keeps its
// declared history (9 calls, 29 projects) and invents nothing else: no
// contributions, since the brochure gives no amounts.
func TestPrincetonFund(t *testing.T) {
	c := loadBuiltin(t)
	if len(c.Funds) != 1 {
		t.Fatalf("%d funds, want 1", len(c.Funds))
	}
	f := c.Funds[0]
	if f.Slug != "princeton" || !slices.Equal(f.Partners, []string{"princeton"}) {
		t.Errorf("fund %s of %v", f.Slug, f.Partners)
	}
	if f.DeclaredCalls != 9 || f.DeclaredProjects != 29 {
		t.Errorf("declared %d calls, %d projects; want 9, 29", f.DeclaredCalls, f.DeclaredProjects)
	}
	if f.HomeCurrency != "JPY" || f.PartnerCurrency != "USD" || f.PartnerZone != "America/New_York" {
		t.Errorf("currencies %s/%s, zone %s", f.HomeCurrency, f.PartnerCurrency, f.PartnerZone)
	}
	if f.Name.Ja == "" || f.Name.En == "" || f.Summary.Ja == "" || f.Summary.En == "" {
		t.Errorf("name or summary missing a language: %+v %+v", f.Name, f.Summary)
	}
	if len(f.Contributions) != 0 {
		t.Errorf("contributions %v: the brochure gives none", f.Contributions)
	}
	// The figures the brochure declares agree with the fund's history.
	for _, fig := range c.Figures {
		if fig.Partner == "princeton" && (fig.Key == "fund.calls" && fig.Value.Value != f.DeclaredCalls ||
			fig.Key == "fund.projects" && fig.Value.Value != f.DeclaredProjects) {
			t.Errorf("figure %s = %d disagrees with the fund", fig.Key, fig.Value.Value)
		}
	}
}

func TestLoadCopyOfBuiltin(t *testing.T) {
	c, err := Load(builtinFS(t))
	if err != nil {
		t.Fatalf("Load of an unchanged copy: %v", err)
	}
	if len(c.Partners) != 16 {
		t.Errorf("%d partners", len(c.Partners))
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		file string
		old  string // text to replace, exactly once; "" appends new
		new  string
		at   string // text in the changed file on the line the problem names
		key  string // Problem.Key, for the loader's and the catalog's own checks
		fld  string // Problem.Field, when key is set
		text string // part of Problem.Text, for the parser's errors
	}{
		{
			name: "unknown unit mark", file: "partners.yaml",
			old: "[医, 工, 理, 農, 数理, 情理, 大海研, 情基]", new: "[医, 工, 理, 農, 数理, 情理, 大海研, 情報]",
			at: "情報]", key: "unknown_mark", fld: "partners[13].teams.3.units[7]",
		},
		{
			name: "unknown member institution", file: "partners.yaml",
			old: "members: [su, kth, ki]", new: "members: [su, kth, kii]",
			at: "members: [su, kth, kii]", key: "unknown_institution", fld: "partners[7].members[2]",
		},
		{
			name: "duplicate partner slug", file: "partners.yaml",
			new: "\n- slug: pku\n  name: {ja: 重複, en: Duplicate}\n  kind: institution\n  members: [pku]\n",
			at:  "- slug: pku\n  name: {ja: 重複", key: "duplicate", fld: "partners[16].slug",
		},
		{
			name: "unknown yaml field", file: "partners.yaml",
			old: "- slug: tum\n", new: "- slug: tum\n  colour: red\n",
			at: "colour: red", text: "field colour not found",
		},
		{
			name: "bad date", file: "activities.yaml",
			old: `start: "2021-10"`, new: `start: "2019-13"`,
			at: `start: "2019-13"`, key: "bad_date", fld: "activities[27].start",
		},
		{
			name: "fund of an unknown partner", file: "funds.yaml",
			old: "partners: [princeton]", new: "partners: [princetown]",
			at: "partners: [princetown]", key: "unknown_partner", fld: "funds[0].partners[0]",
		},
		{
			name: "fund with a bad currency", file: "funds.yaml",
			old: "partner_currency: USD", new: "partner_currency: dollars",
			at: "partner_currency: dollars", key: "bad_currency", fld: "funds[0].partner_currency",
		},
		{
			name: "yaml syntax error", file: "partners.yaml",
			old: "short_name: PKU\n", new: "short_name: PKU: Peking\n",
			at: "short_name: PKU: Peking", text: "mapping values are not allowed",
		},
		{
			name: "lead not in team", file: "partners.yaml",
			old: "大海研, 情基], lead: 農}", new: "大海研, 情基], lead: 法}",
			at: "lead: 法}", key: "lead_not_in_team", fld: "partners[13].teams.3.lead",
		},
		{
			name: "unknown partner in activity", file: "activities.yaml",
			old: "partners: [chile-mexico]\n    series: chile-mexico-academic-forum\n", new: "partners: [chile-mexico, mexico]\n    series: chile-mexico-academic-forum\n",
			at: "partners: [chile-mexico, mexico]", key: "unknown_partner",
		},
		{
			name: "unknown institution in institutions list of an activity", file: "activities.yaml",
			old: "institutions: [tohoku]", new: "institutions: [tohoku-u]",
			at: "institutions: [tohoku-u]", key: "unknown_institution",
		},
		{
			name: "fiscal year that is not April to March", file: "activities.yaml",
			old: "start: \"2020-04\"\n    end: \"2021-03\"\n    fiscal_year: true\n    format: online\n    partners: [anu]",
			new: "start: \"2020-01\"\n    end: \"2021-03\"\n    fiscal_year: true\n    format: online\n    partners: [anu]",
			at:  "fiscal_year: true\n    format: online\n    partners: [anu]", key: "fiscal_span",
		},
		{
			name: "declared split that does not add up", file: "phases.yaml",
			old: "total: 16\n", new: "total: 17\n",
			at: "total: 17", key: "count_sum", fld: "phases[2].partner_count.total",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := builtinFS(t)
			content := string(fsys[tt.file].Data)
			if tt.old == "" {
				content += tt.new
			} else {
				if n := strings.Count(content, tt.old); n != 1 {
					t.Fatalf("%q occurs %d times in %s, want once", tt.old, n, tt.file)
				}
				content = strings.Replace(content, tt.old, tt.new, 1)
			}
			fsys[tt.file] = &fstest.MapFile{Data: []byte(content)}
			line := lineOf(t, content, tt.at)

			c, err := Load(fsys)
			if c != nil {
				t.Errorf("Load returned a catalog with the error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load error = %v (%T), want *Error", err, err)
			}
			if len(e.Problems) != 1 {
				t.Fatalf("%d problems, want 1:\n%v", len(e.Problems), e)
			}
			p := e.Problems[0]
			if p.File != tt.file || p.Line != line {
				t.Errorf("problem at %s:%d, want %s:%d (%v)", p.File, p.Line, tt.file, line, e)
			}
			if tt.key != "" && p.Key != tt.key {
				t.Errorf("key = %q, want %q (%v)", p.Key, tt.key, e)
			}
			if tt.fld != "" && p.Field != tt.fld {
				t.Errorf("field = %q, want %q", p.Field, tt.fld)
			}
			if tt.text != "" && !strings.Contains(p.Text, tt.text) {
				t.Errorf("text = %q, want it to contain %q", p.Text, tt.text)
			}
			t.Log(e)
			if want := tt.file + ":" + strconv.Itoa(line) + ":"; !strings.HasPrefix(e.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", e.Error(), want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	fsys := builtinFS(t)
	delete(fsys, "figures.yaml")
	c, err := Load(fsys)
	var e *Error
	if c != nil || !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].File != "figures.yaml" {
		t.Fatalf("Load without figures.yaml = %v, %v", c, err)
	}
}
