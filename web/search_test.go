package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// searchAPI is GET /api/v1/search with query, as role's token ("nobody":
// none).
func (ts *tenants) searchAPI(t *testing.T, role, query string) (int, *partnerhub.SearchResults, apiError) {
	t.Helper()
	r := ts.call(t, role, "GET", "/api/v1/search?"+query, nil)
	var res partnerhub.SearchResults
	var e apiError
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &res); err != nil {
			t.Fatalf("search %s: %v in %s", query, err, r.body)
		}
	} else if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("search %s: %d %v in %s", query, r.status, err, r.body)
	}
	return r.status, &res, e
}

func hitKeys(res *partnerhub.SearchResults, kind partnerhub.SearchKind) []string {
	var keys []string
	for _, h := range res.Hits {
		if h.Kind == kind {
			keys = append(keys, h.Key)
		}
	}
	return keys
}

// markRE finds the words a snippet marks.
var markRE = regexp.MustCompile(`<mark>([^<]*)</mark>`)

// TestSearch: the search page and its API on the real index, both
// engines: names in either language from either language's page, the
// kind and year filters and the counts, the matches marked, bad input
// refused at its field in the reader's language, the box on every page,
// and drafts: the home's for its signed-in office only, another member's
// never.
func TestSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newTenants(t, e)
		ctx := context.Background()
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		page := func(path string, cookie *http.Cookie) reply {
			t.Helper()
			if cookie != nil {
				return ts.send(t, "GET", path, nil, cookie)
			}
			return ts.send(t, "GET", path, nil)
		}

		t.Run("a partner by its Japanese and English names from both pages", func(t *testing.T) {
			for _, lang := range []string{"ja", "en"} {
				for _, q := range []string{"清華", "Tsinghua", "ストックホルム", "Stockholm"} {
					want := "/" + lang + "/partners/tsinghua"
					if !strings.Contains(q, "清華") && q != "Tsinghua" {
						want = "/" + lang + "/partners/stockholm"
					}
					r := page("/"+lang+"/search?q="+url.QueryEscape(q), nil)
					if r.status != http.StatusOK || !strings.Contains(r.body, `href="`+want+`"`) {
						t.Errorf("/%s/search?q=%s: %d, no link to %s", lang, q, r.status, want)
					}
					if !strings.Contains(r.body, `<h2 id="sg-partner">`) {
						t.Errorf("/%s/search?q=%s: no group of partners", lang, q)
					}
				}
			}
			status, res, _ := ts.searchAPI(t, "nobody", "q="+url.QueryEscape("清華")+"&lang=en")
			if status != http.StatusOK || !slices.Contains(hitKeys(res, partnerhub.SearchPartner), "tsinghua") || res.Counts[partnerhub.SearchPartner] < 1 {
				t.Errorf("API 清華: %d %+v", status, res)
			}
		})

		t.Run("the matches are marked", func(t *testing.T) {
			r := page("/en/search?q=Stockholm", nil)
			marks := markRE.FindAllStringSubmatch(r.body, -1)
			if len(marks) == 0 {
				t.Fatalf("no <mark> on /en/search?q=Stockholm")
			}
			for _, m := range marks {
				if !strings.EqualFold(m[1], "Stockholm") && !strings.HasPrefix(strings.ToLower(m[1]), "stockholm") {
					t.Errorf("marked %q for Stockholm", m[1])
				}
			}
			_, res, _ := ts.searchAPI(t, "nobody", "q=Stockholm")
			hit := false
			for _, h := range res.Hits {
				for _, m := range h.Snippet {
					hit = hit || m.Hit
				}
			}
			if !hit {
				t.Errorf("API: no snippet marks a match: %+v", res.Hits)
			}
		})

		t.Run("counts, the kind and the year", func(t *testing.T) {
			_, all, _ := ts.searchAPI(t, "nobody", "q=Stockholm")
			if all.Counts[partnerhub.SearchPartner] < 1 || all.Counts[partnerhub.SearchActivity] < 1 {
				t.Fatalf("counts %v", all.Counts)
			}
			// Hits come grouped in SearchKinds' order, at most the
			// count of each kind.
			last := -1
			per := map[partnerhub.SearchKind]int{}
			for _, h := range all.Hits {
				i := slices.Index(partnerhub.SearchKinds, h.Kind)
				if i < last {
					t.Errorf("hits not grouped by kind: %v after %v", h.Kind, partnerhub.SearchKinds[last])
				}
				last = i
				per[h.Kind]++
			}
			for k, n := range per {
				if n > all.Counts[k] {
					t.Errorf("%d hits of %s, counted %d", n, k, all.Counts[k])
				}
			}
			_, acts, _ := ts.searchAPI(t, "nobody", "q=workshop&kind=activity")
			if len(acts.Hits) == 0 {
				t.Fatal("kind=activity: no hits")
			}
			for _, h := range acts.Hits {
				if h.Kind != partnerhub.SearchActivity {
					t.Errorf("kind=activity gave a %s", h.Kind)
				}
			}
			// An activity of 2020 (2020–2021), and one undated.
			_, y, _ := ts.searchAPI(t, "nobody", "q=workshop&year=2020")
			if !slices.Contains(hitKeys(y, partnerhub.SearchActivity), "stockholm-online-workshop-sustainable-development") {
				t.Errorf("year=2020: no 2020 workshop: %+v", y.Hits)
			}
			if slices.Contains(hitKeys(y, partnerhub.SearchActivity), "stockholm-international-workshops") || len(hitKeys(y, partnerhub.SearchPartner)) > 0 {
				t.Errorf("year=2020 keeps undated records: %+v", y.Hits)
			}
			_, lim, _ := ts.searchAPI(t, "nobody", "q=workshop&kind=activity&limit=1")
			if len(lim.Hits) != 1 || lim.Counts[partnerhub.SearchActivity] < 2 {
				t.Errorf("limit=1: %d hits, count %d", len(lim.Hits), lim.Counts[partnerhub.SearchActivity])
			}

			// The page: a tab per kind with its count, the kind's tab
			// lists that kind alone.
			r := page("/en/search?q=Stockholm", nil)
			for _, want := range []string{`href="/en/search?kind=partner&amp;q=Stockholm"`, `href="/en/search?kind=activity&amp;q=Stockholm"`, `aria-current="page">All`} {
				if !strings.Contains(r.body, want) {
					t.Errorf("/en/search?q=Stockholm has no %s", want)
				}
			}
			r = page("/ja/search?q=Stockholm&kind=activity", nil)
			if r.status != http.StatusOK || strings.Contains(r.body, `id="sg-partner"`) || !strings.Contains(r.body, `id="sg-activity"`) {
				t.Errorf("/ja/search kind=activity: %d, partners shown or activities not", r.status)
			}
			r = page("/en/search?q=workshop&year=2020", nil)
			if !strings.Contains(r.body, "/en/activities/stockholm-online-workshop-sustainable-development") || strings.Contains(r.body, "/en/partners/stockholm\"") {
				t.Errorf("/en/search year=2020 does not keep the year's records alone")
			}
			// Nothing found: the suggestions, and a way out of the filters.
			r = page("/en/search?q=Stockholm&year=1999&kind=activity", nil)
			if r.status != http.StatusOK || !strings.Contains(r.body, `class="search-empty"`) || !strings.Contains(r.body, msgs.Printer(partnerhub.English).T("search.tip.without_year")) {
				t.Errorf("empty answer: %d %s", r.status, r.body)
			}
		})

		t.Run("bad input is refused at its field in the reader's language", func(t *testing.T) {
			long := strings.Repeat("あ", partnerhub.MaxSearchQuery+1)
			for _, tc := range []struct{ query, field, key string }{
				{"q=" + url.QueryEscape(long), "q", "field.error.search_too_long"},
				{"q=x&year=abc", "year", "field.error.search_year"},
				{"q=x&year=1234", "year", "field.error.search_year"},
				{"q=x&kind=nothing", "kind", "field.one_of"},
			} {
				for _, l := range partnerhub.Langs {
					p := msgs.Printer(l)
					r := page("/"+string(l)+"/search?"+tc.query, nil)
					msg := p.T(tc.key, partnerhub.MaxSearchQuery)
					if tc.field == "kind" {
						msg = p.T(tc.key, strings.Join(searchKindNames(), ", "))
					}
					if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="err-`+tc.field+`">`+htmlText(msg)) {
						t.Errorf("/%s/search?%.40s: %d, want 400 with %q at %s", l, tc.query, r.status, msg, tc.field)
					}
					if strings.Contains(r.body, `class="search-hits"`) {
						t.Errorf("/%s/search?%.40s searched", l, tc.query)
					}
				}
				r := ts.call(t, "nobody", "GET", "/api/v1/search?"+tc.query+"&lang=ja", nil)
				var e apiError
				json.Unmarshal([]byte(r.body), &e)
				if r.status != http.StatusBadRequest || e.Error.Fields[tc.field] == "" {
					t.Errorf("API %.40s: %d %s", tc.query, r.status, r.body)
				}
			}
			status, _, e := ts.searchAPI(t, "nobody", "q=x&limit=500")
			if status != http.StatusBadRequest || e.Error.Fields["limit"] != msgs.Printer(partnerhub.English).T("field.error.search_limit", 100) {
				t.Errorf("limit=500: %d %+v", status, e)
			}
			if status, _, e := ts.searchAPI(t, "nobody", "q=x&page=2"); status != http.StatusBadRequest || e.Error.Fields["page"] == "" {
				t.Errorf("unknown parameter: %d %+v", status, e)
			}
			// No query: the help, and nothing searched.
			r := page("/ja/search", nil)
			if r.status != http.StatusOK || !strings.Contains(r.body, `class="search-help"`) {
				t.Errorf("/ja/search: %d", r.status)
			}
			if status, res, _ := ts.searchAPI(t, "nobody", ""); status != http.StatusOK || len(res.Hits) != 0 {
				t.Errorf("API without q: %d %+v", status, res)
			}
		})

		t.Run("the box on every page", func(t *testing.T) {
			for _, p := range []string{"/ja/", "/en/partners", "/en/partners/stockholm", "/ja/activities", "/en/search?q=Stockholm"} {
				l := p[1:3]
				r := page(p, nil)
				box := `<form class="site-search" method="get" action="/` + l + `/search" role="search"`
				label := msgs.Printer(partnerhub.Lang(l)).T("search.box_label")
				if !strings.Contains(r.body, box) || !strings.Contains(r.body, `<label for="site-search-q" class="visually-hidden">`+htmlText(label)+`</label>`) {
					t.Errorf("%s has no search box", p)
				}
			}
		})

		t.Run("drafts: the home's office only, another member's never", func(t *testing.T) {
			admin, err := ts.db.UserByEmail(ctx, "admin@example.ac.jp")
			if err != nil {
				t.Fatal(err)
			}
			kyoto, err := ts.db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "admin@kyoto.example.org", Name: "Kyoto", Role: partnerhub.RoleAdmin}, testPassword)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct {
				u    *partnerhub.User
				home string
				a    *partnerhub.Activity
			}{
				{admin, "utokyo", &partnerhub.Activity{Slug: "zephyrine-colloquium", Kind: partnerhub.Workshop, Partners: []string{"stockholm"},
					Title: partnerhub.Text{Ja: "ゼフィリン研究会", En: "Zephyrine colloquium"}}},
				{kyoto, "kyoto", &partnerhub.Activity{Slug: "kyoto-zephyrine", Kind: partnerhub.Workshop, Partners: []string{"kyoto-partner"},
					Title: partnerhub.Text{Ja: "京都ゼフィリン会", En: "Zephyrine of Kyoto"}}},
			} {
				if _, err := ts.db.Apply(ctx, partnerhub.Create(w.u, w.home, w.a)); err != nil {
					t.Fatal(err)
				}
			}
			ts.srv.Reload(ctx)
			// The public: neither.
			if _, res, _ := ts.searchAPI(t, "nobody", "q=Zephyrine"); len(res.Hits) != 0 || res.Counts[partnerhub.SearchActivity] != 0 {
				t.Errorf("the public finds drafts: %+v", res)
			}
			r := page("/en/search?q=Zephyrine", nil)
			if strings.Contains(r.body, "zephyrine") || !strings.Contains(r.body, `class="search-empty"`) {
				t.Errorf("the public's page shows a draft")
			}
			// The office (any role that reads drafts): its own, marked.
			for _, role := range []string{"admin", "coordinator", "viewer"} {
				_, res, _ := ts.searchAPI(t, role, "q=Zephyrine")
				keys := hitKeys(res, partnerhub.SearchActivity)
				if !slices.Contains(keys, "zephyrine-colloquium") || slices.Contains(keys, "kyoto-zephyrine") {
					t.Errorf("%s finds %v", role, keys)
				}
				for _, h := range res.Hits {
					if h.Key == "zephyrine-colloquium" && !h.Draft {
						t.Errorf("%s: the draft is not marked as one", role)
					}
				}
				r := page("/ja/search?q="+url.QueryEscape("ゼフィリン"), ts.cookie[role])
				if !strings.Contains(r.body, `href="/ja/activities/zephyrine-colloquium"`) || strings.Contains(r.body, "kyoto-zephyrine") ||
					!strings.Contains(r.body, `<span class="draft">`) {
					t.Errorf("%s's page: %d, own draft missing or kyoto's shown", role, r.status)
				}
				if cc := r.header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("%s's page is cached: %q", role, cc)
				}
			}
			// Kyoto's own admin finds kyoto's draft at kyoto's API, never utokyo's:
			// the server serves utokyo alone, so kyoto's token is no one here.
			raw, _, err := ts.db.CreateToken(ctx, kyoto.ID, partnerhub.TokenSpec{Name: "k", Scope: partnerhub.ScopeRead}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			r = ts.send(t, "GET", "/api/v1/search?q=Zephyrine", nil, "Authorization", "Bearer "+raw)
			if strings.Contains(r.body, "zephyrine") {
				t.Errorf("another member's user finds drafts here: %d %s", r.status, r.body)
			}
		})
	})
}

// htmlText is s as html/template writes it in text.
func htmlText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}
