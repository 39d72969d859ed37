package web

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

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

// TestEditPagesSpeakPlainly: the editing pages are titled by the record's
// name in the reader's language, not its key; a date written as people
// write it is stored at the precision written; check-box lists are in
// name order for the reader's language.
func TestEditPagesSpeakPlainly(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	h1 := func(path string) string {
		t.Helper()
		r := ed.send(t, "GET", path, nil, ed.cookie["admin"])
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		hs := parse(t, []byte(r.body)).all(tag("h1"))
		if len(hs) != 1 {
			t.Fatalf("%s: %d h1", path, len(hs))
		}
		return text(hs[0])
	}
	for path, want := range map[string]string{
		"/ja/edit/partner/snu":         "パートナー ソウル国立大学 の編集",
		"/en/edit/partner/snu":         "Edit partner Seoul National University",
		"/en/edit/team/ntu/3":          "Team and tier of National Taiwan University in phase 3",
		"/ja/edit/team/ntu/3":          "国立台湾大学 第3期のチームと区分",
		"/ja/history/partner/snu":      "ソウル国立大学 の履歴",
		"/en/history/team/ntu/3":       "History of the team of National Taiwan University in phase 3",
		"/en/history/user/nobody-here": "History of nobody-here", // no name to show: the key it is
	} {
		if got := h1(path); got != want {
			t.Errorf("%s: h1 %q, want %q", path, got, want)
		}
	}
	agreement := ed.record(t, partnerhub.EntityAgreement, "snu-mou")
	title := agreement["title"].(map[string]any)
	if got := h1("/en/history/agreement/snu-mou"); got != "History of "+title["en"].(string) {
		t.Errorf("agreement history h1 %q, want its title %q", got, title["en"])
	}
	if got := h1("/ja/edit/agreement/snu-mou"); !strings.Contains(got, title["ja"].(string)) || strings.Contains(got, "snu-mou") {
		t.Errorf("agreement edit h1 %q, want its title %q", got, title["ja"])
	}

	// Dates as people write them, stored at the precision written.
	const slug = "ntu-joint-conference-2019"
	for _, tc := range []struct{ lang, start, end, wantStart, wantEnd string }{
		{"ja", "２０１９年１１月", "2019年11月30日", "2019-11", "2019-11-30"},
		{"en", "2019", "March 2020", "2019", "2020-03"},
		{"en", "15 November 2019", "2019/11/16", "2019-11-15", "2019-11-16"},
	} {
		form := activityForm(ed.record(t, partnerhub.EntityActivity, slug))
		form.Set("start", tc.start)
		form.Set("end", tc.end)
		form.Set("phase", "")
		r := ed.send(t, "POST", "/"+tc.lang+"/edit/activity/"+slug, form, ed.cookie["admin"])
		if r.status != 303 {
			t.Fatalf("%q to %q: %d\n%s", tc.start, tc.end, r.status, r.body)
		}
		rec := ed.record(t, partnerhub.EntityActivity, slug)
		if rec["start"] != tc.wantStart || rec["end"] != tc.wantEnd {
			t.Errorf("%q to %q stored as %v to %v, want %s to %s", tc.start, tc.end, rec["start"], rec["end"], tc.wantStart, tc.wantEnd)
		}
	}
	// A date that is not one is refused in the reader's language and
	// changes nothing.
	form := activityForm(ed.record(t, partnerhub.EntityActivity, slug))
	form.Set("start", "2019年13月")
	r := ed.send(t, "POST", "/ja/edit/activity/"+slug, form, ed.cookie["admin"])
	wantPage(t, r, 400, "「2019年13月」は日付として読めません")
	if rec := ed.record(t, partnerhub.EntityActivity, slug); rec["start"] != "2019-11-15" {
		t.Errorf("a refused date changed the start to %v", rec["start"])
	}

	// Check-box lists in the reader's name order.
	orders := map[string][]string{}
	for _, lang := range []string{"ja", "en"} {
		r := ed.send(t, "GET", "/"+lang+"/edit/activity/new", nil, ed.cookie["admin"])
		d := parse(t, []byte(r.body))
		for _, list := range []string{"units", "partners", "institutions"} {
			var labels []string
			for _, in := range d.all(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == list }) {
				labels = append(labels, strings.TrimSpace(text(in.Parent)))
			}
			c := collate.New(language.Make(lang), collate.IgnoreCase, collate.IgnoreWidth)
			if len(labels) < 2 || !slices.IsSortedFunc(labels, c.CompareString) {
				t.Errorf("/%s/edit/activity/new: %s not in name order: %q", lang, list, labels)
			}
			orders[lang+list] = labels
		}
	}
	// Japanese readers meet 工学系研究科 among the kanji, after the kana;
	// English readers find the Graduate School of Engineering under G.
	if u := orders["jaunits"]; slices.Index(u, "工学系研究科（工）") < slices.Index(u, "カブリ数物連携宇宙研究機構（IPMU）") {
		t.Errorf("Japanese units %q", u)
	}
	t.Logf("%q", orders["jaunits"])
	if u := orders["enunits"]; slices.Index(u, "Graduate School of Engineering (Eng)") < 0 {
		t.Errorf("English units %q", u)
	}
}
