package store

// The joint review of a call's proposals: the chair's assignments, the
// conflicts of interest found in the data or declared, the reviews, the
// committee's discussion and the ranking. Every read starts from the
// reader's FundAccess, and a proposal the reader is conflicted with is
// left out before anything is counted, so that no total or rank tells it.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"partnerhub"
)

// MaxConflictReasonChars bounds a declared conflict's reason.
const MaxConflictReasonChars = 2000

// reviewScope is a read of one proposal by one person: the proposal,
// its fund and call, and what the reader holds in the fund.
type reviewScope struct {
	p      partnerhub.Proposal
	fund   fundRow
	callID int64
	call   partnerhub.Call
	access *partnerhub.FundAccess
}

// committeeProposal reads a submitted proposal the actor reads as the
// committee; any other is not found, whether it exists or not.
func (db *DB) committeeProposal(ctx context.Context, actor *partnerhub.User, home string, id int64) (*reviewScope, error) {
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return nil, err
	}
	f, err := db.fundBySlug(ctx, db.read, home, p.Fund)
	if err != nil {
		return nil, err
	}
	a, err := db.fundAccess(ctx, db.read, f, actor)
	if err != nil {
		return nil, err
	}
	if a.View(id) != partnerhub.ViewCommittee || p.State != partnerhub.ProposalSubmitted {
		return nil, errProposalNotFound(id)
	}
	callID, c, err := db.callRow(ctx, db.read, home, p.Fund, p.Call)
	if err != nil {
		return nil, err
	}
	return &reviewScope{p: p, fund: f, callID: callID, call: c, access: a}, nil
}

// committeeCall reads a call whose review the actor reads: a committee
// member of its fund; anyone else is told there is no such call.
func (db *DB) committeeCall(ctx context.Context, actor *partnerhub.User, home, fund string, number int) (*reviewScope, error) {
	f, err := db.fundBySlug(ctx, db.read, home, fund)
	if err != nil {
		return nil, err
	}
	a, err := db.fundAccess(ctx, db.read, f, actor)
	if err != nil {
		return nil, err
	}
	callID, c, err := db.callRow(ctx, db.read, home, fund, number)
	if err != nil {
		return nil, err
	}
	if !a.Committee() || !c.Published && !a.Has(partnerhub.FundAdmin) && !a.Has(partnerhub.FundChair) {
		return nil, errCallNotFound(c.Key())
	}
	return &reviewScope{fund: f, callID: callID, call: c, access: a}, nil
}

// ---- conflicts ---------------------------------------------------------------

// detectConflicts records the conflicts the data shows with a proposal:
// its applicants; when the fund counts units, the committee members whose
// seat's unit, or one of whose own units, is one of the proposal's or its
// applicants'. A person newly conflicted loses their assignment and every
// notification about the proposal. It returns who is conflicted now.
func (db *DB) detectConflicts(t *fundTx, p partnerhub.Proposal) (map[int64]bool, error) {
	found := map[int64]partnerhub.ConflictSource{}
	units := map[string]bool{}
	for _, u := range p.Units {
		units[u] = true
	}
	for _, m := range p.Members {
		if m.UserID != 0 {
			found[m.UserID] = partnerhub.ConflictApplicant
		}
		if m.Unit != "" {
			units[m.Unit] = true
		}
	}
	if t.fund.fund.ConflictByUnit && len(units) > 0 {
		err := eachRow(t.ctx, db, t.tx, `SELECT r.user_id, r.unit FROM fund_roles r WHERE r.fund_id = ?
			UNION SELECT r.user_id, u.code FROM fund_roles r JOIN user_units uu ON uu.user_id = r.user_id JOIN units u ON u.id = uu.unit_id
			WHERE r.fund_id = ?`, []any{t.fund.id, t.fund.id}, func(rows *sql.Rows) error {
			var id int64
			var unit string
			if err := rows.Scan(&id, &unit); err != nil {
				return err
			}
			if units[unit] && found[id] == "" {
				found[id] = partnerhub.ConflictUnit
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, id := range slices.Sorted(mapKeys(found)) {
		if _, err := t.exec(`INSERT INTO conflicts (proposal_id, user_id, source, reason, created_at) VALUES (?, ?, ?, '', ?)
			ON CONFLICT (proposal_id, user_id) DO NOTHING`, p.ID, id, string(found[id]), t.now); err != nil {
			return nil, err
		}
	}
	all := map[int64]bool{}
	err := eachRow(t.ctx, db, t.tx, `SELECT user_id FROM conflicts WHERE proposal_id = ?`, []any{p.ID}, func(rows *sql.Rows) error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		all[id] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id := range all {
		if err := t.forget(p.ID, id); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// forget takes from a person conflicted with a proposal what they held of
// it: their assignment, and the notifications that name it.
func (t *fundTx) forget(proposal, userID int64) error {
	if _, err := t.exec(`DELETE FROM review_assignments WHERE proposal_id = ? AND reviewer_id = ?`, proposal, userID); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM notifications WHERE user_id = ? AND entity = ? AND entity_key = ?`,
		userID, string(partnerhub.EntityProposal), strconv.FormatInt(proposal, 10))
	return err
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// DeclareConflict records the actor's own conflict with a proposal.
func (db *DB) DeclareConflict(ctx context.Context, actor *partnerhub.User, home string, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return fieldError("reason", "required")
	case !utf8.ValidString(reason):
		return fieldError("reason", "bad_utf8")
	case utf8.RuneCountInString(reason) > MaxConflictReasonChars:
		return fieldError("reason", "too_long_chars", MaxConflictReasonChars)
	}
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return wrap("declare conflict", err)
	}
	return wrap("declare conflict", db.inFund(ctx, actor, home, p.Fund, func(t *fundTx) error {
		if t.access.Conflicted[id] && !t.access.Applicant[id] {
			return nil // already: nothing more to hide
		}
		if t.access.View(id) != partnerhub.ViewCommittee || p.State != partnerhub.ProposalSubmitted {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionCreate, partnerhub.EntityConflict, id); err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO conflicts (proposal_id, user_id, source, reason, created_at) VALUES (?, ?, 'declared', ?, ?)`,
			id, actor.ID, reason, t.now); err != nil {
			return err
		}
		if err := t.forget(id, actor.ID); err != nil {
			return err
		}
		c := partnerhub.Conflict{Proposal: id, UserID: actor.ID, Name: actor.Name, Source: partnerhub.ConflictDeclared, Reason: reason}
		return t.auditFund(partnerhub.ActionCreate, partnerhub.EntityConflict, strconv.FormatInt(id, 10)+"/"+actor.Email, 1, nil, c)
	}))
}

// ---- assignments -------------------------------------------------------------

// Assign asks a committee member to review a proposal, and tells them.
func (db *DB) Assign(ctx context.Context, actor *partnerhub.User, home string, id, reviewer int64) error {
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return wrap("assign", err)
	}
	return wrap("assign", db.inFund(ctx, actor, home, p.Fund, func(t *fundTx) error {
		if t.access.View(id) != partnerhub.ViewCommittee || p.State != partnerhub.ProposalSubmitted {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionCreate, partnerhub.EntityAssignment, id); err != nil {
			return err
		}
		conflicted, err := db.detectConflicts(t, p)
		if err != nil {
			return err
		}
		var email, name string
		err = t.row(`SELECT u.email, u.name FROM users u WHERE u.id = ? AND NOT u.disabled AND EXISTS
			(SELECT 1 FROM fund_roles r WHERE r.fund_id = ? AND r.user_id = u.id AND r.role IN ('chair', 'member'))`,
			reviewer, t.fund.id).Scan(&email, &name)
		if err == sql.ErrNoRows {
			return fieldError("reviewer", "not_committee")
		}
		if err != nil {
			return err
		}
		if conflicted[reviewer] {
			return fieldError("reviewer", "reviewer_conflicted", name)
		}
		var n int
		if err := t.row(`SELECT count(*) FROM review_assignments WHERE proposal_id = ? AND reviewer_id = ?`, id, reviewer).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := t.exec(`INSERT INTO review_assignments (proposal_id, reviewer_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?)`,
			id, reviewer, nullID(actor.ID), t.now); err != nil {
			return err
		}
		a := partnerhub.Assignment{Proposal: id, ReviewerID: reviewer, Name: name, Email: email, Status: partnerhub.ReviewTodo}
		if err := t.auditFund(partnerhub.ActionCreate, partnerhub.EntityAssignment, strconv.FormatInt(id, 10)+"/"+email, 1, nil, a); err != nil {
			return err
		}
		n2 := partnerhub.Notice{Kind: partnerhub.NoticeReview, Entity: partnerhub.EntityProposal, Key: strconv.FormatInt(id, 10),
			Title: p.Title, Path: "/proposals/" + strconv.FormatInt(id, 10) + "/review",
			NoticeDetails: partnerhub.NoticeDetails{Actor: actor.Name}}
		return db.Notify(t.ctx, t.tx, []int64{reviewer}, n2, t.now)
	}))
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Unassign takes a review back from a committee member.
func (db *DB) Unassign(ctx context.Context, actor *partnerhub.User, home string, id, reviewer int64) error {
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return wrap("unassign", err)
	}
	return wrap("unassign", db.inFund(ctx, actor, home, p.Fund, func(t *fundTx) error {
		if t.access.View(id) != partnerhub.ViewCommittee || p.State != partnerhub.ProposalSubmitted {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionDelete, partnerhub.EntityAssignment, id); err != nil {
			return err
		}
		var email string
		if err := t.row(`SELECT email FROM users WHERE id = ?`, reviewer).Scan(&email); err != nil && err != sql.ErrNoRows {
			return err
		}
		res, err := t.exec(`DELETE FROM review_assignments WHERE proposal_id = ? AND reviewer_id = ?`, id, reviewer)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.assignment_not_found")
		}
		return t.auditFund(partnerhub.ActionDelete, partnerhub.EntityAssignment, strconv.FormatInt(id, 10)+"/"+email, 1,
			partnerhub.Assignment{Proposal: id, ReviewerID: reviewer, Email: email}, nil)
	}))
}

// callAssignments reads the assignments of a call's proposals, with how
// far each review is, by proposal.
func (db *DB) callAssignments(ctx context.Context, callID int64, proposal int64) (map[int64][]partnerhub.Assignment, error) {
	out := map[int64][]partnerhub.Assignment{}
	where, args := `p.call_id = ?`, []any{callID}
	if proposal != 0 {
		where, args = `p.id = ?`, []any{proposal}
	}
	err := eachRow(ctx, db, db.read, `SELECT a.proposal_id, a.reviewer_id, u.name, u.email, r.submitted_at, r.version
		FROM review_assignments a JOIN proposals p ON p.id = a.proposal_id JOIN users u ON u.id = a.reviewer_id
		LEFT JOIN reviews r ON r.proposal_id = a.proposal_id AND r.reviewer_id = a.reviewer_id
		WHERE `+where+` ORDER BY a.proposal_id, u.name, u.id`, args, func(rows *sql.Rows) error {
		var a partnerhub.Assignment
		var submitted sql.NullTime
		var version sql.NullInt64
		if err := rows.Scan(&a.Proposal, &a.ReviewerID, &a.Name, &a.Email, &submitted, &version); err != nil {
			return err
		}
		a.Status = reviewStatus(version.Valid, submitted.Valid)
		out[a.Proposal] = append(out[a.Proposal], a)
		return nil
	})
	return out, err
}

func reviewStatus(saved, submitted bool) partnerhub.ReviewStatus {
	switch {
	case submitted:
		return partnerhub.ReviewSubmitted
	case saved:
		return partnerhub.ReviewDraft
	}
	return partnerhub.ReviewTodo
}

// Assignments lists the assignments of the call's proposals the reader
// sees as the committee.
func (db *DB) Assignments(ctx context.Context, actor *partnerhub.User, home, fund string, number int) ([]partnerhub.Assignment, error) {
	s, err := db.committeeCall(ctx, actor, home, fund, number)
	if err != nil {
		return nil, err
	}
	byProposal, err := db.callAssignments(ctx, s.callID, 0)
	if err != nil {
		return nil, wrap("assignments", err)
	}
	out := []partnerhub.Assignment{}
	for _, id := range slices.Sorted(mapKeys(byProposal)) {
		if s.access.View(id) == partnerhub.ViewCommittee {
			out = append(out, byProposal[id]...)
		}
	}
	return out, nil
}

// ReviewBoard is a call's review page for one committee member.
func (db *DB) ReviewBoard(ctx context.Context, actor *partnerhub.User, home, fund string, number int) (partnerhub.ReviewBoard, error) {
	s, err := db.committeeCall(ctx, actor, home, fund, number)
	if err != nil {
		return partnerhub.ReviewBoard{}, err
	}
	a := s.access
	b := partnerhub.ReviewBoard{Call: s.call, Manage: a.Has(partnerhub.FundChair) || a.Has(partnerhub.FundAdmin), Mine: []partnerhub.ReviewTask{}}
	var ps []partnerhub.Proposal
	var assigned map[int64][]partnerhub.Assignment
	if b.Manage {
		// The chair's page matches reviewers to each proposal's units,
		// keywords and applicants: the proposals whole.
		ps, err = db.proposalsWhere(ctx, db.read, `p.call_id = ? AND p.state = 'submitted'`, s.callID)
		if err == nil {
			assigned, err = db.callAssignments(ctx, s.callID, 0)
		}
	} else {
		ps, assigned, err = db.myAssignments(ctx, s.callID, a.User.ID)
	}
	if err != nil {
		return b, wrap("review board", err)
	}
	visible := ps[:0]
	for _, p := range ps {
		if a.View(p.ID) == partnerhub.ViewCommittee {
			visible = append(visible, p)
		}
	}
	for _, p := range visible {
		if !a.CanReview(p.ID) {
			continue
		}
		t := partnerhub.ReviewTask{Proposal: p, Status: partnerhub.ReviewTodo}
		for _, x := range assigned[p.ID] {
			if x.ReviewerID == a.User.ID {
				t.Status = x.Status
			}
		}
		b.Mine = append(b.Mine, t)
	}
	if !b.Manage {
		return b, nil
	}
	sug, err := db.suggester(ctx, s, assigned)
	if err != nil {
		return b, wrap("review board", err)
	}
	b.Rows = []partnerhub.BoardRow{}
	for _, p := range visible {
		if !a.CanManage(p.ID) {
			continue
		}
		r := partnerhub.BoardRow{Proposal: p, Reviewers: assigned[p.ID]}
		if r.Reviewers == nil {
			r.Reviewers = []partnerhub.Assignment{}
		}
		r.Suggestions = sug(p, r.Reviewers)
		b.Rows = append(b.Rows, r)
	}
	return b, nil
}

// myAssignments reads a reviewer's list alone: the title and grant of
// each submitted proposal of the call assigned to them, and how far their
// review is.
func (db *DB) myAssignments(ctx context.Context, callID, reviewer int64) ([]partnerhub.Proposal, map[int64][]partnerhub.Assignment, error) {
	var ps []partnerhub.Proposal
	assigned := map[int64][]partnerhub.Assignment{}
	err := eachRow(ctx, db, db.read, `SELECT p.id, f.slug, c.number, p.grant_code, p.title_ja, p.title_en, p.state, r.submitted_at, r.version
		FROM review_assignments a JOIN proposals p ON p.id = a.proposal_id JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
		LEFT JOIN reviews r ON r.proposal_id = a.proposal_id AND r.reviewer_id = a.reviewer_id
		WHERE a.reviewer_id = ? AND p.call_id = ? AND p.state = 'submitted' ORDER BY p.id`, []any{reviewer, callID}, func(rows *sql.Rows) error {
		var p partnerhub.Proposal
		var state string
		var submitted sql.NullTime
		var version sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Fund, &p.Call, &p.Grant, &p.Title.Ja, &p.Title.En, &state, &submitted, &version); err != nil {
			return err
		}
		p.State = partnerhub.ProposalState(state)
		ps = append(ps, p)
		assigned[p.ID] = []partnerhub.Assignment{{Proposal: p.ID, ReviewerID: reviewer, Status: reviewStatus(version.Valid, submitted.Valid)}}
		return nil
	})
	return ps, assigned, err
}

// maxSuggestions is how many reviewers the chair is offered per proposal.
const maxSuggestions = 5

// suggester returns what ranks the committee's reviewers for a proposal:
// first those whose seat shares the most with it (its unit with the
// proposal's units, each of its keywords found in the proposal's keywords
// or title), then those asked for the fewest reviews in the call. Those
// conflicted with it, or already asked, are left out; so are those the
// data would make conflicted once assigned (an applicant, or of an
// applicant's unit when the fund counts it).
func (db *DB) suggester(ctx context.Context, s *reviewScope, assigned map[int64][]partnerhub.Assignment) (func(partnerhub.Proposal, []partnerhub.Assignment) []partnerhub.Suggestion, error) {
	type seat struct {
		id       int64
		name     string
		unit     string
		units    map[string]bool
		keywords []string
	}
	seats, err := db.fundSeats(ctx, db.read, s.fund.id)
	if err != nil {
		return nil, err
	}
	var people []*seat
	byID := map[int64]*seat{}
	for _, x := range seats {
		if x.Role != partnerhub.FundChair && x.Role != partnerhub.FundMember {
			continue
		}
		p := byID[x.UserID]
		if p == nil {
			p = &seat{id: x.UserID, name: x.Name, units: map[string]bool{}}
			byID[x.UserID] = p
			people = append(people, p)
		}
		if x.Unit != "" {
			p.units[x.Unit] = true
			if p.unit == "" {
				p.unit = x.Unit
			}
		}
		p.keywords = append(p.keywords, splitKeywords(x.Keywords)...)
	}
	err = eachRow(ctx, db, db.read, `SELECT r.user_id, u.code FROM fund_roles r JOIN user_units uu ON uu.user_id = r.user_id
		JOIN units u ON u.id = uu.unit_id WHERE r.fund_id = ?`, []any{s.fund.id}, func(rows *sql.Rows) error {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		if p := byID[id]; p != nil {
			p.units[code] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	conflicts := map[int64]map[int64]bool{}
	err = eachRow(ctx, db, db.read, `SELECT x.proposal_id, x.user_id FROM conflicts x JOIN proposals p ON p.id = x.proposal_id
		WHERE p.call_id = ?`, []any{s.callID}, func(rows *sql.Rows) error {
		var p, u int64
		if err := rows.Scan(&p, &u); err != nil {
			return err
		}
		if conflicts[p] == nil {
			conflicts[p] = map[int64]bool{}
		}
		conflicts[p][u] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	load := map[int64]int{}
	for _, as := range assigned {
		for _, a := range as {
			load[a.ReviewerID]++
		}
	}
	byUnit := s.fund.fund.ConflictByUnit
	return func(p partnerhub.Proposal, taken []partnerhub.Assignment) []partnerhub.Suggestion {
		units := map[string]bool{}
		for _, u := range p.Units {
			units[u] = true
		}
		applicants := map[int64]bool{}
		for _, m := range p.Members {
			applicants[m.UserID] = true
			if m.Unit != "" && byUnit {
				units[m.Unit] = true
			}
		}
		text := strings.ToLower(p.Keywords + " " + p.Title.Ja + " " + p.Title.En)
		out := []partnerhub.Suggestion{}
		for _, x := range people {
			if conflicts[p.ID][x.id] || applicants[x.id] || slices.ContainsFunc(taken, func(a partnerhub.Assignment) bool { return a.ReviewerID == x.id }) {
				continue
			}
			shared := false
			for u := range x.units {
				shared = shared || units[u]
			}
			if byUnit && shared {
				continue
			}
			match := 0
			if x.unit != "" && slices.Contains(p.Units, x.unit) {
				match += 2
			}
			for _, k := range x.keywords {
				if strings.Contains(text, k) {
					match++
				}
			}
			out = append(out, partnerhub.Suggestion{UserID: x.id, Name: x.name, Match: match, Load: load[x.id]})
		}
		slices.SortStableFunc(out, func(a, b partnerhub.Suggestion) int {
			return cmp.Or(b.Match-a.Match, a.Load-b.Load, strings.Compare(a.Name, b.Name))
		})
		if len(out) > maxSuggestions {
			out = out[:maxSuggestions]
		}
		return out
	}, nil
}

// splitKeywords reads a comma- (or 、-) separated list of keywords, in
// lower case.
func splitKeywords(s string) []string {
	var out []string
	for _, k := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == '，' || r == ';' }) {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// ---- reviews -----------------------------------------------------------------

// proposalReviews reads the reviews of a proposal, but those of people
// conflicted with it.
func (db *DB) proposalReviews(ctx context.Context, q querier, id int64) ([]partnerhub.ProposalReview, error) {
	var out []partnerhub.ProposalReview
	err := eachRow(ctx, db, q, `SELECT r.reviewer_id, u.name, r.scores, r.for_committee, r.for_applicants, r.submitted_at, r.version
		FROM reviews r JOIN users u ON u.id = r.reviewer_id WHERE r.proposal_id = ?
		AND NOT EXISTS (SELECT 1 FROM conflicts x WHERE x.proposal_id = r.proposal_id AND x.user_id = r.reviewer_id)
		ORDER BY r.submitted_at, u.name, u.id`, []any{id}, func(rows *sql.Rows) error {
		r := partnerhub.ProposalReview{Proposal: id}
		var scores string
		var submitted sql.NullTime
		if err := rows.Scan(&r.ReviewerID, &r.ReviewerName, &scores, &r.ForCommittee, &r.ForApplicants, &submitted, &r.Version); err != nil {
			return err
		}
		if submitted.Valid {
			t := submitted.Time.UTC()
			r.SubmittedAt = &t
		}
		if err := json.Unmarshal([]byte(scores), &r.Scores); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	for i := range out {
		if out[i].Scores == nil {
			out[i].Scores = map[string]int{}
		}
	}
	return out, err
}

// othersOpen reports whether a reader sees the others' reviews: when the
// fund says reviews are open, when they are not asked to review it, or
// once they have submitted their own.
func othersOpen(f *partnerhub.Fund, a *partnerhub.FundAccess, id int64, mine *partnerhub.ProposalReview) bool {
	return f.ReviewsOpen || !a.Assigned[id] || mine != nil && mine.SubmittedAt != nil
}

// Reviews returns what the actor reads of a proposal's reviews.
func (db *DB) Reviews(ctx context.Context, actor *partnerhub.User, home string, id int64) (partnerhub.ProposalReviews, error) {
	out := partnerhub.ProposalReviews{Others: []partnerhub.ProposalReview{}}
	s, err := db.committeeProposal(ctx, actor, home, id)
	if err != nil {
		return out, wrap("reviews", err)
	}
	all, err := db.proposalReviews(ctx, db.read, id)
	if err != nil {
		return out, wrap("reviews", err)
	}
	for i := range all {
		if all[i].ReviewerID == actor.ID {
			out.Mine = &all[i]
		}
	}
	out.CanReview = s.access.CanReview(id)
	if !othersOpen(&s.fund.fund, s.access, id, out.Mine) {
		out.OthersHidden = true
		return out, nil
	}
	for _, r := range all {
		if r.ReviewerID != actor.ID && r.SubmittedAt != nil {
			out.Others = append(out.Others, r)
		}
	}
	return out, nil
}

// PutReview saves the actor's review of a proposal assigned to them, at
// the version read (0 for a first save); submit asks for every criterion.
func (db *DB) PutReview(ctx context.Context, actor *partnerhub.User, home string, r partnerhub.ProposalReview, submit bool) (partnerhub.ProposalReview, error) {
	if r.Scores == nil {
		r.Scores = map[string]int{}
	}
	p, err := db.proposalByID(ctx, db.read, home, r.Proposal)
	if err != nil {
		return r, wrap("put review", err)
	}
	err = db.inFund(ctx, actor, home, p.Fund, func(t *fundTx) error {
		if t.access.View(p.ID) != partnerhub.ViewCommittee || p.State != partnerhub.ProposalSubmitted {
			return errProposalNotFound(p.ID)
		}
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityReview, p.ID); err != nil {
			return err
		}
		_, c, err := db.callRow(t.ctx, t.tx, home, p.Fund, p.Call)
		if err != nil {
			return err
		}
		if err := r.Validate(&c, submit); err != nil {
			return err
		}
		var cur *partnerhub.ProposalReview
		all, err := db.proposalReviews(t.ctx, t.tx, p.ID)
		if err != nil {
			return err
		}
		for i := range all {
			if all[i].ReviewerID == actor.ID {
				cur = &all[i]
			}
		}
		curVersion := 0
		if cur != nil {
			curVersion = cur.Version
		}
		if r.Version != curVersion {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{r.Version, curVersion}, Current: cur}
		}
		if cur != nil && cur.SubmittedAt != nil && !submit {
			return partnerhub.Errorf(partnerhub.EConflict, "error.review_submitted")
		}
		r.ReviewerID, r.ReviewerName, r.SubmittedAt = actor.ID, actor.Name, nil
		if submit {
			r.SubmittedAt = &t.now
			if cur != nil && cur.SubmittedAt != nil {
				r.SubmittedAt = cur.SubmittedAt
			}
		}
		var submitted any
		if r.SubmittedAt != nil {
			submitted = *r.SubmittedAt
		}
		scores, _ := json.Marshal(r.Scores)
		r.Version = curVersion + 1
		if cur == nil {
			_, err = t.exec(`INSERT INTO reviews (proposal_id, reviewer_id, scores, for_committee, for_applicants, submitted_at, version, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, 1, ?)`, p.ID, actor.ID, string(scores), r.ForCommittee, r.ForApplicants, submitted, t.now)
		} else {
			var res sql.Result
			res, err = t.exec(`UPDATE reviews SET scores = ?, for_committee = ?, for_applicants = ?, submitted_at = ?, version = version + 1,
				updated_at = ? WHERE proposal_id = ? AND reviewer_id = ? AND version = ?`, string(scores), r.ForCommittee, r.ForApplicants,
				submitted, t.now, p.ID, actor.ID, curVersion)
			if err == nil {
				if n, _ := res.RowsAffected(); n != 1 {
					return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
				}
			}
		}
		if err != nil {
			return err
		}
		action := partnerhub.ActionUpdate
		if cur == nil {
			action = partnerhub.ActionCreate
		}
		var before any
		if cur != nil {
			before = cur
		}
		return t.auditFund(action, partnerhub.EntityReview, strconv.FormatInt(p.ID, 10)+"/"+actor.Email, r.Version, before, r)
	})
	return r, wrap("put review", err)
}

// ---- discussion --------------------------------------------------------------

// Comments lists a proposal's discussion, oldest first.
func (db *DB) Comments(ctx context.Context, actor *partnerhub.User, home string, id int64) ([]partnerhub.ProposalComment, error) {
	if _, err := db.committeeProposal(ctx, actor, home, id); err != nil {
		return nil, wrap("comments", err)
	}
	out := []partnerhub.ProposalComment{}
	err := eachRow(ctx, db, db.read, `SELECT c.id, COALESCE(c.author_id, 0), COALESCE(u.name, ''), c.body, c.created_at
		FROM proposal_comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.proposal_id = ? ORDER BY c.created_at, c.id`,
		[]any{id}, func(rows *sql.Rows) error {
			c := partnerhub.ProposalComment{Proposal: id}
			if err := rows.Scan(&c.ID, &c.AuthorID, &c.Author, &c.Body, &c.CreatedAt); err != nil {
				return err
			}
			c.CreatedAt = c.CreatedAt.UTC()
			out = append(out, c)
			return nil
		})
	return out, wrap("comments", err)
}

// AddComment adds the actor's word to a proposal's discussion.
func (db *DB) AddComment(ctx context.Context, actor *partnerhub.User, home string, id int64, body string) (partnerhub.ProposalComment, error) {
	c := partnerhub.ProposalComment{Proposal: id, Body: strings.TrimSpace(body)}
	switch {
	case c.Body == "":
		return c, fieldError("body", "required")
	case !utf8.ValidString(c.Body):
		return c, fieldError("body", "bad_utf8")
	case utf8.RuneCountInString(c.Body) > partnerhub.MaxDiscussionChars:
		return c, fieldError("body", "too_long_chars", partnerhub.MaxDiscussionChars)
	}
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return c, wrap("add comment", err)
	}
	err = db.inFund(ctx, actor, home, p.Fund, func(t *fundTx) error {
		if t.access.View(id) != partnerhub.ViewCommittee || p.State != partnerhub.ProposalSubmitted {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionCreate, partnerhub.EntityComment, id); err != nil {
			return err
		}
		c.AuthorID, c.Author, c.CreatedAt = actor.ID, actor.Name, t.now
		if err := t.row(`INSERT INTO proposal_comments (proposal_id, author_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			id, nullID(actor.ID), c.Body, t.now).Scan(&c.ID); err != nil {
			return err
		}
		return t.auditFund(partnerhub.ActionCreate, partnerhub.EntityComment, strconv.FormatInt(c.ID, 10), 1, nil, c)
	})
	return c, wrap("add comment", err)
}
