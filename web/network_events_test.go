package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// eventServer is a server whose store mails, with an organiser (a network
// editor of utokyo) beside newEditors' users, who organise nothing.
type eventServer struct {
	*editors
	organiser *http.Cookie
	orgToken  string
}

func newEventServer(t *testing.T, e storetest.Engine) *eventServer {
	t.Helper()
	ed := newEditors(t, e)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ed.db.SetMail(&mail.Composer{Messages: cat, BaseURL: "https://partners.example.ac.jp"})
	u := ed.addUser(t, "organiser@example.ac.jp", partnerhub.RoleViewer)
	if err := ed.db.SetNetworkAdmin(context.Background(), "utokyo", u.Email, true); err != nil {
		t.Fatal(err)
	}
	raw, _, err := ed.db.CreateToken(context.Background(), u.ID, partnerhub.TokenSpec{Name: "events", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ed.token["organiser"] = raw
	return &eventServer{editors: ed, organiser: ed.signIn(t, u.Email), orgToken: raw}
}

// eventFormValues is an event in a week, for two, open for registration
// from an hour ago.
func eventFormValues(state string) url.Values {
	j := func(t time.Time) string { return t.In(partnerhub.Japan).Format("2006-01-02T15:04") }
	starts := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Minute)
	return url.Values{"title.ja": {"連携ワークショップ"}, "title.en": {"Partnership workshop"}, "description.ja": {"実務者の集まり"},
		"description.en": {"A meeting of practitioners"}, "kind": {"workshop"}, "venue.ja": {"本郷キャンパス"}, "venue.en": {"Hongo campus"},
		"starts_at": {j(starts)}, "ends_at": {j(starts.Add(2 * time.Hour))}, "registration_opens": {j(time.Now().Add(-time.Hour))},
		"registration_closes": {j(starts.Add(-time.Hour))}, "capacity": {"2"}, "retention_days": {"30"}, "organiser": {"utokyo"},
		"state": {state}, "version": {"0"}}
}

var eventPathRE = regexp.MustCompile(`^/en/network/events/(\d+)\?saved=1$`)

// tokenOf is the cancel link's token of the latest mail to address to.
func tokenOf(t *testing.T, es *eventServer, to string) string {
	t.Helper()
	qs, err := es.db.ClaimMail(context.Background(), time.Now().Add(time.Hour), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	tok := ""
	for _, q := range qs {
		if m := regexp.MustCompile(`/network/registrations/(phr_[A-Za-z0-9_-]+)`).FindStringSubmatch(q.Text); m != nil && q.To == to {
			tok = m[1]
		}
		es.db.MailSent(context.Background(), q.ID, time.Now())
	}
	return tok
}

// Organisers make an event with the form; the public registers on its
// page until it is full, then joins the waiting list; nothing of the
// registrants shows but to the organisers, whose list and attendance
// XLSX hold them; a cancel link gives the place to the next.
func TestNetworkEventPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		es := newEventServer(t, e)
		// Bad input, each at its field in the reader's language; a home's
		// admin who is no network editor may not organise.
		bad := eventFormValues("published")
		bad.Set("title.en", "")
		bad.Set("capacity", "none")
		bad.Set("ends_at", bad.Get("starts_at"))
		wantPage(t, es.send(t, "POST", "/en/network/events/new", bad, es.organiser), http.StatusBadRequest,
			"This field is required.", "“none” is not a whole number.", "Must be after the start.", `value="連携ワークショップ"`)
		wantPage(t, es.send(t, "POST", "/ja/network/events/new", bad, es.organiser), http.StatusBadRequest, "開始より後にしてください。")
		if r := es.send(t, "POST", "/en/network/events/new", eventFormValues("published"), es.cookie["admin"]); r.status != http.StatusForbidden {
			t.Fatalf("a home's admin organises: %d", r.status)
		}
		r := es.send(t, "POST", "/en/network/events/new", eventFormValues("published"), es.organiser)
		m := eventPathRE.FindStringSubmatch(r.header.Get("Location"))
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %s %s", r.status, r.header.Get("Location"), r.body)
		}
		page := "/network/events/" + m[1]
		draft := es.send(t, "POST", "/en/network/events/new", eventFormValues("draft"), es.organiser)
		draftPath := strings.TrimSuffix(strings.TrimPrefix(draft.header.Get("Location"), "/en"), "?saved=1")

		// The public list and page, both languages; the draft is the organisers'.
		wantPage(t, es.send(t, "GET", "/en/network/events", nil), 200, "Partnership workshop", "2 places left of 2.", "Hongo campus")
		wantPage(t, es.send(t, "GET", "/ja/network/events", nil), 200, "連携ワークショップ", "残り2席")
		for _, c := range []*http.Cookie{nil, es.cookie["admin"]} {
			if r := es.send(t, "GET", "/en"+draftPath, nil, c); r.status != http.StatusNotFound {
				t.Fatalf("a draft's page: %d", r.status)
			}
		}
		wantPage(t, es.send(t, "GET", "/en"+draftPath, nil, es.organiser), 200, "Draft")

		// Registration: field errors, then two places, then the waiting list.
		wantPage(t, es.send(t, "POST", "/en"+page, url.Values{"name": {""}, "affiliation": {"X"}, "email": {"nope"}, "language": {"en"}}),
			http.StatusBadRequest, "This field is required.", "Enter an e-mail address such as name@example.ac.jp.")
		wantPage(t, es.send(t, "POST", "/ja"+page, url.Values{"name": {"山田"}, "affiliation": {""}, "email": {"x@example.org"}, "language": {"fr"}}),
			http.StatusBadRequest, "この項目は必須です。", `value="山田"`)
		people := []url.Values{
			{"name": {"Hanako Yamada"}, "affiliation": {"Kyoto U"}, "email": {"hanako@example.org"}, "language": {"ja"}},
			{"name": {"John Smith"}, "affiliation": {"NTU"}, "email": {"john@example.org"}, "language": {"en"}},
			{"name": {"Wait Person"}, "affiliation": {"SNU"}, "email": {"wait@example.org"}, "language": {"en"}},
		}
		for i, p := range people {
			r := es.send(t, "POST", "/en"+page, p)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/en"+page+"?registered=1#register" {
				t.Fatalf("registration %d: %d %s", i, r.status, r.header.Get("Location"))
			}
		}
		// The same address again: the same answer, nothing new.
		if again := es.send(t, "POST", "/en"+page, people[1]); again.status != http.StatusSeeOther ||
			again.header.Get("Location") != "/en"+page+"?registered=1#register" {
			t.Fatalf("second registration: %d", again.status)
		}
		wantPage(t, es.send(t, "GET", "/en"+page+"?registered=1", nil), 200, "We have sent an e-mail to the address you gave.")
		wantPage(t, es.send(t, "GET", "/en"+page, nil), 200, "Full: new registrations go to the waiting list (1 waiting).")

		// Nothing of the registrants for the public, a home's admin or viewer.
		secrets := []string{"hanako@example.org", "John Smith", "Kyoto U", "wait@example.org"}
		for _, c := range []*http.Cookie{nil, es.cookie["admin"], es.cookie["viewer"]} {
			for _, path := range []string{"/en/network/events", "/en" + page, "/ja" + page, "/en/network/events.ics", "/api/v1/network/events",
				"/api/v1/network/events/" + m[1]} {
				r := es.send(t, "GET", path, nil, c)
				for _, s := range secrets {
					if strings.Contains(r.body, s) {
						t.Errorf("%s tells %q", path, s)
					}
				}
			}
			for _, path := range []string{page + "/registrations", page + "/attendance.xlsx", page + "/edit"} {
				if r := es.send(t, "GET", "/en"+path, nil, c); r.status != http.StatusForbidden && r.status != http.StatusSeeOther {
					t.Errorf("%s for a non-organiser: %d", path, r.status)
				}
			}
		}

		// The organisers' list and attendance XLSX.
		wantPage(t, es.send(t, "GET", "/en"+page+"/registrations", nil, es.organiser), 200, "hanako@example.org", "John Smith",
			"Waiting (1)", "2 confirmed · 1 waiting · 0 cancelled")
		wantPage(t, es.send(t, "GET", "/ja"+page+"/registrations", nil, es.organiser), 200, "キャンセル待ち (1)")
		x := es.send(t, "GET", "/en"+page+"/attendance.xlsx", nil, es.organiser)
		if x.status != 200 || x.header.Get("Content-Type") != xlsxType {
			t.Fatalf("xlsx: %d %s", x.status, x.header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader([]byte(x.body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("Attendance")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 6 || rows[2][1] != "お名前 / Name" || rows[2][5] != "状態 / Status" || rows[3][1] != "Hanako Yamada" ||
			rows[5][3] != "wait@example.org" || rows[5][5] != "キャンセル待ち / Waiting" || rows[5][6] != "1" {
			t.Fatalf("attendance: %q", rows)
		}

		// The cancel link: its page, then the cancellation, which promotes.
		tok := tokenOf(t, es, "hanako@example.org")
		if tok == "" {
			t.Fatal("no cancel link mailed")
		}
		wantPage(t, es.send(t, "GET", "/ja/network/registrations/"+tok, nil), 200, "Hanako Yamada", "お席を確保しています。")
		wantPage(t, es.send(t, "POST", "/en/network/registrations/"+tok, url.Values{}), 200, "Your registration is cancelled")
		if r := es.send(t, "GET", "/en/network/registrations/"+tok, nil); r.status != http.StatusNotFound {
			t.Fatalf("a cancelled link: %d", r.status)
		}
		if tokenOf(t, es, "wait@example.org") == "" {
			t.Fatal("the waiting list's first was not mailed a place")
		}
		wantPage(t, es.send(t, "GET", "/en"+page+"/registrations", nil, es.organiser), 200, "2 confirmed · 0 waiting · 1 cancelled")

		// The feed: the published event, timed, in Japan's words too.
		feed := es.send(t, "GET", "/ja/network/events.ics", nil)
		cal, err := ics.ParseCalendar(strings.NewReader(feed.body))
		if err != nil {
			t.Fatal(err)
		}
		if evs := cal.Events(); len(evs) != 1 || evs[0].GetProperty(ics.ComponentPropertySummary).Value != "連携ワークショップ" ||
			!strings.HasSuffix(evs[0].GetProperty(ics.ComponentPropertyDtEnd).Value, "Z") {
			t.Fatalf("feed: %s", feed.body)
		}
	})
}

// The API: organisers write (a stale version is a conflict), anyone reads
// and registers, 202 whatever the address's past.
func TestNetworkEventAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		es := newEventServer(t, e)
		starts := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
		body := map[string]any{"title": map[string]string{"ja": "セミナー", "en": "Seminar"}, "kind": "seminar", "online": true,
			"starts_at": starts, "ends_at": starts.Add(time.Hour), "capacity": 1, "registration_opens": time.Now().Add(-time.Hour).UTC(),
			"registration_closes": starts, "state": "published"}
		if r := es.call(t, "admin", "POST", "/api/v1/network/events", body); r.status != http.StatusForbidden {
			t.Fatalf("a home's admin: %d %s", r.status, r.body)
		}
		r := es.call(t, "organiser", "POST", "/api/v1/network/events", body)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var got eventJSON
		json.Unmarshal([]byte(r.body), &got)
		if got.RetentionDays != 30 || got.Version != 1 || !got.RegistrationOpen || got.Remaining != 1 {
			t.Fatalf("created: %+v", got)
		}
		path := "/api/v1/network/events/" + r.header.Get("Location")[len("/api/v1/network/events/"):]
		body["version"] = 1
		body["capacity"] = 3
		if r := es.call(t, "organiser", "PUT", path, body); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if r := es.call(t, "organiser", "PUT", path, body); r.status != http.StatusConflict {
			t.Fatalf("stale update: %d %s", r.status, r.body)
		}
		reg := map[string]string{"name": "A", "affiliation": "B", "email": "a@example.org", "language": "en"}
		for range 2 {
			if r := es.call(t, "nobody", "POST", path+"/registrations", reg); r.status != http.StatusAccepted || r.body != `{"status":"received"}`+"\n" {
				t.Fatalf("register: %d %q", r.status, r.body)
			}
		}
		if r := es.call(t, "nobody", "POST", path+"/registrations", map[string]string{"email": "x"}); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, `"name"`) || !strings.Contains(r.body, `"email"`) {
			t.Fatalf("bad registration: %d %s", r.status, r.body)
		}
		var one eventJSON
		if r := es.call(t, "nobody", "GET", path, nil); r.status != 200 || json.Unmarshal([]byte(r.body), &one) != nil || one.Confirmed != 1 ||
			strings.Contains(r.body, "a@example.org") {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
	})
}

// exampleNetworkEvent makes the OpenAPI examples' event (id 1), as admin
// made a network editor for it.
func exampleNetworkEvent(t *testing.T, db *store.DB, admin *partnerhub.User) {
	t.Helper()
	editor := *admin
	editor.NetworkEditor = true
	starts := time.Now().Add(72 * time.Hour).UTC()
	ev, err := db.PutNetworkEvent(context.Background(), &editor, partnerhub.NetworkEvent{Title: partnerhub.Text{Ja: "例", En: "Example"},
		Kind: partnerhub.EventSeminar, Online: true, Starts: starts, Ends: starts.Add(time.Hour), Capacity: 10,
		RegistrationOpens: time.Now().Add(-time.Hour), RegistrationCloses: starts, State: partnerhub.EventPublished, RetentionDays: 30}, time.Now())
	if err != nil || ev.ID != 1 {
		t.Fatalf("example network event: %+v %v", ev, err)
	}
}

// events walks the network events' API writes, as admin made a network
// administrator.
func (w *oaWriter) events(admin *partnerhub.User) {
	w.t.Helper()
	if err := w.ts.db.SetNetworkAdmin(context.Background(), "utokyo", admin.Email, true); err != nil {
		w.t.Fatal(err)
	}
	const list, one, regs = "/api/v1/network/events", "/api/v1/network/events/{id}", "/api/v1/network/events/{id}/registrations"
	starts := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	body := map[string]any{"title": map[string]string{"ja": "例会", "en": "Meeting"}, "kind": "workshop", "online": true,
		"starts_at": starts, "ends_at": starts.Add(time.Hour), "capacity": 5, "registration_opens": time.Now().Add(-time.Hour).UTC(),
		"registration_closes": starts, "state": "published"}
	w.wantField(w.call("admin", "POST", list, list, map[string]any{"title": map[string]string{"ja": "例会", "en": ""}, "kind": "workshop"}),
		"title.en", "an event without an English title")
	w.want(w.call("viewer", "POST", list, list, body), http.StatusForbidden, "an event by a viewer")
	got := w.want(w.call("admin", "POST", list, list, body), http.StatusCreated, "an event")
	path := list + "/" + strconv.Itoa(int(got["id"].(float64)))
	body["version"], body["capacity"] = 1, 6
	w.want(w.call("admin", "PUT", one, path, body), http.StatusOK, "an event replaced")
	w.current(w.call("admin", "PUT", one, path, body), "NeventEventRecord", 2, "an event replaced stale")
	reg := map[string]string{"name": "A", "affiliation": "B", "email": "a@example.org", "language": "ja"}
	w.want(w.call("nobody", "POST", regs, path+"/registrations", reg), http.StatusAccepted, "a registration")
	w.wantField(w.call("nobody", "POST", regs, path+"/registrations", map[string]string{"name": "A", "affiliation": "B", "email": "x", "language": "ja"}),
		"email", "a registration with a bad address")
	// The network's role ends here: the walk's later writers (the notes')
	// are a member's office, not the network's editors.
	if err := w.ts.db.SetNetworkAdmin(context.Background(), "utokyo", admin.Email, false); err != nil {
		w.t.Fatal(err)
	}
}
