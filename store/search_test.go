package store_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// hitKeys writes results as "kind:key" lines, exact ones marked "=",
// drafts "(draft)".
func hitKeys(r *partnerhub.SearchResults) []string {
	var out []string
	for _, h := range r.Hits {
		s := string(h.Kind) + ":" + h.Key
		if h.Exact {
			s = "=" + s
		}
		if h.Draft {
			s += "(draft)"
		}
		out = append(out, s)
	}
	return out
}

func searchFor(t *testing.T, db *store.DB, home string, q partnerhub.SearchQuery) *partnerhub.SearchResults {
	t.Helper()
	r, err := db.Search(context.Background(), home, q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Text, err)
	}
	return r
}

// firstOf is the first hit of a kind, "" when there is none.
func firstOf(r *partnerhub.SearchResults, k partnerhub.SearchKind) string {
	for _, h := range hitKeys(r) {
		if strings.HasPrefix(strings.TrimPrefix(h, "="), string(k)+":") {
			return h
		}
	}
	return ""
}

func marked(ms []partnerhub.Mark) string {
	var b strings.Builder
	for _, m := range ms {
		if m.Hit {
			b.WriteString("[" + m.Text + "]")
		} else {
			b.WriteString(m.Text)
		}
	}
	return b.String()
}

// searchCases are what the issue says search must find in the built-in
// data: the query, the language of the page, and a hit it must have
// (the first of its kind when first is set).
var searchCases = []struct {
	q     string
	lang  partnerhub.Lang
	want  string
	first bool
}{
	{"農学", partnerhub.Japanese, "unit:agr", true},
	{"農学", partnerhub.English, "partner:ntu", false}, // its lead unit is 農学生命科学研究科
	{"清華", partnerhub.Japanese, "partner:tsinghua", true},
	{"清華", partnerhub.English, "institution:tsinghua", true},
	{"工学", partnerhub.Japanese, "unit:eng", true},
	{"工", partnerhub.Japanese, "=unit:eng", true},
	{"東文研", partnerhub.Japanese, "=unit:ioc", true},
	{"IPMU", partnerhub.English, "=unit:ipmu", true},
	{"ipmu", partnerhub.Japanese, "=unit:ipmu", true},
	{"PKU", partnerhub.English, "=partner:pku", true},
	{"PKU", partnerhub.English, "=institution:pku", true},
	{"SNU", partnerhub.Japanese, "=partner:snu", true},
	{"ETH", partnerhub.English, "partner:ethz", true},
	{"ETH", partnerhub.English, "institution:ethz", true},
	{"ＥＴＨ", partnerhub.English, "partner:ethz", true},
	{"symposi", partnerhub.English, "activity:ethz-symposium-2019", false},
	{"Stockh", partnerhub.English, "partner:stockholm", true},
	{"stockh", partnerhub.Japanese, "institution:su", true},
	{"ストックホルム", partnerhub.English, "partner:stockholm", true},
	{"ｽﾄｯｸﾎﾙﾑ", partnerhub.English, "partner:stockholm", true},
	{"Tsinghua University", partnerhub.Japanese, "=partner:tsinghua", true},
	{"清華大学", partnerhub.English, "=partner:tsinghua", true},
}

func TestSearchFinds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		for _, c := range searchCases {
			r := searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: c.q, Lang: c.lang, Limit: 100})
			keys := hitKeys(r)
			kind := partnerhub.SearchKind(strings.SplitN(strings.TrimPrefix(c.want, "="), ":", 2)[0])
			if !slices.Contains(keys, c.want) || c.first && firstOf(r, kind) != c.want {
				t.Errorf("%q (%s): want %s (first of its kind: %v), got %v", c.q, c.lang, c.want, c.first, keys)
			}
			for _, h := range r.Hits {
				if h.Title.Ja == "" && h.Title.En == "" || h.Key == "" {
					t.Errorf("%q: hit without title or key: %+v", c.q, h)
				}
				if r.Counts[h.Kind] == 0 {
					t.Errorf("%q: hit of %s counted 0", c.q, h.Kind)
				}
			}
		}
		// Width and case are the same query.
		full := hitKeys(searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "ＥＴＨ"}))
		if half := hitKeys(searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "eth"})); !slices.Equal(full, half) {
			t.Errorf("ＥＴＨ %v, eth %v", full, half)
		}
		kata := hitKeys(searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "ストックホルム"}))
		if half := hitKeys(searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "ｽﾄｯｸﾎﾙﾑ"})); !slices.Equal(kata, half) || len(kata) == 0 {
			t.Errorf("ストックホルム %v, ｽﾄｯｸﾎﾙﾑ %v", kata, half)
		}
		// The snippet is in the page's language, the match marked in the
		// text's own characters.
		r := searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "symposi", Lang: partnerhub.English, Kinds: []partnerhub.SearchKind{partnerhub.SearchPartner}})
		if len(r.Hits) == 0 || !strings.Contains(strings.ToLower(marked(r.Hits[0].Snippet)), "[symposi") {
			t.Errorf("snippet of symposi: %+v", r.Hits)
		}
		r = searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "ｽﾄｯｸﾎﾙﾑ", Lang: partnerhub.Japanese, Kinds: []partnerhub.SearchKind{partnerhub.SearchPartner}})
		if len(r.Hits) == 0 || !strings.Contains(marked(r.Hits[0].Snippet), "[ストックホルム]") {
			t.Errorf("snippet of ｽﾄｯｸﾎﾙﾑ: %+v", r.Hits)
		}
		// Kinds and year filter; nothing typed finds nothing.
		r = searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "PKU", Kinds: []partnerhub.SearchKind{partnerhub.SearchActivity}})
		for _, h := range r.Hits {
			if h.Kind != partnerhub.SearchActivity {
				t.Errorf("kinds filter: %v", hitKeys(r))
			}
		}
		if len(r.Hits) == 0 {
			t.Error("PKU activities: none")
		}
		r = searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: "Stockholm", Year: 2020})
		for _, h := range r.Hits {
			if h.Year != 2020 {
				t.Errorf("year filter: %+v", h)
			}
		}
		if r.Counts[partnerhub.SearchActivity] == 0 || r.Counts[partnerhub.SearchPartner] != 0 {
			t.Errorf("Stockholm in 2020: %v %v", r.Counts, hitKeys(r))
		}
		if r := searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: " ?! "}); len(r.Hits) != 0 {
			t.Errorf("punctuation found %v", hitKeys(r))
		}
		if _, err := db.Search(context.Background(), "utokyo", partnerhub.SearchQuery{Text: "x", Year: 1066}); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Errorf("year 1066: %v", err)
		}
	})
}

// TestSearchSameOnBothEngines runs the same queries on both engines and
// compares the hits, in order, and the counts.
func TestSearchSameOnBothEngines(t *testing.T) {
	queries := []string{"農学", "工", "工学", "東文研", "IPMU", "PKU", "ETH", "symposi", "Stockh", "ストックホルム", "大学", "university",
		"s", "研究", "joint symposium", "東京 大学", "2019", "k"}
	got := map[string][]string{}
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.OpenBuiltin(t)
			var lines []string
			for _, q := range queries {
				for _, drafts := range []bool{false, true} {
					r := searchFor(t, db, "utokyo", partnerhub.SearchQuery{Text: q, Drafts: drafts, Limit: 20, Lang: partnerhub.English})
					var counts []string
					for _, k := range partnerhub.SearchKinds {
						counts = append(counts, string(k)+"="+strconv.Itoa(r.Counts[k]))
					}
					var snips []string
					for _, h := range r.Hits {
						snips = append(snips, marked(h.Snippet))
					}
					lines = append(lines, q+" "+strings.Join(counts, ",")+" "+strings.Join(hitKeys(r), " ")+" "+strings.Join(snips, "|"))
				}
			}
			got[e.Name] = lines
		})
	}
	if len(got) == 2 {
		for i := range got["sqlite"] {
			if got["sqlite"][i] != got["postgres"][i] {
				t.Errorf("engines differ:\n sqlite   %s\n postgres %s", got["sqlite"][i], got["postgres"][i])
			}
		}
	}
}

// TestSearchShowsOnlyWhatMayBeSeen: drafts only with Drafts and only the
// home's own; another member's records never (published or not); a write
// is found at once, a deletion gone, a restore back.
func TestSearchShowsOnlyWhatMayBeSeen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		inst := func(slug string) partnerhub.Institution {
			return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
		}
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{inst("kyoto-uni"), inst("kyoto-a"), inst("kyoto-b")}, "kyoto-a", "kyoto-b")
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		other := &partnerhub.User{Home: "kyoto", Email: "admin@kyoto.example.ac.jp", Name: "Kyoto", Role: partnerhub.RoleAdmin}
		var err error
		if other.ID, err = db.InsertUserForTest(ctx, other); err != nil {
			t.Fatal(err)
		}
		find := func(home, text string, drafts bool) []string {
			return hitKeys(searchFor(t, db, home, partnerhub.SearchQuery{Text: text, Drafts: drafts, Limit: 50}))
		}

		// Another member's published records are its own, not in this
		// member's results; the registry's institutions are everyone's.
		if got := find("utokyo", "kyoto", true); slices.ContainsFunc(got, func(s string) bool { return !strings.HasPrefix(s, "institution:") }) ||
			!slices.Contains(got, "institution:kyoto-a") {
			t.Errorf("utokyo finds of kyoto: %v", got)
		}
		if got := find("kyoto", "kyoto", false); !slices.Contains(got, "partner:kyoto-partner") || !slices.Contains(got, "activity:kyoto-activity") {
			t.Errorf("kyoto finds of its own: %v", got)
		}
		if got := find("kyoto", "PKU", true); slices.ContainsFunc(got, func(s string) bool { return !strings.Contains(s, "institution:") }) {
			t.Errorf("kyoto finds utokyo's: %v", got)
		}

		// A draft activity, written through Apply: found at once, by those
		// who read drafts of this home only.
		base, _, err := db.Record(ctx, "utokyo", partnerhub.EntityActivity, "ntu-joint-conference-2019")
		if err != nil {
			t.Fatal(err)
		}
		a := *base.(*partnerhub.Activity)
		a.Slug, a.Title, a.Published, a.Version = "zephyr-draft", partnerhub.Text{Ja: "ゼファー準備会合", En: "Zephyr planning meeting"}, false, 0
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate, Record: &a}); err != nil {
			t.Fatal(err)
		}
		if got := find("utokyo", "zephyr", false); len(got) != 0 {
			t.Errorf("a draft without Drafts: %v", got)
		}
		if got := find("utokyo", "ゼファー", true); !slices.Equal(got, []string{"activity:zephyr-draft(draft)"}) {
			t.Errorf("a draft with Drafts: %v", got)
		}
		if got := find("kyoto", "zephyr", true); len(got) != 0 {
			t.Errorf("another member's draft: %v", got)
		}
		// Another member's draft, from this member with Drafts: never.
		k := a
		k.Slug, k.Title, k.Partners, k.Units, k.Host, k.Institutions = "kyoto-secret", partnerhub.Text{Ja: "秘密の会合", En: "Secret gathering"},
			[]string{"kyoto-partner"}, []string{"kyoto-unit"}, "kyoto-a", nil
		k.Series, k.Edition = "", 0
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: other, Home: "kyoto", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate, Record: &k}); err != nil {
			t.Fatal(err)
		}
		if got := find("utokyo", "secret", true); len(got) != 0 {
			t.Errorf("kyoto's draft from utokyo: %v", got)
		}
		if got := find("kyoto", "秘密", true); !slices.Equal(got, []string{"activity:kyoto-secret(draft)"}) {
			t.Errorf("kyoto's draft at kyoto: %v", got)
		}

		// Published, renamed, deleted, restored: each seen by the next search.
		a.Published, a.Title.En = true, "Zephyr kick-off"
		v, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: a.Slug, Version: 1, Record: &a})
		if err != nil {
			t.Fatal(err)
		}
		if got := find("utokyo", "zephyr kick", false); !slices.Equal(got, []string{"activity:zephyr-draft"}) {
			t.Errorf("published: %v", got)
		}
		if got := find("utokyo", "planning", false); slices.Contains(got, "activity:zephyr-draft") {
			t.Errorf("the old title still found: %v", got)
		}
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionDelete, Key: a.Slug, Version: v}); err != nil {
			t.Fatal(err)
		}
		if got := find("utokyo", "zephyr", true); len(got) != 0 {
			t.Errorf("deleted: %v", got)
		}
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionRestore, Key: a.Slug}); err != nil {
			t.Fatal(err)
		}
		if got := find("utokyo", "zephyr", false); !slices.Equal(got, []string{"activity:zephyr-draft"}) {
			t.Errorf("restored: %v", got)
		}
		// A partner renamed: its activities show the new name.
		p, _, err := db.Record(ctx, "utokyo", partnerhub.EntityPartner, "ntu")
		if err != nil {
			t.Fatal(err)
		}
		pp := *p.(*partnerhub.Partner)
		pp.Name.En = "Quokka University of Taiwan"
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityPartner, Action: partnerhub.ActionUpdate, Key: "ntu", Version: p.RecordVersion(), Record: &pp}); err != nil {
			t.Fatal(err)
		}
		if got := find("utokyo", "quokka", false); !slices.Contains(got, "=partner:ntu") && !slices.Contains(got, "partner:ntu") ||
			!slices.Contains(got, "activity:ntu-joint-conference-2019") {
			t.Errorf("renamed partner: %v", got)
		}
		// Built again from nothing, the index answers the same.
		before := find("utokyo", "zephyr", true)
		if _, err := db.RebuildSearch(ctx); err != nil {
			t.Fatal(err)
		}
		if after := find("utokyo", "zephyr", true); !slices.Equal(before, after) {
			t.Errorf("after a rebuild %v, before %v", after, before)
		}
	})
}

// TestSearchAfterImport: exports leave the index out; a database imported
// from one is indexed by its first search, searches made before included.
func TestSearchAfterImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		src := e.OpenBuiltin(t)
		searchFor(t, src, "utokyo", partnerhub.SearchQuery{Text: "PKU"})
		var doc strings.Builder
		if err := src.Export(ctx, &doc); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(doc.String(), "search_docs") {
			t.Error("the export holds the search index")
		}
		dst := e.Open(t)
		if err := dst.Import(ctx, strings.NewReader(doc.String())); err != nil {
			t.Fatal(err)
		}
		if got := firstOf(searchFor(t, dst, "utokyo", partnerhub.SearchQuery{Text: "東文研"}), partnerhub.SearchUnit); got != "=unit:ioc" {
			t.Errorf("after import: %q", got)
		}
	})
}
