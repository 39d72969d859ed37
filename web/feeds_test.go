package web

import (
	"context"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// parseAtom checks a feed's headers, that it is well-formed XML whose
// root is Atom's feed in lang, and parses it with a maintained feed
// library.
func parseAtom(t *testing.T, path string, r reply, lang partnerhub.Lang) *gofeed.Feed {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Fatalf("%s: Content-Type %q", path, ct)
	}
	dec := xml.NewDecoder(strings.NewReader(r.body))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			root = &se
		}
	}
	if root == nil || root.Name.Space != atomNS || root.Name.Local != "feed" {
		t.Fatalf("%s: root %v", path, root)
	}
	if i := slices.IndexFunc(root.Attr, func(a xml.Attr) bool {
		return a.Name.Space == "http://www.w3.org/XML/1998/namespace" && a.Name.Local == "lang"
	}); i < 0 || root.Attr[i].Value != string(lang) {
		t.Errorf("%s: xml:lang of %v, want %s", path, root.Attr, lang)
	}
	f, err := gofeed.NewParser().ParseString(r.body)
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, r.body)
	}
	if f.FeedType != "atom" || f.Title == "" || f.Language != string(lang) || f.UpdatedParsed == nil || len(f.Authors) == 0 {
		t.Errorf("%s: type %q, title %q, language %q, updated %v, authors %v", path, f.FeedType, f.Title, f.Language, f.UpdatedParsed, f.Authors)
	}
	ids := map[string]bool{}
	for _, it := range f.Items {
		if it.GUID == "" || ids[it.GUID] || it.Title == "" || it.Link == "" || it.UpdatedParsed == nil {
			t.Errorf("%s: entry id %q (twice: %v), title %q, link %q, updated %v", path, it.GUID, ids[it.GUID], it.Title, it.Link, it.UpdatedParsed)
		}
		ids[it.GUID] = true
		if f.UpdatedParsed != nil && it.UpdatedParsed != nil && it.UpdatedParsed.After(*f.UpdatedParsed) {
			t.Errorf("%s: %s updated %v after the feed's %v", path, it.GUID, it.UpdatedParsed, f.UpdatedParsed)
		}
	}
	return f
}

var atomLinkTag = regexp.MustCompile(`<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">`)

// The feeds, on a deployment of several members with the network's
// notes: each feed parses, holds the published records of its partner,
// unit or library and no draft, in its language, with ids that outlive an
// edit and links that lead to the records; pages link their feed; a
// member's feed links through the member's portal.
func TestAtomFeeds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := newNetworkDB(t, e)
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		dep, err := NewDeployment(ctx, Deps{Source: db, Messages: msgs, ContentHome: dataset.BuiltinHome, Accounts: db,
			Authenticator: authn.NewPasswords(db), Editor: db, Notes: db, BaseURL: netBase}, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(dep)
		t.Cleanup(hs.Close)
		ts := &authServer{Server: hs, db: db, srv: dep.First()}
		// local is an absolute link of the site as a path to GET here.
		local := func(t *testing.T, href string) string {
			t.Helper()
			p, ok := strings.CutPrefix(href, netBase)
			if !ok || !strings.HasPrefix(p, "/") {
				t.Fatalf("link %q is not under %s", href, netBase)
			}
			return p
		}
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		apply := func(t *testing.T, action partnerhub.Action, a *partnerhub.Activity) {
			t.Helper()
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity,
				Action: action, Key: a.Slug, Version: a.Version, Record: a}); err != nil {
				t.Fatal(err)
			}
		}
		fresh := &partnerhub.Activity{Slug: "atom-fresh", Kind: partnerhub.Workshop,
			Title: partnerhub.Text{Ja: "フィードの試験ワークショップ", En: "Feed test workshop <&>"},
			Start: partnerhub.MustPartialDate("2016-05-10"), Partners: []string{"ntu"}, Units: []string{"eng"}, Published: true}
		apply(t, partnerhub.ActionCreate, fresh)
		apply(t, partnerhub.ActionCreate, &partnerhub.Activity{Slug: "atom-draft", Kind: partnerhub.Workshop,
			Title: partnerhub.Text{Ja: "下書き", En: "Draft"}, Start: partnerhub.MustPartialDate("2026-06"),
			Partners: []string{"ntu"}, Units: []string{"eng"}, Published: false})
		if err := ts.srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}

		// Notes: one published by the network's editor, one left a draft.
		kyotoAdmin, err := db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "admin@kyoto.example.ac.jp", Name: "K", Role: partnerhub.RoleAdmin}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		editor, err := db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "editor@kyoto.example.ac.jp", Name: "E", Role: partnerhub.RoleViewer, NetworkAdmin: true}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		note := func(title string, publish bool) *partnerhub.Note {
			t.Helper()
			n, err := db.CreateNote(ctx, kyotoAdmin, partnerhub.Note{Title: partnerhub.Text{Ja: title + "（日本語）", En: title},
				Body: partnerhub.Text{Ja: "本文です。", En: "The body."}, Topic: partnerhub.TopicJointFunds, Tags: []string{"funds"}})
			if err != nil {
				t.Fatal(err)
			}
			if publish {
				if n, err = db.TransitNote(ctx, kyotoAdmin, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); err != nil {
					t.Fatal(err)
				}
				if n, err = db.TransitNote(ctx, editor, n.ID, n.Version, partnerhub.VerbPublishNote, ""); err != nil {
					t.Fatal(err)
				}
			}
			return n
		}
		published, draft := note("A published note", true), note("A draft note", false)

		c, err := db.Catalog(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		// want are the published activities a feed's filter keeps, by id in lang.
		want := func(lang partnerhub.Lang, keep func(a partnerhub.Activity) bool) map[string]partnerhub.Activity {
			out := map[string]partnerhub.Activity{}
			for _, a := range c.Activities {
				if a.Published && keep(a) {
					out[netBase+"/"+string(lang)+"/activities/"+a.Slug] = a
				}
			}
			return out
		}
		all := func(partnerhub.Activity) bool { return true }
		ids := func(f *gofeed.Feed) []string {
			var out []string
			for _, it := range f.Items {
				out = append(out, it.GUID)
			}
			slices.Sort(out)
			return out
		}
		titles := map[partnerhub.Lang]map[string]string{
			partnerhub.Japanese: {"programme": "東京大学 戦略的パートナーシップ：活動", "ntu": "国立台湾大学との活動", "eng": "工学系研究科の活動", "notes": "グッドプラクティス：公開中の事例"},
			partnerhub.English:  {"programme": "UTokyo Strategic Partnerships: activities", "ntu": "Activities with National Taiwan University", "eng": "Activities of Graduate School of Engineering", "notes": "Good practice: published notes"},
		}

		for _, lang := range partnerhub.Langs {
			l := string(lang)
			t.Run("activities "+l, func(t *testing.T) {
				for _, f := range []struct {
					path, title string
					keep        func(a partnerhub.Activity) bool
				}{
					{"/" + l + "/activities.atom", "programme", all},
					{"/" + l + "/partners/ntu/activities.atom", "ntu", func(a partnerhub.Activity) bool { return slices.Contains(a.Partners, "ntu") }},
					{"/" + l + "/units/eng/activities.atom", "eng", func(a partnerhub.Activity) bool { return slices.Contains(a.Units, "eng") }},
				} {
					feed := parseAtom(t, f.path, ts.send(t, "GET", f.path, nil), lang)
					if feed.Title != titles[lang][f.title] {
						t.Errorf("%s: title %q, want %q", f.path, feed.Title, titles[lang][f.title])
					}
					if feed.FeedLink != netBase+f.path {
						t.Errorf("%s: self %q", f.path, feed.FeedLink)
					}
					w := want(lang, f.keep)
					fresh := netBase + "/" + l + "/activities/atom-fresh"
					if _, ok := w[fresh]; !ok {
						t.Fatalf("fixture: %s lacks %s", f.path, fresh)
					}
					if len(w) <= feedLimit {
						if got, wk := ids(feed), sortedKeys(w); !slices.Equal(got, wk) {
							t.Errorf("%s: entries\n%v\nwant\n%v", f.path, got, wk)
						}
					} else if len(feed.Items) != feedLimit {
						t.Errorf("%s: %d entries, want the limit %d of %d", f.path, len(feed.Items), feedLimit, len(w))
					}
					if strings.Contains(feed.String(), "atom-draft") || strings.Contains(ts.send(t, "GET", f.path, nil).body, "atom-draft") {
						t.Errorf("%s holds the draft", f.path)
					}
					// The activity just written is the newest: first, and
					// the feed's updated is its.
					if first := feed.Items[0]; first.GUID != fresh || !first.UpdatedParsed.Equal(*feed.UpdatedParsed) {
						t.Errorf("%s: first entry %s updated %v, feed %v", f.path, first.GUID, first.UpdatedParsed, feed.UpdatedParsed)
					}
					for i, it := range feed.Items {
						a, ok := w[it.GUID]
						if !ok {
							t.Errorf("%s: unexpected entry %s", f.path, it.GUID)
							continue
						}
						if title, _ := a.Title.In(lang); it.Title != title {
							t.Errorf("%s: %s title %q, want %q", f.path, a.Slug, it.Title, title)
						}
						// gofeed reads a category's label where it has one.
						if it.Link != it.GUID || !slices.Equal(it.Categories, []string{msgs.Printer(lang).T("kind." + string(a.Kind))}) {
							t.Errorf("%s: %s link %q, categories %v", f.path, a.Slug, it.Link, it.Categories)
						}
						if i > 0 && it.UpdatedParsed.After(*feed.Items[i-1].UpdatedParsed) {
							t.Errorf("%s: %s is newer than the entry before it", f.path, a.Slug)
						}
					}
				}
				// Every entry of a partner's feed leads to its page.
				feed := parseAtom(t, "ntu", ts.send(t, "GET", "/"+l+"/partners/ntu/activities.atom", nil), lang)
				for _, it := range feed.Items {
					if r := ts.send(t, "GET", local(t, it.Link), nil); r.status != http.StatusOK {
						t.Errorf("%s: %d", it.Link, r.status)
					}
				}
			})

			t.Run("pages link their feeds "+l, func(t *testing.T) {
				for page, title := range map[string]string{"/" + l + "/activities": "programme", "/" + l + "/partners/ntu": "ntu",
					"/" + l + "/units/eng": "eng", "/" + l + "/network/practice": "notes"} {
					body := ts.send(t, "GET", page, nil).body
					m := atomLinkTag.FindStringSubmatch(body)
					if m == nil {
						t.Errorf("%s: no <link rel=alternate> to an Atom feed", page)
						continue
					}
					if html.UnescapeString(m[1]) != titles[lang][title] {
						t.Errorf("%s: link title %q, want %q", page, m[1], titles[lang][title])
					}
					if !strings.Contains(body, `<a href="`+m[2]+`" type="application/atom+xml">`) {
						t.Errorf("%s: no visible link to %s", page, m[2])
					}
					feed := parseAtom(t, m[2], ts.send(t, "GET", local(t, m[2]), nil), lang)
					if feed.Link != netBase+page || feed.Title != titles[lang][title] {
						t.Errorf("%s: its feed's page %q, title %q", page, feed.Link, feed.Title)
					}
				}
			})

			t.Run("notes "+l, func(t *testing.T) {
				path := "/" + l + "/network/practice/notes.atom"
				feed := parseAtom(t, path, ts.send(t, "GET", path, nil), lang)
				id := netBase + "/" + l + "/network/practice/" + strconv.FormatInt(published.ID, 10)
				if len(feed.Items) != 1 || feed.Items[0].GUID != id {
					t.Fatalf("%s: entries %v, want only %s (not the draft %d)", path, ids(feed), id, draft.ID)
				}
				it := feed.Items[0]
				if title, _ := published.Title.In(lang); it.Title != title || it.PublishedParsed == nil || !it.PublishedParsed.Equal(published.PublishedAt.Truncate(time.Second)) ||
					len(it.Authors) != 1 || it.Authors[0].Name != map[partnerhub.Lang]string{partnerhub.Japanese: "kyoto-uni大学", partnerhub.English: "University kyoto-uni"}[lang] ||
					!slices.Contains(it.Categories, msgs.Printer(lang).T("practice.topic.joint_funds")) || !slices.Contains(it.Categories, "funds") {
					t.Errorf("%s: entry %q published %v (%v) author %+v categories %v", path, it.Title, it.PublishedParsed, published.PublishedAt, it.Authors[0], it.Categories)
				}
				if r := ts.send(t, "GET", local(t, it.Link), nil); r.status != http.StatusOK || !strings.Contains(r.body, html.EscapeString(it.Title)) {
					t.Errorf("%s: %d", it.Link, r.status)
				}
			})
		}

		t.Run("conditional and unknown", func(t *testing.T) {
			for _, path := range []string{"/en/activities.atom", "/ja/units/eng/activities.atom", "/en/network/practice/notes.atom"} {
				r := ts.send(t, "GET", path, nil)
				etag := r.header.Get("Etag")
				if etag == "" {
					t.Fatalf("%s: no ETag", path)
				}
				if r := ts.send(t, "GET", path, nil, "If-None-Match", etag); r.status != http.StatusNotModified || r.body != "" {
					t.Errorf("%s: If-None-Match %d", path, r.status)
				}
				if lm := r.header.Get("Last-Modified"); lm != "" {
					if r := ts.send(t, "GET", path, nil, "If-Modified-Since", lm); r.status != http.StatusNotModified {
						t.Errorf("%s: If-Modified-Since %d", path, r.status)
					}
				} else if !strings.HasSuffix(path, "notes.atom") {
					t.Errorf("%s: no Last-Modified", path)
				}
			}
			for path, word := range map[string]string{"/en/partners/nobody/activities.atom": "Page not found", "/ja/units/nobody/activities.atom": "ページが見つかりません"} {
				r := ts.send(t, "GET", path, nil)
				if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, word) {
					t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
				}
			}
		})

		t.Run("ids outlive an edit", func(t *testing.T) {
			path := "/en/partners/ntu/activities.atom"
			before := parseAtom(t, path, ts.send(t, "GET", path, nil), partnerhub.English)
			etag := ts.send(t, "GET", path, nil).header.Get("Etag")
			rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityActivity, "atom-fresh")
			if err != nil {
				t.Fatal(err)
			}
			a := rec.(*partnerhub.Activity)
			a.Title.En = "Feed test workshop, renamed"
			time.Sleep(1100 * time.Millisecond) // updated is to the second
			apply(t, partnerhub.ActionUpdate, a)
			if err := ts.srv.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			r := ts.send(t, "GET", path, nil, "If-None-Match", etag)
			after := parseAtom(t, path, r, partnerhub.English)
			if !slices.Equal(ids(before), ids(after)) {
				t.Errorf("ids changed with an edit:\n%v\n%v", ids(before), ids(after))
			}
			if it := after.Items[0]; it.GUID != netBase+"/en/activities/atom-fresh" || it.Title != a.Title.En || !it.UpdatedParsed.After(*before.Items[0].UpdatedParsed) {
				t.Errorf("after the edit: %s %q updated %v (was %v)", it.GUID, it.Title, it.UpdatedParsed, before.Items[0].UpdatedParsed)
			}
		})

		t.Run("a member's feeds", func(t *testing.T) {
			kc, err := db.Catalog(ctx, "kyoto")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range kc.Activities {
				if a.Published {
					n++
				}
			}
			for _, lang := range partnerhub.Langs {
				p := "/kyoto/" + string(lang)
				body := ts.send(t, "GET", p+"/activities", nil).body
				if m := atomLinkTag.FindStringSubmatch(body); m == nil || m[2] != netBase+p+"/activities.atom" {
					t.Errorf("%s/activities links %v", p, m)
				}
				feed := parseAtom(t, p+"/activities.atom", ts.send(t, "GET", p+"/activities.atom", nil), lang)
				if feed.FeedLink != netBase+p+"/activities.atom" || feed.Link != netBase+p+"/activities" || len(feed.Items) != min(n, feedLimit) || n == 0 {
					t.Errorf("%s: self %q, page %q, %d entries of %d", p, feed.FeedLink, feed.Link, len(feed.Items), n)
				}
				for _, it := range feed.Items {
					if !strings.HasPrefix(it.GUID, netBase+p+"/activities/") || it.Link != it.GUID {
						t.Errorf("%s: entry %s links %s", p, it.GUID, it.Link)
					}
				}
				if r := ts.send(t, "GET", local(t, feed.Items[0].Link), nil); r.status != http.StatusOK {
					t.Errorf("%s: %d", feed.Items[0].Link, r.status)
				}
				notes := parseAtom(t, p+"/network/practice/notes.atom", ts.send(t, "GET", p+"/network/practice/notes.atom", nil), lang)
				if len(notes.Items) != 1 || notes.Items[0].Link != netBase+p+"/network/practice/"+strconv.FormatInt(published.ID, 10) {
					t.Errorf("%s: the notes' feed links %v", p, ids(notes))
				}
			}
		})
	})
}
