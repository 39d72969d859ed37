package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store/storetest"
)

// decisionFixture is a joint fund with Princeton, its committee, a call
// and a submitted proposal of a home lead and a partner co-lead.
type decisionFixture struct {
	as                                *authServer
	admin, fundAdmin, chair, conflict *partnerhub.User
	member, applicant, colead, other  *partnerhub.User
	proposal                          partnerhub.Proposal
}

func newDecisionFixture(t *testing.T, as *authServer) *decisionFixture {
	t.Helper()
	ctx := context.Background()
	db := as.db
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
	f := &decisionFixture{as: as,
		admin:     as.addUser(t, "dx-office@example.ac.jp", partnerhub.RoleAdmin),
		fundAdmin: as.addUser(t, "dx-fund@example.ac.jp", partnerhub.RoleViewer),
		chair:     as.addUser(t, "dx-chair@example.ac.jp", partnerhub.RoleViewer),
		conflict:  as.addUser(t, "dx-chair@princeton.example", partnerhub.RoleViewer),
		member:    as.addUser(t, "dx-member@example.ac.jp", partnerhub.RoleViewer),
		applicant: as.addUser(t, "dx-lead@example.ac.jp", partnerhub.RoleViewer),
		colead:    as.addUser(t, "dx-colead@princeton.example", partnerhub.RoleViewer),
		other:     as.addUser(t, "dx-other@example.ac.jp", partnerhub.RoleViewer),
	}
	fund := partnerhub.Fund{Slug: "princeton-fund", Partners: []string{"princeton"},
		Name:         partnerhub.Text{Ja: "プリンストン大学との共同研究ファンド", En: "Princeton–UTokyo Joint Research Fund"},
		Summary:      partnerhub.Text{Ja: "両校の共同研究・教育を支える基金です。", En: "A fund both universities pay into for joint research and education."},
		HomeCurrency: "JPY", PartnerCurrency: "USD", PartnerZone: "America/New_York", DeclaredCalls: 9, DeclaredProjects: 29,
		Contributions: []partnerhub.Contribution{
			{Year: 2025, Side: partnerhub.SideHome, Amount: partnerhub.Money{Amount: 30000000, Currency: "JPY"}},
			{Year: 2025, Side: partnerhub.SidePartner, Amount: partnerhub.Money{Amount: 200000, Currency: "USD"}},
			{Year: 2026, Side: partnerhub.SideHome, Amount: partnerhub.Money{Amount: 30000000, Currency: "JPY"}},
			{Year: 2026, Side: partnerhub.SidePartner, Amount: partnerhub.Money{Amount: 200000, Currency: "USD"}}}}
	if _, err := db.PutFund(ctx, f.admin, "utokyo", fund); err != nil {
		t.Fatal(err)
	}
	for _, s := range []partnerhub.FundSeat{
		{UserID: f.fundAdmin.ID, Role: partnerhub.FundAdmin, Side: partnerhub.SideHome},
		{UserID: f.chair.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome},
		{UserID: f.conflict.ID, Role: partnerhub.FundChair, Side: partnerhub.SidePartner},
		{UserID: f.member.ID, Role: partnerhub.FundMember, Side: partnerhub.SideHome},
	} {
		if err := db.SetFundSeat(ctx, f.admin, "utokyo", fund.Slug, s); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	call := partnerhub.Call{Fund: fund.Slug, Number: 10,
		Title: partnerhub.Text{Ja: "第10回共同研究公募", En: "Tenth call for joint research"},
		Opens: now.Add(-time.Hour), Closes: now.Add(14 * 24 * time.Hour),
		Grants: []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シードグラント", En: "Seed grant"}, Months: 12,
			Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}, {Amount: 3000000, Currency: "JPY"}}}},
		Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "学術的意義", En: "Merit"}, Weight: 1}},
		ScaleMin: 1, ScaleMax: 5,
		Attachments: []partnerhub.AttachmentSpec{{Code: "cv", Name: partnerhub.Text{Ja: "履歴書", En: "CV"}}},
		InterimDue:  partnerhub.MustPartialDate("2027-09-30"), FinalDue: partnerhub.MustPartialDate("2028-04-30"), Published: true}
	if _, err := db.PutCall(ctx, f.fundAdmin, "utokyo", call); err != nil {
		t.Fatal(err)
	}
	// The partner's chair co-wrote it: conflicted.
	f.proposal = f.submit(t, "量子材料の共同研究", "Joint research on quantum materials", f.applicant, f.colead, f.conflict)
	return f
}

// submit sends a proposal of lead with co-lead to the call.
func (f *decisionFixture) submit(t *testing.T, ja, en string, lead, colead *partnerhub.User, others ...*partnerhub.User) partnerhub.Proposal {
	t.Helper()
	ctx := context.Background()
	leadName, coName := "Hanako Tanaka", "John Smith"
	if lead == f.other {
		leadName, coName = "佐藤 健二", "Maria Garcia"
	}
	members := []partnerhub.ProposalMember{
		{Email: lead.Email, Name: leadName, Role: partnerhub.MemberLead, Side: partnerhub.SideHome, Unit: "eng"},
		{Email: colead.Email, Name: coName, Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner, Affiliation: "Department of Physics"},
	}
	for _, o := range others {
		members = append(members, partnerhub.ProposalMember{Email: o.Email, Name: "Member " + o.Email, Role: partnerhub.MemberOther, Side: partnerhub.SidePartner})
	}
	p, err := f.as.db.CreateProposal(ctx, lead, "utokyo", partnerhub.Proposal{Fund: "princeton-fund", Call: 10, Grant: "seed",
		Title:    partnerhub.Text{Ja: ja, En: en},
		Abstract: partnerhub.Text{Ja: "非公開の概要", En: "SECRET-ABSTRACT of the proposal"},
		Plan:     partnerhub.Text{En: "Year one: workshops in Tokyo and Princeton."},
		Members:  members,
		Units:    []string{"eng"},
		Budget:   []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 1234567}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.as.db.AddProposalFile(ctx, lead, "utokyo", p.ID, "cv", "cv.pdf", storetest.PDF("CV"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if p, err = f.as.db.TransitProposal(ctx, lead, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, time.Now()); err != nil {
		t.Fatal(err)
	}
	return p
}

// awardAndPublish records an award on the fixture's proposal and sends
// its letters: the project is public.
func (f *decisionFixture) awardAndPublish(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.as.db.Decide(ctx, f.chair, "utokyo", f.proposal.ID, partnerhub.Decision{Outcome: partnerhub.OutcomeAward,
		Meeting: partnerhub.MustPartialDate("2026-12-01"), HomeAmount: partnerhub.Money{Amount: 1000000}, PartnerAmount: partnerhub.Money{Amount: 10000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.as.db.SendLetters(ctx, f.chair, "utokyo", "princeton-fund", 10, 0); err != nil {
		t.Fatal(err)
	}
	lead := f.applicant
	if m, ok := f.proposal.Member(f.other.ID); ok && m.Role == partnerhub.MemberLead {
		lead = f.other
	}
	if err := f.as.db.LinkActivity(ctx, lead, "utokyo", f.proposal.ID, "ntu-joint-conference-2019", false); err != nil {
		t.Logf("no example activity to link: %v", err)
	}
}

func (f *decisionFixture) path(lang, rest string) string {
	return "/" + lang + "/proposals/" + strconv.FormatInt(f.proposal.ID, 10) + rest
}

func TestDecisionPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		as := newAuthServer(t, e)
		f := newDecisionFixture(t, as)
		chair := as.signIn(t, f.chair.Email)
		id := strconv.FormatInt(f.proposal.ID, 10)

		t.Run("bad input gets field messages in both languages and changes nothing", func(t *testing.T) {
			for _, tc := range []struct {
				lang string
				form url.Values
				want string
			}{
				{"en", url.Values{"outcome": {"award"}, "meeting": {"2026-12-01"}, "version": {"0"}}, "An award needs an amount from at least one side."},
				{"ja", url.Values{"outcome": {"award"}, "meeting": {"2026-12-01"}, "version": {"0"}}, "採択には少なくとも一方の助成額が必要です。"},
				{"en", url.Values{"outcome": {"decline"}, "meeting": {"2026-12"}, "version": {"0"}}, "Give a full date (year, month and day)."},
				{"ja", url.Values{"outcome": {"decline"}, "meeting": {"2026-12"}, "version": {"0"}}, "年月日まで入力してください。"},
				{"en", url.Values{"outcome": {"award"}, "meeting": {"2026-12-01"}, "home_amount": {"lots"}, "version": {"0"}}, `id="err-home_amount"`},
			} {
				r := as.send(t, "POST", f.path(tc.lang, "/decision"), tc.form, chair)
				if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.want) ||
					!strings.Contains(r.body, `aria-invalid="true"`) {
					t.Errorf("%s %v: %d, want the message %q\n%s", tc.lang, tc.form, r.status, tc.want, r.body)
				}
			}
			p, _, err := as.db.Proposal(context.Background(), f.chair, "utokyo", f.proposal.ID)
			if err != nil || p.Decision != nil {
				t.Fatalf("bad input changed the proposal: %+v %v", p.Decision, err)
			}
		})

		t.Run("a conflicted chair and another applicant find nothing", func(t *testing.T) {
			other := f.submit(t, "別の申請", "Another proposal", f.other, f.colead)
			_ = other
			for _, who := range []*partnerhub.User{f.conflict, f.other, f.member} {
				c := as.signIn(t, who.Email)
				for _, r := range []reply{
					as.send(t, "GET", f.path("en", "/decision"), nil, c),
					as.send(t, "POST", f.path("en", "/decision"), url.Values{"outcome": {"decline"}, "meeting": {"2026-12-01"}}, c),
					as.send(t, "POST", f.path("en", "/decision/letters"), url.Values{}, c),
				} {
					if r.status != http.StatusNotFound && r.status != http.StatusForbidden || strings.Contains(r.body, "quantum") {
						t.Errorf("%s: %d\n%s", who.Email, r.status, r.body)
					}
				}
			}
		})

		t.Run("the chair decides and sends the letters", func(t *testing.T) {
			r := as.send(t, "GET", f.path("ja", "/decision"), nil, chair)
			wantPage(t, r, http.StatusOK, "量子材料の共同研究", "委員会の開催日", "USD")
			r = as.send(t, "POST", f.path("en", "/decision"), url.Values{"outcome": {"award"}, "meeting": {"2026-12-01"},
				"home_amount": {"1,000,000"}, "partner_amount": {"10000"}, "note_en": {"Well done."}, "note_ja": {"期待します。"}, "version": {"0"}}, chair)
			wantRedirect(t, r, f.path("en", "/decision?saved=1"))
			if got := as.send(t, "GET", "/en/funds/princeton-fund", nil); strings.Contains(got.body, "quantum") {
				t.Fatalf("the award is public before its letters")
			}
			r = as.send(t, "POST", f.path("en", "/decision/letters"), url.Values{}, chair)
			wantRedirect(t, r, f.path("en", "/decision?letters=1"))
			r = as.send(t, "GET", f.path("en", "/decision?letters=1"), nil, chair)
			wantPage(t, r, http.StatusOK, "Letters of 1 proposal queued.", "can no longer be changed")
			r = as.send(t, "POST", "/en/calls/princeton-fund/10/letters", url.Values{"back": {"/proposals/" + id + "/decision"}}, chair)
			wantRedirect(t, r, f.path("en", "/decision?letters=0"))
		})

		t.Run("the public fund and project pages, in both languages", func(t *testing.T) {
			for _, tc := range []struct {
				path string
				want []string
			}{
				{"/en/funds/princeton-fund", []string{"Princeton–UTokyo Joint Research Fund", "10 calls and 30 projects funded so far",
					"9 calls and 29 projects before this portal", "Joint research on quantum materials", "Hanako Tanaka", "John Smith",
					"Department of Physics", "/en/calls/princeton-fund/10", "USD 200,000", "JPY 30,000,000", "FY2026"}},
				{"/ja/funds/princeton-fund", []string{"プリンストン大学との共同研究ファンド", "これまでに公募10回、採択30件", "量子材料の共同研究",
					"第10回公募", "2026年度"}},
				{"/en/projects/" + id, []string{"Joint research on quantum materials", "Lead", "Co-lead", "Hanako Tanaka", "Seed grant"}},
				{"/ja/projects/" + id, []string{"量子材料の共同研究", "研究代表者", "共同代表者", "シードグラント"}},
			} {
				r := as.send(t, "GET", tc.path, nil)
				if r.status != http.StatusOK {
					t.Fatalf("%s: %d\n%s", tc.path, r.status, r.body)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.body, w) {
						t.Errorf("%s lacks %q", tc.path, w)
					}
				}
				for _, secret := range []string{"SECRET-ABSTRACT", "1,234,567", "1234567", f.applicant.Email, "1,000,000"} {
					if strings.Contains(r.body, secret) {
						t.Errorf("%s tells %q", tc.path, secret)
					}
				}
			}
			if r := as.send(t, "GET", "/en/projects/999999", nil); r.status != http.StatusNotFound {
				t.Errorf("unknown project: %d", r.status)
			}
			var list struct {
				Items []partnerhub.Project `json:"items"`
			}
			r := as.send(t, "GET", "/api/v1/projects?fund=princeton-fund", nil)
			if err := json.Unmarshal([]byte(r.body), &list); err != nil || r.status != 200 || len(list.Items) != 1 || list.Items[0].Leads[1].Affiliation != "Department of Physics" {
				t.Fatalf("API projects: %d %s", r.status, r.body)
			}
			if strings.Contains(r.body, "SECRET") || strings.Contains(r.body, "1234567") {
				t.Errorf("API tells secrets: %s", r.body)
			}
			if r := as.send(t, "GET", "/api/v1/projects/"+id, nil); r.status != 200 {
				t.Errorf("API project: %d %s", r.status, r.body)
			}
			if r := as.send(t, "GET", "/sitemap.xml", nil); !strings.Contains(r.body, "/en/projects/"+id) || !strings.Contains(r.body, "/ja/funds/princeton-fund") {
				t.Errorf("sitemap lacks the fund's pages")
			}
		})

		t.Run("reports and links", func(t *testing.T) {
			lead := as.signIn(t, f.applicant.Email)
			r := as.send(t, "GET", "/ja/projects/"+id+"/reports", nil, lead)
			wantPage(t, r, http.StatusOK, "中間報告書", "最終報告書", "期限前")
			r = as.send(t, "POST", "/en/projects/"+id+"/reports", url.Values{"kind": {"interim"}, "body": {"  "}}, lead)
			if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "This field is required.") {
				t.Errorf("empty report: %d\n%s", r.status, r.body)
			}
			r = as.send(t, "POST", "/en/projects/"+id+"/reports", url.Values{"kind": {"interim"}, "body": {"Two workshops were held."}}, lead)
			wantRedirect(t, r, "/en/projects/"+id+"/reports?saved=1")
			admin := as.signIn(t, f.fundAdmin.Email)
			r = as.send(t, "GET", "/en/funds/princeton-fund/reports", nil, admin)
			wantPage(t, r, http.StatusOK, "Final report", "Hanako Tanaka", "Not yet due")
			wantPage(t, as.send(t, "GET", "/ja/funds/princeton-fund/reports", nil, admin), http.StatusOK, "未提出の報告書", "最終報告書", "期限前")
			if strings.Contains(r.body, "Interim report") {
				t.Errorf("a submitted report is listed as owed")
			}
			member := as.signIn(t, f.member.Email)
			if r := as.send(t, "GET", "/en/funds/princeton-fund/reports", nil, member); r.status != http.StatusForbidden {
				t.Errorf("a member reads the reports owed: %d", r.status)
			}
			r = as.send(t, "POST", "/en/projects/"+id+"/activities", url.Values{"activity": {"no-such-thing"}}, admin)
			if !strings.Contains(r.body, "There is no activity") {
				t.Errorf("unknown activity: %d\n%s", r.status, r.body)
			}
		})

		t.Run("the API decides with field errors and versions", func(t *testing.T) {
			raw, _, err := as.db.CreateToken(context.Background(), f.chair.ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeWrite}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			other := f.submit(t, "三つ目", "Third proposal", f.other, f.colead)
			p := "/api/v1/proposals/" + strconv.FormatInt(other.ID, 10) + "/decision"
			r := as.sendJSON(t, "PUT", p, `{"outcome":"award","meeting":"2026-12-01"}`, raw)
			if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"home_amount.amount"`) {
				t.Fatalf("award without amount: %d %s", r.status, r.body)
			}
			r = as.sendJSON(t, "PUT", p, `{"outcome":"waitlist","meeting":"2026-12-01","version":0}`, raw)
			if r.status != 200 || !strings.Contains(r.body, `"version":1`) {
				t.Fatalf("waitlist: %d %s", r.status, r.body)
			}
			r = as.sendJSON(t, "PUT", p, `{"outcome":"decline","meeting":"2026-12-01","version":0}`, raw)
			if r.status != http.StatusConflict {
				t.Fatalf("stale: %d %s", r.status, r.body)
			}
			r = as.sendJSON(t, "POST", "/api/v1/proposals/"+strconv.FormatInt(other.ID, 10)+"/letters", ``, raw)
			if r.status != 200 || !strings.Contains(r.body, `"sent":1`) {
				t.Fatalf("letters: %d %s", r.status, r.body)
			}
			// Waitlisted: never public.
			if r := as.send(t, "GET", "/api/v1/projects/"+strconv.FormatInt(other.ID, 10), nil); r.status != http.StatusNotFound {
				t.Fatalf("a waitlisted proposal is public: %d", r.status)
			}
		})
	})
}

// decisions exercises the decisions' API for TestOpenAPIWrites: as the
// home's administrator (every fund's administrator) and as an applicant.
func (w *oaWriter) decisions() {
	t := w.t
	f := newDecisionFixture(t, w.ts)
	raw, _, err := w.ts.db.CreateToken(context.Background(), f.applicant.ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.token["applicant"] = raw
	id := strconv.FormatInt(f.proposal.ID, 10)
	const (
		dec  = "/api/v1/proposals/{id}/decision"
		lett = "/api/v1/proposals/{id}/letters"
		call = "/api/v1/calls/{fund}/{number}/letters"
		reps = "/api/v1/projects/{id}/reports"
		rep  = "/api/v1/projects/{id}/reports/{kind}"
		link = "/api/v1/projects/{id}/activities/{slug}"
	)
	w.wantField(w.call("admin", "PUT", dec, "/api/v1/proposals/"+id+"/decision", map[string]any{"outcome": "award", "meeting": "2026-12"}),
		"meeting", "a decision on a month")
	got := w.want(w.call("admin", "PUT", dec, "/api/v1/proposals/"+id+"/decision", map[string]any{"outcome": "award", "meeting": "2026-12-01",
		"home_amount": map[string]any{"amount": 1000000, "currency": "JPY"}, "partner_amount": map[string]any{"amount": 10000, "currency": ""},
		"note": map[string]any{"ja": "", "en": "Well done."}, "version": 0}), http.StatusOK, "decide")
	if got["version"] != float64(1) {
		t.Errorf("decide: %v", got)
	}
	w.want(w.call("admin", "POST", lett, "/api/v1/proposals/"+id+"/letters", nil), http.StatusOK, "letters")
	if r := w.want(w.call("admin", "POST", call, "/api/v1/calls/princeton-fund/10/letters", nil), http.StatusOK, "call letters"); r["sent"] != float64(0) {
		t.Errorf("letters sent twice: %v", r)
	}
	w.want(w.call("admin", "GET", reps, "/api/v1/projects/"+id+"/reports", nil), http.StatusOK, "reports")
	w.want(w.call("applicant", "PUT", rep, "/api/v1/projects/"+id+"/reports/interim", map[string]any{"body": "Two workshops."}), http.StatusOK, "report")
	w.want(w.call("admin", "PUT", rep, "/api/v1/projects/"+id+"/reports/interim", map[string]any{"body": "x"}), http.StatusForbidden, "report by the office")
	const act = "ntu-joint-conference-2019"
	w.want(w.call("admin", "PUT", link, "/api/v1/projects/"+id+"/activities/"+act, nil), http.StatusOK, "link")
	w.want(w.call("applicant", "DELETE", link, "/api/v1/projects/"+id+"/activities/"+act, nil), http.StatusOK, "unlink")
}
