package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// transferFund gives the export a fund with a row in every table of
// funds: a call, a proposal with its applicants and a PDF, its review,
// a conflict, the discussion, the decision, a report owed and an activity
// it led to.
func transferFund(t *testing.T, db *store.DB, admin *partnerhub.User, now time.Time) {
	t.Helper()
	ctx := context.Background()
	fund := partnerhub.Fund{Slug: "transfer-fund", Partners: []string{"ntu"}, Name: partnerhub.Text{Ja: "共同基金", En: "Joint fund"},
		HomeCurrency: "JPY", PartnerCurrency: "SGD", PartnerZone: "Asia/Singapore"}
	if _, err := db.PutFund(ctx, admin, "utokyo", fund); err != nil {
		t.Fatal(err)
	}
	if err := db.SetFundSeat(ctx, admin, "utokyo", fund.Slug, partnerhub.FundSeat{UserID: admin.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome}); err != nil {
		t.Fatal(err)
	}
	call := testCall(fund.Slug, 1, now)
	if _, err := db.PutCall(ctx, admin, "utokyo", call); err != nil {
		t.Fatal(err)
	}
	applicant := transferUser(t, db, "fund-applicant@example.ac.jp", partnerhub.RoleViewer)
	p, err := db.CreateProposal(ctx, applicant, "utokyo", partnerhub.Proposal{Fund: fund.Slug, Call: 1, Grant: "seed",
		Title: partnerhub.Text{Ja: "書き出される申請", En: "Exported proposal"}, Plan: partnerhub.Text{En: "A plan."},
		Abstract: partnerhub.Text{Ja: "概要", En: "Abstract"},
		Budget:   []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 100000}},
		Members: []partnerhub.ProposalMember{
			{Email: applicant.Email, Name: "Applicant", Role: partnerhub.MemberLead, Side: partnerhub.SideHome},
			{Email: "colead@ntu.example", Name: "Co-lead", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddProposalFile(ctx, applicant, "utokyo", p.ID, "cv", "cv.pdf", storetest.PDF("CV"), now); err != nil {
		t.Fatal(err)
	}
	err = db.TxForTest(ctx, func(tx *sql.Tx) error {
		var activity int64
		if err := tx.QueryRowContext(ctx, db.Rebind(`SELECT id FROM activities WHERE slug = ?`), "ntu-joint-conference-2019").Scan(&activity); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO review_assignments (proposal_id, reviewer_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?)`, []any{p.ID, admin.ID, admin.ID, now}},
			{`INSERT INTO reviews (proposal_id, reviewer_id, scores, for_committee, for_applicants, submitted_at, version, updated_at)
				VALUES (?, ?, '{"merit":4}', 'good', 'well done', ?, 1, ?)`, []any{p.ID, admin.ID, now, now}},
			{`INSERT INTO conflicts (proposal_id, user_id, source, reason, created_at) VALUES (?, ?, 'applicant', '', ?)`, []any{p.ID, applicant.ID, now}},
			{`INSERT INTO proposal_comments (proposal_id, author_id, body, created_at) VALUES (?, ?, 'discuss', ?)`, []any{p.ID, admin.ID, now}},
		} {
			if _, err := tx.ExecContext(ctx, db.Rebind(q.sql), q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The decision, the reports it owes and a link to an activity, through
	// the store.
	if p, err = db.TransitProposal(ctx, applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Decide(ctx, admin, "utokyo", p.ID, partnerhub.Decision{Outcome: partnerhub.OutcomeAward,
		Meeting: partnerhub.MustPartialDate("2026-12-01"), HomeAmount: partnerhub.Money{Amount: 1000000}, PartnerAmount: partnerhub.Money{Amount: 10000}}); err != nil {
		t.Fatal(err)
	}
	if err := db.LinkActivity(ctx, admin, "utokyo", p.ID, "ntu-joint-conference-2019", false); err != nil {
		t.Fatal(err)
	}
}
