package web

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"partnerhub/store/storetest"
)

// options returns, per select of the page's filter form, the values it
// offers (the empty "any" option left out).
func options(t *testing.T, body string) map[string][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var walk func(n *html.Node, sel string)
	walk = func(n *html.Node, sel string) {
		if n.Type == html.ElementNode && n.Data == "select" {
			sel = attr(n, "name")
		}
		if n.Type == html.ElementNode && n.Data == "option" && sel != "" && attr(n, "value") != "" {
			out[sel] = append(out[sel], attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, sel)
		}
	}
	walk(doc, "")
	return out
}

var resultCount = regexp.MustCompile(`<p role="status">([\d,]+)`)

// Every option a public list's filter offers finds something: a reader is
// never led to an empty list by a choice the page itself proposed.
func TestEveryFilterOptionFindsSomething(t *testing.T) {
	ts := newAuthServer(t, storetest.Engines()[0])
	for _, lang := range []string{"en", "ja"} {
		for _, page := range []string{"/partners", "/activities"} {
			r := ts.send(t, "GET", "/"+lang+page, nil)
			opts := options(t, r.body)
			if len(opts) == 0 {
				t.Fatalf("%s%s offers no filters", lang, page)
			}
			for name, values := range opts {
				for _, val := range values {
					path := "/" + lang + page + "?" + url.Values{name: {val}}.Encode()
					r := ts.send(t, "GET", path, nil)
					m := resultCount.FindStringSubmatch(r.body)
					if r.status != 200 || m == nil {
						t.Errorf("%s: %d, no count of results", path, r.status)
						continue
					}
					if n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); n == 0 {
						t.Errorf("%s: the offered option finds nothing", path)
					}
				}
			}
		}
	}
}

// internalNotes are the ways a note for the office reads: what the source
// does not say, what is not recorded, how the page works.
var internalNotes = regexp.MustCompile(`(?i)not recorded|are recorded|is recorded|the source|the brochure lists|dates as precise|bookmark|出典|記録されていません|記載がありません|記載なし|ブックマーク|精度のまま|ブローシャー`)

// With no mobility figures recorded, the public pages show none of the
// statistics machinery (charts, filters, downloads, "nothing recorded"),
// and the figures the brochure declares appear, with their qualifier and
// marked as declared, in both languages. Nowhere does a page read like a
// note for the office.
func TestNoFiguresShowOnlyWhatIsDeclared(t *testing.T) {
	ts := newAuthServer(t, storetest.Engines()[0])
	declared := map[string][]string{
		"en": {"As stated in the programme&#39;s brochure", "More than 100 faculty members and students", "About 100 faculty members and students", "120 students, 60 from each university"},
		"ja": {"パンフレットに記載の数値", "毎年100名を超える教員・学生", "毎年約100名の教員・学生", "60名ずつ、あわせて120名"},
	}
	for lang, texts := range declared {
		machinery := func(path, body string) {
			t.Helper()
			for _, m := range []string{"<svg", "/export/stats", "/export/mobility", `name="direction"`} {
				if strings.Contains(body, m) {
					t.Errorf("%s shows %q with no figures recorded", path, m)
				}
			}
		}
		r := ts.send(t, "GET", "/"+lang+"/stats", nil)
		machinery("/"+lang+"/stats", r.body)
		for _, want := range texts {
			if !strings.Contains(r.body, want) {
				t.Errorf("/%s/stats lacks %q", lang, want)
			}
		}
		for slug, want := range map[string]string{"snu": texts[1], "pku": texts[2], "tsinghua": texts[3]} {
			for _, path := range []string{"/" + lang + "/partners/" + slug, "/" + lang + "/stats/partners/" + slug} {
				r := ts.send(t, "GET", path, nil)
				machinery(path, r.body)
				if !strings.Contains(r.body, want) || !strings.Contains(r.body, texts[0]) {
					t.Errorf("%s lacks the declared %q, marked as declared", path, want)
				}
			}
		}
		// A partner with nothing declared and nothing recorded has no
		// mobility section at all.
		heading := map[string]string{"en": "<h2>Mobility</h2>", "ja": "<h2>交流人数</h2>"}[lang]
		if r := ts.send(t, "GET", "/"+lang+"/partners/ntu", nil); strings.Contains(r.body, heading) {
			t.Errorf("/%s/partners/ntu has an empty mobility section", lang)
		}
	}

	x := ts.srv.snap.Load().index
	paths := []string{"/", "/partners", "/units", "/phases", "/activities", "/stats", "/matrix"}
	paths = append(paths, recordPaths(x)...)
	for _, lang := range []string{"en", "ja"} {
		for _, p := range paths {
			r := ts.send(t, "GET", "/"+lang+p, nil)
			if m := internalNotes.FindString(r.body); m != "" {
				i := strings.Index(r.body, m)
				t.Errorf("/%s%s reads like a note for the office: …%s…", lang, p, r.body[max(0, i-80):min(len(r.body), i+80)])
			}
		}
	}
}

// Years and phases without records are drawn as "no data", never as 0.
func TestChartsSayNoDataNotZero(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	for _, y := range []int{2019, 2021} { // 2020 left without records; phases 1 and 2 too
		f := map[string]any{"partner": "ntu", "institution": "", "unit": "agr", "year": y, "direction": "outbound",
			"category": "graduate", "programme": "exchange", "count": 12}
		if r := ed.call(t, "admin", "PUT", "/api/v1/mobility", f); r.status != 200 {
			t.Fatalf("figure %d: %d %s", y, r.status, r.body)
		}
	}
	for lang, noData := range map[string]string{"en": "no data", "ja": "データなし"} {
		r := ed.send(t, "GET", "/"+lang+"/stats", nil)
		for _, want := range []string{"<title>2020 — " + noData + "</title>", `<td class="num missing">` + noData + `</td>`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("/%s/stats lacks %q", lang, want)
			}
		}
		if strings.Contains(r.body, `<td class="num">0</td>`) {
			t.Errorf("/%s/stats shows a count of 0 where nothing is recorded", lang)
		}
	}
}

// The home page says what each of its numbers counts, with the counter of
// its language: universities and projects of the national forum are not
// people (名), and are not presented as the programme's own.
func TestHomeCountsSayWhatTheyCount(t *testing.T) {
	ts := newAuthServer(t, storetest.Engines()[0])
	for lang, c := range map[string]struct{ want, not []string }{
		"en": {want: []string{"18 universities run projects in the forum", "19 projects are under way", "Forum for Promoting the Internationalization of Universities"},
			not: []string{"The programme in figures"}},
		"ja": {want: []string{"18大学がプロジェクトを進めています", "19件のプロジェクト", "大学の国際化促進フォーラム"},
			not: []string{"18名", "19名", "数字で見る事業"}},
	} {
		r := ts.send(t, "GET", "/"+lang+"/", nil)
		for _, w := range c.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("/%s/ lacks %q", lang, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(r.body, n) {
				t.Errorf("/%s/ says %q", lang, n)
			}
		}
	}
}
