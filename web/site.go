package web

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"

	"partnerhub"
)

// What every institutional site has besides its pages: breadcrumbs, the
// office's name in the footer, a privacy page, a favicon, sitemap.xml and
// robots.txt.

// crumb is one step of a page's breadcrumbs.
type crumb struct {
	Label string
	Href  string // "" for the page itself
}

// Breadcrumbs are Home, the page's parents and the page itself. The home
// page has none: a trail of one step leads nowhere. A page that does not
// name its parents is under its navigation section, unless it is that
// section's own page.
func (v *view) Breadcrumbs() []crumb {
	if v.Page == nil || v.Page.Template == "home" {
		return nil
	}
	out := []crumb{{Label: v.P.T("nav.home"), Href: v.L() + "/"}}
	parents := v.Page.Parents
	if parents == nil && v.Nav != "" && v.Nav != "home" && v.Path != "/"+v.Nav {
		parents = []crumb{{Label: v.P.T("nav." + v.Nav), Href: v.L() + "/" + v.Nav}}
	}
	out = append(out, parents...)
	return append(out, crumb{Label: v.Page.Title})
}

// Owner is the home institution that runs the programme, from the data:
// the footer's copyright and contact name it.
// SiteName is the site's name in the page's language: the built-in one
// for the home the built-in texts describe, else the home's own.
func (v *view) SiteName() string {
	if v.Own {
		return v.P.T("site.name")
	}
	name, _ := v.Owner().Name.In(v.Lang)
	prog, _ := v.X.Catalog().Home.Programme.In(v.Lang)
	return v.P.T("site.member_name", name, prog)
}

func (v *view) Owner() *partnerhub.Institution {
	if in, ok := v.X.Institution(v.X.Catalog().Home.Institution); ok {
		return in
	}
	return &partnerhub.Institution{}
}

// PrintedOn is the date the page was rendered, printed at its foot with
// its address so that a paper copy says where and when it came from.
// Pages are cached per version of the data, and a version is rendered
// again whenever the data changes, so the date is one on which the
// content was current.
func (v *view) PrintedOn() string {
	t := v.snap.loaded.UTC()
	return formatDate(v, partnerhub.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()})
}

type privacyData struct {
	Office  string
	Website string
}

func (s *Server) privacyPage(r *http.Request, v *view) (*page, error) {
	return &page{Template: "privacy", Title: v.P.T("privacy.title"), Description: v.P.T("privacy.description"),
		Data: &privacyData{Office: v.P.T("site.office"), Website: v.Owner().Website}}, nil
}

// publicPaths are every public page, without the language prefix: the
// lists, and each partner, unit and activity the public data holds.
func publicPaths(x *partnerhub.Index) []string {
	paths := []string{"/", "/partners", "/units", "/matrix", "/map", "/phases", "/activities", "/agreements", "/stats", "/privacy"}
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		paths = append(paths, "/partners/"+p.Slug, "/stats/partners/"+p.Slug)
	}
	for _, u := range x.Units() {
		paths = append(paths, "/units/"+u.Code, "/stats/units/"+u.Code)
	}
	for _, a := range x.Activities(partnerhub.ActivityFilter{}) {
		paths = append(paths, "/activities/"+a.Slug)
	}
	for _, a := range x.Catalog().Agreements {
		paths = append(paths, "/agreements/"+a.Slug)
	}
	return paths
}

// callPaths are the pages of the joint funds' calls: the list and every
// published call (never a draft).
func (s *Server) callPaths(r *http.Request) ([]string, error) {
	if s.deps.Funds == nil {
		return nil, nil
	}
	calls, err := s.deps.Funds.Calls(r.Context(), nil, s.home(r), partnerhub.CallFilter{Public: true})
	if err != nil {
		return nil, err
	}
	paths := []string{"/calls"}
	for _, c := range calls {
		paths = append(paths, c.Path())
	}
	return paths, nil
}

// The sitemap protocol's urlset, with the alternates of each page in the
// other language (xhtml:link, as search engines read them).
type sitemapSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	XHTML   string       `xml:"xmlns:xhtml,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc   string        `xml:"loc"`
	Links []sitemapLink `xml:"xhtml:link"`
}

type sitemapLink struct {
	Rel      string `xml:"rel,attr"`
	Hreflang string `xml:"hreflang,attr"`
	Href     string `xml:"href,attr"`
}

// sitemap lists every public page in both languages, each with its
// alternates, from the configured base URL: never from the Host header.
// It is built from the public snapshot, so drafts never appear.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) {
	set := sitemapSet{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}
	base := s.base()
	paths := publicPaths(s.snap.Load().index)
	calls, err := s.callPaths(r)
	if err != nil {
		s.failPlain(w, r, err)
		return
	}
	for _, p := range slices.Concat(paths, calls, s.fundPublicPaths(r)) {
		var links []sitemapLink
		for _, l := range partnerhub.Langs {
			links = append(links, sitemapLink{Rel: "alternate", Hreflang: string(l), Href: base + "/" + string(l) + p})
		}
		if p == "/" {
			// Only the root chooses a language for the reader.
			links = append(links, sitemapLink{Rel: "alternate", Hreflang: "x-default", Href: base + "/"})
		}
		for _, l := range partnerhub.Langs {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + "/" + string(l) + p, Links: links})
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(set); err != nil {
		s.deps.Logger.Error("sitemap failed", "err", err)
		http.Error(w, "500", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}

// robots lets crawlers read the portal, keeps them out of the pages of
// signed-in work, the downloads and the API, and points at the sitemap.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	// The other members' portals (/{slug}/…) are kept out of the same
	// pages by the patterns with a leading /*.
	prefixes := []string{""}
	if s.deps.Portals != nil && s.deps.Portals.IsNetwork() {
		prefixes = append(prefixes, "/*")
	}
	for _, pre := range prefixes {
		b.WriteString("Disallow: " + pre + "/api/\n")
		for _, l := range partnerhub.Langs {
			for _, p := range []string{"edit/", "history/", "admin/", "account", "signin", "export/", "mobility/"} {
				b.WriteString("Disallow: " + pre + "/" + string(l) + "/" + p + "\n")
			}
		}
	}
	b.WriteString("\nSitemap: " + s.base() + "/sitemap.xml\n")
	if s.deps.Portals != nil {
		for _, m := range s.deps.Portals.Members() {
			if !m.Disabled && m.Slug != s.deps.Home && m.Host == "" {
				b.WriteString("Sitemap: " + s.deps.BaseURL + s.deps.Portals.PortalPath(m.Slug) + "/sitemap.xml\n")
			}
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(b.String()))
}

// favicon answers browsers that ask for /favicon.ico without reading the
// page's icon link: with the same SVG icon.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets.byURL[s.assets.urlFor["favicon.svg"]]
	if !ok {
		s.bilingualNotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(a.body)
}
