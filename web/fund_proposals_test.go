package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// proposalServer is the test server with a joint fund with Princeton, its
// open call 10 (a seed grant up to US$25,000 and ¥3,000,000, a CV
// required), an applicant and the partner's co-lead, and a chair.
type proposalServer struct {
	*editors
	admin, applicant, colead, chair *partnerhub.User
	call                            partnerhub.Call
	cookie                          map[string]*http.Cookie
	token                           map[string]string
}

func newProposalServer(t *testing.T, e storetest.Engine) *proposalServer {
	t.Helper()
	ctx := context.Background()
	ed := newEditors(t, e)
	ps := &proposalServer{editors: ed, cookie: map[string]*http.Cookie{}, token: map[string]string{}}
	var err error
	if ps.admin, err = ed.db.UserByEmail(ctx, "admin@example.ac.jp"); err != nil {
		t.Fatal(err)
	}
	ps.applicant = ed.addUser(t, "applicant@example.ac.jp", partnerhub.RoleViewer)
	ps.colead = ed.addUser(t, "colead@princeton.example", partnerhub.RoleViewer)
	ps.chair = ed.addUser(t, "chair@example.ac.jp", partnerhub.RoleViewer)
	for name, u := range map[string]*partnerhub.User{"applicant": ps.applicant, "colead": ps.colead, "chair": ps.chair} {
		ps.cookie[name] = ed.signIn(t, u.Email)
		raw, _, err := ed.db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ps.token[name] = raw
	}
	fund := partnerhub.Fund{Slug: "princeton-fund", Partners: []string{"princeton"},
		Name:        partnerhub.Text{Ja: "プリンストン大学との共同ファンド", En: "Joint fund with Princeton"},
		PartnerZone: "America/New_York", HomeCurrency: "JPY", PartnerCurrency: "USD"}
	if _, err := ed.db.PutFund(ctx, ps.admin, "utokyo", fund); err != nil {
		t.Fatal(err)
	}
	if err := ed.db.SetFundSeat(ctx, ps.admin, "utokyo", fund.Slug, partnerhub.FundSeat{UserID: ps.chair.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ps.call = partnerhub.Call{Fund: fund.Slug, Number: 10,
		Title: partnerhub.Text{Ja: "第10回共同研究公募", En: "Tenth call for joint research"},
		Opens: now.Add(-24 * time.Hour), Closes: now.Add(14 * 24 * time.Hour),
		Grants: []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シードグラント", En: "Seed grant"}, Months: 12,
			Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}, {Amount: 3000000, Currency: "JPY"}}}},
		Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "学術的意義", En: "Scholarly merit"}, Weight: 1}},
		ScaleMin: 1, ScaleMax: 5,
		Attachments: []partnerhub.AttachmentSpec{{Code: "cv", Name: partnerhub.Text{Ja: "代表者の履歴書", En: "CVs of the leads"}, Required: true}},
		Published:   true}
	if ps.call.Version, err = ed.db.PutCall(ctx, ps.admin, "utokyo", ps.call); err != nil {
		t.Fatal(err)
	}
	return ps
}

// proposalFormValues is a complete form of a proposal, its partner's
// travel in year one amount.
func proposalFormValues(ps *proposalServer, partnerTravel string) url.Values {
	return url.Values{"version": {"0"}, "grant": {"seed"},
		"title.ja": {"量子材料の共同研究"}, "title.en": {"Joint research on quantum materials"},
		"abstract.ja": {"両校の研究室が協働する。"}, "abstract.en": {"Two laboratories work together."},
		"plan.en": {"Workshops in Tokyo and Princeton."}, "keywords": {"quantum"}, "units": {"eng"},
		"members[0].email": {ps.applicant.Email}, "members[0].name": {"Applicant"}, "members[0].role": {"lead"},
		"members[0].side": {"home"}, "members[0].unit": {"eng"},
		"members[1].email": {ps.colead.Email}, "members[1].name": {"Co-lead"}, "members[1].role": {"colead"},
		"members[1].side": {"partner"}, "members[1].affiliation": {"Physics"},
		"members[2].email": {""}, "members[2].name": {""}, "members[2].role": {"member"}, "members[2].side": {"partner"},
		"budget.home.1.travel": {"1,500,000"}, "budget.partner.1.travel": {partnerTravel}}
}

// multipartFile is a proposal attachment's form: spec and file.
func multipartFile(t *testing.T, spec, filename string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("spec", spec)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func (ps *proposalServer) mine(t *testing.T) []partnerhub.Proposal {
	t.Helper()
	got, err := ps.db.MyProposals(context.Background(), ps.applicant, "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The proposal form, as applicants use it: refused saves keep what was
// typed and say what is wrong at the field in the page's language, and
// change nothing; attachments are PDF by their content; submission needs
// the required attachment and closes at the deadline, by the server's
// clock.
func TestProposalForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ps := newProposalServer(t, e)
		ctx := context.Background()
		ck := ps.cookie["applicant"]
		const newPage = "/calls/princeton-fund/10/proposals/new"

		wantPage(t, ps.send(t, "GET", "/en"+newPage, nil, ck), 200, "<h1>New proposal</h1>", "Home university (JPY)",
			"Partner university (USD)", `name="budget.partner.1.travel"`, `name="members[0].email"`, `value="applicant@example.ac.jp"`,
			"ceiling USD 25,000")
		wantPage(t, ps.send(t, "GET", "/ja"+newPage, nil, ck), 200, "<h1>新しい申請</h1>", "本学（JPY）", "相手校（USD）")
		if r := ps.send(t, "GET", "/en"+newPage, nil); r.status != http.StatusSeeOther {
			t.Errorf("the form without a session: %d", r.status)
		}

		t.Run("a budget over the ceiling is refused, everything typed kept", func(t *testing.T) {
			for lang, msg := range map[string]string{"en": "The budget totals USD 30,000, above the grant", "ja": "予算の合計 USD 30,000 が助成上限 USD 25,000 を超えています。"} {
				r := ps.send(t, "POST", "/"+lang+newPage, proposalFormValues(ps, "30,000"), ck)
				wantPage(t, r, http.StatusBadRequest, msg, `value="Joint research on quantum materials"`, `value="30,000"`,
					`value="colead@princeton.example"`, "Two laboratories work together.")
			}
			r := ps.send(t, "POST", "/en"+newPage, proposalFormValues(ps, "12 thousand"), ck)
			wantPage(t, r, http.StatusBadRequest, "“12 thousand” is not a whole number.", `aria-invalid="true" aria-describedby="e-budget.partner.1.travel"`)
			if got := ps.mine(t); len(got) != 0 {
				t.Fatalf("a refused proposal was kept: %+v", got)
			}
		})

		r := ps.send(t, "POST", "/en"+newPage, proposalFormValues(ps, "12,000"), ck)
		if r.status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.status, r.body)
		}
		mine := ps.mine(t)
		if len(mine) != 1 || len(mine[0].Budget) != 2 || mine[0].Budget[1].Amount != 12000 || mine[0].Members[1].UserID != ps.colead.ID {
			t.Fatalf("created: %+v", mine)
		}
		p := mine[0]
		page := "/en/proposals/" + idStr(p.ID)
		wantRedirect(t, r, page+"?saved=1")
		// The co-lead edits the draft too; the chair does not see it.
		wantPage(t, ps.send(t, "GET", "/ja/proposals/"+idStr(p.ID), nil, ps.cookie["colead"]), 200, "量子材料の共同研究", "下書きを保存", "代表者の履歴書")
		if r := ps.send(t, "GET", page, nil, ps.cookie["chair"]); r.status != http.StatusNotFound {
			t.Errorf("the chair read a draft: %d", r.status)
		}

		t.Run("a file that is not a PDF is refused at its attachment", func(t *testing.T) {
			for lang, msg := range map[string]string{"en": "“cv.pdf” is named as a PDF file, but its content is not a PDF.", "ja": "「cv.pdf」は PDF ファイルの名前ですが、中身が PDF ではありません。"} {
				ct, body := multipartFile(t, "cv", "cv.pdf", []byte("not a PDF at all"))
				r := ps.sendBody(t, "POST", "/"+lang+"/proposals/"+idStr(p.ID)+"/files", ct, body, ck)
				wantPage(t, r, http.StatusBadRequest, msg, `aria-describedby="e-files.cv"`)
			}
			if got := ps.mine(t); len(got[0].Files) != 0 {
				t.Fatalf("a refused file was kept: %+v", got[0].Files)
			}
		})

		t.Run("submission needs the required attachment", func(t *testing.T) {
			for lang, msg := range map[string]string{"en": "This attachment is required.", "ja": "この添付書類は必須です。"} {
				r := ps.send(t, "POST", "/"+lang+"/proposals/"+idStr(p.ID)+"/transition", url.Values{"verb": {"submit"}, "version": {strconv.Itoa(p.Version)}}, ck)
				wantPage(t, r, http.StatusBadRequest, msg)
			}
			if got := ps.mine(t); got[0].State != partnerhub.ProposalDraft || got[0].Version != p.Version {
				t.Fatalf("a refused submission changed the proposal: %+v", got[0])
			}
		})

		ct, body := multipartFile(t, "cv", "履歴書.pdf", storetest.PDF("CV"))
		wantRedirect(t, ps.sendBody(t, "POST", page+"/files", ct, body, ps.cookie["colead"]), page+"?saved=1#files")
		p = ps.mine(t)[0]
		if len(p.Files) != 1 || p.Files[0].Filename != "履歴書.pdf" {
			t.Fatalf("files: %+v", p.Files)
		}
		wantRedirect(t, ps.send(t, "POST", page+"/transition", url.Values{"verb": {"submit"}, "version": {strconv.Itoa(p.Version)}}, ck), page+"?done=submit")
		p = ps.mine(t)[0]
		if p.State != partnerhub.ProposalSubmitted {
			t.Fatalf("not submitted: %+v", p)
		}
		wantPage(t, ps.send(t, "GET", page+"?done=submit", nil, ck), 200, "The proposal was submitted.", "Withdraw the proposal")
		file := page + "/files/" + idStr(p.Files[0].ID)
		if r := ps.send(t, "GET", file, nil, ps.cookie["chair"]); r.status != 200 || !strings.HasPrefix(r.body, "%PDF-") {
			t.Errorf("the chair cannot download a submitted proposal's file: %d", r.status)
		}
		// The chair reads the proposal sent, and neither changes nor withdraws it.
		if r := ps.send(t, "GET", page, nil, ps.cookie["chair"]); r.status != 200 || strings.Contains(r.body, `name="verb"`) ||
			strings.Contains(r.body, `id="proposal-form"`) || !strings.Contains(r.body, "Two laboratories work together.") {
			t.Errorf("the chair's page: %d", r.status)
		}
		wantPage(t, ps.send(t, "GET", "/en/proposals", nil, ck), 200, "Joint research on quantum materials", "Submitted", "Tenth call for joint research")
		wantPage(t, ps.send(t, "GET", "/ja/proposals", nil, ck), 200, "自分の申請", "提出済み")

		t.Run("a late submission is refused", func(t *testing.T) {
			wantRedirect(t, ps.send(t, "POST", page+"/transition", url.Values{"verb": {"withdraw"}, "version": {strconv.Itoa(p.Version)}}, ck), page+"?done=withdraw")
			p = ps.mine(t)[0]
			// The deadline passes: the call is moved to have closed a minute ago.
			c := ps.call
			c.Closes = time.Now().UTC().Add(-time.Minute)
			c.Version = ps.call.Version
			if _, err := ps.db.PutCall(ctx, ps.admin, "utokyo", c); err != nil {
				t.Fatal(err)
			}
			for lang, msg := range map[string]string{"en": "The call has closed: the deadline has passed.", "ja": "締切を過ぎたため、この公募は受付を終了しました。"} {
				r := ps.send(t, "POST", "/"+lang+"/proposals/"+idStr(p.ID)+"/transition", url.Values{"verb": {"submit"}, "version": {strconv.Itoa(p.Version)}}, ck)
				wantPage(t, r, http.StatusBadRequest, msg)
			}
			if got := ps.mine(t)[0]; got.State != partnerhub.ProposalWithdrawn || got.Version != p.Version {
				t.Fatalf("a late submission changed the proposal: %+v", got)
			}
		})
	})
}

// The proposals API: create, read, update at the version read, attach,
// submit; others find nothing.
func TestProposalAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ps := newProposalServer(t, e)
		call := func(who, method, path string, body any) reply {
			t.Helper()
			b, _ := json.Marshal(body)
			h := []any{"Authorization", "Bearer " + ps.token[who]}
			if body == nil {
				return ps.sendBody(t, method, path, "", nil, h...)
			}
			return ps.sendBody(t, method, path, "application/json", b, h...)
		}
		in := map[string]any{"grant": "seed", "title": map[string]string{"ja": "量子", "en": "Quantum"},
			"abstract": map[string]string{"ja": "概要", "en": "Abstract"}, "plan": map[string]string{"en": "Plan"},
			"members": []map[string]string{{"email": ps.applicant.Email, "name": "A", "role": "lead", "side": "home"},
				{"email": ps.colead.Email, "name": "C", "role": "colead", "side": "partner"}},
			"budget": []map[string]any{{"year": 1, "side": "partner", "category": "travel", "amount": 30000}}}
		r := call("applicant", "POST", "/api/v1/calls/princeton-fund/10/proposals", in)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"budget"`) {
			t.Fatalf("over the ceiling: %d %s", r.status, r.body)
		}
		in["budget"] = []map[string]any{{"year": 1, "side": "partner", "category": "travel", "amount": 20000}}
		r = call("applicant", "POST", "/api/v1/calls/princeton-fund/10/proposals", in)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var p partnerhub.Proposal
		json.Unmarshal([]byte(r.body), &p)
		path := "/api/v1/proposals/" + idStr(p.ID)
		if r.header.Get("Location") != path || p.State != partnerhub.ProposalDraft || p.Version != 1 {
			t.Fatalf("created: %s %+v", r.header.Get("Location"), p)
		}
		if r := call("chair", "GET", path, nil); r.status != http.StatusNotFound {
			t.Errorf("the chair read a draft: %d", r.status)
		}
		in["keywords"], in["version"] = "quantum", 1
		if r := call("colead", "PUT", path, in); r.status != 200 || !strings.Contains(r.body, `"version":2`) {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if r := call("applicant", "PUT", path, in); r.status != http.StatusConflict {
			t.Errorf("a stale update: %d %s", r.status, r.body)
		}
		if r := call("applicant", "POST", path+"/transition", map[string]any{"verb": "submit", "version": 2}); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, `"files.cv"`) {
			t.Errorf("submitted without a CV: %d %s", r.status, r.body)
		}
		ct, body := multipartFile(t, "cv", "cv.txt", []byte("text"))
		if r := ps.sendBody(t, "POST", path+"/files", ct, body, "Authorization", "Bearer "+ps.token["applicant"]); r.status != http.StatusBadRequest {
			t.Errorf("a text file: %d %s", r.status, r.body)
		}
		ct, body = multipartFile(t, "cv", "cv.pdf", storetest.PDF("CV"))
		r = ps.sendBody(t, "POST", path+"/files", ct, body, "Authorization", "Bearer "+ps.token["applicant"])
		if r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		var f partnerhub.ProposalFile
		json.Unmarshal([]byte(r.body), &f)
		if r := call("applicant", "GET", path+"/files", nil); r.status != 200 || !strings.Contains(r.body, `"filename":"cv.pdf"`) {
			t.Errorf("files: %d %s", r.status, r.body)
		}
		if r := call("applicant", "POST", path+"/transition", map[string]any{"verb": "submit", "version": 2}); r.status != 200 ||
			!strings.Contains(r.body, `"state":"submitted"`) {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		if r := call("chair", "GET", path+"/files/"+idStr(f.ID), nil); r.status != 200 || r.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("the chair's download: %d %v", r.status, r.header)
		}
		if r := call("nobody", "GET", path, nil); r.status != http.StatusUnauthorized {
			t.Errorf("nobody: %d", r.status)
		}
	})
}
