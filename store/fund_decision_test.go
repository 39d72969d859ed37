package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// reviewedProposal is the fixture's proposal, sent with its CV, and reviewed by
// the home's member: scores, a comment for the committee and one for the
// applicants.
func (f *fundFixture) reviewedProposal(t *testing.T) partnerhub.Proposal {
	t.Helper()
	ctx := context.Background()
	p, err := f.db.CreateProposal(ctx, f.applicant, "utokyo", f.proposal())
	if err != nil {
		t.Fatal(err)
	}
	f.exec(t, `INSERT INTO proposal_files (proposal_id, spec, filename, content_type, size, sha256, data, uploaded_by, uploaded_at)
		VALUES (?, 'cv', 'cv.pdf', 'application/pdf', 4, 'x', ?, ?, ?)`, p.ID, storetest.PDF("CV"), f.applicant.ID, f.now)
	if p, err = f.db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.now); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		who                   *partnerhub.User
		committee, applicants string
	}{
		{f.memberHome, "SECRET-COMMITTEE-NOTE", "The plan is clear; widen the student part."},
		{f.memberPartner, "ANOTHER-SECRET", ""},
	} {
		f.exec(t, `INSERT INTO review_assignments (proposal_id, reviewer_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?)`,
			p.ID, r.who.ID, f.chairHome.ID, f.now)
		f.exec(t, `INSERT INTO reviews (proposal_id, reviewer_id, scores, for_committee, for_applicants, submitted_at, version, updated_at)
			VALUES (?, ?, '{"merit":4,"collab":3,"students":2}', ?, ?, ?, 1, ?)`, p.ID, r.who.ID, r.committee, r.applicants, f.now, f.now)
	}
	return p
}

func (f *fundFixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	err := f.db.TxForTest(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), f.db.Rebind(q), args...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func award(version int) partnerhub.Decision {
	return partnerhub.Decision{Outcome: partnerhub.OutcomeAward, Meeting: partnerhub.MustPartialDate("2026-12-01"),
		HomeAmount:    partnerhub.Money{Amount: 1000000, Currency: "JPY"},
		PartnerAmount: partnerhub.Money{Amount: 10000, Currency: "USD"},
		Note:          partnerhub.Text{Ja: "両校の連携に期待します。", En: "The committee looks forward to the collaboration."},
		Version:       version}
}

func TestDecisions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		db := f.db
		p := f.reviewedProposal(t)

		t.Run("bad input is refused field by field and changes nothing", func(t *testing.T) {
			for _, tc := range []struct {
				d     partnerhub.Decision
				field string
				key   string
			}{
				{partnerhub.Decision{Outcome: partnerhub.OutcomeAward, Meeting: partnerhub.MustPartialDate("2026-12-01")}, "home_amount.amount", "award_amount"},
				{partnerhub.Decision{Outcome: partnerhub.OutcomeAward, Meeting: partnerhub.MustPartialDate("2026-12-01"),
					HomeAmount: partnerhub.Money{Amount: 100, Currency: "USD"}}, "home_amount.currency", "currency_side"},
				{partnerhub.Decision{Outcome: partnerhub.OutcomeDecline, Meeting: partnerhub.MustPartialDate("2026-12")}, "meeting", "full_date"},
				{partnerhub.Decision{Outcome: "maybe", Meeting: partnerhub.MustPartialDate("2026-12-01")}, "outcome", "one_of"},
			} {
				_, err := db.Decide(ctx, f.chairHome, "utokyo", p.ID, tc.d)
				if fe := fieldsOf(err); fe[tc.field].Key != tc.key {
					t.Errorf("%+v: %v %v; want %s %s", tc.d, err, fe, tc.field, tc.key)
				}
			}
			got, _, err := db.Proposal(ctx, f.chairHome, "utokyo", p.ID)
			if err != nil || got.Decision != nil {
				t.Fatalf("a refused decision was kept: %+v %v", got.Decision, err)
			}
		})

		t.Run("only a chair or administrator not conflicted decides", func(t *testing.T) {
			if _, err := db.Decide(ctx, f.memberHome, "utokyo", p.ID, award(0)); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Errorf("a member decided: %v", err)
			}
			if _, err := db.Decide(ctx, f.applicant, "utokyo", p.ID, award(0)); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Errorf("the applicant decided: %v", err)
			}
			f.exec(t, `INSERT INTO conflicts (proposal_id, user_id, source, reason, created_at) VALUES (?, ?, 'declared', 'co-author', ?)`,
				p.ID, f.chairPartner.ID, f.now)
			if _, err := db.Decide(ctx, f.chairPartner, "utokyo", p.ID, award(0)); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Errorf("a conflicted chair decided, or learnt the proposal exists: %v", err)
			}
			if _, err := db.SendLetters(ctx, f.chairPartner, "utokyo", f.fund.Slug, f.call.Number, p.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Errorf("a conflicted chair sent letters: %v", err)
			}
		})

		t.Run("a draft is not decided on", func(t *testing.T) {
			draft, err := db.CreateProposal(ctx, f.partnerApplicant, "utokyo", f.proposal())
			if err != nil {
				t.Fatal(err)
			}
			// The committee does not see a draft at all.
			if _, err := db.Decide(ctx, f.chairHome, "utokyo", draft.ID, award(0)); partnerhub.ErrorCode(err) == "" {
				t.Fatal("a draft was decided on")
			}
		})

		d, err := db.Decide(ctx, f.chairHome, "utokyo", p.ID, award(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Run("decisions are versioned and audited; an award owes its reports", func(t *testing.T) {
			if d.Version != 1 {
				t.Fatalf("version %d", d.Version)
			}
			if _, err := db.Decide(ctx, f.fundAdmin, "utokyo", p.ID, award(0)); partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("a stale decision was saved: %v", err)
			}
			d2 := award(1)
			d2.PartnerAmount.Amount = 12000
			if d, err = db.Decide(ctx, f.fundAdmin, "utokyo", p.ID, d2); err != nil || d.Version != 2 {
				t.Fatalf("change: %+v %v", d, err)
			}
			rs, err := db.Reports(ctx, f.applicant, "utokyo", p.ID)
			if err != nil || len(rs) != 2 || rs[0].Kind != partnerhub.ReportInterim || rs[0].Due.String() != "2027-09-30" {
				t.Fatalf("reports owed: %+v %v", rs, err)
			}
			var n int
			err = db.TxForTest(ctx, func(tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM audit_events WHERE entity = 'decision' AND entity_key = ?`),
					strconv.FormatInt(p.ID, 10)).Scan(&n)
			})
			if err != nil || n != 2 {
				t.Fatalf("audit events of the decision: %d %v", n, err)
			}
		})

		t.Run("nothing is public before the letters", func(t *testing.T) {
			ps, err := db.Projects(ctx, "utokyo", partnerhub.ProjectFilter{})
			if err != nil || len(ps) != 0 {
				t.Fatalf("projects before the letters: %+v %v", ps, err)
			}
		})

		t.Run("letters are sent once, without scores, committee comments or reviewers", func(t *testing.T) {
			if _, err := db.SendLetters(ctx, f.chairHome, "utokyo", f.fund.Slug, f.call.Number, 0); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
				t.Fatalf("letters without mail: %v", err)
			}
			cat, err := i18n.Load()
			if err != nil {
				t.Fatal(err)
			}
			db.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
			if n, err := db.SendLetters(ctx, f.memberHome, "utokyo", f.fund.Slug, f.call.Number, 0); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a member sent letters: %d %v", n, err)
			}
			if n, err := db.SendLetters(ctx, f.chairHome, "utokyo", f.fund.Slug, f.call.Number, 0); err != nil || n != 1 {
				t.Fatalf("letters: %d %v", n, err)
			}
			if n, err := db.SendLetters(ctx, f.fundAdmin, "utokyo", f.fund.Slug, f.call.Number, 0); err != nil || n != 0 {
				t.Fatalf("letters again: %d %v", n, err)
			}
			out := outbox(t, db)
			if len(out) != 2 {
				t.Fatalf("outbox: %+v", out)
			}
			langs := map[string]partnerhub.Lang{}
			for _, m := range out {
				langs[m.To] = m.Language
			}
			if langs[f.applicant.Email] != partnerhub.Japanese || langs[f.partnerApplicant.Email] != partnerhub.English {
				t.Fatalf("languages: %v", langs)
			}
			if _, err := db.Decide(ctx, f.chairHome, "utokyo", p.ID, award(d.Version)); partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("a decision changed after its letters: %v", err)
			}
		})

		t.Run("the award is public: only the public fields", func(t *testing.T) {
			ps, err := db.Projects(ctx, "utokyo", partnerhub.ProjectFilter{Fund: f.fund.Slug})
			if err != nil || len(ps) != 1 {
				t.Fatalf("projects: %+v %v", ps, err)
			}
			pr := ps[0]
			if pr.Title.En != p.Title.En || len(pr.Leads) != 2 || pr.Leads[0].Unit != "eng" || pr.Leads[1].Side != partnerhub.SidePartner ||
				pr.Year != 2026 || pr.Grant.En != "Seed grant" {
				t.Fatalf("project: %+v", pr)
			}
			b, _ := json.Marshal(pr)
			for _, secret := range []string{"laboratories", "1500000", "SECRET", f.applicant.Email, "widen"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("the public project tells %q: %s", secret, b)
				}
			}
			h, err := db.FundHistory(ctx, "utokyo", f.fund.Slug)
			if err != nil || h != (partnerhub.FundHistory{DeclaredCalls: 9, DeclaredProjects: 29, Calls: 1, Projects: 1}) {
				t.Fatalf("history: %+v %v", h, err)
			}
		})

		t.Run("reports: the applicants submit, the administrators follow", func(t *testing.T) {
			if err := db.SubmitReport(ctx, f.memberHome, "utokyo", p.ID, partnerhub.ReportInterim, "text"); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a member submitted a report: %v", err)
			}
			if err := db.SubmitReport(ctx, f.applicant, "utokyo", p.ID, partnerhub.ReportInterim, "  "); fieldsOf(err)["body"].Key != "required" {
				t.Fatalf("an empty report: %v", err)
			}
			if err := db.SubmitReport(ctx, f.partnerApplicant, "utokyo", p.ID, partnerhub.ReportInterim, "Two workshops held."); err != nil {
				t.Fatal(err)
			}
			due, err := db.DueReports(ctx, f.fundAdmin, "utokyo", f.fund.Slug)
			if err != nil || len(due) != 1 || due[0].Kind != partnerhub.ReportFinal || due[0].Lead != "Applicant" {
				t.Fatalf("due: %+v %v", due, err)
			}
			if _, err := db.DueReports(ctx, f.memberHome, "utokyo", f.fund.Slug); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a member read the reports owed: %v", err)
			}
			// The conflicted chair does not see the proposal's report.
			if due, err := db.DueReports(ctx, f.chairPartner, "utokyo", f.fund.Slug); err != nil || len(due) != 0 {
				t.Fatalf("a conflicted chair sees: %+v %v", due, err)
			}
		})

		t.Run("reminders before the due date and when overdue, once each, across runs at once", func(t *testing.T) {
			before := len(outbox(t, db))
			at := func(s string) time.Time {
				tm, _ := time.ParseInLocation("2006-01-02 15:04", s, partnerhub.Japan)
				return tm
			}
			if n, err := db.SendReportReminders(ctx, at("2028-03-01 09:00")); err != nil || n != 0 {
				t.Fatalf("too early: %d %v", n, err)
			}
			race := func(now time.Time) int {
				var wg sync.WaitGroup
				var mu sync.Mutex
				total := 0
				for range 3 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						n, err := db.SendReportReminders(ctx, now)
						if err != nil {
							t.Error(err)
						}
						mu.Lock()
						total += n
						mu.Unlock()
					}()
				}
				wg.Wait()
				return total
			}
			if n := race(at("2028-04-20 09:00")); n != 1 {
				t.Fatalf("before the due date: %d reminders", n)
			}
			if n := race(at("2028-04-30 09:00")); n != 0 {
				t.Fatalf("on the due date again: %d", n)
			}
			if n := race(at("2028-05-01 09:00")); n != 1 {
				t.Fatalf("overdue: %d reminders", n)
			}
			if n := race(at("2028-06-01 09:00")); n != 0 {
				t.Fatalf("overdue again: %d", n)
			}
			if got := len(outbox(t, db)) - before; got != 4 {
				t.Fatalf("reminder mails: %d, want 2 reminders × 2 applicants", got)
			}
		})

		t.Run("links to activities", func(t *testing.T) {
			const slug = "ntu-joint-conference-2019"
			if err := db.LinkActivity(ctx, f.memberHome, "utokyo", p.ID, slug, false); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a member linked: %v", err)
			}
			if err := db.LinkActivity(ctx, f.applicant, "utokyo", p.ID, "no-such-activity", false); fieldsOf(err)["activity"].Key != "unknown_activity" {
				t.Fatalf("unknown activity: %v", err)
			}
			if err := db.LinkActivity(ctx, f.fundAdmin, "utokyo", p.ID, slug, false); err != nil {
				t.Fatal(err)
			}
			if err := db.LinkActivity(ctx, f.applicant, "utokyo", p.ID, slug, false); err != nil {
				t.Fatalf("linking twice: %v", err)
			}
			pr, err := db.Project(ctx, "utokyo", p.ID)
			if err != nil || len(pr.Activities) != 1 || pr.Activities[0] != slug {
				t.Fatalf("project activities: %+v %v", pr.Activities, err)
			}
			if err := db.LinkActivity(ctx, f.applicant, "utokyo", p.ID, slug, true); err != nil {
				t.Fatal(err)
			}
			if links, err := db.ProjectLinks(ctx, f.applicant, "utokyo", p.ID); err != nil || len(links) != 0 {
				t.Fatalf("after unlinking: %v %v", links, err)
			}
		})
	})
}

// The decision letters arrive through SMTP in each applicant's language,
// with the outcome, amounts, meeting, note and the comments for
// applicants, and nothing of the committee's.
func TestDecisionLettersDelivered(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		db := f.db
		cat, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		db.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
		p := f.reviewedProposal(t)
		claimAll(t, db, f.now) // the receipts of the submission
		if _, err := db.Decide(ctx, f.chairHome, "utokyo", p.ID, award(0)); err != nil {
			t.Fatal(err)
		}
		if n, err := db.SendLetters(ctx, f.chairHome, "utokyo", f.fund.Slug, f.call.Number, p.ID); err != nil || n != 1 {
			t.Fatalf("letters: %d %v", n, err)
		}
		ids := map[string]string{}
		for _, m := range outbox(t, db) {
			if m.Kind == mail.KindDecision {
				ids[m.To] = m.MessageID
			}
		}
		if n, err := sender(t, db, mp.SMTPURL()).Drain(ctx); err != nil || n != 2 {
			t.Fatalf("Drain: %d %v", n, err)
		}
		got := mp.Messages(t)
		for _, tc := range []struct {
			to   string
			want []string
		}{
			{f.applicant.Email, []string{"審査結果", "採択されました", "JPY 1,000,000", "USD 10,000", "2026年12月1日", "両校の連携に期待します。",
				"The plan is clear; widen the student part.", mailBase + "/ja/proposals/"}},
			{f.partnerApplicant.Email, []string{"decision on your proposal", "awarded a grant", "JPY 1,000,000", "USD 10,000", "December 2026",
				"The committee looks forward to the collaboration.", "The plan is clear; widen the student part.", mailBase + "/en/proposals/"}},
		} {
			var m mailpittest.Message
			for _, s := range got {
				if s.MessageID == ids[tc.to] {
					m = mp.Message(t, s.ID)
				}
			}
			if m.ID == "" {
				t.Fatalf("no letter to %s", tc.to)
			}
			all := m.Subject + "\n" + m.Text
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s: letter lacks %q:\n%s", tc.to, w, all)
				}
			}
			for _, secret := range []string{"SECRET", f.memberHome.Email, f.memberPartner.Email, "merit", `"collab"`} {
				if strings.Contains(all, secret) || strings.Contains(m.HTML, secret) {
					t.Errorf("%s: letter tells %q", tc.to, secret)
				}
			}
		}
	})
}
