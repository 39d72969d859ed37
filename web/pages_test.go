package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"partnerhub"
	"partnerhub/store/storetest"
)

// doc is a parsed page.
type doc struct {
	root *html.Node
	raw  string
}

func parse(t *testing.T, b []byte) *doc {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return &doc{root: n, raw: string(b)}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// all returns the elements matching pred, in document order.
func (d *doc) all(pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && pred(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

// text is the visible text of n with its white space collapsed.
func text(n *html.Node) string { return strings.Join(strings.Fields(textOf(n)), " ") }

// recordPaths are the pages of every partner, unit and activity, without
// the language: the page types each record has.
func recordPaths(x *partnerhub.Index) []string {
	var paths []string
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		paths = append(paths, "/partners/"+p.Slug)
	}
	for _, u := range x.Units() {
		paths = append(paths, "/units/"+u.Code)
	}
	for _, a := range x.Activities(partnerhub.ActivityFilter{}) {
		paths = append(paths, "/activities/"+a.Slug)
	}
	return paths
}

func (d *doc) title() string {
	if ts := d.all(tag("title")); len(ts) > 0 {
		return text(ts[0])
	}
	return ""
}

func (d *doc) meta(key, value string) string {
	for _, m := range d.all(tag("meta")) {
		if attr(m, key) == value {
			return attr(m, "content")
		}
	}
	return ""
}

// leakedKey finds a message key shown instead of its text.
var leakedKey = regexp.MustCompile(`\b(page|nav|label|tier|kind|format|unit_kind|qualifier|date|month|map|sort|site|footer|phase|error|field)\.[a-z_]+(\.[a-z_]+)*\b`)

// pagesToCheck are the page types, each checked in both languages.
var pagesToCheck = []string{"/", "/partners", "/partners?tier=prospective&unit=agr", "/partners/ntu", "/partners/stockholm", "/partners/princeton",
	"/units", "/units/agr", "/matrix", "/matrix?rows=size&cols=count", "/map", "/phases", "/activities", "/activities?partner=cambridge&year=2021",
	"/stats", "/stats/partners/ntu?from=2019", "/stats/units/agr", "/agreements", "/agreements?partner=snu", "/privacy",
	"/search", "/search?q=Stockholm"}

func TestPagesInBothLanguages(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	for _, lang := range []string{"en", "ja"} {
		other := map[string]string{"en": "ja", "ja": "en"}[lang]
		for _, p := range pagesToCheck {
			path := "/" + lang + p
			t.Run(path, func(t *testing.T) {
				r := ts.do(t, "GET", path)
				if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
					t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
				}
				d := parse(t, r.body)
				if h := d.all(tag("html")); attr(h[0], "lang") != lang {
					t.Fatalf("html lang = %q", attr(h[0], "lang"))
				}
				site := map[string]string{"en": "UTokyo Strategic Partnerships", "ja": "東京大学 戦略的パートナーシップ"}[lang]
				if !strings.Contains(d.title(), site) {
					t.Errorf("title %q lacks the site name", d.title())
				}
				if d.meta("name", "description") == "" || d.meta("property", "og:title") == "" || d.meta("property", "og:url") == "" {
					t.Error("missing description or Open Graph tags")
				}
				alternates := map[string]bool{}
				for _, l := range d.all(tag("link")) {
					if attr(l, "rel") == "alternate" {
						alternates[attr(l, "hreflang")] = true
					}
				}
				if !alternates["ja"] || !alternates["en"] || !alternates["x-default"] {
					t.Errorf("hreflang alternates: %v", alternates)
				}
				body := text(d.all(tag("body"))[0])
				if m := leakedKey.FindString(body); m != "" {
					t.Errorf("message key %q shown on the page", m)
				}
				// The language switch keeps the page and its filters.
				want := "/" + other + p
				if p == "/" {
					want = "/" + other + "/"
				}
				found := false
				for _, a := range d.all(tag("a")) {
					if strings.Contains(attr(a, "class"), "lang-switch") {
						u, _ := url.Parse(attr(a, "href"))
						w, _ := url.Parse(want)
						found = u.Path == w.Path && u.Query().Encode() == w.Query().Encode()
					}
				}
				if !found {
					t.Errorf("no language switch to %s", want)
				}
				if lang == "en" {
					checkForeignTextMarked(t, d)
				}
			})
		}
	}
}

// checkForeignTextMarked fails when Japanese text on an English page is not
// inside an element that says lang="ja".
func checkForeignTextMarked(t *testing.T, d *doc) {
	t.Helper()
	var walk func(n *html.Node, lang string)
	walk = func(n *html.Node, lang string) {
		if n.Type == html.ElementNode {
			if l := attr(n, "lang"); l != "" {
				lang = l
			}
			if n.Data == "script" || n.Data == "style" {
				return
			}
		}
		if n.Type == html.TextNode && lang != "ja" {
			for _, r := range n.Data {
				if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
					t.Errorf("Japanese text %q on an English page is not marked lang=ja", strings.TrimSpace(n.Data))
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, lang)
		}
	}
	walk(d.root, "")
	for _, n := range d.all(func(n *html.Node) bool { return attr(n, "title") != "" || attr(n, "aria-label") != "" }) {
		for _, v := range []string{attr(n, "title"), attr(n, "aria-label")} {
			for _, r := range v {
				if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
					t.Errorf("Japanese attribute text %q on an English page", v)
					break
				}
			}
		}
	}
}

// TestCrawl follows every link of the site from both home pages: none may
// be broken.
func TestCrawl(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	seen := map[string]bool{}
	queue := []string{"/", "/en/", "/ja/"}
	pages := 0
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		res, err := ts.Client().Get(ts.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("broken link %s: %d", u, res.StatusCode)
			continue
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			continue
		}
		pages++
		d := parse(t, b)
		for _, n := range d.all(func(n *html.Node) bool { return n.Data == "a" || n.Data == "link" }) {
			href := attr(n, "href")
			if n.Data == "link" && attr(n, "rel") != "stylesheet" {
				continue // canonical and alternates are absolute; checked below
			}
			if href == "" || strings.HasPrefix(href, "http") || strings.HasPrefix(href, "#") {
				continue
			}
			ref, err := url.Parse(href)
			if err != nil {
				t.Errorf("%s: bad link %q", u, href)
				continue
			}
			next := res.Request.URL.ResolveReference(ref)
			queue = append(queue, next.RequestURI())
		}
		for _, l := range d.all(tag("link")) {
			// Absolute links name the configured base URL (the default
			// here), never the Host the request came to.
			if attr(l, "rel") == "alternate" && !strings.HasPrefix(attr(l, "href"), DefaultBaseURL+"/") {
				t.Errorf("%s: alternate %q is not an absolute URL of this site", u, attr(l, "href"))
			}
		}
	}
	if pages < 150 {
		t.Fatalf("crawled only %d pages", pages)
	}
	t.Logf("crawled %d pages, %d URLs, no broken links", pages, len(seen))
}

func TestRootRedirect(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ accept, cookie, want string }{
		{"ja,en;q=0.5", "", "/ja/"},
		{"en-GB", "", "/en/"},
		{"", "", "/en/"},
		{"ja", "en", "/en/"},
		{"en", "ja", "/ja/"},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/", nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "lang", Value: tc.cookie})
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 302 || res.Header.Get("Location") != tc.want {
			t.Errorf("accept %q cookie %q: %d %s, want %s", tc.accept, tc.cookie, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
	}
	// Reading a page in a language remembers it.
	r := ts.do(t, "GET", "/ja/partners")
	if c := r.header.Get("Set-Cookie"); !strings.HasPrefix(c, "lang=ja") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Fatalf("Set-Cookie %q", c)
	}
}

func TestPartnerFilterPage(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	r := ts.do(t, "GET", "/en/partners?tier=prospective&unit=agr")
	d := parse(t, r.body)
	var names []string
	for _, h := range d.all(tag("h3")) {
		names = append(names, text(h))
	}
	if !slices.Equal(names, []string{"Chile–Mexico Universities", "National Taiwan University"}) {
		t.Fatalf("prospective partners with agr: %v", names)
	}
	for _, sel := range d.all(tag("option")) {
		if attr(sel, "value") == "agr" && !hasAttr(sel, "selected") {
			t.Fatal("the unit filter is not kept in the form")
		}
	}

	r = ts.do(t, "GET", "/ja/partners?tier=gold&country=%3Cscript%3Ealert(1)%3C/script%3E")
	if r.status != 400 {
		t.Fatalf("invalid filter: %d", r.status)
	}
	if strings.Contains(string(r.body), "<script>") {
		t.Fatal("input reflected unescaped")
	}
	d = parse(t, r.body)
	errs := map[string]string{}
	for _, s := range d.all(func(n *html.Node) bool { return attr(n, "class") == "field-error" }) {
		errs[attr(s, "id")] = text(s)
	}
	if !strings.Contains(errs["err-tier"], "いずれか") || !strings.Contains(errs["err-country"], "国コード") {
		t.Fatalf("field errors: %v", errs)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func TestNotFoundPages(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	for _, tc := range []struct{ path, lang, contains string }{
		{"/en/nope", "en", "Page not found"},
		{"/ja/nope", "ja", "ページが見つかりません"},
		{"/ja/partners/nope", "ja", "パートナーは存在しません"},
		{"/en/units/nope", "en", "no unit"},
		{"/en/activities/nope", "en", "no activity"},
		{"/nope", "en", "ページが見つかりません"},
		{"/static/site.00000000.css", "en", "Page not found"},
		{"/en/matrix?rows=up", "en", "one of"},
	} {
		r := ts.do(t, "GET", tc.path)
		if r.status != 404 && !(strings.Contains(tc.path, "?") && r.status == 400) {
			t.Errorf("%s: %d", tc.path, r.status)
			continue
		}
		d := parse(t, r.body)
		if !strings.Contains(text(d.root), tc.contains) {
			t.Errorf("%s: page lacks %q", tc.path, tc.contains)
		}
		if attr(d.all(tag("html"))[0], "lang") != tc.lang {
			t.Errorf("%s: lang %q", tc.path, attr(d.all(tag("html"))[0], "lang"))
		}
		links := 0
		for _, a := range d.all(tag("a")) {
			if h := attr(a, "href"); h == "/en/" || h == "/ja/" {
				links++
			}
		}
		if links == 0 {
			t.Errorf("%s: no link back home", tc.path)
		}
	}
}

func TestPageCaching(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	r := ts.do(t, "GET", "/en/partners/snu")
	etag, lm := r.header.Get("ETag"), r.header.Get("Last-Modified")
	if etag == "" || lm == "" || r.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("headers %v", r.header)
	}
	if r2 := ts.do(t, "GET", "/en/partners/snu", "If-None-Match", etag); r2.status != 304 {
		t.Fatalf("If-None-Match: %d", r2.status)
	}
	if r2 := ts.do(t, "GET", "/en/partners/snu", "If-Modified-Since", lm); r2.status != 304 {
		t.Fatalf("If-Modified-Since: %d", r2.status)
	}
	if r2 := ts.do(t, "GET", "/ja/partners/snu", "If-None-Match", etag); r2.status != 200 {
		t.Fatalf("the Japanese page answered the English ETag: %d", r2.status)
	}
	// gzip, when asked for, decodes to the same page.
	req, _ := http.NewRequest("GET", ts.URL+"/en/map", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	plain := ts.do(t, "GET", "/en/map").body
	if !bytes.Equal(unzipped, plain) {
		t.Fatal("gzip body differs from the plain one")
	}
	// Stylesheets are served under a content hash, cached for good.
	d := parse(t, plain)
	for _, l := range d.all(tag("link")) {
		if attr(l, "rel") == "stylesheet" {
			r := ts.do(t, "GET", attr(l, "href"))
			if r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "immutable") || r.header.Get("Content-Type") != "text/css; charset=utf-8" {
				t.Fatalf("stylesheet %s: %d %v", attr(l, "href"), r.status, r.header)
			}
		}
	}
}

func TestMatrixAndMap(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	d := parse(t, ts.do(t, "GET", "/en/matrix").body)
	rows := d.all(func(n *html.Node) bool {
		return n.Data == "tr" && n.Parent != nil && n.Parent.Data == "tbody" && attr(n, "class") != "group"
	})
	if len(rows) != 16 {
		t.Fatalf("%d matrix rows", len(rows))
	}
	cols := d.all(func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "col" })
	if len(cols) != 34 { // partner, 32 units, team size
		t.Fatalf("%d matrix columns", len(cols))
	}
	marks := d.all(func(n *html.Node) bool {
		return n.Data == "td" && (attr(n, "class") == "member" || attr(n, "class") == "lead")
	})
	if len(marks) != 105 {
		t.Fatalf("%d team marks in the matrix, want 105", len(marks))
	}
	leads := d.all(func(n *html.Node) bool { return n.Data == "td" && attr(n, "class") == "lead" })
	if len(leads) != 1 {
		t.Fatalf("%d lead marks", len(leads))
	}
	// Sorted by team size, Tsinghua's team of 11 comes first.
	d = parse(t, ts.do(t, "GET", "/en/matrix?rows=size").body)
	first := d.all(func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "row" })[0]
	if !strings.Contains(text(first), "Tsinghua") {
		t.Fatalf("largest team first: %q", text(first))
	}

	// The map: the world and three regions; every partner institution is
	// a marker with an accessible name (TestEveryPartnerIsOnTheMap has more).
	d = parse(t, ts.do(t, "GET", "/ja/map").body)
	if svgs := d.all(tag("svg")); len(svgs) != 4 {
		t.Fatalf("%d maps", len(svgs))
	}
	partners := map[string]bool{}
	markers := d.all(byClass("marker"))
	for _, a := range markers {
		partners[attr(a, "href")] = true
		if attr(a, "aria-label") == "" {
			t.Error("a map point has no accessible name")
		}
	}
	// 13 single institutions (Yangon included) and 5 + 6 + 3 group members.
	if len(markers) != 27 || len(partners) != 16 {
		t.Fatalf("%d points for %d partners", len(markers), len(partners))
	}
}
