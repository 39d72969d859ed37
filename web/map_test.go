package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store/storetest"
)

func hasClass(n *html.Node, c string) bool {
	return n.Type == html.ElementNode && strings.Contains(" "+attr(n, "class")+" ", " "+c+" ")
}

func byClass(c string) func(*html.Node) bool {
	return func(n *html.Node) bool { return hasClass(n, c) }
}

// children are n's element children that satisfy pred.
func children(n *html.Node, pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && pred(c) {
			out = append(out, c)
		}
	}
	return out
}

// TestEveryPartnerIsOnTheMap reads the map page in each language as a person
// without a mouse would: every member institution of every partner is a
// marker with a label written on the map, the list of the marker's region has
// an entry with that label that names the institution (or, for a partner of
// one institution, the partner) in the page's language and links where the
// marker does, and each marker is at least 24 CSS px across on the narrowest
// map the page draws.
func TestEveryPartnerIsOnTheMap(t *testing.T) {
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	institutions := map[string]partnerhub.Institution{}
	for _, in := range c.Institutions {
		institutions[in.Slug] = in
	}
	ts := newTestServer(t, storetest.Engines()[0])
	for _, lang := range partnerhub.Langs {
		d := parse(t, ts.do(t, "GET", "/"+string(lang)+"/map").body)

		type found struct{ href, listed, aria string }
		var markers []found
		labels := map[string]bool{}
		listedPartners := map[string]bool{}
		for _, sec := range d.all(byClass("map-region")) {
			// The region's list: a label -> what it names and links to.
			type entry struct{ name, href string }
			listed := map[string]entry{}
			for _, ul := range (&doc{root: sec}).all(byClass("map-list")) {
				for _, li := range children(ul, tag("li")) {
					badge := children(li, byClass("badge"))
					link := children(li, tag("a"))
					if len(badge) != 1 || len(link) != 1 {
						t.Fatalf("%s: a list entry without a number or a link: %q", lang, text(li))
					}
					href := attr(link[0], "href")
					listedPartners[href] = true
					listed[text(badge[0])] = entry{text(link[0]), href}
					for _, sub := range children(li, tag("ul")) {
						for _, m := range children(sub, tag("li")) {
							l := text(children(m, byClass("sub"))[0])
							listed[l] = entry{strings.TrimSpace(strings.TrimPrefix(text(m), l)), href}
						}
					}
				}
			}
			for _, svg := range (&doc{root: sec}).all(tag("svg")) {
				vb := strings.Fields(attr(svg, "viewBox"))
				width, _ := strconv.ParseFloat(vb[2], 64)
				for _, a := range (&doc{root: svg}).all(byClass("marker")) {
					label := strings.TrimSpace(text((&doc{root: a}).all(tag("text"))[0]))
					r, _ := strconv.ParseFloat(attr((&doc{root: a}).all(tag("circle"))[0], "r"), 64)
					if px := 2 * r * narrowestMap / width; px < 24 {
						t.Errorf("%s: marker %s is %.1f px across on a %d px map", lang, label, px, narrowestMap)
					}
					if label == "" || labels[label] {
						t.Errorf("%s: marker label %q is empty or used twice", lang, label)
					}
					labels[label] = true
					e, ok := listed[label]
					if !ok {
						t.Errorf("%s: marker %s is not in its region's list", lang, label)
						continue
					}
					if e.href != attr(a, "href") {
						t.Errorf("%s: marker %s links to %s, its list entry to %s", lang, label, attr(a, "href"), e.href)
					}
					markers = append(markers, found{attr(a, "href"), e.name, attr(a, "aria-label")})
				}
			}
		}

		n := 0
		for _, p := range c.Partners {
			href := "/" + string(lang) + "/partners/" + p.Slug
			if !listedPartners[href] {
				t.Errorf("%s: %s is not in the list by region", lang, p.Slug)
			}
			for _, m := range p.Members {
				n++
				inst, _ := institutions[m].Name.In(lang)
				want := inst
				if p.Kind != partnerhub.PartnerGroup {
					want, _ = p.Name.In(lang)
				}
				ok := false
				for _, f := range markers {
					ok = ok || f.href == href && f.listed == want && strings.Contains(f.aria, inst)
				}
				if !ok {
					t.Errorf("%s: no marker of %s whose list entry names %q", lang, m, want)
				}
			}
		}
		if len(markers) != n || n != 27 {
			t.Errorf("%s: %d markers for %d partner institutions", lang, len(markers), n)
		}
	}
}

// TestBrowserMapMarkersAreTappable measures the markers as drawn: on a
// 360 px phone and on a desktop, in both languages, every marker is at
// least 24 px across, and the phone shows the regions, not the world.
func TestBrowserMapMarkersAreTappable(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)
	for _, lang := range []string{"en", "ja"} {
		for _, width := range []int64{360, 1280} {
			do(t, ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(ts.URL+"/"+lang+"/map"),
				chromedp.WaitReady(chromedp.CSS("footer")),
			)
			sizes := get(t, ctx, chromedp.Evaluate[[][2]float64](`[...document.querySelectorAll("svg.map a.marker")].map(a => { const r = a.getBoundingClientRect(); return [r.width, r.height]; })`))
			if len(sizes) != 27 {
				t.Fatalf("/%s/map at %d px: %d markers", lang, width, len(sizes))
			}
			for i, s := range sizes {
				if s[0] < 24 || s[1] < 24 {
					t.Errorf("/%s/map at %d px: marker %d is %.1f×%.1f px", lang, width, i, s[0], s[1])
				}
			}
			world := get(t, ctx, chromedp.Evaluate[bool](`document.querySelector(".map-world").getBoundingClientRect().width > 0`))
			if world != (width > 720) {
				t.Errorf("/%s/map at %d px: world map shown %v", lang, width, world)
			}
		}
	}
}
