package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// linkAttr finds the links of a page: every attribute that names an
// address the browser follows or sends to.
var linkAttr = regexp.MustCompile(`\s(href|action|src|data-begin|data-finish|formaction|poster)\s*=\s*"([^"]*)"`)

// absoluteLinks are the links the page declares for others (search
// engines, shares): canonical, alternates, og:url.
var absoluteLinks = regexp.MustCompile(`<link[^>]*rel="(?:canonical|alternate)"[^>]*>|<meta[^>]*property="og:url"[^>]*>`)
var linkValue = regexp.MustCompile(`(?:href|content)="([^"]*)"`)

// crawl walks a member's portal breadth-first from starts, following every
// same-site link a GET reaches (and every redirect), up to max pages. Each
// page's links must stay inside the member's portal (or the static files,
// or the network's pages), no page answers 5xx, and the absolute links
// start with the member's base URL. It returns how many pages it read.
func crawl(t *testing.T, n *network, prefix string, session *http.Cookie, starts []string, max int) int {
	t.Helper()
	base, _ := url.Parse(n.URL)
	seen := map[string]bool{}
	queue := append([]string(nil), starts...)
	for _, s := range starts {
		seen[s] = true
	}
	outside := map[string][]string{} // link -> pages it is on
	allowed := func(path string) bool {
		if strings.HasPrefix(path, prefix+"/") || path == prefix || strings.HasPrefix(path, "/static/") {
			return true
		}
		// The network's own pages, served from the root for every member.
		for _, l := range partnerhub.Langs {
			if n.dep.IsNetwork() && (path == "/"+string(l)+"/network" || strings.HasPrefix(path, "/"+string(l)+"/network/") ||
				strings.HasPrefix(path, "/"+string(l)+"/network?")) {
				return true
			}
		}
		return false
	}
	read := 0
	for len(queue) > 0 && read < max {
		page := queue[0]
		queue = queue[1:]
		r := n.send(t, "GET", page, nil, session)
		read++
		if r.status >= 500 {
			t.Errorf("GET %s: %d %.300s", page, r.status, r.body)
		}
		// Every absolute address of this site in the body is the member's.
		for _, i := range regexp.MustCompile(regexp.QuoteMeta(netBase)+`[^"'\s<>)]*`).FindAllStringIndex(r.body, -1) {
			abs := r.body[i[0]:i[1]]
			if !strings.HasPrefix(abs, netBase+prefix+"/") && abs != netBase+prefix {
				outside[abs] = append(outside[abs], page)
			}
		}
		var links []string
		if loc := r.header.Get("Location"); loc != "" {
			links = append(links, loc)
		}
		ct := r.header.Get("Content-Type")
		if strings.HasPrefix(ct, "text/html") {
			for _, m := range linkAttr.FindAllStringSubmatch(r.body, -1) {
				links = append(links, html.UnescapeString(m[2]))
			}
			for _, tag := range absoluteLinks.FindAllString(r.body, -1) {
				if m := linkValue.FindStringSubmatch(tag); m != nil {
					if abs := html.UnescapeString(m[1]); !strings.HasPrefix(abs, netBase+prefix+"/") {
						outside[abs] = append(outside[abs], page+" (canonical, alternate or og:url)")
					}
				}
			}
		}
		pageURL, _ := url.Parse(n.URL + page)
		for _, l := range links {
			if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "mailto:") || strings.HasPrefix(l, "data:") ||
				strings.HasPrefix(l, "javascript:") || strings.HasPrefix(l, "tel:") {
				continue
			}
			u, err := url.Parse(l)
			if err != nil {
				t.Errorf("%s: a link that is no URL: %q", page, l)
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				// Another site's, or this one's written absolute.
				if u.Host != base.Host && !strings.HasPrefix(l, netBase) {
					continue
				}
			} else if !strings.HasPrefix(u.Path, "/") && u.Path != "" {
				// A relative link resolves against the page.
				u = pageURL.ResolveReference(u)
			}
			if u.Path == "" {
				continue
			}
			if !allowed(u.Path) {
				outside[l] = append(outside[l], page)
				continue
			}
			if strings.HasPrefix(u.Path, "/static/") {
				continue
			}
			next := u.Path
			if u.RawQuery != "" {
				next += "?" + u.RawQuery
			}
			if !seen[next] && !strings.Contains(next, "/signout") {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	keys := make([]string, 0, len(outside))
	for k := range outside {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pages := slices.Compact(outside[k])
		if len(pages) > 3 {
			pages = append(pages[:3], "…")
		}
		t.Errorf("a link outside %s/: %q on %v", prefix, k, pages)
	}
	return read
}

// TestMemberLinksStayInPortal crawls a member's portal (not the first's),
// as the public and as its administrator: every link a page, a form or a
// redirect writes stays in the member's portal.
func TestMemberLinksStayInPortal(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 0)
		// kyoto has drafts, documents, a fund, a call and a proposal.
		newMemberA(t, n)
		_, admin := n.user(t, "kyoto", "admin@kyoto.example.org", partnerhub.RoleAdmin)
		starts := []string{"/kyoto/en/", "/kyoto/ja/", "/kyoto/", "/kyoto/sitemap.xml", "/kyoto/api/v1/partners", "/kyoto/api/v1/activities"}
		for _, who := range []struct {
			name    string
			session *http.Cookie
		}{{"the public", nil}, {"kyoto's admin", admin}} {
			t.Run(strings.ReplaceAll(who.name, " ", "_"), func(t *testing.T) {
				read := crawl(t, n, "/kyoto", who.session, starts, 400)
				if read < 40 {
					t.Errorf("the crawl read only %d pages", read)
				}
				t.Logf("%s: %d pages", who.name, read)
			})
		}
	})
}
