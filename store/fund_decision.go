package store

// The committee's decisions and what follows them: the decision letters,
// the awarded projects the public reads, the reports they owe (with their
// reminders) and the activities they led to.

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"

	"partnerhub"
	"partnerhub/mail"
)

var _ partnerhub.DecisionService = (*DB)(nil)

// proposalFund is the fund slug of a proposal of home, read outside any
// transaction to open the fund's.
func (db *DB) proposalFund(ctx context.Context, home string, id int64) (string, error) {
	var fund string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT f.slug`+proposalFrom+` WHERE h.slug = ? AND p.id = ?`), home, id).Scan(&fund)
	if err == sql.ErrNoRows {
		return "", errProposalNotFound(id)
	}
	return fund, wrap("proposal fund", err)
}

// Decide records the committee's decision on a submitted proposal, or
// changes it at the version read until its letters are sent. An award
// owes the reports its call sets; a decision that is no longer an award
// owes none of those not yet submitted.
func (db *DB) Decide(ctx context.Context, actor *partnerhub.User, home string, id int64, d partnerhub.Decision) (partnerhub.Decision, error) {
	fund, err := db.proposalFund(ctx, home, id)
	if err != nil {
		return d, err
	}
	err = db.inFund(ctx, actor, home, fund, func(t *fundTx) error {
		cur, err := db.proposalByID(t.ctx, t.tx, home, id)
		if err != nil {
			return err
		}
		if t.access.View(id) == partnerhub.ViewNone {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityDecision, id); err != nil {
			return err
		}
		if cur.State != partnerhub.ProposalSubmitted {
			return partnerhub.Errorf(partnerhub.EConflict, "error.decision_not_submitted")
		}
		f := t.fund.fund
		if d.HomeAmount.Amount != 0 && d.HomeAmount.Currency == "" {
			d.HomeAmount.Currency = f.HomeCurrency
		}
		if d.PartnerAmount.Amount != 0 && d.PartnerAmount.Currency == "" {
			d.PartnerAmount.Currency = f.PartnerCurrency
		}
		if err := d.Validate(&f); err != nil {
			return err
		}
		before := cur.Decision
		switch {
		case before == nil && d.Version != 0, before != nil && d.Version != before.Version:
			have := 0
			var current any
			if before != nil {
				have, current = before.Version, *before
			}
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{d.Version, have}, Current: current}
		case before != nil && before.LettersSent != nil:
			return partnerhub.Errorf(partnerhub.EConflict, "error.decision_letters_sent")
		}
		d.DecidedAt, d.LettersSent = t.now, nil
		d.HomeAmount.Currency, d.PartnerAmount.Currency = f.HomeCurrency, f.PartnerCurrency
		args := []any{string(d.Outcome), d.HomeAmount.Amount, d.PartnerAmount.Amount, d.Meeting.String(), d.Note.Ja, d.Note.En,
			t.access.User.ID, t.now}
		if t.access.User.ID == 0 {
			args[6] = nil // the command line
		}
		if before == nil {
			d.Version = 1
			_, err = t.exec(`INSERT INTO decisions (outcome, home_amount, partner_amount, meeting, note_ja, note_en, decided_by, decided_at,
				proposal_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, append(args, id)...)
		} else {
			d.Version = before.Version + 1
			var res sql.Result
			res, err = t.exec(`UPDATE decisions SET outcome = ?, home_amount = ?, partner_amount = ?, meeting = ?, note_ja = ?, note_en = ?,
				decided_by = ?, decided_at = ?, version = version + 1 WHERE proposal_id = ? AND version = ? AND letters_sent_at IS NULL`,
				append(args, id, before.Version)...)
			if err == nil {
				if n, _ := res.RowsAffected(); n != 1 {
					return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
				}
			}
		}
		if err != nil {
			return err
		}
		if err := t.owedReports(id, d.Outcome == partnerhub.OutcomeAward); err != nil {
			return err
		}
		var b any
		if before != nil {
			b = *before
		}
		return t.auditFund(partnerhub.ActionUpdate, partnerhub.EntityDecision, strconv.FormatInt(id, 10), d.Version, b, d)
	})
	return d, wrap("decide", err)
}

// owedReports writes the reports an awarded proposal owes on its call's
// dates, or takes away those not submitted from one no longer awarded.
func (t *fundTx) owedReports(id int64, award bool) error {
	if !award {
		_, err := t.exec(`DELETE FROM project_reports WHERE proposal_id = ? AND submitted_at IS NULL`, id)
		return err
	}
	var interim, final string
	if err := t.row(`SELECT c.interim_due, c.final_due FROM calls c JOIN proposals p ON p.call_id = c.id WHERE p.id = ?`, id).Scan(&interim, &final); err != nil {
		return err
	}
	for _, r := range []struct {
		kind partnerhub.ReportKind
		due  string
	}{{partnerhub.ReportInterim, interim}, {partnerhub.ReportFinal, final}} {
		if r.due == "" {
			continue
		}
		if _, err := t.exec(`INSERT INTO project_reports (proposal_id, kind, due) VALUES (?, ?, ?)
			ON CONFLICT (proposal_id, kind) DO UPDATE SET due = excluded.due`, id, string(r.kind), r.due); err != nil {
			return err
		}
	}
	return nil
}

// SendLetters queues, in one transaction, the decision letter of each
// decided proposal of a call (or the one proposal id) whose letters are
// not sent yet and whose decision the actor may manage, to each of its
// applicants in their language, and marks the letters sent. The mark is
// the claim: a second run, here or on another node, finds nothing to send.
func (db *DB) SendLetters(ctx context.Context, actor *partnerhub.User, home, fund string, number int, id int64) (int, error) {
	sent := 0
	err := db.inCall(ctx, actor, home, fund, number, func(t *callTx) error {
		where, args := `p.call_id = ? AND p.state = 'submitted'`, []any{t.callID}
		if id != 0 {
			where, args = where+` AND p.id = ?`, append(args, id)
		}
		ps, err := db.proposalsWhere(t.ctx, t.tx, where, args...)
		if err != nil {
			return err
		}
		if id != 0 {
			if len(ps) == 0 || t.access.View(id) == partnerhub.ViewNone {
				return errProposalNotFound(id)
			}
			if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityDecision, id); err != nil {
				return err
			}
			if ps[0].Decision == nil {
				return partnerhub.Errorf(partnerhub.EConflict, "error.letters_no_decision")
			}
		} else if !t.access.Has(partnerhub.FundAdmin) && !t.access.Has(partnerhub.FundChair) {
			return partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_fund")
		}
		if db.mail == nil {
			return partnerhub.Errorf(partnerhub.EInvalid, "error.letters_no_mail")
		}
		for _, p := range ps {
			if p.Decision == nil || p.Decision.LettersSent != nil || !t.access.CanManage(p.ID) {
				continue
			}
			ok, err := t.sendLetter(p)
			if err != nil {
				return err
			}
			if ok {
				sent++
			}
		}
		return nil
	})
	return sent, wrap("send letters", err)
}

// sendLetter claims and writes the letters of one proposal.
func (t *callTx) sendLetter(p partnerhub.Proposal) (bool, error) {
	res, err := t.exec(`UPDATE decisions SET letters_sent_at = ? WHERE proposal_id = ? AND letters_sent_at IS NULL`, t.now, p.ID)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	// The reviewers' comments for the applicants, unsigned, in the order
	// they were written; never the comments for the committee or scores.
	var comments []string
	err = eachRow(t.ctx, t.db, t.tx, `SELECT for_applicants FROM reviews WHERE proposal_id = ? AND submitted_at IS NOT NULL
		AND for_applicants <> '' ORDER BY submitted_at, reviewer_id`, []any{p.ID}, func(rows *sql.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		comments = append(comments, c)
		return nil
	})
	if err != nil {
		return false, err
	}
	d := *p.Decision
	l := mail.Letter{Proposal: p.ID, Title: p.Title, Fund: t.fund.fund.Name, Call: t.call.Title, Outcome: d.Outcome,
		HomeAmount: d.HomeAmount, PartnerAmount: d.PartnerAmount, Meeting: d.Meeting, Note: d.Note, Comments: comments}
	for _, m := range p.Members {
		lang, err := t.applicantLang(m)
		if err != nil {
			return false, err
		}
		c, err := t.db.mailForProposal(t.ctx, t.tx, p.ID)
		if err != nil {
			return false, err
		}
		msg, err := c.DecisionLetter(m.Email, m.Name, lang, l)
		if err != nil {
			return false, err
		}
		if err := t.db.EnqueueMail(t.ctx, t.tx, msg, t.now); err != nil {
			return false, err
		}
	}
	after := d
	after.LettersSent = &t.now
	return true, t.auditFund(partnerhub.ActionUpdate, partnerhub.EntityDecision, strconv.FormatInt(p.ID, 10), d.Version, d, after)
}

// applicantLang is the language an applicant is written to in: their
// account's, or else Japanese at home and English at the partner.
func (t *fundTx) applicantLang(m partnerhub.ProposalMember) (partnerhub.Lang, error) {
	if m.UserID != 0 {
		var lang string
		err := t.row(`SELECT language FROM users WHERE id = ?`, m.UserID).Scan(&lang)
		if err != nil && err != sql.ErrNoRows {
			return "", err
		}
		if l, ok := partnerhub.ParseLang(lang); ok {
			return l, nil
		}
	}
	if m.Side == partnerhub.SidePartner {
		return partnerhub.English, nil
	}
	return partnerhub.Japanese, nil
}

// ---- the public record --------------------------------------------------------

// publicAward is the condition (on proposals p, calls c, funds f) of an
// awarded proposal the public reads: submitted, awarded, of a published
// call of a live fund, and told to its applicants first.
const publicAward = `p.state = 'submitted' AND c.published = ? AND c.deleted_at IS NULL AND f.deleted_at IS NULL
	AND EXISTS (SELECT 1 FROM decisions d WHERE d.proposal_id = p.id AND d.outcome = 'award' AND d.letters_sent_at IS NOT NULL)`

// FundHistory counts a fund's published calls and public awards.
func (db *DB) FundHistory(ctx context.Context, home, fund string) (partnerhub.FundHistory, error) {
	r, err := db.fundBySlug(ctx, db.read, home, fund)
	if err != nil {
		return partnerhub.FundHistory{}, err
	}
	h := partnerhub.FundHistory{DeclaredCalls: r.fund.DeclaredCalls, DeclaredProjects: r.fund.DeclaredProjects}
	err = db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM calls WHERE fund_id = ? AND published = ? AND deleted_at IS NULL`),
		r.id, true).Scan(&h.Calls)
	if err == nil {
		err = db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM proposals p JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
			WHERE f.id = ? AND `+publicAward), r.id, true).Scan(&h.Projects)
	}
	return h, wrap("fund history", err)
}

// Projects lists the public awards of a home, newest call first.
func (db *DB) Projects(ctx context.Context, home string, pf partnerhub.ProjectFilter) ([]partnerhub.Project, error) {
	where, args := `h.slug = ? AND `+publicAward, []any{home, true}
	if pf.Fund != "" {
		where, args = where+` AND f.slug = ?`, append(args, pf.Fund)
	}
	ps, err := db.projectsWhere(ctx, where, args...)
	return ps, wrap("projects", err)
}

// Project returns one public award.
func (db *DB) Project(ctx context.Context, home string, id int64) (partnerhub.Project, error) {
	ps, err := db.projectsWhere(ctx, `h.slug = ? AND p.id = ? AND `+publicAward, home, id, true)
	if err != nil {
		return partnerhub.Project{}, wrap("project", err)
	}
	if len(ps) == 0 {
		return partnerhub.Project{}, partnerhub.Errorf(partnerhub.ENotFound, "error.project_not_found", id)
	}
	return ps[0], nil
}

// projectsWhere reads awarded proposals as projects: only the fields the
// public reads are ever selected.
func (db *DB) projectsWhere(ctx context.Context, where string, args ...any) ([]partnerhub.Project, error) {
	out := []partnerhub.Project{}
	byID := map[int64]int{}
	funds := map[string]partnerhub.Fund{}
	err := eachRow(ctx, db, db.read, `SELECT p.id, f.slug, f.name_ja, f.name_en, f.partners, c.number, c.title_ja, c.title_en, c.grants,
		p.grant_code, p.title_ja, p.title_en, p.units, (SELECT d.meeting FROM decisions d WHERE d.proposal_id = p.id)`+proposalFrom+`
		WHERE `+where+` ORDER BY c.closes_at DESC, c.number DESC, p.id`, args, func(rows *sql.Rows) error {
		var p partnerhub.Project
		var partners, grants, grant, units, meeting string
		if err := rows.Scan(&p.ID, &p.Fund, &p.FundName.Ja, &p.FundName.En, &partners, &p.Call, &p.CallTitle.Ja, &p.CallTitle.En, &grants,
			&grant, &p.Title.Ja, &p.Title.En, &units, &meeting); err != nil {
			return err
		}
		var gs []partnerhub.Grant
		if err := unmarshalAll([]string{partners, grants, units}, &p.Partners, &gs, &p.Units); err != nil {
			return err
		}
		for _, g := range gs {
			if g.Code == grant {
				p.Grant = g.Name
			}
		}
		if m, err := partnerhub.ParsePartialDate(meeting); err == nil {
			p.Year = m.Year
		}
		p.Leads, p.Activities = []partnerhub.ProjectLead{}, []string{}
		byID[p.ID] = len(out)
		out = append(out, p)
		funds[p.Fund] = partnerhub.Fund{}
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	sub := `SELECT p.id` + proposalFrom + ` WHERE ` + where
	err = eachRow(ctx, db, db.read, `SELECT m.proposal_id, m.name, m.role, m.side, m.unit, m.affiliation FROM proposal_members m
		WHERE m.role IN ('lead', 'colead') AND m.proposal_id IN (`+sub+`) ORDER BY m.proposal_id, m.position`, args, func(rows *sql.Rows) error {
		var id int64
		var l partnerhub.ProjectLead
		var role, side string
		if err := rows.Scan(&id, &l.Name, &role, &side, &l.Unit, &l.Affiliation); err != nil {
			return err
		}
		l.Role, l.Side = partnerhub.MemberRole(role), partnerhub.Side(side)
		p := &out[byID[id]]
		p.Leads = append(p.Leads, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, db, db.read, `SELECT x.proposal_id, a.slug FROM project_activities x JOIN activities a ON a.id = x.activity_id
		WHERE x.proposal_id IN (`+sub+`) ORDER BY x.proposal_id, a.start_date, a.slug`, args, func(rows *sql.Rows) error {
		var id int64
		var slug string
		if err := rows.Scan(&id, &slug); err != nil {
			return err
		}
		p := &out[byID[id]]
		p.Activities = append(p.Activities, slug)
		return nil
	})
	return out, err
}

// ---- reports -------------------------------------------------------------------

// awardedProject reads a proposal the actor sees (as an applicant or the
// committee) that was awarded.
func (db *DB) awardedProject(ctx context.Context, actor *partnerhub.User, home string, id int64) (partnerhub.Proposal, *partnerhub.FundAccess, error) {
	p, a, err := db.Proposal(ctx, actor, home, id)
	if err != nil {
		return p, nil, err
	}
	if p.Decision == nil || p.Decision.Outcome != partnerhub.OutcomeAward {
		return p, nil, partnerhub.Errorf(partnerhub.ENotFound, "error.project_not_found", id)
	}
	return p, a, nil
}

func (db *DB) reportsOf(ctx context.Context, q querier, id int64) ([]partnerhub.ProjectReport, error) {
	out := []partnerhub.ProjectReport{}
	err := eachRow(ctx, db, q, `SELECT r.kind, r.due, r.body, r.submitted_at, COALESCE(u.name, ''), r.reminded_at FROM project_reports r
		LEFT JOIN users u ON u.id = r.submitted_by WHERE r.proposal_id = ? ORDER BY r.due, r.kind`, []any{id}, func(rows *sql.Rows) error {
		r := partnerhub.ProjectReport{Proposal: id}
		var kind, due string
		var submitted, reminded sql.NullTime
		if err := rows.Scan(&kind, &due, &r.Body, &submitted, &r.SubmittedBy, &reminded); err != nil {
			return err
		}
		r.Kind = partnerhub.ReportKind(kind)
		var err error
		if r.Due, err = partnerhub.ParsePartialDate(due); err != nil {
			return err
		}
		r.SubmittedAt, r.RemindedAt = nullTime(submitted), nullTime(reminded)
		out = append(out, r)
		return nil
	})
	return out, err
}

// Reports lists an awarded project's reports, for its applicants and the
// committee members not conflicted with it.
func (db *DB) Reports(ctx context.Context, actor *partnerhub.User, home string, id int64) ([]partnerhub.ProjectReport, error) {
	if _, _, err := db.awardedProject(ctx, actor, home, id); err != nil {
		return nil, err
	}
	rs, err := db.reportsOf(ctx, db.read, id)
	return rs, wrap("reports", err)
}

// SubmitReport records an applicant's report (a report submitted again
// replaces the text; the audit log keeps the one before).
func (db *DB) SubmitReport(ctx context.Context, actor *partnerhub.User, home string, id int64, kind partnerhub.ReportKind, body string) error {
	if err := partnerhub.ValidateReport(kind, body); err != nil {
		return err
	}
	fund, err := db.proposalFund(ctx, home, id)
	if err != nil {
		return err
	}
	return wrap("submit report", db.inFund(ctx, actor, home, fund, func(t *fundTx) error {
		if t.access.View(id) == partnerhub.ViewNone {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityReport, id); err != nil {
			return err
		}
		rs, err := db.reportsOf(t.ctx, t.tx, id)
		if err != nil {
			return err
		}
		var before *partnerhub.ProjectReport
		for i := range rs {
			if rs[i].Kind == kind {
				before = &rs[i]
			}
		}
		if before == nil {
			return fieldError("kind", "report_not_owed")
		}
		if _, err := t.exec(`UPDATE project_reports SET body = ?, submitted_at = ?, submitted_by = ? WHERE proposal_id = ? AND kind = ?`,
			body, t.now, t.access.User.ID, id, string(kind)); err != nil {
			return err
		}
		after := *before
		after.Body, after.SubmittedAt, after.SubmittedBy = body, &t.now, t.access.User.Name
		return t.auditFund(partnerhub.ActionUpdate, partnerhub.EntityReport, strconv.FormatInt(id, 10)+"/"+string(kind), 1, *before, after)
	}))
}

// DueReports lists the reports of a fund's awards not yet submitted, by
// due date, for its administrators and chairs: those they are conflicted
// with are left out.
func (db *DB) DueReports(ctx context.Context, actor *partnerhub.User, home, fund string) ([]partnerhub.DueReport, error) {
	a, err := db.FundAccess(ctx, actor, home, fund)
	if err != nil {
		return nil, err
	}
	if !a.Has(partnerhub.FundAdmin) && !a.Has(partnerhub.FundChair) {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_fund")
	}
	out := []partnerhub.DueReport{}
	err = eachRow(ctx, db, db.read, `SELECT r.proposal_id, r.kind, r.due, r.reminded_at, p.title_ja, p.title_en, c.number,
		COALESCE((SELECT m.name FROM proposal_members m WHERE m.proposal_id = p.id AND m.role = 'lead' ORDER BY m.position LIMIT 1), '')
		FROM project_reports r JOIN proposals p ON p.id = r.proposal_id JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
		JOIN home_institutions h ON h.id = f.home_id
		WHERE h.slug = ? AND f.slug = ? AND r.submitted_at IS NULL ORDER BY r.due, r.proposal_id, r.kind`, []any{home, fund}, func(rows *sql.Rows) error {
		var d partnerhub.DueReport
		var kind, due string
		var reminded sql.NullTime
		if err := rows.Scan(&d.Proposal, &kind, &due, &reminded, &d.Title.Ja, &d.Title.En, &d.Call, &d.Lead); err != nil {
			return err
		}
		if a.View(d.Proposal) != partnerhub.ViewCommittee {
			return nil
		}
		d.Kind, d.RemindedAt = partnerhub.ReportKind(kind), nullTime(reminded)
		var err error
		d.Due, err = partnerhub.ParsePartialDate(due)
		out = append(out, d)
		return err
	})
	return out, wrap("due reports", err)
}

// ---- links to activities -------------------------------------------------------------

// LinkActivity links an awarded project to an activity of its home it led
// to, or unlinks it.
func (db *DB) LinkActivity(ctx context.Context, actor *partnerhub.User, home string, id int64, activity string, unlink bool) error {
	fund, err := db.proposalFund(ctx, home, id)
	if err != nil {
		return err
	}
	return wrap("link activity", db.inFund(ctx, actor, home, fund, func(t *fundTx) error {
		if t.access.View(id) == partnerhub.ViewNone {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityProjectLink, id); err != nil {
			return err
		}
		var outcome string
		err := t.row(`SELECT outcome FROM decisions WHERE proposal_id = ?`, id).Scan(&outcome)
		if err == sql.ErrNoRows || err == nil && outcome != string(partnerhub.OutcomeAward) {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.project_not_found", id)
		}
		if err != nil {
			return err
		}
		var activityID int64
		err = t.row(`SELECT id FROM activities WHERE home_id = ? AND slug = ? AND deleted_at IS NULL`, t.homeID, activity).Scan(&activityID)
		if err == sql.ErrNoRows {
			return fieldError("activity", "unknown_activity", activity)
		}
		if err != nil {
			return err
		}
		key := strconv.FormatInt(id, 10) + "/" + activity
		if unlink {
			res, err := t.exec(`DELETE FROM project_activities WHERE proposal_id = ? AND activity_id = ?`, id, activityID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return t.auditFund(partnerhub.ActionDelete, partnerhub.EntityProjectLink, key, 1, key, nil)
		}
		res, err := t.exec(`INSERT INTO project_activities (proposal_id, activity_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, activityID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return t.auditFund(partnerhub.ActionCreate, partnerhub.EntityProjectLink, key, 1, nil, key)
	}))
}

// unmarshalAll decodes each JSON text of ss into the value of vs at its
// place.
func unmarshalAll(ss []string, vs ...any) error {
	for i, s := range ss {
		if err := json.Unmarshal([]byte(s), vs[i]); err != nil {
			return err
		}
	}
	return nil
}

// ProjectLinks lists the activities an awarded project is linked to, for
// those who see the proposal.
func (db *DB) ProjectLinks(ctx context.Context, actor *partnerhub.User, home string, id int64) ([]string, error) {
	if _, _, err := db.awardedProject(ctx, actor, home, id); err != nil {
		return nil, err
	}
	out := []string{}
	err := eachRow(ctx, db, db.read, `SELECT a.slug FROM project_activities x JOIN activities a ON a.id = x.activity_id
		WHERE x.proposal_id = ? ORDER BY a.start_date, a.slug`, []any{id}, func(rows *sql.Rows) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, wrap("project links", err)
}
