package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"partnerhub"
	"partnerhub/store/storetest"
)

// callForm is the form of a call of the built-in Princeton fund opening
// on 10 January 2027 at 09:00 and closing on 15 February 2027 at 17:00,
// Japan time, with a seed grant in two currencies.
func callFormValues(number string, published bool) url.Values {
	f := url.Values{
		"number": {number}, "title.ja": {"第10回共同研究公募"}, "title.en": {"Tenth call for joint research"},
		"text.ja": {"両校の共同研究・教育を支援します。"}, "text.en": {"Supports joint research and education."},
		"eligibility.en": {"Faculty of both universities."},
		"opens":          {"2027-01-10T09:00"}, "closes": {"2027-02-15T17:00"},
		"g_code": {"seed", ""}, "g_name_ja": {"シードグラント", ""}, "g_name_en": {"Seed grant", ""}, "g_months": {"12", ""},
		"g_amount1": {"25000", ""}, "g_currency1": {"USD", "USD"}, "g_amount2": {"3000000", ""}, "g_currency2": {"JPY", "JPY"},
		"budget.amount": {"500000"}, "budget.currency": {"USD"},
		"k_code": {"merit", "collab", ""}, "k_name_ja": {"学術的意義", "協働の深さ", ""}, "k_name_en": {"Scholarly merit", "Depth of collaboration", ""},
		"k_weight":  {"3", "2", ""},
		"scale_min": {"1"}, "scale_max": {"5"},
		"a_code": {"cv", ""}, "a_name_ja": {"代表者の履歴書", ""}, "a_name_en": {"CVs of the leads", ""}, "a_required": {"1", "0"},
		"interim_due": {"2027-09-30"}, "final_due": {"2028-04-30"},
	}
	if published {
		f.Set("published", "on")
	}
	return f
}

func storedCall(t *testing.T, ed *editors, number int) (partnerhub.Call, error) {
	t.Helper()
	admin, err := ed.db.UserByEmail(context.Background(), "admin@example.ac.jp")
	if err != nil {
		t.Fatal(err)
	}
	return ed.db.Call(context.Background(), admin, "utokyo", "princeton", number)
}

func TestCallFormsAndPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		admin := ed.cookie["admin"]

		// The built-in fund is listed for the office.
		wantPage(t, ed.send(t, "GET", "/en/funds", nil, admin), 200, "UTokyo–Princeton Joint Research and Education Fund",
			"9 calls and 29 projects before this site", `href="/en/calls/new?fund=princeton"`)
		wantPage(t, ed.send(t, "GET", "/ja/funds", nil, admin), 200, "プリンストン大学との共同研究教育ファンド", "本サイト以前の公募9回・採択29件")
		if r := ed.send(t, "GET", "/en/funds", nil, ed.cookie["viewer"]); r.status != 200 || !strings.Contains(r.body, "You hold no role in any joint fund.") ||
			strings.Contains(r.body, "Princeton") {
			t.Errorf("a viewer with no fund role: %d", r.status)
		}
		// The new call's form offers the number after the declared nine.
		wantPage(t, ed.send(t, "GET", "/en/calls/new?fund=princeton", nil, admin), 200, `name="number" value="10"`, `type="datetime-local"`)

		// Bad input: closing before opening, a currency that is none, a
		// weight of 0 — each at its field, in the reader's language; nothing
		// is stored.
		bad := callFormValues("10", true)
		bad.Set("closes", "2027-01-09T09:00")
		bad.Set("budget.currency", "dollars")
		bad["k_weight"] = []string{"0", "2", ""}
		r := ed.send(t, "POST", "/en/calls/new?fund=princeton", bad, admin)
		wantPage(t, r, http.StatusBadRequest, "Give a three-letter currency code such as JPY or USD.", "Give a weight between 1 and 100.",
			`id="f-criteria-0-weight"`, `value="Tenth call for joint research"`, `value="2027-01-09T09:00"`)
		if !strings.Contains(r.body, `href="#f-closes"`) {
			t.Errorf("the summary does not link to the closing's input")
		}
		r = ed.send(t, "POST", "/ja/calls/new?fund=princeton", bad, admin)
		wantPage(t, r, http.StatusBadRequest, "JPY や USD のような", "重み")
		if _, err := storedCall(t, ed, 10); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a refused call was stored: %v", err)
		}
		bad = callFormValues("10", true)
		bad.Set("opens", "next Tuesday")
		wantPage(t, ed.send(t, "POST", "/en/calls/new?fund=princeton", bad, admin), http.StatusBadRequest, "Give a date and time")

		// A draft: entered in Japan time, stored as the instant.
		wantRedirect(t, ed.send(t, "POST", "/en/calls/new?fund=princeton", callFormValues("10", false), admin), "/en/calls/princeton/10?saved=1")
		c, err := storedCall(t, ed, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC); !c.Opens.Equal(want) {
			t.Errorf("opens %v, want %v", c.Opens, want)
		}
		if want := time.Date(2027, 2, 15, 8, 0, 0, 0, time.UTC); !c.Closes.Equal(want) {
			t.Errorf("closes %v, want %v", c.Closes, want)
		}
		if len(c.Grants) != 1 || len(c.Grants[0].Ceilings) != 2 || len(c.Criteria) != 2 || len(c.Attachments) != 1 || !c.Attachments[0].Required {
			t.Errorf("stored %+v", c)
		}
		// Drafts are never public: not the page, the list, the API, the sitemap or the feed.
		for _, p := range []string{"/en/calls/princeton/10", "/ja/calls/princeton/10", "/api/v1/calls/princeton/10"} {
			if r := ed.send(t, "GET", p, nil); r.status != http.StatusNotFound {
				t.Errorf("GET %s of a draft: %d", p, r.status)
			}
		}
		for _, p := range []string{"/en/calls", "/api/v1/calls", "/sitemap.xml", "/en/activities.ics"} {
			if r := ed.send(t, "GET", p, nil); r.status != 200 || strings.Contains(r.body, "Tenth call") || strings.Contains(r.body, "/calls/princeton/10") {
				t.Errorf("GET %s shows a draft: %d", p, r.status)
			}
		}
		// The office sees it, marked as a draft.
		wantPage(t, ed.send(t, "GET", "/en/calls/princeton/10", nil, admin), 200, "Draft", "Tenth call for joint research")

		// The edit form shows the instants in Japan time and the partner's.
		r = ed.send(t, "GET", "/en/calls/princeton/10/edit", nil, admin)
		wantPage(t, r, 200, `value="2027-01-10T09:00"`, `value="2027-02-15T17:00"`, "2027-02-15 03:00 EST", "America/New_York")

		// A stale version is a conflict: 409, what was typed kept, and a reload.
		edit := callFormValues("10", true)
		edit.Set("version", "1")
		wantRedirect(t, ed.send(t, "POST", "/en/calls/princeton/10/edit", edit, admin), "/en/calls/princeton/10?saved=1")
		stale := callFormValues("10", true)
		stale.Set("version", "1")
		stale.Set("title.en", "A title typed meanwhile")
		r = ed.send(t, "POST", "/en/calls/princeton/10/edit", stale, admin)
		wantPage(t, r, http.StatusConflict, "A title typed meanwhile", `name="version" value="2"`, "Reload the saved version")
		if c, _ := storedCall(t, ed, 10); c.Title.En != "Tenth call for joint research" || c.Version != 2 {
			t.Errorf("after the conflict: %q v%d", c.Title.En, c.Version)
		}

		// Published: the public list and page, in both languages, with the
		// deadline in Japan time and the partner's.
		wantPage(t, ed.send(t, "GET", "/en/calls/princeton/10", nil), 200, "Tenth call for joint research", "2027-02-15 17:00 JST",
			"2027-02-15 03:00 EST", "Scholarly merit", "3 / 5", "CVs of the leads", "Required", "USD 25,000", "JPY 3,000,000",
			"Opening soon", `href="/en/calls"`)
		wantPage(t, ed.send(t, "GET", "/ja/calls/princeton/10", nil), 200, "第10回共同研究公募", "2027-02-15 17:00 JST", "近日募集開始", "学術的意義")
		wantPage(t, ed.send(t, "GET", "/en/calls", nil), 200, "Opening soon", "Tenth call for joint research", "2027-02-15 17:00 JST")
		if r := ed.send(t, "GET", "/sitemap.xml", nil); r.status != 200 || !strings.Contains(r.body, "/en/calls/princeton/10<") ||
			!strings.Contains(r.body, "/ja/calls/princeton/10<") || !strings.Contains(r.body, "/en/calls<") {
			t.Errorf("sitemap: %d %s", r.status, r.body)
		}
	})
}

// An open call lists first, with its link to start a proposal.
func TestCallsOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		now := time.Now().UTC()
		for _, c := range []struct {
			number        string
			opens, closes time.Time
			title         string
		}{
			{"10", now.AddDate(0, -3, 0), now.AddDate(0, -2, 0), "Past call"},
			{"11", now.AddDate(0, 0, -1), now.AddDate(0, 0, 20), "Open call"},
			{"12", now.AddDate(0, 1, 0), now.AddDate(0, 2, 0), "Upcoming call"},
		} {
			f := callFormValues(c.number, true)
			f.Set("title.en", c.title)
			f.Set("opens", c.opens.In(partnerhub.Japan).Format("2006-01-02T15:04"))
			f.Set("closes", c.closes.In(partnerhub.Japan).Format("2006-01-02T15:04"))
			wantRedirect(t, ed.send(t, "POST", "/en/calls/new?fund=princeton", f, ed.cookie["admin"]), "/en/calls/princeton/"+c.number+"?saved=1")
		}
		r := ed.send(t, "GET", "/en/calls", nil)
		open, upcoming, past := strings.Index(r.body, "Open call"), strings.Index(r.body, "Upcoming call"), strings.Index(r.body, "Past call")
		if open < 0 || upcoming < open || past < upcoming {
			t.Errorf("order: open %d, upcoming %d, past %d", open, upcoming, past)
		}
		wantPage(t, r, 200, `href="/en/calls/princeton/11/proposals/new"`)
		if strings.Contains(r.body, "/calls/princeton/12/proposals/new") || strings.Contains(r.body, "/calls/princeton/10/proposals/new") {
			t.Error("a call not open offers to start a proposal")
		}
	})
}

func TestFundAndCallAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		var funds struct{ Items []partnerhub.Fund }
		r := ed.call(t, "nobody", "GET", "/api/v1/funds", nil)
		if r.status != 200 || json.Unmarshal([]byte(r.body), &funds) != nil || len(funds.Items) != 1 || funds.Items[0].DeclaredCalls != 9 ||
			funds.Items[0].DeclaredProjects != 29 || funds.Items[0].PartnerZone != "America/New_York" {
			t.Fatalf("funds: %d %s", r.status, r.body)
		}
		// A call created, read, replaced at its version; a stale version refused.
		call := partnerhub.Call{Fund: "princeton", Number: 10, Title: partnerhub.Text{Ja: "第10回", En: "Tenth call"},
			Opens: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC), Closes: time.Date(2027, 2, 15, 8, 0, 0, 0, time.UTC),
			Grants: []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12,
				Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}}}},
			Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}},
			ScaleMin: 1, ScaleMax: 5}
		if r := ed.call(t, "viewer", "POST", "/api/v1/calls", call); r.status != http.StatusForbidden {
			t.Errorf("a viewer created a call: %d %s", r.status, r.body)
		}
		bad := call
		bad.Criteria = []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{En: "Merit"}, Weight: 0}}
		if r := ed.call(t, "admin", "POST", "/api/v1/calls", bad); r.status != http.StatusBadRequest || !strings.Contains(r.body, `"criteria[0].weight"`) {
			t.Errorf("weight 0: %d %s", r.status, r.body)
		}
		r = ed.call(t, "admin", "POST", "/api/v1/calls", call)
		if r.status != http.StatusCreated || r.header.Get("Location") != "/api/v1/calls/princeton/10" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var got callBody
		if r := ed.call(t, "admin", "GET", "/api/v1/calls/princeton/10", nil); r.status != 200 || json.Unmarshal([]byte(r.body), &got) != nil {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
		if got.Version != 1 || got.State != partnerhub.CallUpcoming || !got.Closes.Equal(call.Closes) || got.Published {
			t.Errorf("read back %+v", got)
		}
		if r := ed.call(t, "nobody", "GET", "/api/v1/calls/princeton/10", nil); r.status != http.StatusNotFound {
			t.Errorf("a draft read by the public: %d", r.status)
		}
		got.Published = true
		got.Title.En = "Tenth call for proposals"
		if r := ed.call(t, "admin", "PUT", "/api/v1/calls/princeton/10", got); r.status != 200 {
			t.Fatalf("replace: %d %s", r.status, r.body)
		}
		if r := ed.call(t, "admin", "PUT", "/api/v1/calls/princeton/10", got); r.status != http.StatusConflict {
			t.Errorf("stale replace: %d %s", r.status, r.body)
		}
		var calls struct{ Items []callBody }
		r = ed.call(t, "nobody", "GET", "/api/v1/calls", nil)
		if r.status != 200 || json.Unmarshal([]byte(r.body), &calls) != nil || len(calls.Items) != 1 || calls.Items[0].Title.En != "Tenth call for proposals" {
			t.Errorf("public list: %d %s", r.status, r.body)
		}

		// The fund replaced at its version; a bad zone refused, nothing changed.
		f := funds.Items[0]
		f.PartnerZone = "Mars/Olympus"
		if r := ed.call(t, "admin", "PUT", "/api/v1/funds/princeton", f); r.status != http.StatusBadRequest || !strings.Contains(r.body, "partner_zone") {
			t.Errorf("bad zone: %d %s", r.status, r.body)
		}
		f.PartnerZone = "America/New_York"
		f.Contributions = []partnerhub.Contribution{{Year: 2027, Side: partnerhub.SidePartner, Amount: partnerhub.Money{Amount: 100000, Currency: "USD"}}}
		if r := ed.call(t, "admin", "PUT", "/api/v1/funds/princeton", f); r.status != 200 || !strings.Contains(r.body, `"version":2`) {
			t.Errorf("replace fund: %d %s", r.status, r.body)
		}
		// A seat by e-mail, then taken away.
		seat := map[string]any{"email": "viewer@example.ac.jp", "role": "member", "side": "home", "unit": "eng", "keywords": "AI"}
		if r := ed.call(t, "admin", "PUT", "/api/v1/funds/princeton/seats", seat); r.status != 200 || !strings.Contains(r.body, "viewer@example.ac.jp") {
			t.Errorf("seat: %d %s", r.status, r.body)
		}
		viewer, _ := ed.db.UserByEmail(context.Background(), "viewer@example.ac.jp")
		if r := ed.call(t, "admin", "DELETE", "/api/v1/funds/princeton/seats/"+idStr(viewer.ID)+"/member", nil); r.status != http.StatusOK {
			t.Errorf("unseat: %d %s", r.status, r.body)
		}
	})
}

func TestFundFormAndCommittee(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		admin := ed.cookie["admin"]
		r := ed.send(t, "GET", "/en/funds/princeton/edit", nil, admin)
		wantPage(t, r, 200, `name="declared_calls" value="9"`, `name="declared_projects" value="29"`, `value="America/New_York"`, `name="c_year"`)
		form := url.Values{"version": {"1"}, "name.ja": {"プリンストン大学との共同研究教育ファンド"}, "name.en": {"Joint fund"},
			"partners": {"princeton"}, "partner_zone": {"America/New_York"}, "home_currency": {"JPY"}, "partner_currency": {"US dollars"},
			"declared_calls": {"9"}, "declared_projects": {"29"}, "c_year": {"2027", ""}, "c_side": {"home", "home"}, "c_amount": {"0", ""}, "c_currency": {"JPY", ""}}
		wantPage(t, ed.send(t, "POST", "/en/funds/princeton/edit", form, admin), http.StatusBadRequest,
			"Give a three-letter currency code", `id="f-contributions-0-amount-amount"`)
		wantPage(t, ed.send(t, "POST", "/ja/funds/princeton/edit", form, admin), http.StatusBadRequest, "JPY や USD のような")
		f, err := ed.db.Fund(context.Background(), nil, "utokyo", "princeton")
		if err != nil || f.Version != 1 || f.PartnerCurrency != "USD" {
			t.Fatalf("a refused form changed the fund: %+v %v", f, err)
		}
		form.Set("partner_currency", "USD")
		form["c_amount"] = []string{"30000000", ""}
		wantRedirect(t, ed.send(t, "POST", "/en/funds/princeton/edit", form, admin), "/en/funds?saved=1")
		if f, _ := ed.db.Fund(context.Background(), nil, "utokyo", "princeton"); f.Version != 2 || len(f.Contributions) != 1 || f.Name.En != "Joint fund" {
			t.Errorf("saved %+v", f)
		}
		// A stale form is a conflict.
		wantPage(t, ed.send(t, "POST", "/en/funds/princeton/edit", form, admin), http.StatusConflict, "Reload the saved version")

		// The committee: an unknown address at its field, then a seat, then removed.
		seat := url.Values{"email": {"nobody@example.org"}, "role": {"chair"}, "side": {"home"}, "unit": {""}, "keywords": {""}}
		wantPage(t, ed.send(t, "POST", "/en/funds/princeton/committee", seat, admin), http.StatusBadRequest, "No one with an account here has the address")
		wantPage(t, ed.send(t, "POST", "/ja/funds/princeton/committee", seat, admin), http.StatusBadRequest, "アカウントはありません")
		seat.Set("email", "viewer@example.ac.jp")
		wantRedirect(t, ed.send(t, "POST", "/en/funds/princeton/committee", seat, admin), "/en/funds/princeton/committee?saved=1")
		wantPage(t, ed.send(t, "GET", "/en/funds/princeton/committee", nil, admin), 200, "viewer@example.ac.jp", "Co-chair")
		// The new chair now sees the fund in their list.
		wantPage(t, ed.send(t, "GET", "/en/funds", nil, ed.cookie["viewer"]), 200, "Joint fund")
		viewer, _ := ed.db.UserByEmail(context.Background(), "viewer@example.ac.jp")
		wantRedirect(t, ed.send(t, "POST", "/en/funds/princeton/committee/remove", url.Values{"user_id": {idStr(viewer.ID)}, "role": {"chair"}}, admin),
			"/en/funds/princeton/committee?saved=1")
		if f, _ := ed.db.Fund(context.Background(), ed.mustAdmin(t), "utokyo", "princeton"); len(f.Seats) != 0 {
			t.Errorf("seats after removal: %+v", f.Seats)
		}
		// A viewer cannot edit the fund or its calls.
		for _, p := range []string{"/en/funds/princeton/edit", "/en/funds/princeton/committee", "/en/calls/new?fund=princeton"} {
			if r := ed.send(t, "GET", p, nil, ed.cookie["viewer"]); r.status != http.StatusForbidden {
				t.Errorf("GET %s as a viewer: %d", p, r.status)
			}
		}
	})
}

func (ed *editors) mustAdmin(t *testing.T) *partnerhub.User {
	t.Helper()
	u, err := ed.db.UserByEmail(context.Background(), "admin@example.ac.jp")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The calls' deadlines are events of the programme's public feed, and of
// the personal feed of a committee member, read with a real iCalendar
// parser.
func TestCallDeadlinesInCalendars(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		ctx := context.Background()
		f := callFormValues("10", true)
		wantRedirect(t, ed.send(t, "POST", "/en/calls/new?fund=princeton", f, ed.cookie["admin"]), "/en/calls/princeton/10?saved=1")
		f = callFormValues("11", false)
		f.Set("title.en", "Eleventh call")
		wantRedirect(t, ed.send(t, "POST", "/en/calls/new?fund=princeton", f, ed.cookie["admin"]), "/en/calls/princeton/11?saved=1")

		deadline := func(body, uidPrefix string) *ics.VEvent {
			t.Helper()
			cal, err := ics.ParseCalendar(strings.NewReader(body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, ev := range cal.Events() {
				if strings.HasPrefix(ev.Id(), uidPrefix) {
					return ev
				}
			}
			return nil
		}
		for _, lang := range []string{"en", "ja"} {
			r := ed.send(t, "GET", "/"+lang+"/activities.ics", nil)
			ev := deadline(r.body, "call-deadline-princeton-10@")
			if ev == nil {
				t.Fatalf("%s: no deadline in the public feed", lang)
			}
			at, err := ev.GetStartAt()
			if err != nil || !at.Equal(time.Date(2027, 2, 15, 8, 0, 0, 0, time.UTC)) {
				t.Errorf("%s: deadline at %v %v", lang, at, err)
			}
			if s := ev.GetProperty(ics.ComponentPropertySummary); s == nil || !strings.Contains(s.Value, map[string]string{"en": "Tenth call", "ja": "第10回"}[lang]) {
				t.Errorf("%s: summary %v", lang, s)
			}
			if deadline(r.body, "call-deadline-princeton-11@") != nil {
				t.Errorf("%s: a draft's deadline in the public feed", lang)
			}
		}
		// A committee member's own feed holds both, the draft tentative;
		// someone with no part in the fund has neither.
		viewer, _ := ed.db.UserByEmail(ctx, "viewer@example.ac.jp")
		if err := ed.db.SetFundSeat(ctx, ed.mustAdmin(t), "utokyo", "princeton",
			partnerhub.FundSeat{UserID: viewer.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome}); err != nil {
			t.Fatal(err)
		}
		feed := func(u *partnerhub.User) string {
			secret, err := ed.db.CreateCalendarFeed(ctx, u.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			r := ed.send(t, "GET", "/en/calendar/"+secret+".ics", nil)
			if r.status != 200 {
				t.Fatalf("feed: %d", r.status)
			}
			return r.body
		}
		body := feed(viewer)
		if deadline(body, "call-deadline-princeton-10@") == nil {
			t.Error("the chair's feed lacks the published call's deadline")
		}
		if ev := deadline(body, "call-deadline-princeton-11@"); ev == nil || ev.GetProperty(ics.ComponentPropertyStatus) == nil ||
			ev.GetProperty(ics.ComponentPropertyStatus).Value != "TENTATIVE" {
			t.Error("the chair's feed lacks the draft's deadline, marked tentative")
		}
		coordinator, _ := ed.db.UserByEmail(ctx, "coordinator@example.ac.jp")
		if body := feed(coordinator); deadline(body, "call-deadline-princeton-") != nil {
			t.Error("a deadline in the feed of someone with no part in the fund")
		}
	})
}

// funds walks the API of funds and calls for TestOpenAPIWrites: every
// write succeeds once, a stale one is a conflict carrying the record.
func (w *oaWriter) funds(admin *partnerhub.User) {
	w.t.Helper()
	const calls, call = "/api/v1/calls", "/api/v1/calls/{fund}/{number}"
	c := map[string]any{"fund": "princeton", "number": 11, "title": map[string]any{"ja": "第11回", "en": "Eleventh call"},
		"opens": "2027-04-01T00:00:00Z", "closes": "2027-05-15T08:00:00Z",
		"grants":    []any{map[string]any{"code": "seed", "name": map[string]any{"ja": "シード", "en": "Seed"}, "months": 12, "ceilings": []any{map[string]any{"amount": 25000, "currency": "USD"}}}},
		"criteria":  []any{map[string]any{"code": "merit", "name": map[string]any{"ja": "意義", "en": "Merit"}, "weight": 3}},
		"scale_min": 1, "scale_max": 5}
	w.wantField(w.call("admin", "POST", calls, calls, oaWith(c, "closes", "2027-03-01T00:00:00Z")), "closes", "a call closing before it opens")
	got := w.want(w.call("admin", "POST", calls, calls, c), http.StatusCreated, "create a call")
	w.want(w.call("viewer", "POST", calls, calls, oaWith(c, "number", 12)), http.StatusForbidden, "a viewer creates a call")
	u := calls + "/princeton/11"
	got = w.want(w.call("admin", "PUT", call, u, oaWith(got, "published", true)), http.StatusOK, "replace a call")
	w.current(w.call("admin", "PUT", call, u, oaWith(got, "version", 1)), "Call", 2, "a stale call")

	const funds, fund = "/api/v1/funds", "/api/v1/funds/{fund}"
	f := map[string]any{"slug": "second-fund", "partners": []any{"ntu"}, "name": map[string]any{"ja": "第二ファンド", "en": "Second fund"},
		"summary": map[string]any{"ja": "", "en": ""}, "partner_zone": "Asia/Singapore", "home_currency": "JPY", "partner_currency": "SGD",
		"contributions": []any{}, "declared_calls": 0, "declared_projects": 0, "conflict_by_unit": false, "reviews_open": false}
	w.wantField(w.call("admin", "POST", funds, funds, oaWith(f, "partner_currency", "dollars")), "partner_currency", "a fund in no currency")
	got = w.want(w.call("admin", "POST", funds, funds, f), http.StatusCreated, "create a fund")
	got = w.want(w.call("admin", "PUT", fund, funds+"/second-fund", oaWith(got, "declared_calls", 1)), http.StatusOK, "replace a fund")
	w.current(w.call("admin", "PUT", fund, funds+"/second-fund", oaWith(got, "version", 1)), "Fund", 2, "a stale fund")
	const seats, seat = "/api/v1/funds/{fund}/seats", "/api/v1/funds/{fund}/seats/{user}/{role}"
	w.want(w.call("admin", "PUT", seats, funds+"/second-fund/seats", map[string]any{"email": admin.Email, "role": "chair", "side": "home"}),
		http.StatusOK, "seat a chair")
	w.want(w.call("admin", "DELETE", seat, funds+"/second-fund/seats/"+idStr(admin.ID)+"/chair", nil), http.StatusOK, "unseat a chair")
}

// A fund and its calls are found in the acting home only: another home's
// administrator reaches none of them, by the API or the forms.
func TestFundsOfOtherHomes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newTenants(t, e)
		ctx := context.Background()
		kyotoAdmin, err := ts.db.UserByEmail(ctx, "admin@kyoto.example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		f := partnerhub.Fund{Slug: "kyoto-fund", Partners: []string{"kyoto-partner"}, Name: partnerhub.Text{Ja: "京都ファンド", En: "Kyoto fund"},
			HomeCurrency: "JPY", PartnerCurrency: "USD"}
		if _, err := ts.db.PutFund(ctx, kyotoAdmin, "kyoto", f); err != nil {
			t.Fatal(err)
		}
		c := partnerhub.Call{Fund: "kyoto-fund", Number: 1, Title: partnerhub.Text{Ja: "第1回", En: "First call"},
			Opens: time.Now().Add(-time.Hour), Closes: time.Now().Add(24 * time.Hour),
			Grants:   []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12}},
			Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}},
			ScaleMin: 1, ScaleMax: 5, Published: true}
		if _, err := ts.db.PutCall(ctx, kyotoAdmin, "kyoto", c); err != nil {
			t.Fatal(err)
		}
		before, _ := ts.db.Fund(ctx, kyotoAdmin, "kyoto", "kyoto-fund")
		beforeCall, _ := ts.db.Call(ctx, kyotoAdmin, "kyoto", "kyoto-fund", 1)

		body := map[string]any{"slug": "kyoto-fund", "partners": []string{"princeton"}, "name": map[string]string{"ja": "乗っ取り", "en": "Taken"},
			"home_currency": "JPY", "partner_currency": "USD", "version": 1}
		call := map[string]any{"fund": "kyoto-fund", "number": 1, "title": map[string]string{"ja": "乗っ取り", "en": "Taken"},
			"opens": "2027-01-01T00:00:00Z", "closes": "2027-02-01T00:00:00Z", "scale_min": 1, "scale_max": 5, "version": 1,
			"grants":   []any{map[string]any{"code": "seed", "name": map[string]string{"ja": "シード", "en": "Seed"}, "months": 12}},
			"criteria": []any{map[string]any{"code": "merit", "name": map[string]string{"ja": "意義", "en": "Merit"}, "weight": 1}}}
		for _, w := range []struct {
			method, path string
			body         any
		}{
			{"PUT", "/api/v1/funds/kyoto-fund", body},
			{"PUT", "/api/v1/funds/kyoto-fund/seats", map[string]any{"email": "admin@example.ac.jp", "role": "admin", "side": "home"}},
			{"DELETE", "/api/v1/funds/kyoto-fund/seats/" + idStr(kyotoAdmin.ID) + "/admin", nil},
			{"POST", "/api/v1/calls", call},
			{"PUT", "/api/v1/calls/kyoto-fund/1", call},
			{"GET", "/api/v1/funds/kyoto-fund", nil},
			{"GET", "/api/v1/calls/kyoto-fund/1", nil},
		} {
			if r := ts.call(t, "admin", w.method, w.path, w.body); r.status != http.StatusNotFound {
				t.Errorf("%s %s as another home's admin: %d %s", w.method, w.path, r.status, r.body)
			}
		}
		form := callFormValues("1", true)
		for _, p := range []string{"/en/funds/kyoto-fund/edit", "/en/funds/kyoto-fund/committee", "/en/funds/kyoto-fund/committee/remove",
			"/en/calls/new?fund=kyoto-fund", "/en/calls/kyoto-fund/1/edit"} {
			if r := ts.send(t, "POST", p, form, ts.cookie["admin"]); r.status != http.StatusNotFound {
				t.Errorf("POST %s as another home's admin: %d", p, r.status)
			}
		}
		for _, p := range []string{"/en/calls/kyoto-fund/1", "/en/calls"} {
			if r := ts.send(t, "GET", p, nil); strings.Contains(r.body, "First call") {
				t.Errorf("GET %s shows another home's call", p)
			}
		}
		after, _ := ts.db.Fund(ctx, kyotoAdmin, "kyoto", "kyoto-fund")
		afterCall, _ := ts.db.Call(ctx, kyotoAdmin, "kyoto", "kyoto-fund", 1)
		if after.Version != before.Version || len(after.Seats) != len(before.Seats) || afterCall.Version != beforeCall.Version {
			t.Errorf("another home's fund changed: %+v → %+v", before, after)
		}
	})
}
