package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// openapiFund gives db a joint fund with an open call 10 asking for a CV.
func openapiFund(t *testing.T, db *store.DB, admin *partnerhub.User) {
	t.Helper()
	ctx := context.Background()
	fund := partnerhub.Fund{Slug: "princeton-fund", Partners: []string{"princeton"}, Name: partnerhub.Text{Ja: "共同ファンド", En: "Joint fund"},
		HomeCurrency: "JPY", PartnerCurrency: "USD"}
	if _, err := db.PutFund(ctx, admin, "utokyo", fund); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	c := partnerhub.Call{Fund: fund.Slug, Number: 10, Title: partnerhub.Text{Ja: "公募", En: "Call"},
		Opens: now.Add(-time.Hour), Closes: now.Add(30 * 24 * time.Hour),
		Grants:   []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12, Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}}}},
		Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}},
		ScaleMin: 1, ScaleMax: 5, Published: true,
		Attachments: []partnerhub.AttachmentSpec{{Code: "cv", Name: partnerhub.Text{Ja: "履歴書", En: "CV"}, Required: true}}}
	if _, err := db.PutCall(ctx, admin, "utokyo", c); err != nil {
		t.Fatal(err)
	}
}

// openapiProposal is a complete proposal of applicant's to call 10.
func openapiProposal(applicant string) map[string]any {
	return map[string]any{"grant": "seed", "title": map[string]string{"ja": "量子", "en": "Quantum"},
		"abstract": map[string]string{"ja": "概要", "en": "Abstract"}, "plan": map[string]string{"ja": "", "en": "Plan"},
		"keywords": "", "units": []string{},
		"members": []map[string]any{{"user_id": 0, "email": applicant, "name": "A", "role": "lead", "side": "home", "unit": "", "affiliation": ""},
			{"user_id": 0, "email": "colead@princeton.example", "name": "C", "role": "colead", "side": "partner", "unit": "", "affiliation": "Physics"}},
		"budget": []map[string]any{{"year": 1, "side": "partner", "category": "travel", "amount": 20000}}}
}

// openapiExampleProposal is the example proposal (id 1) with its CV (id
// 1), submitted, so that the home's administrators read it.
func openapiExampleProposal(t *testing.T, as *authServer, admin *partnerhub.User) {
	t.Helper()
	ctx := context.Background()
	openapiFund(t, as.db, admin)
	applicant := as.addUser(t, "oa-applicant@example.ac.jp", partnerhub.RoleViewer)
	p, err := as.db.CreateProposal(ctx, applicant, "utokyo", partnerhub.Proposal{Fund: "princeton-fund", Call: 10, Grant: "seed",
		Title: partnerhub.Text{Ja: "量子", En: "Quantum"}, Abstract: partnerhub.Text{Ja: "概要", En: "Abstract"}, Plan: partnerhub.Text{En: "Plan"},
		Members: []partnerhub.ProposalMember{{Email: applicant.Email, Name: "A", Role: partnerhub.MemberLead, Side: partnerhub.SideHome},
			{Email: "colead@princeton.example", Name: "C", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner}},
		Budget: []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SidePartner, Category: partnerhub.BudgetTravel, Amount: 1000}}})
	if err != nil || p.ID != 1 {
		t.Fatalf("example proposal: %+v, %v", p, err)
	}
	if f, err := as.db.AddProposalFile(ctx, applicant, "utokyo", p.ID, "cv", "cv.pdf", storetest.PDF("CV"), time.Now()); err != nil || f.ID != 1 {
		t.Fatalf("example file: %+v, %v", f, err)
	}
	if _, err := as.db.TransitProposal(ctx, applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// proposals: a proposal created, read, saved, attached, submitted, and its
// attachment downloaded by the fund's administrator, each answer as
// described.
func (w *oaWriter) proposals(admin *partnerhub.User) {
	t := w.t
	t.Helper()
	openapiFund(t, w.ts.db, admin)
	const (
		create  = "/api/v1/calls/{fund}/{number}/proposals"
		one     = "/api/v1/proposals/{id}"
		files   = "/api/v1/proposals/{id}/files"
		file    = "/api/v1/proposals/{id}/files/{file}"
		transit = "/api/v1/proposals/{id}/transition"
	)
	body := openapiProposal("oa-viewer@example.ac.jp")
	p := w.want(w.call("viewer", "POST", create, "/api/v1/calls/princeton-fund/10/proposals", body), http.StatusCreated, "create a proposal")
	w.valid("Proposal", p, "the created proposal")
	u := "/api/v1/proposals/" + strconv.Itoa(int(p["id"].(float64)))
	w.valid("Proposal", w.want(w.call("viewer", "GET", one, u, nil), http.StatusOK, "read a proposal"), "the proposal read")
	body["version"], body["keywords"] = 1, "quantum"
	w.valid("Proposal", w.want(w.call("viewer", "PUT", one, u, body), http.StatusOK, "save a proposal"), "the proposal saved")
	w.want(w.call("viewer", "PUT", one, u, body), http.StatusConflict, "a stale save")
	w.wantField(w.call("viewer", "POST", transit, u+"/transition", map[string]any{"verb": "submit", "version": 2}), "files.cv", "a submission without its CV")
	pdf := storetest.PDF("CV")
	ct, b := multipartFile(t, "cv", "cv.pdf", pdf)
	f := w.want(w.call("viewer", "POST", files, u+"/files", b, "Content-Type", ct), http.StatusCreated, "attach a CV")
	w.valid("ProposalFile", f, "the attachment")
	ct, b = multipartFile(t, "cv", "cv.pdf", []byte("text"))
	w.wantField(w.call("viewer", "POST", files, u+"/files", b, "Content-Type", ct), "files.cv", "a text file")
	w.valid("ProposalFileList", w.want(w.call("viewer", "GET", files, u+"/files", nil), http.StatusOK, "the attachments"), "the attachments")
	w.valid("Proposal", w.want(w.call("viewer", "POST", transit, u+"/transition", map[string]any{"verb": "submit", "version": 2}), http.StatusOK, "submit"), "the submitted proposal")
	fu := u + "/files/" + strconv.Itoa(int(f["id"].(float64)))
	if r := w.call("admin", "GET", file, fu, nil); r.status != http.StatusOK || !bytes.Equal(r.body, pdf) {
		t.Errorf("the administrator's download: %d", r.status)
	}
	w.want(w.call("coordinator", "GET", one, u, nil), http.StatusNotFound, "a proposal read by someone outside the fund")
}
