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
		Title: partnerhub.Text{En: "Exported proposal"}})
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
			{`INSERT INTO decisions (proposal_id, outcome, home_amount, partner_amount, meeting, decided_by, decided_at)
				VALUES (?, 'award', 1000000, 10000, '2026-12-01', ?, ?)`, []any{p.ID, admin.ID, now}},
			{`INSERT INTO project_reports (proposal_id, kind, due) VALUES (?, 'interim', '2027-09-30')`, []any{p.ID}},
			{`INSERT INTO project_activities (proposal_id, activity_id) VALUES (?, ?)`, []any{p.ID, activity}},
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
}
