package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// The network's pages show exactly what the members have published: the
// members alpha (shares its statistics) and beta (does not) partner with
// one institution between them; gamma partners with it too and with one
// of its own, but gamma is disabled; alpha has a draft activity.

func netText(s string) partnerhub.Text { return partnerhub.Text{Ja: s + "（日本語）", En: s} }

func netFloat(f float64) *float64 { return &f }

// netInstitutions are the registry the test members use.
func netInstitutions() []partnerhub.Institution {
	in := func(slug, name, country string, lat, lng float64) partnerhub.Institution {
		return partnerhub.Institution{Slug: slug, Name: netText(name), Country: country, Lat: netFloat(lat), Lng: netFloat(lng)}
	}
	return []partnerhub.Institution{
		in("alpha-uni", "Alpha University", "JP", 35.7, 139.7),
		in("beta-uni", "Beta University", "JP", 34.7, 135.5),
		in("gamma-uni", "Gamma University", "JP", 43.1, 141.3),
		in("shared-u", "Shared Institute of Technology", "SG", 1.35, 103.8),
		in("only-a", "Only-Alpha Hochschule", "DE", 52.5, 13.4),
		in("hidden-u", "Hidden University of Gamma", "FR", 48.8, 2.3),
	}
}

// netPartner is a partner of one member: the partner, its standing and
// its team's lead unit in phase 1.
type netPartner struct {
	slug, name, inst string
	tier             partnerhub.Tier
}

func addNetMember(t *testing.T, db *store.DB, slug string, partners []netPartner, acts []partnerhub.Activity) {
	t.Helper()
	c := &partnerhub.Catalog{
		Home:         partnerhub.HomeInstitution{Slug: slug, Institution: slug + "-uni", Programme: netText("Programme of " + slug)},
		Institutions: netInstitutions(),
		Units: []partnerhub.Unit{{Code: slug + "-eng", Name: netText("Engineering of " + slug), Abbr: netText(strings.ToUpper(slug[:1]) + "E"),
			Kind: partnerhub.GraduateSchool}},
		Phases:     []partnerhub.Phase{{Number: 1, StartYear: 2020, EndYear: 2025, Declared: partnerhub.PartnerCount{Total: len(partners)}}},
		Activities: acts,
	}
	for _, p := range partners {
		c.Partners = append(c.Partners, partnerhub.Partner{Slug: p.slug, Name: netText(p.name), Kind: partnerhub.PartnerInstitution, Members: []string{p.inst}})
		c.Standings = append(c.Standings, partnerhub.Standing{Partner: p.slug, Phase: 1, Tier: p.tier})
		c.Teams = append(c.Teams, partnerhub.TeamMembership{Partner: p.slug, Unit: slug + "-eng", Phase: 1, Lead: true})
	}
	if err := db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatalf("member %s: %v", slug, err)
	}
}

func netActivity(slug, title string, year int, published bool, partner string) partnerhub.Activity {
	return partnerhub.Activity{Slug: slug, Kind: partnerhub.Workshop, Title: netText(title), Start: partnerhub.PartialDate{Year: year, Month: 6},
		Partners: []string{partner}, Published: published}
}

func netMobility(t *testing.T, db *store.DB, home, partner string, year int, dir partnerhub.Direction, count int) {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, home, &partnerhub.User{Email: "admin-" + partner + "-" + string(dir) + "@" + home + ".example", Name: "Admin", Role: partnerhub.RoleAdmin}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutMobility(ctx, u, home, partnerhub.Mobility{Partner: partner, Year: year, Direction: dir, Category: partnerhub.Category("graduate"),
		Programme: partnerhub.MobilityProgramme("exchange"), Count: count}); err != nil {
		t.Fatal(err)
	}
}

// newNetworkServer builds the three members and a server of alpha's.
func newNetworkServer(t *testing.T, e storetest.Engine) (*httptest.Server, *store.DB) {
	t.Helper()
	db := e.Open(t)
	ctx := context.Background()
	addNetMember(t, db, "alpha", []netPartner{
		{"a-shared", "Alpha partner in Singapore", "shared-u", partnerhub.Primary},
		{"a-only", "Alpha partner in Berlin", "only-a", partnerhub.Prospective},
	}, []partnerhub.Activity{
		netActivity("a-act-1", "Alpha public workshop one", 2023, true, "a-shared"),
		netActivity("a-act-2", "Alpha public workshop two", 2024, true, "a-only"),
		netActivity("a-draft", "Secret draft workshop of Alpha", 2023, false, "a-shared"),
	})
	addNetMember(t, db, "beta", []netPartner{{"b-shared", "Beta partner in Singapore", "shared-u", partnerhub.Prospective}},
		[]partnerhub.Activity{netActivity("b-act", "Beta public seminar", 2024, true, "b-shared")})
	addNetMember(t, db, "gamma", []netPartner{
		{"c-shared", "Gamma partner in Singapore", "shared-u", partnerhub.Primary},
		{"c-hidden", "Gamma hidden partner", "hidden-u", partnerhub.Primary},
	}, []partnerhub.Activity{netActivity("c-act", "Gamma disabled activity", 2023, true, "c-shared")})
	netMobility(t, db, "alpha", "a-shared", 2023, partnerhub.Outbound, 5)
	netMobility(t, db, "beta", "b-shared", 2023, partnerhub.Outbound, 7)
	netMobility(t, db, "beta", "b-shared", 2023, partnerhub.Inbound, 3)
	netMobility(t, db, "gamma", "c-shared", 2023, partnerhub.Outbound, 100)
	if err := db.SetMemberShareStatistics(ctx, nil, "alpha", true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMemberShareStatistics(ctx, nil, "gamma", true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMemberDisabled(ctx, nil, "gamma", true); err != nil {
		t.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ctx, Deps{Source: db, Home: "alpha", Messages: msgs, Mobility: db, Network: db})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, db
}

func netGet(t *testing.T, ts *httptest.Server, path string) (int, string) {
	t.Helper()
	res, err := http.Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// netNever are the facts no network page or API may show: the disabled
// member, its own partner and institution, and the draft activity.
var netNever = []string{"Gamma", "gamma", "c-hidden", "hidden-u", "Hidden University", "Secret draft", "a-draft"}

func TestNetworkPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts, db := newNetworkServer(t, e)
		get := func(path string, want int) string {
			t.Helper()
			status, body := netGet(t, ts, path)
			if status != want {
				t.Fatalf("%s: %d, want %d: %.400s", path, status, want, body)
			}
			if want == http.StatusOK {
				for _, never := range netNever {
					if strings.Contains(body, never) {
						t.Errorf("%s shows %q", path, never)
					}
				}
			}
			return body
		}
		has := func(path, body string, wants ...string) {
			t.Helper()
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", path, w)
				}
			}
		}

		// The API.
		var members struct{ Members []partnerhub.NetworkMember }
		if err := json.Unmarshal([]byte(get("/api/v1/network/members", 200)), &members); err != nil {
			t.Fatal(err)
		}
		if len(members.Members) != 2 || members.Members[0].Slug != "alpha" || members.Members[1].Slug != "beta" ||
			members.Members[0].Partners != 2 || members.Members[1].Partners != 1 {
			t.Errorf("members: %+v", members.Members)
		}
		var inst partnerhub.NetworkInstitution
		if err := json.Unmarshal([]byte(get("/api/v1/network/institutions/shared-u", 200)), &inst); err != nil {
			t.Fatal(err)
		}
		if len(inst.Links) != 2 || inst.Links[0].Member != "alpha" || inst.Links[0].Partner != "a-shared" || *inst.Links[0].Tier != partnerhub.Primary ||
			len(inst.Links[0].Units) != 1 || !inst.Links[0].Units[0].Lead || inst.Links[0].Units[0].Code != "alpha-eng" ||
			inst.Links[1].Member != "beta" || *inst.Links[1].Tier != partnerhub.Prospective {
			t.Errorf("shared-u: %+v", inst)
		}
		get("/api/v1/network/institutions/hidden-u", 404)
		get("/api/v1/network/members/gamma", 404)
		get("/api/v1/network/members/nobody", 404)
		var alpha struct {
			partnerhub.NetworkMember
			PartnerList []partnerhub.NetworkPartner `json:"partner_list"`
			Shared      []partnerhub.NetworkShared  `json:"shared"`
		}
		if err := json.Unmarshal([]byte(get("/api/v1/network/members/alpha", 200)), &alpha); err != nil {
			t.Fatal(err)
		}
		if len(alpha.PartnerList) != 2 || alpha.PartnerList[0].Partner != "a-shared" || len(alpha.PartnerList[0].Institutions) != 1 ||
			strings.Join(alpha.PartnerList[0].Institutions[0].Others, ",") != "beta" || len(alpha.PartnerList[1].Institutions[0].Others) != 0 {
			t.Errorf("alpha's partners: %+v", alpha.PartnerList)
		}
		if len(alpha.Shared) != 1 || alpha.Shared[0].Slug != "shared-u" || strings.Join(alpha.Shared[0].Others, ",") != "beta" {
			t.Errorf("alpha shares: %+v", alpha.Shared)
		}
		var matrix partnerhub.NetworkMatrix
		if err := json.Unmarshal([]byte(get("/api/v1/network/matrix", 200)), &matrix); err != nil {
			t.Fatal(err)
		}
		if strings.Join(matrix.Countries, ",") != "DE,SG" || len(matrix.Rows) != 2 ||
			matrix.Rows[0].Member != "alpha" || matrix.Rows[0].Counts[0] != 1 || matrix.Rows[0].Counts[1] != 1 || matrix.Rows[0].Total != 2 ||
			matrix.Rows[1].Member != "beta" || matrix.Rows[1].Counts[0] != 0 || matrix.Rows[1].Counts[1] != 1 ||
			matrix.Totals[0] != 1 || matrix.Totals[1] != 1 {
			t.Errorf("matrix: %+v", matrix)
		}
		statsBody := get("/api/v1/network/stats", 200)
		var stats partnerhub.NetworkStats
		if err := json.Unmarshal([]byte(statsBody), &stats); err != nil {
			t.Fatal(err)
		}
		// The totals hold alpha's and beta's figures, not gamma's, and not
		// the draft; only alpha has a row of its own.
		if stats.Total != (partnerhub.NetworkFigures{Outbound: 12, Inbound: 3, Activities: 3}) || stats.Withheld != 1 ||
			len(stats.Members) != 1 || stats.Members[0].Member != "alpha" ||
			stats.Members[0].NetworkFigures != (partnerhub.NetworkFigures{Outbound: 5, Activities: 2}) {
			t.Errorf("stats: %s", statsBody)
		}
		if strings.Contains(statsBody, "beta") {
			t.Errorf("stats name beta, which does not share: %s", statsBody)
		}
		if len(stats.Years) != 2 || stats.Years[0] != (partnerhub.NetworkYear{Year: 2023, NetworkFigures: partnerhub.NetworkFigures{Outbound: 12, Inbound: 3, Activities: 1}}) ||
			stats.Years[1] != (partnerhub.NetworkYear{Year: 2024, NetworkFigures: partnerhub.NetworkFigures{Activities: 2}}) {
			t.Errorf("stats by year: %+v", stats.Years)
		}

		// The pages, in both languages: the server's own member (alpha)
		// is at its root, another member at its path.
		for _, l := range []string{"en", "ja"} {
			name := func(s string) string {
				if l == "ja" {
					return s + "（日本語）"
				}
				return s
			}
			p := "/" + l + "/network"
			body := get(p, 200)
			has(p, body, name("Alpha University"), name("Beta University"), `href="/`+l+`/"`, `href="/beta/`+l+`/"`,
				`href="/`+l+`/network/members/alpha"`, `href="/`+l+`/network/matrix"`, `href="/`+l+`/network/map"`, `href="/`+l+`/network/stats"`,
				`href="/`+l+`/network" aria-current="page"`)
			p = "/" + l + "/network/members/alpha"
			body = get(p, 200)
			has(p, body, name("Alpha partner in Singapore"), name("Alpha partner in Berlin"), `href="/`+l+`/partners/a-shared"`,
				`href="/`+l+`/network/institutions/shared-u"`, `href="/`+l+`/network/members/beta"`)
			p = "/" + l + "/network/institutions/shared-u"
			body = get(p, 200)
			has(p, body, name("Shared Institute of Technology"), name("Alpha partner in Singapore"), name("Beta partner in Singapore"),
				`class="tier tier-primary"`, `class="tier tier-prospective"`, `class="mark lead"`, name("Engineering of alpha"))
			p = "/" + l + "/network/matrix"
			body = get(p, 200)
			has(p, body, `<abbr title=`, ">SG</abbr>", ">DE</abbr>")
			p = "/" + l + "/network/map"
			body = get(p, 200)
			has(p, body, `href="/`+l+`/network/institutions/shared-u"`, `href="/`+l+`/network/institutions/only-a"`)
			p = "/" + l + "/network/stats"
			body = get(p, 200)
			has(p, body, name("Alpha University"), "<td class=\"num\">12</td>")
			if strings.Contains(body, "Beta University") {
				t.Errorf("%s names beta, which does not share its figures", p)
			}
			get("/"+l+"/network/members/gamma", 404)
			get("/"+l+"/network/institutions/hidden-u", 404)
			// The navigation links the network.
			has("/"+l+"/", get("/"+l+"/", 200), `href="/`+l+`/network"`)
		}

		// With one enabled member, there is no network: every page and
		// API answers 404, and the navigation does not link it.
		if err := db.SetMemberDisabled(context.Background(), nil, "beta", true); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/api/v1/network/members", "/api/v1/network/members/alpha", "/api/v1/network/institutions/shared-u",
			"/api/v1/network/matrix", "/api/v1/network/stats", "/en/network", "/ja/network", "/en/network/members/alpha",
			"/en/network/institutions/shared-u", "/en/network/map", "/en/network/matrix", "/ja/network/stats"} {
			get(p, 404)
		}
		if _, body := netGet(t, ts, "/en/partners"); strings.Contains(body, `href="/en/network"`) {
			t.Errorf("one member's navigation links the network")
		}
	})
}
