package web

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"partnerhub"
	"partnerhub/store/storetest"
)

// japanesePages are the paths of every public page, under /ja/, on the
// built-in data: the lists and each partner, unit and activity.
func japanesePages(x *partnerhub.Index) []string {
	paths := []string{"/ja/", "/ja/partners", "/ja/units", "/ja/matrix", "/ja/matrix?rows=name", "/ja/matrix?rows=size&cols=count",
		"/ja/map", "/ja/phases", "/ja/activities", "/ja/stats", "/ja/signin"}
	for _, r := range recordPaths(x) {
		paths = append(paths, "/ja"+r)
	}
	return paths
}

// japaneseText is what a reader of a Japanese page reads as Japanese: the
// text nodes and the shown attributes (title, aria-label, alt), leaving out
// scripts, styles and whatever an element marks lang="en" — the English
// name printed beside the Japanese one on purpose.
func japaneseText(n *html.Node) []string {
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" || n.Data == "style" || strings.HasPrefix(attr(n, "lang"), "en") {
				return
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "title", "alt", "aria-label":
					out = append(out, a.Val)
				}
			}
		}
		if n.Type == html.TextNode && strings.TrimSpace(n.Data) != "" {
			out = append(out, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// latinRun is the characters an English name is written with; a name
// found inside a longer run of them ("Princeton Days", an event's name
// kept in English in a Japanese summary) is part of other words, not the
// record's name.
func latinRun(r rune) bool {
	return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -'.&", r)) || strings.ContainsRune("–É", r)
}

// namedAlone reports whether name occurs in s by itself: not inside a
// longer run of Latin words.
func namedAlone(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		before := strings.TrimRight(s[:start], " ")
		after := strings.TrimLeft(s[end:], " ")
		lb, la := lastRune(before), firstRune(after)
		if (lb == 0 || !latinRun(lb)) && (la == 0 || !latinRun(la)) {
			return true
		}
		i = end
	}
}

func lastRune(s string) rune {
	for _, r := range []rune(s)[max(0, len([]rune(s))-1):] {
		return r
	}
	return 0
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}

// englishNames are the English names of every partner, institution and
// unit that has a Japanese name, each with that Japanese name; shortNames
// are their English short names, acronyms and marks (PKU, ETHZ, Eng).
func englishNames(x *partnerhub.Index) (names, shortNames map[string]string) {
	names, shortNames = map[string]string{}, map[string]string{}
	add := func(m map[string]string, en, ja string) {
		if en != "" && ja != "" && en != ja {
			m[en] = ja
		}
	}
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		add(names, p.Name.En, p.Name.Ja)
		add(shortNames, p.ShortName, p.Name.Ja) // a short name is written in English only
	}
	for _, in := range x.Catalog().Institutions {
		add(names, in.Name.En, in.Name.Ja)
		add(shortNames, in.Acronym, in.Name.Ja)
	}
	for _, u := range x.Units() {
		add(names, u.Name.En, u.Name.Ja)
		add(shortNames, u.Abbr.En, u.Abbr.Ja)
	}
	return names, shortNames
}

// labelOnly is a text with the separators around a label (" · PKU",
// "(ETHZ)") taken off.
func labelOnly(s string) string {
	return strings.Trim(s, " \n\t·,、，()（）:：—")
}

// TestJapanesePagesNameInJapanese renders every Japanese page on the
// built-in data and fails where a partner, institution or unit is named in
// English although it has a Japanese name: an English name anywhere, or an
// English short name as a label of its own (a matrix row, " · PKU"). An
// acronym inside a Japanese sentence (ETHZの教員) is how the brochure
// itself writes, and is left alone; so is English marked lang="en", the
// other-language name shown beside the Japanese one on purpose.
func TestJapanesePagesNameInJapanese(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	x := ts.srv.snap.Load().index
	names, shortNames := englishNames(x)
	if len(names) < 50 || len(shortNames) < 30 {
		t.Fatalf("only %d names and %d short names in English with a Japanese name: the built-in data is not loaded", len(names), len(shortNames))
	}
	for _, path := range japanesePages(x) {
		r := ts.do(t, "GET", path)
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		for _, s := range japaneseText(parse(t, r.body).root) {
			for en, ja := range names {
				if namedAlone(s, en) {
					t.Errorf("%s names %q in English in %q; its Japanese name is %q", path, en, clip(s, en), ja)
				}
			}
			if ja, ok := shortNames[labelOnly(s)]; ok {
				t.Errorf("%s names %q in English in %q; its Japanese name is %q", path, labelOnly(s), s, ja)
			}
		}
	}
}

// japaneseThenASCII is Japanese text followed by an ASCII colon or
// parenthesis: Japanese text takes the full-width ones (第3期：主要校,
// 研究科など（15）).
var japaneseThenASCII = regexp.MustCompile(`[\p{Han}\p{Hiragana}\p{Katakana}ー）」』]\s*[:(]`)

// TestJapaneseTypography renders every Japanese page on the built-in data
// and checks the conventions of Japanese text: a full-width colon after
// Japanese words, a place written country first (韓国・ソウル), and the
// university named once in the header.
func TestJapaneseTypography(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	x := ts.srv.snap.Load().index
	// City then country, the English order, in any Japanese separator.
	type place struct{ city, country string }
	var places []place
	for _, in := range x.Catalog().Institutions {
		if in.City.Ja != "" {
			places = append(places, place{in.City.Ja, countryJa(in.Country)})
		}
	}
	for _, path := range japanesePages(x) {
		r := ts.do(t, "GET", path)
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		d := parse(t, r.body)
		// Joined without a separator, so that a colon after an element
		// (<strong>第3期</strong>: …) is seen after the text it follows.
		text := strings.Join(japaneseText(d.root), "")
		for _, m := range japaneseThenASCII.FindAllString(text, -1) {
			t.Errorf("%s: ASCII punctuation after Japanese text in %q", path, clip(text, m))
		}
		for _, p := range places {
			for _, sep := range []string{", ", ",", "、", "，", "・"} {
				if s := p.city + sep + p.country; strings.Contains(text, s) {
					t.Errorf("%s: %q puts the city before the country", path, s)
				}
			}
		}
		brand := d.all(func(n *html.Node) bool {
			return n.Type == html.ElementNode && strings.Contains(attr(n, "class"), "site-header")
		})
		if len(brand) != 1 {
			t.Fatalf("%s: %d site headers", path, len(brand))
		}
		if n := strings.Count(textOf(brand[0]), "東京大学"); n != 1 {
			t.Errorf("%s: the header names 東京大学 %d times, want once", path, n)
		}
	}
	// What the checks above stand for, on one page.
	r := ts.do(t, "GET", "/ja/partners/snu")
	for _, want := range []string{"韓国・ソウル", "第3期：主要校"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/ja/partners/snu lacks %q", want)
		}
	}
}

func countryJa(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	return display.Japanese.Regions().Name(r)
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// cssRules are the top-level rules of a stylesheet, selector to
// declarations; rules inside @media and other at-rules are left out.
func cssRules(css string) map[string]string {
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	out := map[string]string{}
	depth, start, sel := 0, 0, ""
	for i, c := range css {
		switch c {
		case '{':
			if depth == 0 {
				sel = strings.TrimSpace(css[start:i])
				start = i + 1
			}
			depth++
		case '}':
			depth--
			if depth == 0 {
				if !strings.HasPrefix(sel, "@") {
					for s := range strings.SplitSeq(sel, ",") {
						out[strings.Join(strings.Fields(s), " ")] += css[start:i] + ";"
					}
				}
				start = i + 1
			}
		}
	}
	return out
}

// TestJapaneseLineBreaking checks the stylesheet's rules for breaking
// Japanese lines: between phrases, not inside words, and never inside a
// table header, a unit's mark, a tier or a country code. The browser test
// TestBrowserJapaneseLines measures what they do.
func TestJapaneseLineBreaking(t *testing.T) {
	b, err := os.ReadFile("static/site.css")
	if err != nil {
		t.Fatal(err)
	}
	rules := cssRules(string(b))
	has := func(selector, decl string) {
		t.Helper()
		if !strings.Contains(strings.Join(strings.Fields(rules[selector]), " "), decl) {
			t.Errorf("site.css: no %q for %s", decl, selector)
		}
	}
	has(":lang(ja)", "word-break: auto-phrase")
	for _, whole := range []string{"thead th", ".mark", ".tier", ".cc"} {
		has(whole, "white-space: nowrap")
	}
}

// lineCount is JavaScript for the most lines the shown text of any
// element matching a selector takes (text for screen readers only, in
// .visually-hidden, left out).
const lineCount = `(sel) => Math.max(0, ...[...document.querySelectorAll(sel)].map(el => {
	const tops = new Set(), walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		if (n.parentElement.closest(".visually-hidden")) continue;
		const r = document.createRange(); r.selectNodeContents(n);
		for (const c of r.getClientRects()) if (c.width > 0) tops.add(Math.round(c.top));
	}
	return tops.size;
}))`

// TestBrowserJapaneseLines measures Japanese pages at 390 px: table
// headers, marks and tiers on one line each, the home heading's
// パートナーシップ not broken inside, and the matrix caption in view.
func TestBrowserJapaneseLines(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)
	do(t, ctx, chromedp.EmulateViewport(390, 900))
	for _, c := range []struct{ path, sel string }{
		{"/ja/units", "main thead th"},
		{"/ja/units", "main .mark"},
		{"/ja/partners", "main .mark"},
		{"/ja/partners/snu", "main .tier"},
		{"/ja/", "main .mark"},
	} {
		do(t, ctx, chromedp.Navigate(ts.URL+c.path), chromedp.WaitReady(chromedp.CSS("footer")))
		if n := get(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`(%s)(%q)`, lineCount, c.sel))); n != 1 {
			t.Errorf("%s: %s takes %d lines at 390px, want 1", c.path, c.sel, n)
		}
	}

	// The word パートナーシップ of the home heading on one line.
	do(t, ctx, chromedp.Navigate(ts.URL+"/ja/"), chromedp.WaitReady(chromedp.CSS("footer")))
	lines := get(t, ctx, chromedp.Evaluate[int](`(() => {
		const text = document.querySelector("h1").firstChild, i = text.data.indexOf("パートナーシップ");
		const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + "パートナーシップ".length);
		return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size;
	})()`))
	if lines != 1 {
		t.Errorf("/ja/: パートナーシップ in the heading is broken over %d lines at 390px", lines)
	}

	// The matrix caption ends inside its scroll box, not past the screen.
	do(t, ctx, chromedp.Navigate(ts.URL+"/ja/matrix"), chromedp.WaitReady(chromedp.CSS("footer")))
	past := get(t, ctx, chromedp.Evaluate[float64](`(() => {
		const r = document.createRange(); r.selectNodeContents(document.querySelector("caption"));
		return Math.max(...[...r.getClientRects()].map(c => c.right)) - document.querySelector(".table-wrap").getBoundingClientRect().right;
	})()`))
	if past > 0 {
		t.Errorf("/ja/matrix: the caption runs %.0fpx past its box at 390px", past)
	}
}
