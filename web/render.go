package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"partnerhub"
	"partnerhub/i18n"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assets are the static files, each served under a URL holding a hash of
// its content, so browsers may keep them forever.
type assets struct {
	byURL  map[string]asset  // "/static/site.3f2a1b.css" -> file
	urlFor map[string]string // "site.css" -> its URL
}

type asset struct {
	body  []byte
	ctype string
}

func loadAssets() (*assets, error) {
	a := &assets{byURL: map[string]asset{}, urlFor: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		u := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}[ext]
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.byURL[u] = asset{body: b, ctype: ctype}
		a.urlFor[name] = u
		return nil
	})
	return a, err
}

// pageCacheLimit bounds the rendered pages kept per version of the data;
// filter combinations beyond it are rendered on each request.
const pageCacheLimit = 2000

// rendered is a page ready to send, plain and compressed.
type rendered struct {
	status int
	body   []byte
	gz     []byte
	etag   string
	length []string
}

// pageCache holds the pages rendered from one snapshot.
type pageCache struct {
	m sync.Map // key -> *cachedPage
	n atomic.Int64
}

// cachedPage is a page of a pageCache. The first request that asks for it
// renders it; the requests that ask meanwhile wait for that page instead of
// rendering copies of their own. After a Reload every page's cache is cold,
// and a popular page asked by 32 connections at once was rendered and
// compressed 32 times over: the map page (350 KB, and 1 MB of compressor
// tables each) took the server from 65 MB to 110 MB of RSS.
type cachedPage struct {
	ready chan struct{} // closed once the page is rendered
	c     *rendered     // nil when it could not be kept (not a 200)
	// hits counts the requests served this page, for warm to render the
	// most read again for the next version before it goes live.
	hits atomic.Int64
	// again renders the page for req from another snapshot; nil: it is
	// not rendered ahead (feeds, reports), only on demand.
	again rerender
	req   *http.Request
}

// get returns the page under key, rendered by render once for all the
// requests that ask for it; a page render cannot keep (not a 200, or the
// cache full) is rendered for each request.
func (pc *pageCache) get(key string, render func() (*rendered, error)) (*rendered, error) {
	cp, mine := pc.entry(key)
	switch {
	case cp == nil:
		return render()
	case mine:
		return pc.fill(key, cp, render)
	case cp.c != nil:
		return cp.c, nil
	}
	return render()
}

// load is get of a page that warm renders again for the next version of
// the data: again renders it for r from sn, a snapshot; the page keeps an
// anonymous copy of r for that.
func (pc *pageCache) load(key string, r *http.Request, sn *snapshot, again rerender) (*rendered, error) {
	cp, mine := pc.entry(key)
	switch {
	case cp == nil:
		return again(r, sn, nil)
	case mine:
		cp.again, cp.req = again, anonymous(r)
		return pc.fill(key, cp, func() (*rendered, error) { return again(r, sn, nil) })
	case cp.c != nil:
		return cp.c, nil
	}
	return again(r, sn, nil)
}

// entry is the page under key with the request counted, once rendered;
// mine: it is new, for the caller to fill; nil: none, and the cache is
// full.
func (pc *pageCache) entry(key string) (cp *cachedPage, mine bool) {
	cp, mine = pc.slot(key)
	if cp != nil {
		if !mine {
			<-cp.ready
		}
		cp.hits.Add(1)
	}
	return cp, mine
}

// slot is the page under key, or a new one, not counted, not waited
// for (warm's, which no reader counts on).
func (pc *pageCache) slot(key string) (cp *cachedPage, mine bool) {
	if e, ok := pc.m.Load(key); ok {
		return e.(*cachedPage), false
	}
	if pc.n.Load() >= pageCacheLimit {
		return nil, false
	}
	cp = &cachedPage{ready: make(chan struct{})}
	if e, ok := pc.m.LoadOrStore(key, cp); ok {
		return e.(*cachedPage), false
	}
	return cp, true
}

// fill renders the page of cp, keeps it if it may and wakes the waiters,
// even when render panics (net/http recovers the request, not them).
func (pc *pageCache) fill(key string, cp *cachedPage, render func() (*rendered, error)) (c *rendered, err error) {
	defer func() {
		if err == nil && c != nil && c.status == http.StatusOK {
			cp.c = c
			pc.n.Add(1)
		} else {
			pc.m.Delete(key)
		}
		close(cp.ready)
	}()
	return render()
}

// page is what a page handler returns: the template to render and its data.
type page struct {
	Template    string
	Title       string // without the site name
	Description string
	Status      int
	Data        any
	Parents     []crumb // the breadcrumbs between Home and this page; nil: from the navigation (site.go)
}

// pageHandler builds a page for a request in a language.
type pageHandler func(r *http.Request, v *view) (*page, error)

// view is what every template gets: the language, the printer, the data
// and the request's place in the site.
type view struct {
	Home      string // the home institution the page is of
	Lang      partnerhub.Lang
	Other     partnerhub.Lang
	P         *i18n.Printer
	X         *partnerhub.Index
	Path      string // path without the language prefix, e.g. "/partners"
	Query     string // raw query, kept by the language switch
	Canonical string // absolute URL of this page
	Base      string // scheme and host
	// Own: the home is the one the built-in texts describe (the home
	// page's introduction, the site's name and sponsor); other members'
	// portals show their own names instead.
	Own bool
	// Network: the deployment has a network (two enabled members or
	// more): the navigation links to its pages (web/network.go), and each
	// member's admins to its settings.
	Network bool
	// Search: the header holds the search box (Deps.Search is set).
	Search bool
	// Root is the path of the home's portal: "" for the deployment's
	// first member (its pages at /ja/, /en/), "/{slug}" for the others.
	// Every link a page writes starts with it (L).
	Root    string
	Page    *page
	Nav     string           // which navigation item is current
	User    *partnerhub.User // who is signed in; nil on public (cached) pages
	Saved   bool             // a write just succeeded
	Unread  int              // the signed-in user's unread notifications, for the header
	Notices bool             // the header links to the notifications page
	assets  *assets
	snap    *snapshot
	portals Portals // the deployment, nil for a single university
}

// Portal is the path of a member's portal in the page's language
// ("/en", "/tohoku/en"): the network's pages link to each member's.
func (v *view) Portal(member string) string {
	if v.portals == nil {
		// A single university's server: its own portal is its root.
		if member == v.Home {
			return v.L()
		}
		return "/" + member + "/" + string(v.Lang)
	}
	return v.portals.PortalPath(member) + "/" + string(v.Lang)
}

// L is the path of the page's language in the home's portal ("/en",
// "/tohoku/en"): every link to a page starts with it.
func (v *view) L() string { return v.Root + "/" + string(v.Lang) }

// pageFor wraps a page handler: it serves the page from the snapshot's cache
// or renders it, answers conditional requests, and renders errors as pages.
func (s *Server) pageFor(lang partnerhub.Lang, nav string, h pageHandler) http.Handler {
	again := s.pageRenderer(lang, nav, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasCredentials(r) {
			if u := s.user(r); u != nil {
				if s.pageGate(w, r, lang, u) {
					return
				}
				// A signed-in reader sees drafts and edit links: a page
				// of their own, never cached. A guest reads what the
				// public reads, below.
				if partnerhub.CanReadDrafts(u) {
					v := s.newPrivateView(r, lang, u)
					v.Nav = nav
					s.answer(w, r, v, func(_ http.ResponseWriter, r *http.Request, v *view) (*page, error) { return h(r, v) })
					return
				}
			}
		}
		snap := s.snap.Load()
		// Only what varies the page: its language, path and query. Never
		// the Host or another header the client chooses, which would let
		// anyone fill the cache with copies of one page.
		key := string(lang) + "|" + r.URL.Path + "?" + r.URL.RawQuery
		c, err := snap.pages.load(key, r, snap, again)
		if err != nil {
			http.Error(w, "500", http.StatusInternalServerError)
			return
		}
		s.writePage(w, r, lang, c, snap)
	})
}

// pageRenderer renders the page of h for a request from a snapshot, for
// the page cache; prev is the page in the snapshot before.
func (s *Server) pageRenderer(lang partnerhub.Lang, nav string, h pageHandler) rerender {
	return func(r *http.Request, sn *snapshot, prev *rendered) (*rendered, error) {
		v := s.newView(r, lang, nav, sn)
		p, err := h(r, v)
		if err != nil {
			s.logRefusal(r, err)
			p = s.errorPage(v, err)
		}
		c, err := s.render(v, p)
		if err != nil {
			s.deps.Logger.Error("page render failed", "path", r.URL.Path, "template", p.Template, "err", err)
			return nil, err
		}
		if c = sameAs(c, prev); c != prev && c.status == http.StatusOK {
			c.gz = s.gzipped(c.body)
		}
		return c, nil
	}
}

func (s *Server) newView(r *http.Request, lang partnerhub.Lang, nav string, snap *snapshot) *view {
	other := partnerhub.Japanese
	if lang == partnerhub.Japanese {
		other = partnerhub.English
	}
	p := strings.TrimPrefix(r.URL.Path, "/"+string(lang)) // the member's prefix is stripped already
	if p == "" {
		p = "/"
	}
	// Absolute links name the site by its configured URL: the Host header
	// is the client's to choose, and cached pages are shared by everyone.
	base := s.deps.BaseURL
	canonical := base + s.deps.Prefix + r.URL.Path
	if r.URL.RawQuery != "" {
		canonical += "?" + r.URL.RawQuery
	}
	return &view{Home: s.home(r), Lang: lang, Other: other, P: s.deps.Messages.Printer(lang), X: snap.index, Path: p, Query: r.URL.RawQuery,
		Canonical: canonical, Base: base, Root: s.deps.Prefix, Network: s.networkOn(r.Context()), Search: s.deps.Search != nil, Own: s.deps.ContentHome == "" || s.deps.ContentHome == s.deps.Home, Nav: nav, assets: s.assets, snap: snap, portals: s.deps.Portals}
}

// newPrivateView is the view of a page for one signed-in user: drafts
// included.
func (s *Server) newPrivateView(r *http.Request, lang partnerhub.Lang, u *partnerhub.User) *view {
	snap := s.full.Load()
	if !partnerhub.CanReadDrafts(u) {
		snap = s.snap.Load() // a guest reads what the public does
	}
	v := s.newView(r, lang, "", snap)
	v.User = u
	v.Saved = r.URL.Query().Get("saved") == "1"
	if v.Saved {
		// The language switch and canonical link leave the notice behind.
		q := r.URL.Query()
		q.Del("saved")
		v.Query = q.Encode()
	}
	return v
}

// answer runs a handler of a page for one person and sends the page, or
// the handler's error as a page: the one place such errors are rendered.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, v *view, h privateHandler) {
	p, err := h(w, r, v)
	if err != nil {
		s.logRefusal(r, err)
		p = s.errorPage(v, err)
	}
	if p != nil {
		s.privatePage(w, r, v, p)
	}
}

// render executes a page's template into a cacheable response.
func (s *Server) render(v *view, p *page) (*rendered, error) {
	v.Page = p
	// The layout until the content, the page's content, the rest of the
	// layout, one after the other into one buffer (parseTemplates says why
	// they are apart).
	var buf bytes.Buffer
	for _, name := range [...]string{"layout", contentPrefix + p.Template, "layout-end"} {
		if err := s.templates.ExecuteTemplate(&buf, name, v); err != nil {
			return nil, err
		}
	}
	c := &rendered{status: p.Status, body: buf.Bytes()}
	if c.status == 0 {
		c.status = http.StatusOK
	}
	sum := sha256.Sum256(c.body)
	c.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	c.length = []string{strconv.Itoa(len(c.body))}
	// No compressed copy here: a page for one signed-in reader, or an
	// error, is sent once and plain; pageFor compresses what it may keep.
	return c, nil
}

// gzipped is b compressed, for a response sent many times. A gzip.Writer
// at BestCompression allocates about 1 MB of tables (window, hash chains),
// more than most pages it compresses: the writers are reused.
func (s *Server) gzipped(b []byte) []byte {
	var gz bytes.Buffer
	zw, _ := s.gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&gz, gzip.BestCompression)
	} else {
		zw.Reset(&gz)
	}
	zw.Write(b)
	zw.Close()
	s.gzips.Put(zw)
	return gz.Bytes()
}

var (
	hdrHTML = []string{"text/html; charset=utf-8"}
	// A public page is answered so to anyone without a session: one with
	// a session gets a page of their own.
	hdrVary = []string{"Accept-Encoding, Authorization, Cookie"}
)

func (s *Server) writePage(w http.ResponseWriter, r *http.Request, lang partnerhub.Lang, c *rendered, snap *snapshot) {
	h := w.Header()
	h["Content-Type"] = hdrHTML
	h["Cache-Control"] = hdrNoCache
	h["X-Content-Type-Options"] = hdrNosniff
	h["Vary"] = hdrVary
	h["Content-Language"] = snap.langHeader[lang]
	h["Last-Modified"] = snap.lastModified
	// The language of a page read is the reader's choice: remember it for "/".
	name := s.langCookieName(r)
	if ck, err := r.Cookie(name); err != nil || ck.Value != string(lang) {
		http.SetCookie(w, &http.Cookie{Name: name, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: name == secureLangCookie})
	}
	if c.status != http.StatusOK {
		if c.status == http.StatusServiceUnavailable {
			h.Set("Retry-After", retryAfter)
		}
		w.WriteHeader(c.status)
		w.Write(c.body)
		return
	}
	h["Etag"] = []string{c.etag}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if etagMatch(inm, c.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !snap.loaded.Truncate(time.Second).After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// A page rendered for one request has no compressed copy (render).
	if len(c.gz) > 0 && len(c.gz) < len(c.body) && acceptsGzip(r) {
		h["Content-Encoding"] = []string{"gzip"}
		h["Content-Length"] = []string{strconv.Itoa(len(c.gz))}
		w.Write(c.gz)
		return
	}
	h["Content-Length"] = c.length
	w.Write(c.body)
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

const langCookie = "lang"

// templateFuncs are the helpers every template may use.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"T": func(v *view, key string, args ...any) string { return v.P.T(key, args...) },
		// tx is a Text in the page's language; a text shown in the other
		// language for want of a translation is marked with its lang.
		"tx":  textHTML,
		"txt": func(v *view, t partnerhub.Text) string { s, _ := t.In(v.Lang); return s },
		// alt is a Text in the other language, marked with its lang.
		"alt": func(v *view, t partnerhub.Text) template.HTML {
			s, fallback := t.In(v.Other)
			if fallback || s == "" {
				return ""
			}
			return template.HTML(`<span lang="` + string(v.Other) + `">` + template.HTMLEscapeString(s) + `</span>`)
		},
		"u":     func(v *view, p string) string { return v.L() + p },
		"asset": func(v *view, name string) string { return v.assets.urlFor[name] },
		"date":  formatDate,
		// jst is a moment as the programme's office reads it: Tokyo time.
		"jst":       func(t time.Time) string { return t.In(partnerhub.Japan).Format("2006-01-02 15:04 JST") },
		"when":      formatWhen,
		"count":     count,
		"country":   countryName,
		"breakable": breakable,
		"place":     place,
		// en is a name written in English only (a partner's short name):
		// on a page in another language it is marked lang="en", so that
		// it is read, spoken and broken as English.
		"en": func(v *view, s string) template.HTML {
			if v.Lang == partnerhub.English || s == "" {
				return template.HTML(template.HTMLEscapeString(s))
			}
			return template.HTML(`<span lang="en">` + template.HTMLEscapeString(s) + `</span>`)
		},
		// download is the address of a list's download in a format, with
		// the page's filters: re-encoded here, since html/template would
		// escape a raw query's "=" and "&" inside the link.
		// kv are more parameters, set when not empty.
		"download": func(v *view, list, format, query string, kv ...string) template.URL {
			q, _ := url.ParseQuery(query)
			q.Del("page")
			q.Set("format", format)
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					q.Set(kv[i], kv[i+1])
				}
			}
			return template.URL(v.L() + "/export/" + list + "?" + q.Encode())
		},
		"query": func(kv ...string) template.URL {
			q := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					q.Set(kv[i], kv[i+1])
				}
			}
			if len(q) == 0 {
				return ""
			}
			return template.URL("?" + q.Encode())
		},
		"historyURL": historyURL,
		"add":        func(a, b int) int { return a + b },
		"str":        func(v any) string { return fmt.Sprint(v) },
		"seq":        func(vs ...any) []any { return vs },
		"stepField":  stepField,
		"selected":   Selected,
		// num writes a count for the reader (1,234): every number a page
		// shows goes through the Printer, as messages' {0, number} do.
		"num": func(v *view, n any) string { return v.P.Num(n) },
		"first": func(vs []string) string {
			if len(vs) == 0 {
				return ""
			}
			return vs[0]
		},
		"has":       func(vs []string, v string) bool { return slices.Contains(vs, v) },
		"hasPrefix": strings.HasPrefix,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"tierstr": func(t *partnerhub.Tier) string {
			if t == nil {
				return ""
			}
			return string(*t)
		},
	}
}

// textHTML is a Text in the page's language; a text shown in the other
// language for want of a translation is marked with its lang.
func textHTML(v *view, t partnerhub.Text) template.HTML {
	s, fallback := t.In(v.Lang)
	if fallback {
		return template.HTML(`<span lang="` + string(v.Other) + `" class="fallback" title="` +
			template.HTMLEscapeString(v.P.T("label.untranslated")) + `">` + template.HTMLEscapeString(s) + `</span>`)
	}
	return template.HTML(template.HTMLEscapeString(s))
}

// breakable is a Japanese institution's name with the places it may
// break marked <wbr>: after 大学 when a campus or school follows
// (カリフォルニア大学/バークレー校) and after a middle dot (チリ・/メキシコ大学群).
// The browser's phrase analysis keeps such a name in one piece and, where
// it does not fit, breaks it anywhere; a column that shows names in a
// narrow space keeps them whole (keep-all) but for these breaks.
func breakable(v *view, t partnerhub.Text) template.HTML {
	s, fallback := t.In(v.Lang)
	if v.Lang != partnerhub.Japanese || fallback {
		return textHTML(v, t)
	}
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		b.WriteString(template.HTMLEscapeString(string(r)))
		rest := len(rs) - i - 1
		if r == '・' && rest > 0 || r == '学' && i > 0 && rs[i-1] == '大' && rest >= 2 {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// countryName is a country's name in the page's language.
func countryName(v *view, code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if v.Lang == partnerhub.Japanese {
		// CLDR writes a few Japanese names with ASCII parentheses
		// (ミャンマー (ビルマ)); Japanese text takes full-width ones.
		return strings.NewReplacer(" (", "（", "(", "（", ")", "）").Replace(display.Japanese.Regions().Name(r))
	}
	return display.English.Regions().Name(r)
}

// cityMark stands for the city in label.place while the message is
// escaped: a private-use character, which no message or name holds.
const cityMark = "\ue000"

// place is a city and its country in the order and punctuation of the
// page's language (Seoul, South Korea; 韓国・ソウル), or the country alone.
// The city keeps the mark of a missing translation.
func place(v *view, city partnerhub.Text, country string) template.HTML {
	c := countryName(v, country)
	if city.IsZero() {
		return template.HTML(template.HTMLEscapeString(c))
	}
	s := template.HTMLEscapeString(v.P.T("label.place", cityMark, c))
	return template.HTML(strings.Replace(s, cityMark, string(textHTML(v, city)), 1))
}

// formatDate writes a partial date at its precision, in the reader's language.
func formatDate(v *view, d partnerhub.PartialDate) string {
	if d.IsZero() {
		return ""
	}
	switch d.Precision() {
	case partnerhub.YearPrecision:
		return v.P.T("date.year", d.Year)
	case partnerhub.MonthPrecision:
		return v.P.T("date.month", d.Year, v.P.T(fmt.Sprintf("month.%d", d.Month)), d.Month)
	}
	return v.P.T("date.day", d.Year, v.P.T(fmt.Sprintf("month.%d", d.Month)), d.Month, d.Day)
}

// formatWhen writes an activity's dates: a fiscal year, a range or one date,
// or the phase when that is all the source gives; "" when it gives none.
func formatWhen(v *view, a *partnerhub.Activity) string {
	switch {
	case a.FiscalYear:
		return v.P.T("date.fiscal_year", a.Start.Year)
	case a.Start.IsZero() && a.Phase != 0:
		return v.P.T("date.phase", a.Phase)
	case a.Start.IsZero():
		return "" // nothing to say: the page shows no date
	case a.End.IsZero() || a.End == a.Start:
		return formatDate(v, a.Start)
	}
	return v.P.T("date.range", formatDate(v, a.Start), formatDate(v, a.End))
}

// contentPrefix names a page's content in the one template set: the
// content of templates/partners.html is "content/partners".
const contentPrefix = "content/"

// parseTemplates parses the layout, the shared templates and every page's
// content into ONE set. Each page file defines "content", which is renamed
// contentPrefix+page here; render executes "layout", the content, then
// "layout-end".
//
// Why one set: html/template cannot share parse trees between sets (Clone
// copies them, since escaping rewrites them), and a set per page parsed the
// layout and every shared template once per page: 34 copies, some 7 MB of
// the server's live heap, which the garbage collector's pacing then doubles
// into peak memory (bench/http.sh's peak RSS bar). One set holds one copy.
func parseTemplates() (*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// layout.html and the files named _*.html hold the templates the
	// layout and every page share (breadcrumbs, legends); the other files
	// are pages.
	var shared, pages []string
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			shared = append(shared, n)
		} else {
			pages = append(pages, n)
		}
	}
	// missingkey=error: a page whose data is a map (the private pages
	// built elsewhere) fails on a misspelt key as a struct does on a
	// misspelt field, instead of printing nothing.
	set, err := template.New("layout.html").Funcs(templateFuncs()).Option("missingkey=error").ParseFS(templateFS, shared...)
	if err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	for _, name := range []string{"layout", "layout-end"} {
		if set.Lookup(name) == nil {
			return nil, fmt.Errorf("layout: no template %q", name)
		}
	}
	for _, n := range pages {
		name := strings.TrimSuffix(path.Base(n), ".html")
		src, err := templateFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		// Parsed on its own first, so that its "content" can take its
		// page's name in the set.
		t, err := template.New(path.Base(n)).Funcs(templateFuncs()).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("%s: no template \"content\"", n)
		}
		for _, d := range t.Templates() {
			dn := d.Name()
			switch {
			case dn == path.Base(n) || d.Tree == nil:
				continue // the file's text outside its templates: never executed
			case dn == "content":
				dn = contentPrefix + name
			case set.Lookup(dn) != nil:
				// Pages shared one name space with the layout before too:
				// a second definition would silently replace the first.
				return nil, fmt.Errorf("%s: template %q is defined elsewhere too", n, dn)
			}
			if _, err := set.AddParseTree(dn, d.Tree); err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return set, nil
}

// historyURL is the link to a record's history, or "" when its key would
// not survive the router's cleaning of paths: a single sign-on record's key
// holds its provider's URL ("https://idp..."), whose "//" the router would
// fold and redirect away from the portal. Such records are read in the
// audit log instead.
func historyURL(v *view, entity partnerhub.Entity, key string) string {
	p := "/" + string(v.Lang) + "/history/" + string(entity) + "/" + key
	if key == "" || path.Clean(p) != p {
		return ""
	}
	return v.L() + "/history/" + string(entity) + "/" + key
}
