package store_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// submitted creates p as the applicant, attaches the CV the call asks
// for and submits it.
func (f *fundFixture) submitted(t *testing.T, p partnerhub.Proposal) partnerhub.Proposal {
	t.Helper()
	ctx := context.Background()
	p, err := f.db.CreateProposal(ctx, f.applicant, "utokyo", p)
	if err != nil {
		t.Fatal(err)
	}
	attachCV(t, f.db, p.ID, f.applicant.ID)
	p, err = f.db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func attachCV(t *testing.T, db *store.DB, proposal, by int64) {
	t.Helper()
	ctx := context.Background()
	err := db.TxForTest(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO proposal_files (proposal_id, spec, filename, content_type, size, sha256, data, uploaded_by, uploaded_at)
			VALUES (?, 'cv', 'cv.pdf', 'application/pdf', 4, 'x', ?, ?, CURRENT_TIMESTAMP)`), proposal, storetest.PDF("CV"), by)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFundReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		db := f.db
		f.fund.ConflictByUnit = true
		var err error
		if f.fund.Version, err = db.PutFund(ctx, f.admin, "utokyo", f.fund); err != nil {
			t.Fatal(err)
		}
		// eng is the unit of memberHome's seat: they are conflicted with
		// the first; the second is of another unit.
		eng := f.submitted(t, f.proposal())
		other := f.proposal()
		other.Title = partnerhub.Text{Ja: "天体物理のためのロボティクス", En: "Robotics for astrophysics"}
		other.Keywords = "robotics"
		other.Units = []string{"sci"}
		other.Members[0].Unit = "sci"
		astro := f.submitted(t, other)

		t.Run("conflicts found on submission: applicants, and a member of the unit", func(t *testing.T) {
			a, err := db.FundAccess(ctx, f.memberHome, "utokyo", f.fund.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if a.View(eng.ID) != partnerhub.ViewNone || a.View(astro.ID) != partnerhub.ViewCommittee {
				t.Fatalf("member of eng: views %v %v", a.View(eng.ID), a.View(astro.ID))
			}
			if _, _, err := db.Proposal(ctx, f.memberHome, "utokyo", eng.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("a conflicted member read the proposal: %v", err)
			}
			if _, err := db.Reviews(ctx, f.applicant, "utokyo", eng.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("the applicant read the reviews: %v", err)
			}
			err = db.Assign(ctx, f.chairHome, "utokyo", eng.ID, f.memberHome.ID)
			if fe := fieldsOf(err); fe["reviewer"].Key != "reviewer_conflicted" {
				t.Fatalf("assigned a conflicted member: %v %v", err, fe)
			}
			if err := db.Assign(ctx, f.memberHome, "utokyo", astro.ID, f.memberPartner.ID); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a member assigned: %v", err)
			}
		})

		t.Run("suggestions match the seat and leave out the conflicted", func(t *testing.T) {
			b, err := db.ReviewBoard(ctx, f.chairHome, "utokyo", f.fund.Slug, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Manage || len(b.Rows) != 2 {
				t.Fatalf("board = %+v", b)
			}
			for _, r := range b.Rows {
				for _, s := range r.Suggestions {
					if r.Proposal.ID == eng.ID && s.UserID == f.memberHome.ID {
						t.Fatalf("suggested a conflicted member: %+v", r.Suggestions)
					}
				}
				if r.Proposal.ID == astro.ID && (len(r.Suggestions) == 0 || r.Suggestions[0].UserID != f.memberHome.ID) {
					t.Fatalf("robotics should suggest memberHome first: %+v", r.Suggestions)
				}
			}
		})

		for _, u := range []*partnerhub.User{f.memberHome, f.memberPartner, f.chairPartner} {
			if err := db.Assign(ctx, f.chairHome, "utokyo", astro.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Assign(ctx, f.chairHome, "utokyo", eng.ID, f.memberPartner.ID); err != nil {
			t.Fatal(err)
		}

		t.Run("the reviewer is notified when assigned", func(t *testing.T) {
			ns, err := db.Notifications(ctx, f.memberPartner.ID, 10)
			if err != nil || len(ns) != 2 || ns[0].Kind != partnerhub.NoticeReview {
				t.Fatalf("notifications = %+v %v", ns, err)
			}
		})

		t.Run("off-scale scores are refused and change nothing", func(t *testing.T) {
			_, err := db.PutReview(ctx, f.memberHome, "utokyo", partnerhub.ProposalReview{Proposal: astro.ID,
				Scores: map[string]int{"merit": 9}}, false)
			if fe := fieldsOf(err); fe["scores.merit"].Key != "off_scale" {
				t.Fatalf("off scale: %v %v", err, fe)
			}
			rs, err := db.Reviews(ctx, f.memberHome, "utokyo", astro.ID)
			if err != nil || rs.Mine != nil {
				t.Fatalf("a refused review was kept: %+v %v", rs, err)
			}
			_, err = db.PutReview(ctx, f.memberHome, "utokyo", partnerhub.ProposalReview{Proposal: astro.ID,
				Scores: map[string]int{"merit": 4}}, true)
			if fe := fieldsOf(err); fe["scores.collab"].Key != "required" {
				t.Fatalf("submitted incomplete: %v %v", err, fe)
			}
		})

		t.Run("the others' reviews are seen once one's own is submitted", func(t *testing.T) {
			r, err := db.PutReview(ctx, f.memberHome, "utokyo", partnerhub.ProposalReview{Proposal: astro.ID,
				Scores: map[string]int{"merit": 5, "collab": 4, "students": 3}, ForCommittee: "Strong team."}, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.PutReview(ctx, f.memberHome, "utokyo", r, true); err != nil {
				t.Fatal(err)
			}
			before, err := db.Reviews(ctx, f.memberPartner, "utokyo", astro.ID)
			if err != nil || !before.OthersHidden || len(before.Others) != 0 {
				t.Fatalf("before submitting: %+v %v", before, err)
			}
			if _, err := db.PutReview(ctx, f.memberPartner, "utokyo", partnerhub.ProposalReview{Proposal: astro.ID,
				Scores: map[string]int{"merit": 3, "collab": 3, "students": 3}}, true); err != nil {
				t.Fatal(err)
			}
			after, err := db.Reviews(ctx, f.memberPartner, "utokyo", astro.ID)
			if err != nil || after.OthersHidden || len(after.Others) != 1 || after.Others[0].ForCommittee != "Strong team." {
				t.Fatalf("after submitting: %+v %v", after, err)
			}
			// When the fund opens reviews, an asked reviewer reads them before submitting.
			if hidden, _ := db.Reviews(ctx, f.chairPartner, "utokyo", astro.ID); !hidden.OthersHidden {
				t.Fatalf("chairPartner reads the reviews before submitting: %+v", hidden)
			}
			open := f.fund
			open.ReviewsOpen = true
			v, err := db.PutFund(ctx, f.admin, "utokyo", open)
			if err != nil {
				t.Fatal(err)
			}
			if seen, err := db.Reviews(ctx, f.chairPartner, "utokyo", astro.ID); err != nil || seen.OthersHidden || len(seen.Others) != 2 {
				t.Fatalf("reviews open: %+v %v", seen, err)
			}
			open.ReviewsOpen, open.Version = false, v
			if f.fund.Version, err = db.PutFund(ctx, f.admin, "utokyo", open); err != nil {
				t.Fatal(err)
			}
			// The chair, not asked to review it, reads both.
			chair, err := db.Reviews(ctx, f.chairHome, "utokyo", astro.ID)
			if err != nil || len(chair.Others) != 2 {
				t.Fatalf("chair: %+v %v", chair, err)
			}
		})

		t.Run("ranking: weighted mean and spread, conflicted proposals absent", func(t *testing.T) {
			rows, err := db.Ranking(ctx, f.chairHome, "utokyo", f.fund.Slug, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].Proposal != astro.ID || rows[0].Rank != 1 || rows[1].Rank != 0 {
				t.Fatalf("rows = %+v", rows)
			}
			// (5·3 + 4·2 + 3·1)/6 = 4.333…, and 3: the mean 3.67, the spread 1.33.
			if r := rows[0]; *r.Mean != 3.67 || *r.Spread != 1.33 || r.Reviews != 2 || r.Assigned != 3 {
				t.Fatalf("astro = %+v mean %v spread %v", r, *r.Mean, *r.Spread)
			}
			// Its applicants are conflicted with it, and count for nothing:
			// the column is the committee's conflicts; eng's member of the
			// home's engineering school is one with the other.
			if rows[0].Conflicts != 0 || rows[1].Conflicts != 1 {
				t.Fatalf("conflicts: astro %d, eng %d", rows[0].Conflicts, rows[1].Conflicts)
			}
			// chairPartner is asked and has not submitted: no mean for them yet.
			rows, err = db.Ranking(ctx, f.chairPartner, "utokyo", f.fund.Slug, 10)
			if err != nil || rows[0].Mean != nil && rows[0].Proposal == astro.ID {
				t.Fatalf("chairPartner sees the mean before reviewing: %+v %v", rows, err)
			}
			rows, err = db.Ranking(ctx, f.memberHome, "utokyo", f.fund.Slug, 10)
			if err != nil || len(rows) != 1 || rows[0].Proposal != astro.ID {
				t.Fatalf("the conflicted member's ranking: %+v %v", rows, err)
			}
			if _, err := db.Ranking(ctx, f.applicant, "utokyo", f.fund.Slug, 10); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("an applicant read the ranking: %v", err)
			}
		})

		t.Run("a declared conflict takes the assignment and hides the proposal at once", func(t *testing.T) {
			if err := db.DeclareConflict(ctx, f.memberPartner, "utokyo", eng.ID, ""); fieldsOf(err)["reason"].Key != "required" {
				t.Fatalf("no reason: %v", err)
			}
			if err := db.DeclareConflict(ctx, f.memberPartner, "utokyo", eng.ID, "Former student of the lead"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Reviews(ctx, f.memberPartner, "utokyo", eng.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("reviews of a declared conflict: %v", err)
			}
			b, err := db.ReviewBoard(ctx, f.memberPartner, "utokyo", f.fund.Slug, 10)
			if err != nil || len(b.Mine) != 1 || b.Mine[0].Proposal.ID != astro.ID {
				t.Fatalf("the member's list: %+v %v", b.Mine, err)
			}
			ns, _ := db.Notifications(ctx, f.memberPartner.ID, 10)
			for _, n := range ns {
				if n.Key == strconv.FormatInt(eng.ID, 10) {
					t.Fatalf("a notification about the proposal stayed: %+v", n)
				}
			}
			as, err := db.Assignments(ctx, f.chairHome, "utokyo", f.fund.Slug, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				if a.Proposal == eng.ID && a.ReviewerID == f.memberPartner.ID {
					t.Fatal("the assignment stayed")
				}
			}
			if _, err := db.AddComment(ctx, f.memberPartner, "utokyo", eng.ID, "hello"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("a conflicted member commented: %v", err)
			}
		})

		t.Run("the discussion is the committee's", func(t *testing.T) {
			if _, err := db.AddComment(ctx, f.chairHome, "utokyo", astro.ID, "Shall we fund both sides equally?"); err != nil {
				t.Fatal(err)
			}
			cs, err := db.Comments(ctx, f.memberHome, "utokyo", astro.ID)
			if err != nil || len(cs) != 1 || cs[0].Author != f.chairHome.Name {
				t.Fatalf("comments = %+v %v", cs, err)
			}
			if _, err := db.Comments(ctx, f.applicant, "utokyo", astro.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("the applicant read the discussion: %v", err)
			}
		})
	})
}

// The programme's audit log leaves out the review's own records: an
// administrator who applies to the fund must not read there who reviewed
// their proposal, or what they wrote.
func TestAuditLeavesOutTheReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		p := f.submitted(t, f.proposal())
		if err := f.db.Assign(ctx, f.chairHome, "utokyo", p.ID, f.memberPartner.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.PutReview(ctx, f.memberPartner, "utokyo", partnerhub.ProposalReview{Proposal: p.ID,
			Scores: map[string]int{"merit": 5, "collab": 4, "students": 3}, ForCommittee: "AUDIT-SECRET"}, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.AddComment(ctx, f.chairHome, "utokyo", p.ID, "AUDIT-SECRET too"); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeclareConflict(ctx, f.memberHome, "utokyo", p.ID, "a co-author"); err != nil {
			t.Fatal(err)
		}
		evs, err := f.db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		proposals := 0
		for _, ev := range evs {
			switch ev.Entity {
			case partnerhub.EntityReview, partnerhub.EntityComment, partnerhub.EntityConflict, partnerhub.EntityAssignment:
				t.Errorf("the log shows a %s: %s by %s", ev.Entity, ev.Key, ev.Actor)
			case partnerhub.EntityProposal:
				proposals++
			}
			if strings.Contains(string(ev.After)+string(ev.Before), "AUDIT-SECRET") {
				t.Errorf("the log shows the review's text in %s %s", ev.Entity, ev.Key)
			}
		}
		if proposals == 0 {
			t.Error("the proposal's own writes are not in the log")
		}
	})
}
