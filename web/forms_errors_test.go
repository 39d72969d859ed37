package web

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"partnerhub"
	"partnerhub/store/storetest"
)

// rawKey is what a field's key looks like ("name.ja", "signed", "units[2]",
// "participants.value"): a reader must never meet one in an error summary.
var rawKey = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z_]+|\[\d+\])*$`)

// TestErrorSummaryNamesFields: for every form of the editing pages, an empty
// or wrong form sent in either language is refused, stores nothing, and its
// error summary names each field by its label in the reader's language,
// never by its key, each entry linking to an element of the page.
func TestErrorSummaryNamesFields(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	teamVersion := func() int {
		t.Helper()
		rec, _, err := ed.db.Record(t.Context(), "utokyo", partnerhub.EntityTeam, "ntu/3")
		if err != nil {
			t.Fatal(err)
		}
		return rec.RecordVersion()
	}
	before := teamVersion()
	for _, tc := range []struct {
		entity partnerhub.Entity
		path   string // after /{lang}
		form   map[string][]string
		want   map[partnerhub.Lang][]string // labels the summary must show
	}{
		{partnerhub.EntityActivity, "/edit/activity/new", map[string][]string{"start": {"2015年13月"}, "end": {"32 March 2015"}, "participants": {"many"}},
			map[partnerhub.Lang][]string{"en": {"Title in Japanese\nTitle in English", "Start\nEnd"}, "ja": {"タイトル（日本語）\nタイトル（英語）", "開始\n終了"}}},
		{partnerhub.EntityAgreement, "/edit/agreement/new", map[string][]string{"signed": {"2015/2/30"}},
			map[partnerhub.Lang][]string{"en": {"Signed", "Title in English"}}},
		{partnerhub.EntityPartner, "/edit/partner/new", map[string][]string{"slug": {"Bad Slug"}},
			map[partnerhub.Lang][]string{"en": {"Name in English", "Name in Japanese", "Member institutions"}, "ja": {"名称（英語）", "名称（日本語）"}}},
		{partnerhub.EntityPartner, "/edit/partner/new", map[string][]string{"slug": {"zz-test"}, "name.ja": {"テスト"}, "name.en": {"Test"}, "kind": {"group"}, "members": {"tohoku", "no-such-place"}},
			map[partnerhub.Lang][]string{"en": {"Member institutions, item 2"}, "ja": {"構成機関（2件目）"}}},
		{partnerhub.EntityInstitution, "/edit/institution/new", map[string][]string{"lat": {"north"}, "country": {"Japan"}},
			map[partnerhub.Lang][]string{"en": {"Latitude", "Name in Japanese", "Country"}}},
		{partnerhub.EntityUnit, "/edit/unit/new", map[string][]string{},
			map[partnerhub.Lang][]string{"en": {"Code", "Name in English"}}},
		{partnerhub.EntityTeam, "/edit/team/ntu/3", map[string][]string{"version": {"1"}, "units": {"agr"}, "lead": {"med"}},
			map[partnerhub.Lang][]string{"en": {"Lead unit"}, "ja": {"主幹部局"}}},
		{partnerhub.EntityMobility, "/edit/mobility/new", map[string][]string{"year": {"this year"}, "count": {"-3"}},
			map[partnerhub.Lang][]string{"en": {"Academic year", "Number of people"}, "ja": {"年度", "人数"}}},
	} {
		for _, lang := range partnerhub.Langs {
			path := "/" + string(lang) + tc.path
			r := ed.send(t, "POST", path, tc.form, ed.cookie["admin"])
			if r.status < 400 || r.status > 499 {
				t.Errorf("%s: status %d, want a refusal\n%s", path, r.status, r.body)
				continue
			}
			d := parse(t, []byte(r.body))
			ids := map[string]bool{}
			for _, n := range d.all(func(n *html.Node) bool { return attr(n, "id") != "" }) {
				ids[attr(n, "id")] = true
			}
			links := d.all(func(n *html.Node) bool {
				return n.Data == "a" && n.Parent != nil && n.Parent.Data == "li" && hasAncestorClass(n, "alert")
			})
			if len(links) == 0 {
				t.Errorf("%s: no error summary\n%s", path, r.body)
				continue
			}
			var labels []string
			for _, a := range links {
				label := strings.TrimSpace(text(a))
				labels = append(labels, label)
				if label == "" || rawKey.MatchString(label) || strings.ContainsAny(label, "[]") {
					t.Errorf("%s: summary names a field by its key: %q", path, label)
				}
				if href := attr(a, "href"); !strings.HasPrefix(href, "#") || !ids[strings.TrimPrefix(href, "#")] {
					t.Errorf("%s: summary entry %q links to %q, which is not on the page", path, label, href)
				}
			}
			for _, want := range tc.want[lang] {
				if !strings.Contains(strings.Join(labels, "\n"), want) {
					t.Errorf("%s: summary %q lacks %q", path, labels, want)
				}
			}
			t.Logf("%s: %q", path, labels)
		}
	}
	if _, _, err := ed.db.Record(t.Context(), "utokyo", partnerhub.EntityPartner, "zz-test"); err == nil {
		t.Error("a refused partner form stored the partner")
	}
	if after := teamVersion(); after != before {
		t.Errorf("a refused team form changed the team: version %d, was %d", after, before)
	}
}

func hasAncestorClass(n *html.Node, class string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if strings.Contains(" "+attr(p, "class")+" ", " "+class+" ") {
			return true
		}
	}
	return false
}
