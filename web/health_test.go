package web

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// healthToday is the day the health tests' server lives on: 12:00 in
// Tokyo on 6 December 2026, academic year 2026.
var healthToday = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)

// newHealthServer is a server on the built-in programme with a fixed
// clock and a second member, kyoto, whose partners must never show.
func newHealthServer(t *testing.T, e storetest.Engine) *authServer {
	t.Helper()
	db := e.OpenBuiltin(t)
	storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("kyoto-only"), testInst("kyoto-too")}, "kyoto-only", "kyoto-too")
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	clock.ns.Store(healthToday.UnixNano())
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db),
		Editor: db, Mobility: db, Funds: db, Decisions: db, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}
}

// healthOrder is the partners' slugs in the order the table lists them.
var healthRowRE = regexp.MustCompile(`<th scope="row"><a href="/(?:en|ja)/admin/health/([a-z0-9-]+)">`)

func healthOrder(body string) []string {
	var out []string
	for _, m := range healthRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestPartnershipHealth(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts := newHealthServer(t, e)
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		// Sessions made here, on the wall clock that checks them: the
		// server's own clock is fixed on healthToday.
		session := func(role partnerhub.Role) *http.Cookie {
			t.Helper()
			u := ts.addUser(t, string(role)+"@example.ac.jp", role)
			tok, err := ts.db.CreateSession(ctx, u.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			return &http.Cookie{Name: sessionCookie, Value: tok}
		}
		viewer, guest := session(partnerhub.RoleViewer), session(partnerhub.RoleGuest)

		// ntu is lively: an activity ten days ago, more people moving in
		// 2023–2025 (12) than in 2020–2022 (3), an agreement ending in the
		// year that a draft renews. pku is quiet: never an activity, fewer
		// people moving (20 before, none since), an agreement ending in
		// 100 days that nothing follows.
		if _, err := ts.db.Apply(ctx, partnerhub.Create(admin, "utokyo", &partnerhub.Activity{Slug: "ntu-health-lively", Kind: partnerhub.Workshop,
			Title: partnerhub.Text{Ja: "最近のワークショップ", En: "A recent workshop"}, Start: partnerhub.MustPartialDate("2026-11-26"),
			Partners: []string{"ntu"}, Units: []string{"agr"}, Published: true})); err != nil {
			t.Fatal(err)
		}
		agreement := func(slug, partner, expires, renews string, stage partnerhub.AgreementStage) {
			t.Helper()
			a := &partnerhub.Agreement{Slug: slug, Partner: partner, Kind: partnerhub.Exchange, Level: partnerhub.UniversityLevel,
				Title: partnerhub.Text{Ja: "協定 " + slug, En: "Agreement " + slug}, Signed: partnerhub.MustPartialDate("2022-04-01"),
				Expires: partnerhub.MustPartialDate(expires), Renews: renews, Stage: stage, Published: true}
			if _, err := ts.db.Apply(ctx, partnerhub.Create(admin, "utokyo", a)); err != nil {
				t.Fatal(err)
			}
		}
		agreement("pku-health-exchange", "pku", "2027-03-16", "", partnerhub.StageSigned)
		agreement("ntu-health-exchange", "ntu", "2027-06-30", "", partnerhub.StageSigned)
		agreement("ntu-health-renewal", "ntu", "2032-06-30", "ntu-health-exchange", partnerhub.StageDraft)
		for _, m := range []partnerhub.Mobility{
			{Partner: "ntu", Year: 2023, Direction: partnerhub.Outbound, Count: 7},
			{Partner: "ntu", Year: 2024, Direction: partnerhub.Inbound, Count: 5},
			{Partner: "ntu", Year: 2021, Direction: partnerhub.Outbound, Count: 3},
			{Partner: "ntu", Year: 2026, Direction: partnerhub.Outbound, Count: 50}, // the year under way: left out
			{Partner: "pku", Year: 2021, Direction: partnerhub.Outbound, Count: 20},
		} {
			m.Category, m.Programme = partnerhub.Graduate, partnerhub.ExchangeProgramme
			if err := ts.db.PutMobility(ctx, admin, "utokyo", m); err != nil {
				t.Fatal(err)
			}
		}
		if err := ts.srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}

		var order []string
		t.Run("the office's table", func(t *testing.T) {
			for _, tc := range []struct{ lang, title, lively, ntuTrend, pkuTrend, pkuAgreement, renewal string }{
				{"en", "Partnership health", "10 days ago", "+9 (+300%)", "−20 (−100%)", "100 days left", "followed by"},
				{"ja", "パートナーシップの状況", "10 日前", "+9 (+300%)", "−20 (−100%)", "残り 100 日", "後継："},
			} {
				r := ts.send(t, "GET", "/"+tc.lang+"/admin/health", nil, viewer)
				for _, text := range []string{tc.ntuTrend, tc.pkuTrend} {
					if !strings.Contains(html.UnescapeString(r.body), text) {
						t.Errorf("%s: lacks %q", tc.lang, text)
					}
				}
				wantPage(t, r, 200, tc.title, tc.lively, tc.pkuAgreement, tc.renewal,
					`href="/`+tc.lang+`/activities/ntu-health-lively"`, `href="/`+tc.lang+`/agreements/ntu-health-renewal"`,
					`href="/`+tc.lang+`/admin/health.xlsx"`, `href="/`+tc.lang+`/partners/ntu"`)
				got := healthOrder(r.body)
				if len(got) != 16 {
					t.Fatalf("%s: %d rows, want the 16 partners: %v", tc.lang, len(got), got)
				}
				// pku never had an activity and its mobility fell most;
				// ntu is the only partner active within the year.
				if got[0] != "pku" || got[len(got)-1] != "ntu" {
					t.Errorf("%s: order %v, want pku first and ntu last", tc.lang, got)
				}
				if order == nil {
					order = got
				} else if strings.Join(order, " ") != strings.Join(got, " ") {
					t.Errorf("the languages disagree: %v, %v", order, got)
				}
				if strings.Contains(r.body, "kyoto") {
					t.Errorf("%s: another member's partner shows", tc.lang)
				}
			}
		})

		t.Run("a partner's view", func(t *testing.T) {
			r := ts.send(t, "GET", "/en/admin/health/ntu", nil, viewer)
			wantPage(t, r, 200, "Partnership health: National Taiwan University", "10 days ago", "2023–2025", "2020–2022",
				"ntu-health-exchange", "206 days left", "followed by", "ntu-health-renewal", "8 units in phase 3", `href="/en/partners/ntu"`, `href="/en/admin/health"`)
			r = ts.send(t, "GET", "/ja/admin/health/pku", nil, viewer)
			wantPage(t, r, 200, "パートナーシップの状況：", "活動の記録なし", "後継の協定なし", "残り 100 日")
			wantPage(t, ts.send(t, "GET", "/en/admin/health/kyoto-partner", nil, viewer), 404)
			wantPage(t, ts.send(t, "GET", "/en/admin/health/pku?x=1", nil, viewer), 400)
			// The partner page links to its health for staff.
			wantPage(t, ts.send(t, "GET", "/en/partners/ntu", nil, viewer), 200, `href="/en/admin/health/ntu"`, `href="/en/admin/health"`)
		})

		t.Run("not for the public nor guests", func(t *testing.T) {
			for _, path := range []string{"/en/admin/health", "/ja/admin/health", "/en/admin/health/ntu", "/en/admin/health.xlsx"} {
				r := ts.send(t, "GET", path, nil)
				if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/signin") {
					t.Errorf("%s: %d to %q, want the sign-in", path, r.status, r.header.Get("Location"))
				}
				r = ts.send(t, "GET", path, nil, guest)
				if r.status != http.StatusForbidden || strings.Contains(r.body, "ntu-health-lively") || strings.Contains(html.UnescapeString(r.body), "+300%") ||
					strings.Contains(r.body, "health-change") || strings.Contains(r.body, "pku-health-exchange") {
					t.Errorf("%s: a guest gets %d and the page shows health", path, r.status)
				}
			}
			if r := ts.send(t, "GET", "/en/partners/ntu", nil); strings.Contains(r.body, "/admin/health") {
				t.Error("the public partner page links to health")
			}
		})

		t.Run("the workbook", func(t *testing.T) {
			r := ts.send(t, "GET", "/ja/admin/health.xlsx", nil, viewer)
			if r.status != 200 || r.header.Get("Content-Type") != xlsxType {
				t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
			}
			f, err := excelize.OpenReader(strings.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			sheet := f.GetSheetName(0)
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 17 || rows[0][0] != "順位" {
				t.Fatalf("%d rows, headers %v", len(rows), rows[0])
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			for i, slug := range order {
				if rows[i+1][1] != slug {
					t.Fatalf("row %d is %s, the page's is %s", i+1, rows[i+1][1], slug)
				}
			}
			last := rows[len(rows)-1]
			cell := func(row int, header string) (string, excelize.CellType) {
				t.Helper()
				c, ok := col[header]
				if !ok {
					t.Fatalf("no column %q in %v", header, rows[0])
				}
				name, _ := excelize.CoordinatesToCellName(c+1, row)
				v, _ := f.GetCellValue(sheet, name, excelize.Options{RawCellValue: true})
				typ, _ := f.GetCellType(sheet, name)
				return v, typ
			}
			for _, want := range []struct {
				row            int
				header, value  string
				number, isDate bool
			}{
				{17, "最後の活動からの日数", "10", true, false},
				{17, "最後の活動", "46352", true, true}, // 2026-11-26 as Excel's serial day
				{17, "派遣 2023–2025年度", "7", true, false},
				{17, "受入 2023–2025年度", "5", true, false},
				{17, "交流人数の変化", "9", true, false},
				{17, "交流人数の変化（%）", "300", true, false},
				{17, "チームの部局数", "8", true, false},
				{2, "交流人数の変化", "-20", true, false},
				{2, "後継のない協定（終了が最も近いもの）", "pku-health-exchange", false, false},
				{2, "残り日数", "100", true, false},
				{2, "最後の活動からの日数", "", false, false},
			} {
				v, typ := cell(want.row, want.header)
				if v != want.value || (want.number && typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
					t.Errorf("row %d %s = %q (%v), want %q", want.row, want.header, v, typ, want.value)
				}
			}
			if last[1] != "ntu" {
				t.Errorf("last row %v", last)
			}
			r = ts.send(t, "GET", "/en/admin/health.xlsx", nil, viewer)
			f, err = excelize.OpenReader(strings.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ = f.GetRows(f.GetSheetName(0))
			if rows[0][0] != "Order" || len(rows) != 17 || strings.Contains(r.body, "kyoto") {
				t.Errorf("English workbook: %d rows, headers %v", len(rows), rows[0])
			}
		})
	})
}
