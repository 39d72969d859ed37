package web

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

const calBase = "https://partners.example.ac.jp"

// syncBuffer is a log the server writes while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newCalendarServer is an authServer with calendar feeds, a base URL and a
// log the test reads.
func newCalendarServer(t *testing.T, e storetest.Engine) (*authServer, *syncBuffer) {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, Calendars: db, BaseURL: calBase,
		Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}, log
}

// parseFeed checks a feed's headers and lines, and parses it with a
// maintained iCalendar library.
func parseFeed(t *testing.T, r reply) map[string]*ics.VEvent {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("feed: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.HasSuffix(r.body, "\r\n") {
		t.Fatal("the feed does not end with CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(r.body, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d has %d octets: %q", i+1, len(line), line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d holds a bare line break: %q", i+1, line)
		}
	}
	checkTextEscapes(t, r.body)
	cal, err := ics.ParseCalendar(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, r.body)
	}
	events := map[string]*ics.VEvent{}
	for _, e := range cal.Events() {
		if _, dup := events[e.Id()]; dup {
			t.Errorf("UID %s twice", e.Id())
		}
		for _, p := range []ics.ComponentProperty{ics.ComponentPropertyDtstamp, ics.ComponentPropertySummary} {
			if e.GetProperty(p) == nil {
				t.Errorf("%s has no %s", e.Id(), p)
			}
		}
		events[e.Id()] = e
	}
	return events
}

// checkTextEscapes checks the TEXT values the parser is lenient about: in
// an unfolded SUMMARY, DESCRIPTION or LOCATION, every comma and semicolon is
// escaped, and a backslash only escapes one of \\ ; , n.
func checkTextEscapes(t *testing.T, body string) {
	t.Helper()
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	for _, line := range strings.Split(unfolded, "\r\n") {
		name, _, _ := strings.Cut(line, ";")
		name, _, _ = strings.Cut(name, ":")
		if name != "SUMMARY" && name != "DESCRIPTION" && name != "LOCATION" {
			continue
		}
		_, value, _ := strings.Cut(line, ":")
		for i := 0; i < len(value); i++ {
			switch value[i] {
			case '\\':
				if i+1 == len(value) || !strings.ContainsRune(`\;,nN`, rune(value[i+1])) {
					t.Errorf("a bare backslash in %q", line)
				}
				i++
			case ',', ';':
				t.Errorf("an unescaped %q in %q", value[i], line)
			}
		}
	}
}

func propValue(e *ics.VEvent, p ics.ComponentProperty) string {
	if v := e.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func allDay(t *testing.T, e *ics.VEvent) (start, end time.Time) {
	t.Helper()
	start, err := e.GetAllDayStartAt()
	if err != nil {
		t.Fatalf("%s: DTSTART %v", e.Id(), err)
	}
	end, err = e.GetAllDayEndAt()
	if err != nil {
		t.Fatalf("%s: DTEND %v", e.Id(), err)
	}
	return start, end
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day()
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// The public feeds: one event per dated, published activity, in both
// languages, with the dates, UIDs and URLs of the record; no draft, even
// for a signed-in reader; text escaped and lines folded so that a parser
// reads back exactly what was written; cached with an ETag that changes
// with the data.
func TestActivityFeeds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, _ := newCalendarServer(t, e)
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		token, _, err := ts.db.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeRead}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		before := ts.send(t, "GET", "/en/activities.ics", nil)
		etag := before.header.Get("Etag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if r := ts.send(t, "GET", "/en/activities.ics", nil, "If-None-Match", etag); r.status != http.StatusNotModified {
			t.Fatalf("If-None-Match: %d", r.status)
		}

		tricky := partnerhub.Text{
			Ja: "東京大学・南洋理工大学合同ワークショップ：持続可能な都市、水；エネルギー\\計画について（二日間）",
			En: "Joint workshop, day 1; water\\energy\nand a second line, with a title long enough to be folded twice over",
		}
		apply := func(a *partnerhub.Activity) {
			t.Helper()
			if _, err := ts.db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity,
				Action: partnerhub.ActionCreate, Record: a}); err != nil {
				t.Fatal(err)
			}
		}
		apply(&partnerhub.Activity{Slug: "ical-tricky", Kind: partnerhub.Workshop, Title: tricky,
			Start: partnerhub.MustPartialDate("2026-05-10"), End: partnerhub.MustPartialDate("2026-05-12"),
			Venue: partnerhub.Text{Ja: "本郷キャンパス", En: "Hongo campus"}, Partners: []string{"ntu"}, Units: []string{"eng"}, Published: true})
		apply(&partnerhub.Activity{Slug: "ical-draft", Kind: partnerhub.Workshop, Title: partnerhub.Text{Ja: "下書き", En: "Draft"},
			Start: partnerhub.MustPartialDate("2026-06"), Partners: []string{"ntu"}, Units: []string{"eng"}, Published: false})
		if err := ts.srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if r := ts.send(t, "GET", "/en/activities.ics", nil, "If-None-Match", etag); r.status != http.StatusOK || r.header.Get("Etag") == etag {
			t.Fatalf("after a change: %d, ETag %q (was %q)", r.status, r.header.Get("Etag"), etag)
		}

		c, err := ts.db.Catalog(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		uid := func(slug string) string { return "activity-" + slug + "@partners.example.ac.jp" }
		want := map[string]partnerhub.Activity{}
		for _, a := range c.Activities {
			if a.Published && !a.Start.IsZero() {
				want[uid(a.Slug)] = a
			}
		}
		if _, ok := want[uid("ical-tricky")]; !ok || len(want) < 10 {
			t.Fatalf("fixture: %d dated activities", len(want))
		}
		for _, lang := range partnerhub.Langs {
			for _, hdr := range [][]any{nil, {"Authorization", "Bearer " + token}} {
				events := parseFeed(t, ts.send(t, "GET", "/"+string(lang)+"/activities.ics", nil, hdr...))
				if got, w := sortedKeys(events), sortedKeys(want); !slices.Equal(got, w) {
					t.Fatalf("%s (%v): events\n%v\nwant\n%v", lang, hdr, got, w)
				}
				for id, a := range want {
					ev := events[id]
					start, end := allDay(t, ev)
					if !sameDay(start, a.Start.First()) || !sameDay(end, cmp.Or(a.End, a.Start).Last().AddDate(0, 0, 1)) {
						t.Errorf("%s %s: %s to %s, want %s to %s (exclusive)", lang, a.Slug, start, end, a.Start, cmp.Or(a.End, a.Start))
					}
					if u := propValue(ev, ics.ComponentPropertyUrl); u != calBase+"/"+string(lang)+"/activities/"+a.Slug {
						t.Errorf("%s %s: URL %q", lang, a.Slug, u)
					}
					title, _ := a.Title.In(lang)
					if s := propValue(ev, ics.ComponentPropertySummary); s != title {
						t.Errorf("%s %s: SUMMARY %q, want %q", lang, a.Slug, s, title)
					}
				}
				tr := events[uid("ical-tricky")]
				other := tricky.En
				if lang == partnerhub.English {
					other = tricky.Ja
				}
				if d := propValue(tr, ics.ComponentPropertyDescription); !strings.Contains(d, other) || !strings.Contains(d, calBase+"/"+string(lang)+"/activities/ical-tricky") {
					t.Errorf("%s: DESCRIPTION %q lacks the other language's title or the URL", lang, d)
				}
				if loc := propValue(tr, ics.ComponentPropertyLocation); loc != map[partnerhub.Lang]string{partnerhub.Japanese: "本郷キャンパス", partnerhub.English: "Hongo campus"}[lang] {
					t.Errorf("%s: LOCATION %q", lang, loc)
				}
				if p := tr.GetProperty(ics.ComponentPropertySummary).ICalParameters["LANGUAGE"]; !slices.Equal(p, []string{string(lang)}) {
					t.Errorf("%s: SUMMARY;LANGUAGE=%v", lang, p)
				}
			}
		}

		// A partner's and a unit's feeds hold their activities only.
		for path, keep := range map[string]func(a partnerhub.Activity) bool{
			"/en/partners/ntu/activities.ics": func(a partnerhub.Activity) bool { return slices.Contains(a.Partners, "ntu") },
			"/ja/units/eng/activities.ics":    func(a partnerhub.Activity) bool { return slices.Contains(a.Units, "eng") },
		} {
			events := parseFeed(t, ts.send(t, "GET", path, nil))
			var w []string
			for id, a := range want {
				if keep(a) {
					w = append(w, id)
				}
			}
			slices.Sort(w)
			if got := sortedKeys(events); !slices.Equal(got, w) || !slices.Contains(got, uid("ical-tricky")) {
				t.Errorf("%s: %v, want %v", path, got, w)
			}
		}
		if r := ts.send(t, "GET", "/en/partners/nobody/activities.ics", nil); r.status != http.StatusNotFound {
			t.Errorf("an unknown partner's feed: %d", r.status)
		}

		// The pages link their feeds, visibly and in the head.
		for _, c := range []struct{ page, feed string }{
			{"/en/activities", "/en/activities.ics"}, {"/ja/activities", "/ja/activities.ics"},
			{"/ja/partners/ntu", "/ja/partners/ntu/activities.ics"}, {"/en/units/eng", "/en/units/eng/activities.ics"},
		} {
			body := ts.send(t, "GET", c.page, nil).body
			if !strings.Contains(body, `<link rel="alternate" type="text/calendar"`) || !strings.Contains(body, `href="`+calBase+c.feed+`"`) ||
				!strings.Contains(body, `<a href="`+calBase+c.feed+`" type="text/calendar">`) {
				t.Errorf("%s does not link %s", c.page, c.feed)
			}
		}
	})
}

var feedURL = regexp.MustCompile(regexp.QuoteMeta(calBase) + `/(en|ja)/calendar/(phcal_[A-Za-z0-9_-]{43})\.ics`)

// The personal feed: made on the account page, shown once; it lists the
// expiring agreements the user looks after (drafts too) and no one else's;
// it is never cached or indexed; replacing or revoking it makes the old
// address a 404, logged without the secret.
func TestPersonalFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, log := newCalendarServer(t, e)
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		ts.addUser(t, "alice@example.ac.jp", partnerhub.RoleCoordinator, "eng")

		// A partner whose current team leaves out eng, and a unit of it.
		var otherPartner, otherUnit string
		for _, p := range ts.srv.full.Load().index.Partners(partnerhub.PartnerFilter{}) {
			if len(p.Units) > 0 && !slices.ContainsFunc(p.Units, func(u partnerhub.TeamUnit) bool { return u.Code == "eng" }) {
				otherPartner, otherUnit = p.Slug, p.Units[0].Code
				break
			}
		}
		// A partner whose team holds neither, and one whose team holds eng
		// but not the other unit.
		var neither, engPartner string
		for _, p := range ts.srv.full.Load().index.Partners(partnerhub.PartnerFilter{}) {
			has := func(code string) bool {
				return slices.ContainsFunc(p.Units, func(u partnerhub.TeamUnit) bool { return u.Code == code })
			}
			switch {
			case !has("eng") && !has(otherUnit) && neither == "":
				neither = p.Slug
			case has("eng") && !has(otherUnit) && engPartner == "":
				engPartner = p.Slug
			}
		}
		if otherPartner == "" || neither == "" || engPartner == "" {
			t.Fatalf("fixture: partners %q %q %q", otherPartner, neither, engPartner)
		}
		bob := ts.addUser(t, "bob@example.ac.jp", partnerhub.RoleCoordinator, otherUnit)

		now := time.Now().UTC()
		day := func(months int) partnerhub.PartialDate {
			d := now.AddDate(0, months, 0)
			return partnerhub.PartialDate{Year: d.Year(), Month: int(d.Month()), Day: d.Day()}
		}
		month := day(6)
		month.Day = 0
		add := func(slug, partner, unit string, expires partnerhub.PartialDate, published bool) {
			t.Helper()
			a := &partnerhub.Agreement{Slug: slug, Partner: partner, Kind: partnerhub.Exchange,
				Level: partnerhub.UnitLevel, Title: partnerhub.Text{Ja: "協定 " + slug, En: "Agreement " + slug}, Units: []string{unit},
				Expires: expires, Status: partnerhub.Active, Published: published}
			if unit == "" {
				a.Level, a.Units = partnerhub.UniversityLevel, nil
			}
			if _, err := ts.db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityAgreement,
				Action: partnerhub.ActionCreate, Record: a}); err != nil {
				t.Fatal(err)
			}
		}
		add("ical-eng-draft", neither, "eng", day(3), false)
		add("ical-eng-month", neither, "eng", month, true)
		add("ical-eng-late", neither, "eng", day(25), true)
		add("ical-eng-past", neither, "eng", day(-2), true)
		add("ical-eng-team", engPartner, "", day(4), true) // eng's by the partner's team
		add("ical-other", otherPartner, otherUnit, day(2), true)
		add("ical-nobody", neither, "", day(5), true) // nobody's but the administrators'
		if err := ts.srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		uid := func(slug string) string { return "agreement-expiry-" + slug + "@partners.example.ac.jp" }

		ck := ts.signIn(t, "alice@example.ac.jp")
		wantPage(t, ts.send(t, "GET", "/en/account", nil, ck), http.StatusOK, "You have no calendar address.", `action="/en/account/calendar"`)
		r := ts.send(t, "POST", "/ja/account/calendar", nil, ck)
		wantPage(t, r, http.StatusOK, "カレンダー用アドレスを作成しました。")
		m := feedURL.FindAllStringSubmatch(r.body, -1)
		if len(m) != 2 || m[0][1] != "ja" || m[1][1] != "en" || m[0][2] != m[1][2] {
			t.Fatalf("the new addresses: %v", m)
		}
		secret := m[0][2]
		if p := ts.send(t, "GET", "/en/account", nil, ck); strings.Contains(p.body, secret) || !strings.Contains(p.body, "Replace the address") {
			t.Fatal("the account page shows the secret again, or no feed")
		}

		feed := func(lang, secret string) reply {
			t.Helper()
			r := ts.send(t, "GET", "/"+lang+"/calendar/"+secret+".ics", nil)
			if cc, robots := r.header.Get("Cache-Control"), r.header.Get("X-Robots-Tag"); cc != "no-store" || !strings.Contains(robots, "noindex") {
				t.Errorf("%s feed: Cache-Control %q, X-Robots-Tag %q", lang, cc, robots)
			}
			return r
		}
		for _, lang := range []string{"en", "ja"} {
			events := parseFeed(t, feed(lang, secret))
			if got := sortedKeys(events); !slices.Equal(got, []string{uid("ical-eng-draft"), uid("ical-eng-month"), uid("ical-eng-team")}) {
				t.Fatalf("%s: alice's feed holds %v", lang, got)
			}
			d := events[uid("ical-eng-draft")]
			start, end := allDay(t, d)
			if want := day(3).First(); !sameDay(start, want) || !sameDay(end, want.AddDate(0, 0, 1)) {
				t.Errorf("%s: the draft's expiry %s to %s, want %s", lang, start, end, want)
			}
			if s := propValue(d, ics.ComponentPropertyStatus); s != "TENTATIVE" {
				t.Errorf("%s: a draft's STATUS %q", lang, s)
			}
			if len(d.Alarms()) != 1 {
				t.Errorf("%s: %d alarms", lang, len(d.Alarms()))
			}
			start, end = allDay(t, events[uid("ical-eng-month")])
			if !sameDay(start, month.First()) || !sameDay(end, month.Last().AddDate(0, 0, 1)) {
				t.Errorf("%s: an expiry known by month: %s to %s", lang, start, end)
			}
			summary := propValue(d, ics.ComponentPropertySummary)
			if wantIn := map[string]string{"en": "Agreement ical-eng-draft", "ja": "協定 ical-eng-draft"}[lang]; !strings.Contains(summary, wantIn) {
				t.Errorf("%s: SUMMARY %q", lang, summary)
			}
			if u := propValue(d, ics.ComponentPropertyUrl); u != calBase+"/"+lang+"/agreements/ical-eng-draft" {
				t.Errorf("%s: URL %q", lang, u)
			}
		}

		bobs, err := ts.db.CreateCalendarFeed(ctx, bob.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := sortedKeys(parseFeed(t, feed("en", bobs))); !slices.Equal(got, []string{uid("ical-other")}) {
			t.Errorf("bob's feed holds %v", got)
		}
		admins, err := ts.db.CreateCalendarFeed(ctx, admin.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		got := parseFeed(t, feed("en", admins))
		for _, slug := range []string{"ical-eng-draft", "ical-eng-month", "ical-eng-team", "ical-other", "ical-nobody"} {
			if got[uid(slug)] == nil {
				t.Errorf("the admin's feed lacks %s", slug)
			}
		}
		for _, slug := range []string{"ical-eng-late", "ical-eng-past"} {
			if got[uid(slug)] != nil {
				t.Errorf("the admin's feed holds %s, outside the next year", slug)
			}
		}

		// A revocation from another site is refused, and changes nothing.
		if r := ts.send(t, "POST", "/en/account/calendar/revoke", nil, ck, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
			t.Fatalf("cross-site revoke: %d", r.status)
		}
		parseFeed(t, feed("en", secret))

		// Replaced: the old address is gone, the new one works.
		m = feedURL.FindAllStringSubmatch(ts.send(t, "POST", "/en/account/calendar", nil, ck).body, -1)
		if len(m) != 2 || m[0][2] == secret {
			t.Fatalf("replace: %v", m)
		}
		if r := feed("en", secret); r.status != http.StatusNotFound {
			t.Fatalf("a replaced address: %d", r.status)
		}
		parseFeed(t, feed("ja", m[0][2]))
		wantRedirect(t, ts.send(t, "POST", "/en/account/calendar/revoke", nil, ck), "/en/account#calendar")
		for _, s := range []string{m[0][2], "phcal_" + strings.Repeat("A", 43), "nothing"} {
			if r := feed("en", s); r.status != http.StatusNotFound {
				t.Fatalf("a revoked or unknown address: %d", r.status)
			}
		}
		parseFeed(t, feed("en", bobs)) // bob's is his own
		logged := log.String()
		if !strings.Contains(logged, "calendar_feed_unknown") || !strings.Contains(logged, "calendar_feed_created") || !strings.Contains(logged, "calendar_feed_revoked") {
			t.Errorf("security log:\n%s", logged)
		}
		if strings.Contains(logged, secret) || strings.Contains(logged, m[0][2]) {
			t.Error("the log holds a secret")
		}
	})
}
