package web

// Search: the page /{lang}/search and the box every page's header holds
// (the API is search_api.go). The index is Deps.Search's (the store's);
// this file reads the query, asks it once, and writes the answer.

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"partnerhub"
)

// Hits per kind: a few of each on the page of every kind (each kind's tab
// lists more), many on a kind's own tab.
const (
	searchPerKind = 5
	searchOneKind = 50
)

// searchParams are the page's parameters; the API adds limit.
var searchParams = []string{"q", "kind", "year"}

// searchQuery reads a search from a query string: q, kind (one kind or
// several, comma-separated or repeated), year; every problem is a field
// error, and nothing is searched.
func searchQuery(q url.Values, allowed []string) (partnerhub.SearchQuery, error) {
	errs := params(q, allowed...)
	sq := partnerhub.SearchQuery{Text: single(q, errs, "q")}
	for _, v := range q["kind"] {
		for k := range strings.SplitSeq(v, ",") {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			kind, ok := partnerhub.ParseSearchKind(k)
			if !ok {
				errs.Add("kind", "one_of", strings.Join(searchKindNames(), ", "))
				continue
			}
			if !slices.Contains(sq.Kinds, kind) {
				sq.Kinds = append(sq.Kinds, kind)
			}
		}
	}
	if v := single(q, errs, "year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs.Add("year", "error.search_year", v)
		}
		sq.Year = n
	}
	if slices.Contains(allowed, "limit") {
		if v := single(q, errs, "limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				n = -1 // Validate names it
			}
			sq.Limit = n
		}
	}
	return sq, merge(errs, sq.Validate())
}

func searchKindNames() []string {
	names := make([]string, len(partnerhub.SearchKinds))
	for i, k := range partnerhub.SearchKinds {
		names[i] = string(k)
	}
	return names
}

// searchDrafts: the searcher sees the home's drafts when they may read
// drafts and are of this home (s.user knows no one of another home, and
// the check is repeated here so that it never rests on that alone).
func (s *Server) searchDrafts(r *http.Request, u *partnerhub.User) bool {
	return u != nil && u.Home == s.home(r) && partnerhub.CanReadDrafts(u)
}

// searchPage serves the search page to everyone, rendered for each
// request and never stored (answer sends it no-store): a query is not a
// page worth keeping, and a signed-in reader's holds drafts.
func (s *Server) searchPage(lang partnerhub.Lang) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.liveView(w, r, lang, "search")
		if !ok {
			return
		}
		s.answer(w, r, v, func(_ http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			if s.deps.Search == nil {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			return s.searchResults(r, v)
		})
	})
}

// searchData is what search.html shows.
type searchData struct {
	Q, Kind, Year string            // as typed
	Errors        map[string]string // field → message; nothing was searched
	Ran           bool              // a query was searched
	Total         int               // hits of the kind shown (every kind on the first tab)
	// Heading is "N results for “q”" around the query, which is written
	// apart (in QLang when it is not the page's language).
	Heading [2]string
	QLang   partnerhub.Lang
	Tabs    []searchTab
	Groups  []searchGroup
	// Without are the addresses of the same search without its kind
	// filter and without its year: the empty answer offers them.
	WithoutKind, WithoutYear string
	Years                    []int // offered in the year filter
	// OtherYear is a valid year asked for that Years does not offer.
	OtherYear string
	Kinds     []partnerhub.SearchKind
}

type searchTab struct {
	Kind    partnerhub.SearchKind // "": every kind
	Count   int
	Href    string
	Current bool
}

type searchGroup struct {
	Kind  partnerhub.SearchKind
	Count int
	Hits  []searchItem
	More  string // the kind's own tab, when it holds more than shown
}

type searchItem struct {
	partnerhub.SearchHit
	Href string // "": no page to link to
	// Alt: the title has a translation of its own, shown below it.
	Alt bool
	// SnippetLang is the snippet's language when it is not the page's.
	SnippetLang partnerhub.Lang
}

// scriptLang is the language a text is written in, as far as its script
// tells: Japanese with any kana or kanji, else English. The index chooses
// a snippet's language, and a passage found in the other language is
// marked as such for screen readers and line breaking.
func scriptLang(s string) partnerhub.Lang {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return partnerhub.Japanese
		}
	}
	return partnerhub.English
}

func (s *Server) searchResults(r *http.Request, v *view) (*page, error) {
	q := r.URL.Query()
	d := &searchData{Q: q.Get("q"), Kind: q.Get("kind"), Year: q.Get("year")}
	p := &page{Template: "search", Title: v.P.T("search.title"), Description: v.P.T("search.description"), Data: d}
	sq, err := searchQuery(q, searchParams)
	d.Errors, err = fieldErrors(v, err)
	if err != nil {
		return nil, err
	}
	if d.Errors == nil && len(sq.Kinds) > 1 {
		// The page filters by one kind (its tabs); several are the API's.
		d.Errors = map[string]string{"kind": v.P.T("search.one_kind")}
	}
	d.Years, d.Kinds = searchYears(v), partnerhub.SearchKinds
	if sq.Year != 0 && d.Errors == nil && !slices.Contains(d.Years, sq.Year) {
		d.OtherYear = strconv.Itoa(sq.Year)
	}
	if d.Errors != nil {
		p.Status = http.StatusBadRequest
		return p, nil
	}
	d.Q = strings.TrimSpace(d.Q)
	if d.Q == "" {
		return p, nil
	}
	p.Title = v.P.T("search.title_for", d.Q)
	// One search of every kind: the tabs count each kind, and a kind's
	// tab shows that kind's hits from the same answer.
	kind := partnerhub.SearchKind("")
	if len(sq.Kinds) == 1 {
		kind = sq.Kinds[0]
	}
	sq.Kinds, sq.Lang, sq.Drafts = nil, v.Lang, s.searchDrafts(r, v.User)
	sq.Limit = searchPerKind
	if kind != "" {
		sq.Limit = searchOneKind
	}
	res, err := s.deps.Search.Search(r.Context(), v.Home, sq)
	if err != nil {
		return nil, err
	}
	d.Ran = true
	link := func(kind partnerhub.SearchKind, year string) string {
		lq := url.Values{"q": {d.Q}}
		if kind != "" {
			lq.Set("kind", string(kind))
		}
		if year != "" {
			lq.Set("year", year)
		}
		return v.L() + "/search?" + lq.Encode()
	}
	all := 0
	for _, k := range partnerhub.SearchKinds {
		all += res.Counts[k]
	}
	d.Tabs = append(d.Tabs, searchTab{Count: all, Href: link("", d.Year), Current: kind == ""})
	for _, k := range partnerhub.SearchKinds {
		if n := res.Counts[k]; n > 0 || k == kind {
			d.Tabs = append(d.Tabs, searchTab{Kind: k, Count: n, Href: link(k, d.Year), Current: k == kind})
		}
	}
	d.Total = all
	if kind != "" {
		d.Total = res.Counts[kind]
		d.WithoutKind = link("", d.Year)
	}
	before, after, _ := strings.Cut(v.P.T("search.heading", d.Total, "\x00"), "\x00")
	d.Heading = [2]string{before, after}
	if l := scriptLang(d.Q); l != v.Lang {
		d.QLang = l
	}
	if d.Year != "" {
		d.WithoutYear = link(kind, "")
	}
	inst := institutionPartners(v)
	for _, h := range res.Hits {
		if kind != "" && h.Kind != kind {
			continue
		}
		if n := len(d.Groups); n == 0 || d.Groups[n-1].Kind != h.Kind {
			g := searchGroup{Kind: h.Kind, Count: res.Counts[h.Kind]}
			d.Groups = append(d.Groups, g)
		}
		g := &d.Groups[len(d.Groups)-1]
		here, _ := h.Title.In(v.Lang)
		other, fallback := h.Title.In(v.Other)
		it := searchItem{SearchHit: h, Href: searchHref(v, h, inst), Alt: !fallback && other != "" && other != here}
		var snippet strings.Builder
		for _, m := range h.Snippet {
			snippet.WriteString(m.Text)
		}
		if l := scriptLang(snippet.String()); l != v.Lang {
			it.SnippetLang = l
		}
		g.Hits = append(g.Hits, it)
	}
	for i := range d.Groups {
		g := &d.Groups[i]
		if kind == "" && g.Count > len(g.Hits) {
			g.More = link(g.Kind, d.Year)
		}
	}
	return p, nil
}

// searchYears are the years the year filter offers: from the first
// phase's to this year or the last phase's, newest first.
func searchYears(v *view) []int {
	lo, hi := 0, time.Now().Year()
	for _, ph := range v.X.Phases() {
		if lo == 0 || ph.StartYear < lo {
			lo = ph.StartYear
		}
		hi = max(hi, ph.EndYear)
	}
	var ys []int
	for y := hi; y >= lo && y > 0; y-- {
		ys = append(ys, y)
	}
	return ys
}

// institutionPartners maps an institution to the partnership that shows
// it: the partner of that one institution, else a group it belongs to.
func institutionPartners(v *view) map[string]string {
	m := map[string]string{}
	for _, p := range v.X.Catalog().Partners {
		for _, inst := range p.Members {
			if _, ok := m[inst]; !ok || p.Kind == partnerhub.PartnerInstitution {
				m[inst] = p.Slug
			}
		}
	}
	return m
}

// searchHref is the page of a hit in the reader's portal and language;
// "" when it has none here (an institution of the shared registry that
// no partnership of this home names, outside a network).
func searchHref(v *view, h partnerhub.SearchHit, inst map[string]string) string {
	key := h.Key
	switch h.Kind {
	case partnerhub.SearchPartner:
		return v.L() + "/partners/" + url.PathEscape(key)
	case partnerhub.SearchInstitution:
		if p, ok := inst[key]; ok {
			return v.L() + "/partners/" + url.PathEscape(p)
		}
		if v.Network {
			return v.L() + "/network/institutions/" + url.PathEscape(key)
		}
		return ""
	case partnerhub.SearchUnit:
		return v.L() + "/units/" + url.PathEscape(key)
	case partnerhub.SearchActivity:
		return v.L() + "/activities/" + url.PathEscape(key)
	case partnerhub.SearchAgreement:
		return v.L() + "/agreements/" + url.PathEscape(key)
	case partnerhub.SearchCall:
		fund, number, ok := strings.Cut(key, "/")
		if !ok {
			return ""
		}
		return v.L() + "/calls/" + url.PathEscape(fund) + "/" + url.PathEscape(number)
	case partnerhub.SearchProject:
		// A project's page is its id's; a key "fund/id" names it too.
		id := key[strings.LastIndexByte(key, '/')+1:]
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return ""
		}
		return v.L() + "/projects/" + id
	case partnerhub.SearchNote:
		return practicePath(v, "/"+url.PathEscape(key))
	}
	return ""
}
