package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// notForPeople are what a template prints when it is handed the wrong
// thing: a pointer's address, a nil, Go's formatting of maps, structs and
// slices, fmt's complaints, template syntax left unparsed.
var notForPeople = []struct {
	what string
	re   *regexp.Regexp
}{
	{"a pointer", regexp.MustCompile(`0x[0-9a-f]{6,}`)},
	{"<nil>", regexp.MustCompile(`<nil>`)},
	{"a Go map", regexp.MustCompile(`map\[`)},
	{"a pointer to a struct", regexp.MustCompile(`&\{`)},
	{"a Go struct", regexp.MustCompile(`\{[^{}\s"]+(?: [^{}\s]+)+\}|\{[A-Z][A-Za-z]*:`)},
	{"a Go slice", regexp.MustCompile(`\[[^\[\]\s"]+(?: [^\[\]\s]+)+\]`)},
	{"a fmt error", regexp.MustCompile(`%!`)},
	{"template syntax", regexp.MustCompile(`\{\{|\}\}`)},
	// A count over 999 is grouped for the reader: 1,234. Years (four
	// digits, 1900–2099) and ranges of them are the numbers written whole.
	{"an ungrouped number", regexp.MustCompile(`(?:^|[^\d,.\-–/:#])(?:[1-9]\d{4,}|[3-9]\d{3}|1[0-8]\d{2}|2[1-9]\d{2})(?:$|[^\d,])`)},
}

// singularWanted catches an English count of one with a plural noun.
var singularWanted = regexp.MustCompile(`(?:^|[^\d,.])1 (?:partners|units|activities|universities|people|figures|rows|problems|members|institutions|coordinators|minutes|characters|bytes)\b`)

// readable is what a person reads of a page: its text (not scripts or
// styles) and the attributes that are shown or spoken; other holds the
// attributes that carry values (links, form values, names), and the
// values a record's history shows as stored (JSON, whole numbers), which
// must not hold Go's formatting either.
func readable(n *html.Node) (shown, other []string) {
	var walk func(*html.Node, bool)
	walk = func(n *html.Node, stored bool) {
		if n.Type == html.ElementNode {
			if n.Data == "script" || n.Data == "style" {
				return
			}
			if n.Data == "ol" && strings.Contains(attr(n, "class"), "history") {
				stored = true
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "title", "alt", "aria-label", "placeholder", "content":
					shown = append(shown, a.Val)
				case "value", "href", "action", "id", "name", "for", "datetime":
					other = append(other, a.Val)
				}
			}
		}
		if n.Type == html.TextNode {
			if s := strings.TrimSpace(n.Data); s != "" && stored && n.Parent != nil && n.Parent.Data == "td" {
				other = append(other, s)
			} else if s != "" {
				shown = append(shown, s)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, stored)
		}
	}
	walk(n, false)
	return shown, other
}

// keyLike is a word shaped like a message key: dotted lower-case words.
var keyLike = regexp.MustCompile(`[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+`)

// messageKeys are every key of the catalogs, and the first words of keys
// (page., error., label. …), so that a key missing from the catalogs, which
// T renders as itself, is caught too.
func messageKeys(t *testing.T) (keys, prefixes map[string]bool) {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys, prefixes = map[string]bool{}, map[string]bool{}
	for _, l := range partnerhub.Langs {
		for k := range c.Keys(l) {
			keys[k] = true
			first, _, _ := strings.Cut(k, ".")
			prefixes[first] = true
		}
	}
	return keys, prefixes
}

// checkForPeople fails on anything of a rendered page not meant for a
// person.
func checkForPeople(t *testing.T, lang string, body []byte, keys, prefixes map[string]bool) {
	t.Helper()
	d := parse(t, body)
	shown, other := readable(d.root)
	for i, s := range append(shown, other...) {
		for _, c := range notForPeople {
			if c.what == "an ungrouped number" && i >= len(shown) {
				continue // a value or a link, not read as a number
			}
			if m := c.re.FindString(strings.ReplaceAll(s, "ISO 3166", "ISO")); m != "" {
				t.Errorf("%s in %q", c.what, clip(s, m))
			}
		}
	}
	for _, s := range shown {
		if lang == "en" {
			if m := singularWanted.FindString(s); m != "" {
				t.Errorf("a plural for one in %q", clip(s, m))
			}
		}
		for _, w := range keyLike.FindAllString(s, -1) {
			first, _, _ := strings.Cut(w, ".")
			if keys[w] || prefixes[first] {
				t.Errorf("message key %q shown in %q", w, clip(s, w))
			}
		}
	}
}

// clip is the part of s around m, to keep failures readable.
func clip(s, m string) string {
	i := strings.Index(s, m)
	before, after := []rune(s[:i]), []rune(s[i+len(m):])
	return string(before[max(0, len(before)-30):]) + m + string(after[:min(len(after), 30)])
}

// TestPagesAreForPeople renders every page type on the built-in data in
// both languages, public and signed in, and fails on whatever a template
// printed that is not meant for a person.
func TestPagesAreForPeople(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	keys, prefixes := messageKeys(t)
	// Figures large enough to need grouping, so that the statistics and
	// the summaries on the home and partner pages show them.
	for i, f := range []map[string]any{
		{"partner": "ntu", "institution": "", "unit": "agr", "year": 2021, "direction": "outbound", "category": "graduate", "programme": "exchange", "count": 1234},
		{"partner": "ntu", "institution": "", "unit": "", "year": 2022, "direction": "inbound", "category": "undergraduate", "programme": "short_programme", "count": 98765},
	} {
		if r := ed.call(t, "admin", "PUT", "/api/v1/mobility", f); r.status != 200 {
			t.Fatalf("figure %d: %d %s", i, r.status, r.body)
		}
	}
	x := ed.srv.snap.Load().index
	paths := []string{"/", "/partners", "/partners?tier=prospective&unit=agr", "/partners?country=TW", "/partners?country=US",
		"/partners?phase=2", "/partners?phase=1", "/partners?tier=nonsense", "/units", "/matrix", "/matrix?rows=size&cols=count",
		"/matrix?rows=name", "/map", "/phases", "/activities", "/activities?partner=cambridge&year=2021", "/activities?kind=symposium",
		"/activities?year=20x", "/stats", "/stats?from=2022", "/stats?from=x", "/stats/partners/ntu", "/stats/units/agr",
		"/no/such/page", "/partners/no-such-partner", "/signin", "/agreements", "/agreements?partner=snu&kind=office",
		"/agreements?kind=nonsense", "/privacy"}
	paths = append(paths, recordPaths(x)...)
	want := func(path string) int {
		switch {
		case strings.Contains(path, "nonsense"), strings.Contains(path, "20x"), strings.Contains(path, "from=x"):
			return http.StatusBadRequest
		case strings.Contains(path, "no-such"), strings.Contains(path, "no/such"):
			return http.StatusNotFound
		}
		return http.StatusOK
	}
	check := func(t *testing.T, role, path string, status int) {
		t.Helper()
		r := ed.send(t, "GET", path, nil, ed.cookie[role])
		if r.status != status {
			t.Fatalf("%s: %d, want %d", path, r.status, status)
		}
		checkForPeople(t, path[1:3], []byte(r.body), keys, prefixes)
	}
	for _, lang := range []string{"en", "ja"} {
		for _, p := range paths {
			t.Run("public"+"/"+lang+p, func(t *testing.T) { check(t, "nobody", "/"+lang+p, want(p)) })
		}
		t.Run("outside both languages", func(t *testing.T) { check(t, "nobody", "/nowhere", http.StatusNotFound) })
	}

	// What the checks above stand for, said once in words.
	for path, texts := range map[string][]string{
		"/en/partners?country=TW": {`<p role="status">1 partner</p>`},
		"/en/partners?country=US": {`<p role="status">3 partners</p>`},
		"/ja/partners?country=TW": {`<p role="status">1件のパートナー</p>`},
		"/en/phases":              {"16 partner universities declared: 9 primary and 7 prospective."},
		"/ja/phases":              {"対象の海外大学は16校（主要校9校、構築を見通せる大学7校）です。"},
		"/en/":                    {`<div class="declared">9 + 7 <span class="count">universities</span></div>`, "<td>1,234</td>", "<td>98,765</td>"},
		"/ja/partners/ntu":        {"<td>1,234</td>", "<td>98,765</td>"},
		"/en/stats":               {"99,999 people in all"},
	} {
		r := ed.send(t, "GET", path, nil)
		for _, want := range texts {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}

	// Signed in: the same pages with drafts and edit links, and the pages
	// of editing, after a change, a deletion and a figure, so that history,
	// bin and audit log have something to show.
	act := x.Activities(partnerhub.ActivityFilter{})[0].Slug
	if r := ed.call(t, "admin", "PATCH", "/api/v1/activities/"+act, map[string]any{"version": ed.record(t, partnerhub.EntityActivity, act)["version"],
		"venue": map[string]string{"ja": "本郷", "en": "Hongo"}}); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if r := ed.call(t, "admin", "DELETE", fmt.Sprintf("/api/v1/partners/ytu?version=%v", ed.record(t, partnerhub.EntityPartner, "ytu")["version"]), nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	agreement := x.Catalog().Agreements[0].Slug
	institution := x.Catalog().Institutions[0].Slug
	private := []string{"/", "/agreements", "/partners/ntu", "/units/agr", "/activities/" + act, "/stats", "/account", "/signin",
		"/edit/partner/ntu", "/edit/partner/new", "/edit/activity/" + act, "/edit/activity/new", "/edit/agreement/" + agreement,
		"/edit/agreement/new", "/edit/institution/" + institution, "/edit/institution/new", "/edit/unit/agr", "/edit/unit/new",
		"/edit/team/ntu/3", "/edit/mobility/new", "/edit/partner/ytu", "/history/activity/" + act, "/history/partner/ytu",
		"/history/team/ntu/3", "/admin/bin", "/admin/audit", "/admin/audit?entity=partner", "/admin/audit?since=nonsense",
		"/mobility/import"}
	for _, lang := range []string{"en", "ja"} {
		for _, role := range []string{"admin", "coordinator"} {
			for _, p := range private {
				status := http.StatusOK
				if strings.Contains(p, "nonsense") {
					status = http.StatusBadRequest
				}
				if role == "coordinator" && (strings.HasPrefix(p, "/admin/") || strings.HasSuffix(p, "/new") && !strings.Contains(p, "activity") && !strings.Contains(p, "agreement") && !strings.Contains(p, "mobility") || strings.Contains(p, "ytu") || strings.Contains(p, "/edit/partner/") || strings.Contains(p, "/edit/unit/") || strings.Contains(p, "/edit/institution/")) {
					continue // refused to a coordinator; checked in auth tests
				}
				t.Run(role+"/"+lang+p, func(t *testing.T) { check(t, role, "/"+lang+p, status) })
			}
		}
	}
}
