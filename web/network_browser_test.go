package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// addBuiltinMember adds a member whose partners are the built-in
// institutions named (so that they share some with utokyo), each one a
// partner of its own, the first ones primary.
func addBuiltinMember(t *testing.T, db *store.DB, slug, ja, en string, primary int, insts ...string) {
	t.Helper()
	builtin, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	registry := map[string]partnerhub.Institution{}
	for _, in := range builtin.Institutions {
		registry[in.Slug] = in
	}
	own := partnerhub.Institution{Slug: slug + "-uni", Name: partnerhub.Text{Ja: ja, En: en}, Country: "JP"}
	c := &partnerhub.Catalog{
		Home:         partnerhub.HomeInstitution{Slug: slug, Institution: own.Slug, Programme: partnerhub.Text{Ja: ja + "戦略的パートナーシップ", En: en + " Strategic Partnerships"}},
		Institutions: []partnerhub.Institution{own},
		Units: []partnerhub.Unit{
			{Code: "eng", Name: partnerhub.Text{Ja: "工学研究科", En: "Graduate School of Engineering"}, Abbr: partnerhub.Text{Ja: "工", En: "Eng"}, Kind: partnerhub.GraduateSchool},
			{Code: "sci", Name: partnerhub.Text{Ja: "理学研究科", En: "Graduate School of Science"}, Abbr: partnerhub.Text{Ja: "理", En: "Sci"}, Kind: partnerhub.GraduateSchool},
		},
		Phases: []partnerhub.Phase{{Number: 1, StartYear: 2022, EndYear: 2026, Declared: partnerhub.PartnerCount{Total: len(insts)}}},
	}
	for i, s := range insts {
		in, ok := registry[s]
		if !ok {
			t.Fatalf("no built-in institution %s", s)
		}
		c.Institutions = append(c.Institutions, in)
		tier := partnerhub.Prospective
		if i < primary {
			tier = partnerhub.Primary
		}
		c.Partners = append(c.Partners, partnerhub.Partner{Slug: s, Name: in.Name, Kind: partnerhub.PartnerInstitution, Members: []string{s}})
		c.Standings = append(c.Standings, partnerhub.Standing{Partner: s, Phase: 1, Tier: tier})
		unit := []string{"eng", "sci"}[i%2]
		c.Teams = append(c.Teams, partnerhub.TeamMembership{Partner: s, Unit: unit, Phase: 1, Lead: true})
		if i%3 == 0 {
			c.Teams = append(c.Teams, partnerhub.TeamMembership{Partner: s, Unit: []string{"sci", "eng"}[i%2], Phase: 1})
		}
		c.Activities = append(c.Activities, partnerhub.Activity{Slug: s + "-symposium", Kind: partnerhub.Workshop,
			Title: partnerhub.Text{Ja: in.Name.Ja + "との合同シンポジウム", En: "Joint symposium with " + in.Name.En},
			Start: partnerhub.PartialDate{Year: 2023 + i%3, Month: 10}, Partners: []string{s}, Published: true})
	}
	if err := db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	admin, err := db.CreateUser(context.Background(), slug, &partnerhub.User{Email: "admin@" + slug + ".example.ac.jp", Name: en, Role: partnerhub.RoleAdmin}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range insts {
		for _, dir := range []partnerhub.Direction{partnerhub.Outbound, partnerhub.Inbound} {
			if err := db.PutMobility(context.Background(), admin, slug, partnerhub.Mobility{Partner: s, Year: 2023 + i%3, Direction: dir,
				Category: partnerhub.Graduate, Programme: partnerhub.ExchangeProgramme, Count: 3 + i}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The network's pages read well in both languages, on a wide screen and a
// phone's, with no serious axe violation. PARTNERHUB_SCREENSHOTS=dir keeps
// pictures of them.
func TestBrowserNetworkPages(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) { browseNetwork(t, lang) })
	}
}

// browseNetwork visits the network's pages in one language, with a browser
// of its own (each has three minutes).
func browseNetwork(t *testing.T, lang string) {
	as := newAuthServer(t, storetest.Engines()[0])
	ctx := browser(t)
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	addBuiltinMember(t, as.db, "kyoto", "京都大学", "Kyoto University", 3, "princeton", "ntu", "snu", "anu", "pku")
	addBuiltinMember(t, as.db, "osaka", "大阪大学", "Osaka University", 2, "ntu", "princeton", "anu")
	if err := as.db.SetMemberShareStatistics(context.Background(), nil, "kyoto", true); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	for _, page := range []struct{ name, path, want, text string }{
		{"index", "/network", "table.netpages-members", "Kyoto"},
		{"member", "/network/members/kyoto", "table.netpages-partners", "Princeton"},
		{"institution", "/network/institutions/princeton", "table.netpages-links", "Osaka"},
		{"matrix", "/network/matrix", "table.netpages-matrix", "Kyoto"},
		{"map", "/network/map", "section.map-region svg.map", "Princeton"},
		{"stats", "/network/stats", "table.netpages-years", "Kyoto"},
	} {
		{
			for _, width := range []int64{1280, 360} {
				do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(as.URL+"/"+lang+page.path), chromedp.WaitVisible(chromedp.CSS(page.want)))
				text := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
				want := page.text
				if lang == "ja" {
					want = map[string]string{"Kyoto": "京都大学", "Princeton": "プリンストン", "Osaka": "大阪大学"}[want]
				}
				if !strings.Contains(text, want) {
					t.Errorf("%s %s: the page does not show %q", page.name, lang, want)
				}
				if width == 360 {
					if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
						t.Errorf("%s %s: the page scrolls sideways by %dpx at 360px", page.name, lang, overflow)
					}
				} else if v := runAxe(t, ctx, axe).serious(); len(v) > 0 {
					t.Errorf("%s %s: axe: %v", page.name, lang, v)
				}
				if shots != "" {
					png := get(t, ctx, chromedp.FullScreenshot(100))
					name := "network-netpages-" + page.name + "-" + lang + "-" + strconv.Itoa(int(width)) + ".png"
					if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}
