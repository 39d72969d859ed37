package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/store/storetest"
)

// reviewFixture is a fund with a committee, an open call without required
// attachments, and two submitted proposals: X (of the engineering unit,
// reviewed, discussed) and Y (of another applicant).
type reviewFixture struct {
	*authServer
	chair, memberEng, declarer, reviewer, applicantX, applicantY *partnerhub.User
	cookie                                                       map[int64]*http.Cookie
	token                                                        map[int64]string
	x, y                                                         partnerhub.Proposal
}

const reviewFund = "review-fund"

// What of X nobody conflicted with it may read anywhere.
var xSecrets = []string{"Secret quantum lattice", "秘密の量子格子", "Abstract of the secret lattice", "秘密の格子の要旨",
	"SECRET-COMMITTEE-NOTE", "SECRET-APPLICANT-NOTE", "SECRET-DISCUSSION", `"merit":5,"collab":3,"students":4`}

// xMean is X's weighted mean as pages and the API write it, a number on
// its own: not the "04.17" of a time's seconds.
var xMean = regexp.MustCompile(`(?:^|[^0-9])4\.17(?:[^0-9]|$)`)

func newReviewFixture(t *testing.T, e storetest.Engine) *reviewFixture {
	t.Helper()
	ctx := context.Background()
	f := &reviewFixture{authServer: newAuthServer(t, e), cookie: map[int64]*http.Cookie{}, token: map[int64]string{}}
	db := f.db
	f.srv.deps.Notices = db // the notifications page, walked too
	admin := f.addUser(t, "office@example.ac.jp", partnerhub.RoleAdmin)
	f.chair = f.addUser(t, "chair@example.ac.jp", partnerhub.RoleViewer)
	f.memberEng = f.addUser(t, "member-eng@example.ac.jp", partnerhub.RoleViewer)
	f.declarer = f.addUser(t, "declarer@example.ac.jp", partnerhub.RoleViewer)
	f.reviewer = f.addUser(t, "reviewer@example.ac.jp", partnerhub.RoleViewer)
	f.applicantX = f.addUser(t, "applicant-x@example.ac.jp", partnerhub.RoleViewer)
	f.applicantY = f.addUser(t, "applicant-y@example.ac.jp", partnerhub.RoleViewer)
	fund := partnerhub.Fund{Slug: reviewFund, Partners: []string{"princeton"}, Name: partnerhub.Text{Ja: "共同ファンド", En: "Joint fund"},
		PartnerZone: "America/New_York", HomeCurrency: "JPY", PartnerCurrency: "USD", ConflictByUnit: true}
	if _, err := db.PutFund(ctx, admin, "utokyo", fund); err != nil {
		t.Fatal(err)
	}
	for _, s := range []partnerhub.FundSeat{
		{UserID: f.chair.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome},
		{UserID: f.memberEng.ID, Role: partnerhub.FundMember, Side: partnerhub.SideHome, Unit: "eng", Keywords: "quantum"},
		{UserID: f.declarer.ID, Role: partnerhub.FundMember, Side: partnerhub.SidePartner, Keywords: "lattice"},
		{UserID: f.reviewer.ID, Role: partnerhub.FundMember, Side: partnerhub.SidePartner},
	} {
		if err := db.SetFundSeat(ctx, admin, "utokyo", reviewFund, s); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	call := partnerhub.Call{Fund: reviewFund, Number: 1, Title: partnerhub.Text{Ja: "第1回公募", En: "First call"},
		Opens: now.Add(-time.Hour), Closes: now.Add(10 * 24 * time.Hour), Published: true,
		Grants: []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12,
			Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}, {Amount: 3000000, Currency: "JPY"}}}},
		Budget: partnerhub.Money{Amount: 100000, Currency: "USD"},
		Criteria: []partnerhub.Criterion{
			{Code: "merit", Name: partnerhub.Text{Ja: "学術的意義", En: "Scholarly merit"}, Weight: 3},
			{Code: "collab", Name: partnerhub.Text{Ja: "協働の深さ", En: "Depth of collaboration"}, Weight: 2},
			{Code: "students", Name: partnerhub.Text{Ja: "学生の参画", En: "Student involvement"}, Weight: 1}},
		ScaleMin: 1, ScaleMax: 5}
	if _, err := db.PutCall(ctx, admin, "utokyo", call); err != nil {
		t.Fatal(err)
	}
	submit := func(u *partnerhub.User, title partnerhub.Text, abstract partnerhub.Text, unit string) partnerhub.Proposal {
		p, err := db.CreateProposal(ctx, u, "utokyo", partnerhub.Proposal{Fund: reviewFund, Call: 1, Grant: "seed", Title: title, Abstract: abstract,
			Plan: partnerhub.Text{En: "A plan."}, Keywords: "quantum, lattice", Units: []string{unit},
			Members: []partnerhub.ProposalMember{{Email: u.Email, Name: u.Name, Role: partnerhub.MemberLead, Side: partnerhub.SideHome, Unit: unit},
				{Email: "colead@princeton.example", Name: "Co-lead", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner}},
			Budget: []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 1000000}}})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = db.TransitProposal(ctx, u, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, now); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.x = submit(f.applicantX, partnerhub.Text{Ja: "秘密の量子格子", En: "Secret quantum lattice"},
		partnerhub.Text{Ja: "秘密の格子の要旨", En: "Abstract of the secret lattice"}, "eng")
	f.y = submit(f.applicantY, partnerhub.Text{Ja: "公開の天体観測", En: "Open sky survey"},
		partnerhub.Text{Ja: "空の観測の要旨", En: "Abstract of the survey"}, "sci")
	for _, a := range []struct {
		p *partnerhub.Proposal
		u *partnerhub.User
	}{{&f.x, f.reviewer}, {&f.x, f.declarer}, {&f.y, f.reviewer}, {&f.y, f.memberEng}} {
		if err := db.Assign(ctx, f.chair, "utokyo", a.p.ID, a.u.ID); err != nil {
			t.Fatal(err)
		}
	}
	// (5·3 + 3·2 + 4·1)/6 = 4.1666…: X's mean, shown as 4.17.
	if _, err := db.PutReview(ctx, f.reviewer, "utokyo", partnerhub.ProposalReview{Proposal: f.x.ID,
		Scores:       map[string]int{"merit": 5, "collab": 3, "students": 4},
		ForCommittee: "SECRET-COMMITTEE-NOTE", ForApplicants: "SECRET-APPLICANT-NOTE"}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutReview(ctx, f.memberEng, "utokyo", partnerhub.ProposalReview{Proposal: f.y.ID,
		Scores: map[string]int{"merit": 2, "collab": 2, "students": 2}, ForCommittee: "Y is fine."}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddComment(ctx, f.chair, "utokyo", f.x.ID, "SECRET-DISCUSSION"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*partnerhub.User{f.chair, f.memberEng, f.declarer, f.reviewer, f.applicantX, f.applicantY} {
		f.cookie[u.ID] = f.signIn(t, u.Email)
		raw, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		f.token[u.ID] = raw
	}
	return f
}

// as sends a request as u (session and token both), JSON for the API.
func (f *reviewFixture) as(t *testing.T, u *partnerhub.User, method, path string, form url.Values) reply {
	t.Helper()
	if strings.HasPrefix(path, "/api/") && method != "GET" {
		body := []byte("{}")
		return f.sendBody(t, method, path, "application/json", body, f.cookie[u.ID], "Authorization", "Bearer "+f.token[u.ID])
	}
	return f.send(t, method, path, form, f.cookie[u.ID], "Authorization", "Bearer "+f.token[u.ID])
}

// routePattern finds each literal route of routes.go: its method, whether
// it is under a language, and its path.
var routePattern = regexp.MustCompile(`mux\.Handle(?:Func)?\("(GET|POST|PUT|PATCH|DELETE) ("\+p\+")?([^"]*)"`)

// leakPrefixes are the parts of the site a proposal could show in.
var leakPrefixes = []string{"/calls", "/proposals", "/funds", "/projects", "/notifications", "/export", "/search",
	"/api/v1/calls", "/api/v1/proposals", "/api/v1/funds", "/api/v1/projects", "/api/v1/search", "/api/v1/notifications"}

// bodyText is what a reply says, a workbook's cells included.
func bodyText(r reply) string {
	if !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") {
		return r.body
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		return r.body
	}
	defer x.Close()
	var b strings.Builder
	for _, sheet := range x.GetSheetList() {
		rows, _ := x.GetRows(sheet)
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return b.String()
}

// TestFundReviewLeaksNothing walks every route of routes.go where a
// proposal could show, as a committee member conflicted with X (by unit,
// and by declaration after being assigned and notified) and as the
// applicant of another proposal: nothing of X's title, abstract, reviews,
// scores or discussion is in any answer.
func TestFundReviewLeaksNothing(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	type route struct{ method, path string }
	var routes []route
	for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
		path := m[3]
		if path == "" {
			continue
		}
		under := false
		for _, p := range leakPrefixes {
			under = under || strings.HasPrefix(path, p)
		}
		if !under {
			continue
		}
		if m[2] != "" {
			routes = append(routes, route{m[1], "/en" + path}, route{m[1], "/ja" + path})
		} else {
			routes = append(routes, route{m[1], path})
		}
	}
	t.Logf("%d routes walked, each with X and Y", len(routes))
	if len(routes) < 10 {
		t.Fatalf("only %d routes found in routes.go", len(routes))
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newReviewFixture(t, e)
		// The declarer was assigned X, and told so; then declares.
		if r := f.as(t, f.declarer, "GET", "/en/notifications", nil); !strings.Contains(r.body, "Secret quantum lattice") {
			t.Fatalf("the assignment was not notified: %d", r.status)
		}
		wantRedirect(t, f.as(t, f.declarer, "POST", "/en/proposals/"+idStr(f.x.ID)+"/conflict", url.Values{"reason": {"My former student"}}),
			"/en/calls/"+reviewFund+"/1/review?declared=1")
		// What the conflicted members do see: Y, ranked alone.
		r := f.as(t, f.memberEng, "GET", "/en/calls/"+reviewFund+"/1/ranking", nil)
		wantPage(t, r, 200, "Open sky survey")
		if n := strings.Count(r.body, `<th scope="row">`); n != 1 {
			t.Errorf("the ranking has %d rows for the conflicted member, want 1", n)
		}
		params := regexp.MustCompile(`\{[^}]+\}`)
		fill := func(path string, id int64) string {
			return params.ReplaceAllStringFunc(path, func(p string) string {
				switch p {
				case "{fund}", "{slug}", "{key}":
					return reviewFund
				case "{number}":
					return "1"
				case "{id}":
					return idStr(id)
				}
				return "1"
			})
		}
		form := url.Values{"proposal": {idStr(f.x.ID)}, "reviewer": {idStr(f.reviewer.ID)}, "op": {"assign"}, "body": {"x"},
			"reason": {"x"}, "scores.merit": {"3"}}
		for _, who := range []struct {
			name string
			u    *partnerhub.User
		}{{"member of X's unit", f.memberEng}, {"member who declared", f.declarer}, {"applicant of Y", f.applicantY}} {
			seen := 0
			for _, rt := range routes {
				for _, id := range []int64{f.x.ID, f.y.ID} {
					path := fill(rt.path, id)
					var fm url.Values
					if rt.method != "GET" {
						fm = form
					}
					r := f.as(t, who.u, rt.method, path, fm)
					if r.status == http.StatusOK {
						seen++
					}
					body := bodyText(r)
					for _, s := range xSecrets {
						if strings.Contains(body, s) {
							t.Errorf("%s: %s %s (%d) shows %q", who.name, rt.method, path, r.status, s)
						}
					}
					if m := xMean.FindString(body); m != "" {
						t.Errorf("%s: %s %s (%d) shows X's mean: %q", who.name, rt.method, path, r.status, m)
					}
				}
			}
			if seen == 0 {
				t.Errorf("%s: no route answered 200", who.name)
			}
		}
	})
}

// TestFundReviewPages: the chair assigns from suggestions, a reviewer
// saves a draft and submits, off-scale scores are refused at the field in
// both languages, the ranking and its workbook in the reader's language.
func TestFundReviewPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newReviewFixture(t, e)
		board := "/en/calls/" + reviewFund + "/1/review"
		wantPage(t, f.as(t, f.chair, "GET", board, nil), 200, "Assign reviewers", "Secret quantum lattice", "Open sky survey", "Submitted")
		wantPage(t, f.as(t, f.applicantX, "GET", board, nil), 404)
		// The chair assigns the declarer to Y from the suggestions.
		wantRedirect(t, f.as(t, f.chair, "POST", board+"/assign", url.Values{"proposal": {idStr(f.y.ID)}, "reviewer": {idStr(f.declarer.ID)}, "op": {"assign"}}),
			board+"?saved=1#p-"+idStr(f.y.ID))
		// A conflicted member cannot be assigned: said at the field.
		wantPage(t, f.as(t, f.chair, "GET", "/ja/calls/"+reviewFund+"/1/review", nil), 200, "審査員の割り当て")
		r := f.as(t, f.chair, "POST", "/ja/calls/"+reviewFund+"/1/review/assign", url.Values{"proposal": {idStr(f.x.ID)}, "reviewer": {idStr(f.memberEng.ID)}})
		wantPage(t, r, 400, "利益相反があります")

		page := "/en/proposals/" + idStr(f.y.ID) + "/review"
		wantPage(t, f.as(t, f.declarer, "GET", page, nil), 200, "Your review", "shown once you have submitted your own review")
		for lang, msg := range map[string]string{"en": "Give a score from 1 to 5.", "ja": "1"} {
			r := f.as(t, f.declarer, "POST", "/"+lang+"/proposals/"+idStr(f.y.ID)+"/review", url.Values{"scores.merit": {"9"}, "op": {"draft"}})
			wantPage(t, r, 400, msg, `aria-invalid="true"`)
		}
		if rs, _ := f.db.Reviews(context.Background(), f.declarer, "utokyo", f.y.ID); rs.Mine != nil {
			t.Fatal("an off-scale review was kept")
		}
		wantRedirect(t, f.as(t, f.declarer, "POST", page, url.Values{"scores.merit": {"4"}, "op": {"draft"}, "for_committee": {"Draft note"}}), page+"?saved=1")
		wantPage(t, f.as(t, f.declarer, "GET", page+"?saved=1", nil), 200, "Your draft was saved.", "Draft note")
		wantRedirect(t, f.as(t, f.declarer, "POST", page, url.Values{"scores.merit": {"4"}, "scores.collab": {"4"}, "scores.students": {"4"},
			"op": {"submit"}, "version": {"1"}}), page+"?saved=1")
		wantPage(t, f.as(t, f.declarer, "GET", page, nil), 200, "Y is fine.")
		wantRedirect(t, f.as(t, f.declarer, "POST", "/en/proposals/"+idStr(f.y.ID)+"/comments", url.Values{"body": {"Agreed."}}), page+"#discussion")
		wantPage(t, f.as(t, f.chair, "GET", page, nil), 200, "Agreed.", "JST")

		rank := "/ja/calls/" + reviewFund + "/1/ranking"
		wantPage(t, f.as(t, f.chair, "GET", rank, nil), 200, "順位表", "加重平均", "4.17", "3.00")
		x := f.as(t, f.chair, "GET", rank+".xlsx", nil)
		if x.status != 200 || !strings.Contains(bodyText(x), "加重平均") || !strings.Contains(bodyText(x), "Secret quantum lattice") && !strings.Contains(bodyText(x), "秘密の量子格子") {
			t.Fatalf("workbook: %d %q", x.status, bodyText(x))
		}
		// The API.
		var got struct {
			Items []partnerhub.RankingRow `json:"items"`
		}
		res := f.as(t, f.chair, "GET", "/api/v1/calls/"+reviewFund+"/1/ranking", nil)
		if res.status != 200 || !strings.Contains(res.body, `"mean":4.17`) {
			t.Fatalf("ranking API: %d %s", res.status, res.body)
		}
		_ = got
		put := f.sendBody(t, "PUT", "/api/v1/proposals/"+idStr(f.y.ID)+"/reviews", "application/json",
			[]byte(`{"scores":{"merit":0},"version":0}`), "Authorization", "Bearer "+f.token[f.reviewer.ID])
		if put.status != 400 || !strings.Contains(put.body, "scores.merit") {
			t.Fatalf("PUT off scale: %d %s", put.status, put.body)
		}
		post := f.sendBody(t, "POST", "/api/v1/calls/"+reviewFund+"/1/assignments", "application/json",
			[]byte(`{"proposal":`+strconv.FormatInt(f.y.ID, 10)+`,"reviewer_id":`+idStr(f.chair.ID)+`}`), "Authorization", "Bearer "+f.token[f.chair.ID])
		if post.status != 201 {
			t.Fatalf("POST assignment: %d %s", post.status, post.body)
		}
	})
}

// review walks the review API for TestOpenAPIWrites: the administrator
// (the fund's administrator by right, and a chair) assigns themself to
// the proposal w.proposals submitted, reviews it, discusses it, reads the ranking, unassigns and
// declares a conflict.
func (w *oaWriter) review(as *authServer, admin *partnerhub.User) {
	t := w.t
	t.Helper()
	ctx := context.Background()
	// The proposal w.proposals submitted to oa-fund's call 10.
	ps, err := as.db.Proposals(ctx, admin, "utokyo", partnerhub.ProposalFilter{Fund: "oa-fund", Call: 10, State: partnerhub.ProposalSubmitted})
	if err != nil || len(ps) == 0 {
		t.Fatalf("no submitted proposal to review: %v", err)
	}
	id := idStr(ps[0].ID)
	if err := as.db.SetFundSeat(ctx, admin, "utokyo", "oa-fund",
		partnerhub.FundSeat{UserID: admin.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome}); err != nil {
		t.Fatal(err)
	}
	const (
		assign   = "/api/v1/calls/{fund}/{number}/assignments"
		ranking  = "/api/v1/calls/{fund}/{number}/ranking"
		reviews  = "/api/v1/proposals/{id}/reviews"
		comments = "/api/v1/proposals/{id}/comments"
		conflict = "/api/v1/proposals/{id}/conflicts"
	)
	call := "/api/v1/calls/oa-fund/10"
	me := map[string]any{"proposal": ps[0].ID, "reviewer_id": admin.ID}
	w.want(w.call("viewer", "POST", assign, call+"/assignments", me), http.StatusNotFound, "assign as a viewer")
	w.want(w.call("admin", "POST", assign, call+"/assignments", me), http.StatusCreated, "assign")
	w.want(w.call("admin", "GET", assign, call+"/assignments", nil), http.StatusOK, "assignments")
	w.want(w.call("admin", "PUT", reviews, "/api/v1/proposals/"+id+"/reviews", map[string]any{"scores": map[string]any{"merit": 9}, "version": 0}),
		http.StatusBadRequest, "an off-scale review")
	w.want(w.call("admin", "PUT", reviews, "/api/v1/proposals/"+id+"/reviews", map[string]any{"scores": map[string]any{"merit": 4},
		"for_committee": "Good", "version": 0, "submit": true}), http.StatusOK, "review")
	w.want(w.call("admin", "GET", reviews, "/api/v1/proposals/"+id+"/reviews", nil), http.StatusOK, "reviews")
	w.want(w.call("admin", "POST", comments, "/api/v1/proposals/"+id+"/comments", map[string]any{"body": "Fund it."}), http.StatusCreated, "comment")
	w.want(w.call("admin", "GET", comments, "/api/v1/proposals/"+id+"/comments", nil), http.StatusOK, "comments")
	w.want(w.call("admin", "GET", ranking, call+"/ranking", nil), http.StatusOK, "ranking")
	w.want(w.call("admin", "DELETE", assign, call+"/assignments", me), http.StatusOK, "unassign")
	w.want(w.call("admin", "POST", conflict, "/api/v1/proposals/"+id+"/conflicts", map[string]any{"reason": "A co-author"}), http.StatusCreated, "declare")
	w.want(w.call("admin", "GET", reviews, "/api/v1/proposals/"+id+"/reviews", nil), http.StatusNotFound, "reviews once conflicted")
}
