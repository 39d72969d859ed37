package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/mock"

	"golang.org/x/net/html"
)

// listsBase is the base URL the lists' servers are given: `next` must be
// made from it, whatever Host a request names.
const listsBase = "https://partners.example.ac.jp"

// listsServer serves the built-in programme with extra activities (so that
// the activity list runs to several pages), an audit log of 250 events and
// a bin of 230 records, to a signed-in administrator.
type listsServer struct {
	*fakeServer
	activities int    // in the catalog
	kind       string // of the extra activities
}

func newListsServer(t *testing.T, extra int) *listsServer {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	model := c.Activities[0]
	for i := range extra {
		a := model
		a.Slug = fmt.Sprintf("lists-test-%04d", i)
		a.Title = partnerhub.Text{Ja: fmt.Sprintf("試験の活動 %d", i), En: fmt.Sprintf("Test activity %d", i)}
		a.Start, a.End = partnerhub.PartialDate{Year: 2000 + i%20}, partnerhub.PartialDate{}
		a.Series, a.Edition = "", 0
		c.Activities = append(c.Activities, a)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var events []partnerhub.AuditEvent
	for id := int64(250); id >= 1; id-- {
		events = append(events, partnerhub.AuditEvent{ID: id, At: time.Unix(id, 0).UTC(), Actor: "office@example.ac.jp",
			Action: partnerhub.ActionUpdate, Entity: partnerhub.EntityPartner, Key: "ntu", Version: int(id)})
	}
	var bin []partnerhub.BinItem
	for i := range 230 {
		bin = append(bin, partnerhub.BinItem{Entity: partnerhub.EntityActivity, Key: fmt.Sprintf("gone-%03d", i),
			Name: partnerhub.Text{Ja: "消えた活動", En: "A deleted activity"}, DeletedAt: time.Unix(int64(i), 0).UTC(), Version: 2})
	}
	f := &fakeServer{admin: &partnerhub.User{ID: 7, Home: "utokyo", Email: "office@example.ac.jp", Name: "Office", Role: partnerhub.RoleAdmin}}
	f.editor = &mock.Editor{
		// As the store does: newest first, ids below Before, at most Limit.
		AuditFn: func(_ context.Context, _ string, af partnerhub.AuditFilter) ([]partnerhub.AuditEvent, error) {
			var out []partnerhub.AuditEvent
			for _, ev := range events {
				if (af.Before == 0 || ev.ID < af.Before) && len(out) < af.Limit {
					out = append(out, ev)
				}
			}
			return out, nil
		},
		BinFn: func(context.Context, string) ([]partnerhub.BinItem, error) { return bin, nil },
	}
	accounts := &mock.Accounts{}
	// The base URL is https: browsers reach the site over TLS only, so the
	// session cookie has its __Host- name.
	f.cookie = &http.Cookie{Name: secureSessionCookie, Value: accounts.SignIn(f.admin, "session-of-the-office")}
	f.srv, err = NewServer(context.Background(), Deps{Source: mock.NewCatalogs(c), Home: "utokyo", Messages: msgs,
		Accounts: accounts, Editor: f.editor, Mobility: &mock.Mobility{}, BaseURL: listsBase})
	if err != nil {
		t.Fatal(err)
	}
	return &listsServer{fakeServer: f, activities: len(c.Activities), kind: string(model.Kind)}
}

// get sends a GET; signed-in sends the administrator's session.
func (ls *listsServer) get(path string, signedIn bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Host = "attacker.example" // never the source of a link
	if signedIn {
		req.AddCookie(ls.cookie)
	}
	rec := httptest.NewRecorder()
	ls.srv.ServeHTTP(rec, req)
	return rec
}

// apiPage is one page of any list, its items left raw.
type apiPage struct {
	Items []map[string]any `json:"items"`
	Next  *string          `json:"next"`
}

// listKey names an item of each list, to compare walks item by item.
func listKey(path string, it map[string]any) string {
	for _, k := range []string{"slug", "code", "number", "id"} {
		if v, ok := it[k]; ok {
			return fmt.Sprint(v)
		}
	}
	return fmt.Sprint(it["entity"], "/", it["key"]) // the bin
}

// The lists every test below walks, with whether they need a sign-in.
var pagedLists = []struct {
	path     string
	signedIn bool
}{
	{"/api/v1/partners", false},
	{"/api/v1/partners?tier=primary", false},
	{"/api/v1/units", false},
	{"/api/v1/phases", false},
	{"/api/v1/activities", false},
	{"/api/v1/activities?from=2005&to=2012", false},
	{"/api/v1/bin", true},
	{"/api/v1/audit", true},
	{"/api/v1/audit?entity=partner", true},
	{"/api/v1/partners/ntu/history", true},
}

// TestListsWalkNext: for every list, following `next` from limit=N gives the
// whole list once, in order, each page at most N long; `next` is absolute,
// made from the base URL, keeps the filters, and is null on the last page.
func TestListsWalkNext(t *testing.T) {
	ls := newListsServer(t, 240)
	for _, l := range pagedLists {
		sep := "?"
		if strings.Contains(l.path, "?") {
			sep = "&"
		}
		var whole apiPage
		rec := ls.get(l.path+sep+"limit=1000", l.signedIn)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s limit=1000: %d %s", l.path, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &whole); err != nil {
			t.Fatal(err)
		}
		if whole.Next != nil || len(whole.Items) < 3 {
			t.Fatalf("GET %s limit=1000: %d items, next %v: want the whole list", l.path, len(whole.Items), *whole.Next)
		}
		var want []string
		for _, it := range whole.Items {
			want = append(want, listKey(l.path, it))
		}
		for _, n := range []int{1, 2, 7, 50, 100, 999} {
			var got []string
			u := l.path + sep + "limit=" + strconv.Itoa(n)
			for pages := 0; u != ""; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("%s limit=%d: the walk does not end", l.path, n)
				}
				rec := ls.get(u, l.signedIn)
				var p apiPage
				if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
					t.Fatalf("GET %s: %d %s", u, rec.Code, rec.Body)
				}
				if len(p.Items) > n {
					t.Errorf("GET %s: %d items, more than the limit", u, len(p.Items))
				}
				for _, it := range p.Items {
					got = append(got, listKey(l.path, it))
				}
				u = ""
				if p.Next != nil {
					rest, ok := strings.CutPrefix(*p.Next, listsBase+strings.Split(l.path, "?")[0]+"?")
					if !ok {
						t.Fatalf("GET %s: next %q is not made from the base URL and the list's path", u, *p.Next)
					}
					q, _ := url.ParseQuery(rest)
					orig, _ := url.ParseQuery(strings.TrimPrefix(l.path[strings.Index(l.path+"?", "?"):], "?"))
					for k, v := range orig {
						if !slices.Equal(q[k], v) {
							t.Errorf("next %q drops the filter %s=%v", *p.Next, k, v)
						}
					}
					u = strings.TrimPrefix(*p.Next, listsBase)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s limit=%d: the walk gives %d items %v…, the whole list %d %v…", l.path, n, len(got), head(got), len(want), head(want))
			}
		}
	}
}

func head(s []string) []string { return s[:min(5, len(s))] }

// TestListsFirstPage: a list asked for without parameters answers the first
// 100 items and a next link, also from the snapshot's pre-encoded body.
func TestListsFirstPage(t *testing.T) {
	ls := newListsServer(t, 240)
	for _, path := range []string{"/api/v1/activities", "/api/v1/activities?lang=ja"} {
		var p apiPage
		rec := ls.get(path, false)
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		if len(p.Items) != defaultLimit || p.Next == nil || !strings.HasPrefix(*p.Next, listsBase+"/api/v1/activities?") {
			t.Errorf("GET %s: %d items, next %v; want %d and a next link", path, len(p.Items), p.Next, defaultLimit)
		}
	}
	var p apiPage
	if rec := ls.get("/api/v1/phases", false); json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Next != nil || len(p.Items) == 0 {
		t.Errorf("GET /api/v1/phases: %s; want every phase and next null", rec.Body)
	}
}

// TestListsBadPaging: a limit out of bounds or not a number, and a cursor
// this server did not make, are field errors in the reader's language.
func TestListsBadPaging(t *testing.T) {
	ls := newListsServer(t, 0)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	forged := map[string]string{
		"cursor=garbage!":         "not base64",
		"cursor=" + b64("12"):     "no key",
		"cursor=" + b64("0:ntu"):  "offset 0",
		"cursor=" + b64("-3:ntu"): "negative offset",
		"cursor=" + b64("x:ntu"):  "offset not a number",
		"cursor=":                 "",
		"limit=0":                 "out_of_range",
		"limit=1001":              "out_of_range",
		"limit=-1":                "out_of_range",
		"limit=abc":               "bad_int",
		"limit=10&limit=20":       "duplicate",
		"limit=1.5":               "bad_int",
		"cursor=" + b64("1:a") + "&cursor=" + b64("2:b"): "duplicate",
	}
	for _, l := range pagedLists {
		sep := "?"
		if strings.Contains(l.path, "?") {
			sep = "&"
		}
		for q, why := range forged {
			field := strings.SplitN(q, "=", 2)[0]
			if field == "cursor" && (strings.Contains(l.path, "audit") || strings.Contains(l.path, "history")) {
				continue // these lists page with before, which is tested below
			}
			if why == "" { // an empty value is no value
				if rec := ls.get(l.path+sep+q, l.signedIn); rec.Code != http.StatusOK {
					t.Errorf("GET %s%s%s: %d, want 200", l.path, sep, q, rec.Code)
				}
				continue
			}
			for _, lang := range partnerhub.Langs {
				rec := ls.get(l.path+sep+q+"&lang="+string(lang), l.signedIn)
				var e apiError
				if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &e) != nil {
					t.Errorf("GET %s%s%s (%s): %d %s, want 400", l.path, sep, q, why, rec.Code, rec.Body)
					continue
				}
				msg := e.Error.Fields[field]
				if msg == "" || strings.Contains(msg, "field.") {
					t.Errorf("GET %s%s%s: no message for %s: %s", l.path, sep, q, field, rec.Body)
				}
				if field == "cursor" && !strings.Contains(q, "&cursor") && msg != msgs.Printer(lang).T("field.bad_cursor") {
					t.Errorf("GET %s%s%s (%s): cursor message %q", l.path, sep, q, lang, msg)
				}
			}
		}
	}
	for _, q := range []string{"before=0", "before=x"} {
		if rec := ls.get("/api/v1/audit?"+q, true); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"before"`) {
			t.Errorf("GET /api/v1/audit?%s: %d %s", q, rec.Code, rec.Body)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestListsCursorAfterEdits: a cursor whose list has changed goes on after
// the last item read, wherever it now stands.
func TestListsCursorAfterEdits(t *testing.T) {
	key := func(s string) string { return s }
	items := []string{"a", "b", "c", "d", "e"}
	page, next := pageOf(items, key, 2, cursor{}, false)
	if !slices.Equal(page, []string{"a", "b"}) || next == nil || *next != (cursor{2, "b"}) {
		t.Fatalf("first page %v, next %v", page, next)
	}
	// "a" deleted: the next page still starts after "b".
	if page, _ := pageOf([]string{"b", "c", "d", "e"}, key, 2, *next, true); !slices.Equal(page, []string{"c", "d"}) {
		t.Errorf("after a deletion before the cursor: %v", page)
	}
	// "b" itself deleted: go on from where it stood.
	if page, _ := pageOf([]string{"a", "c", "d", "e"}, key, 2, *next, true); !slices.Equal(page, []string{"c", "d"}) {
		t.Errorf("after the cursor's item was deleted: %v", page)
	}
	// The list shrank below the cursor: an empty last page.
	if page, n := pageOf([]string{"x"}, key, 2, cursor{4, "d"}, true); len(page) != 0 || n != nil {
		t.Errorf("past the end: %v, next %v", page, n)
	}
}

// TestActivitiesPortalPages: /{lang}/activities shows 50 a page; walking its
// page links shows every activity once; the links keep the filters; a bad
// page number is a field error in the page's language; each entry names
// its partners.
func TestActivitiesPortalPages(t *testing.T) {
	ls := newListsServer(t, 240)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range partnerhub.Langs {
		p := "/" + string(lang) + "/activities"
		seen := map[string]int{}
		u, pages := p, 0
		for u != "" {
			pages++
			if pages > 20 {
				t.Fatalf("%s: the page links do not end", p)
			}
			rec := ls.get(u, false)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: %d", u, rec.Code)
			}
			d := parse(t, rec.Body.Bytes())
			var n int
			for _, a := range d.all(tag("a")) {
				if href := attr(a, "href"); strings.HasPrefix(href, p+"/") && !strings.Contains(href, "?") {
					seen[href]++
					n++
				}
			}
			if n > pageSize {
				t.Errorf("GET %s: %d activities, more than %d", u, n, pageSize)
			}
			u = ""
			for _, a := range d.all(tag("a")) {
				if attr(a, "rel") == "next" {
					u = attr(a, "href")
				}
			}
		}
		if len(seen) != ls.activities || pages != (ls.activities+pageSize-1)/pageSize {
			t.Errorf("%s: %d activities on %d pages, want %d on %d", p, len(seen), pages, ls.activities, (ls.activities+pageSize-1)/pageSize)
		}
		for href, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s shown %d times", p, href, n)
			}
		}

		// Filters stay in every page link.
		filtered := "?kind=" + ls.kind + "&page=2"
		rec := ls.get(p+filtered, false)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s%s: %d %s", p, filtered, rec.Code, rec.Body)
		}
		links := 0
		for _, nav := range parse(t, rec.Body.Bytes()).all(func(n *html.Node) bool { return n.Data == "nav" && attr(n, "class") == "pager no-print" }) {
			for _, a := range (&doc{root: nav}).all(tag("a")) {
				links++
				q, _ := url.ParseQuery(strings.SplitN(attr(a, "href"), "?", 2)[1])
				if q.Get("kind") != ls.kind {
					t.Errorf("%s%s: page link %q drops the filter", p, filtered, attr(a, "href"))
				}
			}
		}
		if links == 0 {
			t.Errorf("%s%s: no page links", p, filtered)
		}

		// Bad page numbers.
		all := (ls.activities + pageSize - 1) / pageSize
		for q, want := range map[string]string{
			"page=0": msgs.Printer(lang).T("field.page_range", all), "page=" + strconv.Itoa(all+1): msgs.Printer(lang).T("field.page_range", all),
			"page=abc":         msgs.Printer(lang).T("field.bad_int", "abc"),
			"year=2005&page=3": msgs.Printer(lang).T("field.page_range", 1),
		} {
			rec := ls.get(p+"?"+q, false)
			if rec.Code != http.StatusBadRequest || !strings.Contains(text(parse(t, rec.Body.Bytes()).root), want) {
				t.Errorf("GET %s?%s: %d, want 400 saying %q", p, q, rec.Code, want)
			}
		}
	}

	// Every entry names its partners: NTU's activities name NTU.
	rec := ls.get("/en/activities?partner=ntu", false)
	d := parse(t, rec.Body.Bytes())
	items := d.all(func(n *html.Node) bool { return n.Data == "span" && attr(n, "class") == "act-who" })
	if len(items) == 0 {
		t.Fatalf("/en/activities?partner=ntu: no entry names a partner")
	}
	for _, it := range items {
		if !strings.Contains(text(it), "National Taiwan University") {
			t.Errorf("/en/activities?partner=ntu: an entry names %q", text(it))
		}
	}
}
