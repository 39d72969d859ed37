package web

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestSitemapAndRobots reads sitemap.xml as a crawler does: every public
// page — each list, partner, unit, activity, the agreements and the privacy
// page — in both languages, each with its alternates, all from the base URL.
func TestSitemapAndRobots(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	base := ts.srv.deps.BaseURL
	r := ts.do(t, "GET", "/sitemap.xml", "Host", "evil.example")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("sitemap: %d %v", r.status, r.header)
	}
	var set struct {
		URLs []struct {
			Loc   string `xml:"loc"`
			Links []struct {
				Rel      string `xml:"rel,attr"`
				Hreflang string `xml:"hreflang,attr"`
				Href     string `xml:"href,attr"`
			} `xml:"http://www.w3.org/1999/xhtml link"`
		} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
	}
	if err := xml.Unmarshal(r.body, &set); err != nil {
		t.Fatalf("sitemap is not XML: %v", err)
	}
	if bytes.Contains(r.body, []byte("evil.example")) {
		t.Fatal("the sitemap names the request's Host")
	}
	x := ts.srv.snap.Load().index
	want := []string{"/", "/partners", "/units", "/matrix", "/map", "/phases", "/activities", "/agreements", "/stats", "/privacy"}
	want = append(want, recordPaths(x)...)
	listed := map[string]map[string]string{} // loc -> hreflang -> href
	for _, u := range set.URLs {
		alts := map[string]string{}
		for _, l := range u.Links {
			if l.Rel != "alternate" {
				t.Errorf("%s: link rel %q", u.Loc, l.Rel)
			}
			alts[l.Hreflang] = l.Href
		}
		listed[u.Loc] = alts
	}
	for _, p := range want {
		for _, lang := range []string{"ja", "en"} {
			alts, ok := listed[base+"/"+lang+p]
			if !ok {
				t.Errorf("the sitemap lacks %s", base+"/"+lang+p)
				continue
			}
			if alts["ja"] != base+"/ja"+p || alts["en"] != base+"/en"+p {
				t.Errorf("%s: alternates %v", base+"/"+lang+p, alts)
			}
		}
	}
	// Each listed page exists.
	for loc := range listed {
		if r := ts.do(t, "GET", strings.TrimPrefix(loc, base)); r.status != 200 {
			t.Errorf("the sitemap lists %s, which answers %d", loc, r.status)
		}
	}

	r = ts.do(t, "GET", "/robots.txt")
	if r.status != 200 || !strings.Contains(string(r.body), "\nSitemap: "+base+"/sitemap.xml\n") || !strings.Contains(string(r.body), "Disallow: /ja/edit/") {
		t.Fatalf("robots.txt: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/favicon.ico"); r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("favicon: %d %v", r.status, r.header)
	}
}

// crumbs are the breadcrumbs of a page: each step's text and link.
func crumbs(d *doc) (labels, hrefs []string) {
	navs := d.all(func(n *html.Node) bool { return n.Data == "nav" && attr(n, "class") == "crumbs" })
	if len(navs) != 1 {
		return nil, nil
	}
	for _, li := range (&doc{root: navs[0]}).all(tag("li")) {
		labels = append(labels, text(li))
		href := ""
		for _, a := range (&doc{root: li}).all(tag("a")) {
			href = attr(a, "href")
		}
		hrefs = append(hrefs, href)
	}
	return labels, hrefs
}

// TestBreadcrumbs checks every page type, public and signed in, in both
// languages: the breadcrumbs start at Home and end with the page's title,
// unlinked; the home page has none.
func TestBreadcrumbs(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	x := ed.srv.snap.Load().index
	public := append(slices.Clone(pagesToCheck), "/agreements?kind=nonsense", "/no/such/page", "/partners/no-such", "/signin",
		"/partners/paris", "/activities/"+x.Activities(partnerhub.ActivityFilter{})[0].Slug)
	private := []string{"/account", "/edit/partner/ntu", "/edit/activity/new", "/history/partner/ntu", "/admin/bin", "/admin/audit", "/mobility/import"}
	home := map[string]string{"en": "Home", "ja": "ホーム"}
	site := map[string]string{"en": "UTokyo Strategic Partnerships", "ja": "東京大学 戦略的パートナーシップ"}
	check := func(t *testing.T, role, lang, p string) {
		r := ed.send(t, "GET", "/"+lang+p, nil, ed.cookie[role])
		d := parse(t, []byte(r.body))
		labels, hrefs := crumbs(d)
		if p == "/" {
			if labels != nil {
				t.Fatalf("the home page has breadcrumbs %q", labels)
			}
			return
		}
		title := strings.TrimSuffix(d.title(), " | "+site[lang])
		if len(labels) < 2 || labels[0] != home[lang] || hrefs[0] != "/"+lang+"/" || labels[len(labels)-1] != title || hrefs[len(hrefs)-1] != "" {
			t.Fatalf("breadcrumbs %q %q; want Home first and %q last", labels, hrefs, title)
		}
		for i, h := range hrefs[:len(hrefs)-1] {
			if h == "" {
				t.Errorf("step %q has no link", labels[i])
			}
		}
	}
	for _, lang := range []string{"en", "ja"} {
		for _, p := range public {
			t.Run(lang+p, func(t *testing.T) { check(t, "nobody", lang, p) })
		}
		for _, p := range private {
			t.Run("admin/"+lang+p, func(t *testing.T) { check(t, "admin", lang, p) })
		}
	}
	// The steps between: a partner's page is under Partners; the agreements
	// of one partner under that partner.
	labels, _ := crumbs(parse(t, []byte(ed.send(t, "GET", "/en/partners/ntu", nil).body)))
	if !slices.Equal(labels, []string{"Home", "Partners", "National Taiwan University"}) {
		t.Errorf("partner page: %q", labels)
	}
	labels, hrefs := crumbs(parse(t, []byte(ed.send(t, "GET", "/ja/agreements?partner=snu", nil).body)))
	if !slices.Equal(labels, []string{"ホーム", "パートナー", "ソウル国立大学", "ソウル国立大学との協定"}) || hrefs[2] != "/ja/partners/snu" {
		t.Errorf("agreements of a partner: %q %q", labels, hrefs)
	}
}

// TestAgreementsIndex filters the index, keeps drafts to signed-in users,
// and downloads what it shows.
func TestAgreementsIndex(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	rows := func(body string) []string {
		var out []string
		d := parse(t, []byte(body))
		for _, tb := range d.all(tag("tbody")) {
			for _, th := range (&doc{root: tb}).all(tag("th")) {
				out = append(out, text(th))
			}
		}
		return out
	}
	all := ed.send(t, "GET", "/en/agreements", nil)
	if all.status != 200 || len(rows(all.body)) != 6 || !strings.Contains(all.body, "<p role=\"status\">6 agreements</p>") {
		t.Fatalf("all agreements: %d %q", all.status, rows(all.body))
	}
	// Newest signature first: Princeton's renewals (2023-01, 2018-12), PKU
	// and SNU (2015), SNU's offices (2014), Princeton (2013-01).
	if got := rows(all.body); !strings.HasPrefix(got[0], "Renewal of the Strategic Partnership Memorandum with Princeton University (2023)") ||
		!strings.HasPrefix(got[5], "Strategic Partnership Memorandum with Princeton") {
		t.Errorf("order: %q", got)
	}
	for q, n := range map[string]int{"partner=snu": 2, "kind=office": 1, "kind=mou": 5, "level=unit": 0, "status=active": 4, "status=renewed": 2, "partner=snu&kind=mou": 1} {
		r := ed.send(t, "GET", "/en/agreements?"+q, nil)
		if r.status != 200 || len(rows(r.body)) != n {
			t.Errorf("?%s: %d, %d rows, want %d", q, r.status, len(rows(r.body)), n)
		}
	}
	snu := ed.send(t, "GET", "/ja/agreements?partner=snu", nil)
	if !strings.Contains(snu.body, "<h1>ソウル国立大学との協定</h1>") || !strings.Contains(snu.body, `href="/ja/export/agreements?format=csv&amp;partner=snu"`) || !strings.Contains(snu.body, `href="/ja/export/agreements?format=xlsx&amp;partner=snu"`) {
		t.Errorf("one partner's agreements: no title or filtered download")
	}
	for _, q := range []string{"kind=gold", "partner=nobody", "status=x", "colour=red"} {
		if r := ed.send(t, "GET", "/en/agreements?"+q, nil); r.status != 400 || !strings.Contains(r.body, `role="alert"`) {
			t.Errorf("?%s: %d", q, r.status)
		}
	}
	// A draft: in the index and its download for a signed-in user only.
	if r := ed.call(t, "admin", "POST", "/api/v1/agreements", map[string]any{"slug": "ntu-draft", "partner": "ntu", "kind": "exchange", "level": "unit",
		"units": []string{"agr"}, "title": map[string]string{"ja": "学生交流協定（国立台湾大学）", "en": "Student exchange agreement with NTU"},
		"signed": "2022-04", "expires": "2027-03", "status": "active", "published": false}); r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	if r := ed.send(t, "GET", "/en/agreements?partner=ntu", nil); strings.Contains(r.body, "Student exchange agreement with NTU") {
		t.Error("the public sees a draft")
	}
	r := ed.send(t, "GET", "/en/agreements?partner=ntu", nil, ed.cookie["admin"])
	if got := rows(r.body); len(got) != 1 || !strings.Contains(got[0], "draft") || !strings.Contains(r.body, "Graduate School of Agricultural and Life Sciences") || !strings.Contains(r.body, "March 2027") {
		t.Errorf("signed in: %q", got)
	}
	csvRows := func(body string) [][]string {
		out, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\xef\xbb\xbf"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pub := csvRows(ed.send(t, "GET", "/en/export/agreements?format=csv&kind=mou", nil).body)
	if len(pub) != 6 || pub[0][5] != "Parties" || pub[1][5] != "The University of Tokyo and Princeton University" {
		t.Errorf("public CSV of memoranda: %q", pub)
	}
	priv := csvRows(ed.send(t, "GET", "/en/export/agreements?format=csv&partner=ntu", nil, ed.cookie["admin"]).body)
	if len(priv) != 2 || priv[1][0] != "ntu-draft" || !strings.Contains(priv[1][5], "Agricultural") {
		t.Errorf("signed-in CSV: %q", priv)
	}
	if r := ed.send(t, "GET", "/en/export/agreements?format=xlsx&status=expired", nil); r.status != http.StatusOK {
		t.Errorf("XLSX: %d", r.status)
	}
}

// TestPrivacyAndFooter: the privacy page in both languages, linked from
// every page's footer with the office's name and the university's website.
func TestPrivacyAndFooter(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	for lang, want := range map[string][]string{
		"en": {"<h1>Privacy</h1>", "“lang”", "Global Campus Promotion Headquarters"},
		"ja": {"<h1>プライバシー</h1>", "「lang」", "グローバルキャンパス推進本部"},
	} {
		r := ts.do(t, "GET", "/"+lang+"/privacy")
		if r.status != 200 {
			t.Fatalf("%s privacy: %d", lang, r.status)
		}
		for _, w := range want {
			if !bytes.Contains(r.body, []byte(w)) {
				t.Errorf("%s privacy lacks %q", lang, w)
			}
		}
		home := ts.do(t, "GET", "/"+lang+"/partners/ntu")
		for _, w := range []string{`href="/` + lang + `/privacy"`, `href="https://www.u-tokyo.ac.jp"`, want[2], `class="print-only"`, ts.srv.deps.BaseURL + "/" + lang + "/partners/ntu"} {
			if !bytes.Contains(home.body, []byte(w)) {
				t.Errorf("%s footer lacks %q", lang, w)
			}
		}
	}
}
