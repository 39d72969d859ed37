package store

// Proposals to a fund's calls: drafts every applicant edits, submission
// closed by the server at the call's deadline, withdrawal before it.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

func errProposalNotFound(id int64) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.proposal_not_found", id)
}

const proposalCols = `p.id, f.slug, c.number, p.grant_code, p.title_ja, p.title_en, p.abstract_ja, p.abstract_en, p.plan_ja, p.plan_en,
	p.keywords, p.units, p.budget, p.state, p.submitted_at, p.version`

const proposalFrom = ` FROM proposals p JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
	JOIN home_institutions h ON h.id = f.home_id`

func scanProposal(row rowScanner) (partnerhub.Proposal, error) {
	var p partnerhub.Proposal
	var units, budget, state string
	var submitted sql.NullTime
	err := row.Scan(&p.ID, &p.Fund, &p.Call, &p.Grant, &p.Title.Ja, &p.Title.En, &p.Abstract.Ja, &p.Abstract.En, &p.Plan.Ja, &p.Plan.En,
		&p.Keywords, &units, &budget, &state, &submitted, &p.Version)
	if err != nil {
		return p, err
	}
	p.State = partnerhub.ProposalState(state)
	if submitted.Valid {
		t := submitted.Time.UTC()
		p.SubmittedAt = &t
	}
	if err := json.Unmarshal([]byte(units), &p.Units); err != nil {
		return p, err
	}
	return p, json.Unmarshal([]byte(budget), &p.Budget)
}

// proposalsWhere reads proposals of a home with their members, files and
// decisions.
func (db *DB) proposalsWhere(ctx context.Context, q querier, where string, args ...any) ([]partnerhub.Proposal, error) {
	var out []partnerhub.Proposal
	byID := map[int64]int{}
	err := eachRow(ctx, db, q, `SELECT `+proposalCols+proposalFrom+` WHERE `+where+` ORDER BY p.id`, args, func(rows *sql.Rows) error {
		p, err := scanProposal(rows)
		if err != nil {
			return err
		}
		p.Members, p.Files = []partnerhub.ProposalMember{}, []partnerhub.ProposalFile{}
		byID[p.ID] = len(out)
		out = append(out, p)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	sub := `SELECT p.id` + proposalFrom + ` WHERE ` + where
	err = eachRow(ctx, db, q, `SELECT m.proposal_id, COALESCE(m.user_id, 0), m.email, m.name, m.role, m.side, m.unit, m.affiliation
		FROM proposal_members m WHERE m.proposal_id IN (`+sub+`) ORDER BY m.proposal_id, m.position`, args, func(rows *sql.Rows) error {
		var id int64
		var m partnerhub.ProposalMember
		var role, side string
		if err := rows.Scan(&id, &m.UserID, &m.Email, &m.Name, &role, &side, &m.Unit, &m.Affiliation); err != nil {
			return err
		}
		m.Role, m.Side = partnerhub.MemberRole(role), partnerhub.Side(side)
		p := &out[byID[id]]
		p.Members = append(p.Members, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, db, q, `SELECT x.proposal_id, x.id, x.spec, x.filename, x.size, x.sha256, x.uploaded_at
		FROM proposal_files x WHERE x.replaced_at IS NULL AND x.proposal_id IN (`+sub+`) ORDER BY x.proposal_id, x.id`, args, func(rows *sql.Rows) error {
		var id int64
		var f partnerhub.ProposalFile
		if err := rows.Scan(&id, &f.ID, &f.Spec, &f.Filename, &f.Size, &f.SHA256, &f.UploadedAt); err != nil {
			return err
		}
		f.UploadedAt = f.UploadedAt.UTC()
		p := &out[byID[id]]
		p.Files = append(p.Files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, db, q, `SELECT d.proposal_id, d.outcome, d.home_amount, d.partner_amount, d.meeting, d.note_ja, d.note_en,
		d.decided_at, d.letters_sent_at, d.version, f.home_currency, f.partner_currency
		FROM decisions d JOIN proposals p ON p.id = d.proposal_id JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
		WHERE d.proposal_id IN (`+sub+`)`, args, func(rows *sql.Rows) error {
		var id int64
		var d partnerhub.Decision
		var outcome, meeting string
		var sent sql.NullTime
		if err := rows.Scan(&id, &outcome, &d.HomeAmount.Amount, &d.PartnerAmount.Amount, &meeting, &d.Note.Ja, &d.Note.En,
			&d.DecidedAt, &sent, &d.Version, &d.HomeAmount.Currency, &d.PartnerAmount.Currency); err != nil {
			return err
		}
		d.Outcome = partnerhub.Outcome(outcome)
		d.DecidedAt = d.DecidedAt.UTC()
		if sent.Valid {
			t := sent.Time.UTC()
			d.LettersSent = &t
		}
		var err error
		if d.Meeting, err = partnerhub.ParsePartialDate(meeting); err != nil {
			return err
		}
		out[byID[id]].Decision = &d
		return nil
	})
	return out, err
}

// proposalByID reads one proposal of a home, and its call's id.
func (db *DB) proposalByID(ctx context.Context, q querier, home string, id int64) (partnerhub.Proposal, error) {
	ps, err := db.proposalsWhere(ctx, q, `h.slug = ? AND p.id = ?`, home, id)
	if err != nil {
		return partnerhub.Proposal{}, err
	}
	if len(ps) == 0 {
		return partnerhub.Proposal{}, errProposalNotFound(id)
	}
	return ps[0], nil
}

// Proposal returns a proposal and how much of it the actor sees; one they
// may not see is not found, so that its existence is not told either.
func (db *DB) Proposal(ctx context.Context, actor *partnerhub.User, home string, id int64) (partnerhub.Proposal, *partnerhub.FundAccess, error) {
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return p, nil, wrap("proposal", err)
	}
	a, err := db.FundAccess(ctx, actor, home, p.Fund)
	if err != nil {
		return partnerhub.Proposal{}, nil, err
	}
	// The committee reads what was sent: a draft is its applicants' alone.
	if v := a.View(id); v == partnerhub.ViewNone || v == partnerhub.ViewCommittee && p.State != partnerhub.ProposalSubmitted {
		return partnerhub.Proposal{}, nil, errProposalNotFound(id)
	}
	return p, a, nil
}

// Proposals lists the proposals of a call the actor sees: their own as an
// applicant; as the committee, the submitted ones they are not conflicted
// with (drafts are the applicants' until sent).
func (db *DB) Proposals(ctx context.Context, actor *partnerhub.User, home string, f partnerhub.ProposalFilter) ([]partnerhub.Proposal, error) {
	a, err := db.FundAccess(ctx, actor, home, f.Fund)
	if err != nil {
		return nil, err
	}
	where := `h.slug = ? AND f.slug = ? AND c.number = ?`
	args := []any{home, f.Fund, f.Call}
	if f.State != "" {
		where += ` AND p.state = ?`
		args = append(args, string(f.State))
	}
	if !a.Committee() {
		if len(a.Applicant) == 0 {
			return []partnerhub.Proposal{}, nil
		}
		where += ` AND p.id IN (SELECT proposal_id FROM proposal_members WHERE user_id = ?)`
		args = append(args, a.User.ID)
	}
	all, err := db.proposalsWhere(ctx, db.read, where, args...)
	if err != nil {
		return nil, wrap("proposals", err)
	}
	out := all[:0]
	for _, p := range all {
		switch a.View(p.ID) {
		case partnerhub.ViewApplicant:
			out = append(out, p)
		case partnerhub.ViewCommittee:
			if p.State == partnerhub.ProposalSubmitted {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// MyProposals lists the proposals, of every fund of a home, the actor is
// an applicant of.
func (db *DB) MyProposals(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.Proposal, error) {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return nil, err
	}
	ps, err := db.proposalsWhere(ctx, db.read, `h.slug = ? AND p.id IN (SELECT proposal_id FROM proposal_members WHERE user_id = ?)`, home, actor.ID)
	return ps, wrap("my proposals", err)
}

// callTx is a write to a call's proposals.
type callTx struct {
	*fundTx
	callID int64
	call   partnerhub.Call
}

func (db *DB) inCall(ctx context.Context, actor *partnerhub.User, home, fund string, number int, fn func(*callTx) error) error {
	return db.inFund(ctx, actor, home, fund, func(t *fundTx) error {
		id, c, err := db.callRow(t.ctx, t.tx, home, fund, number)
		if err != nil {
			return err
		}
		if !c.Published && !t.access.Has(partnerhub.FundAdmin) {
			return errCallNotFound(c.Key())
		}
		return fn(&callTx{fundTx: t, callID: id, call: c})
	})
}

// normalizeProposal tidies what a writer sent before it is checked.
func normalizeProposal(p *partnerhub.Proposal) {
	for i := range p.Members {
		p.Members[i].Email = partnerhub.NormalizeEmail(p.Members[i].Email)
		p.Members[i].Name = strings.TrimSpace(p.Members[i].Name)
		p.Members[i].UserID = 0 // the store links accounts by address
	}
	if p.Units == nil {
		p.Units = []string{}
	}
	if p.Budget == nil {
		p.Budget = []partnerhub.BudgetLine{}
	}
	p.Files, p.Decision, p.SubmittedAt = nil, nil, nil
}

// CreateProposal starts a draft proposal to an open call. Its creator is
// among its applicants: listed by the writer, or added as the lead (as a
// member when another leads).
func (db *DB) CreateProposal(ctx context.Context, actor *partnerhub.User, home string, p partnerhub.Proposal) (partnerhub.Proposal, error) {
	normalizeProposal(&p)
	err := db.inCall(ctx, actor, home, p.Fund, p.Call, func(t *callTx) error {
		if err := t.authorize(partnerhub.ActionCreate, partnerhub.EntityProposal, 0); err != nil {
			return err
		}
		if t.call.State(t.now) == partnerhub.CallClosed {
			return fieldError("call", "call_closed")
		}
		if !slices.ContainsFunc(p.Members, func(m partnerhub.ProposalMember) bool { return m.Email == actor.Email }) {
			role := partnerhub.MemberLead
			if p.Lead(partnerhub.MemberLead).Email != "" {
				role = partnerhub.MemberOther
			}
			p.Members = append([]partnerhub.ProposalMember{{Email: actor.Email, Name: actor.Name, Role: role, Side: partnerhub.SideHome}}, p.Members...)
		}
		if err := t.checkProposal(&p); err != nil {
			return err
		}
		p.State, p.Version = partnerhub.ProposalDraft, 1
		units, _ := json.Marshal(p.Units)
		budget, _ := json.Marshal(p.Budget)
		var creator any
		if actor.ID != 0 {
			creator = actor.ID
		}
		err := t.row(`INSERT INTO proposals (call_id, grant_code, title_ja, title_en, abstract_ja, abstract_en, plan_ja, plan_en, keywords,
			units, budget, state, version, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', 1, ?, ?, ?) RETURNING id`,
			t.callID, p.Grant, p.Title.Ja, p.Title.En, p.Abstract.Ja, p.Abstract.En, p.Plan.Ja, p.Plan.En, p.Keywords,
			string(units), string(budget), creator, t.now, t.now).Scan(&p.ID)
		if err != nil {
			return err
		}
		if err := t.writeMembers(p.ID, p.Members); err != nil {
			return err
		}
		p.Files = []partnerhub.ProposalFile{}
		return t.auditFund(partnerhub.ActionCreate, partnerhub.EntityProposal, strconv.FormatInt(p.ID, 10), 1, nil, p)
	})
	return p, wrap("create proposal", err)
}

// checkProposal validates a draft against its call, and its units
// against the home's.
func (t *callTx) checkProposal(p *partnerhub.Proposal) error {
	f := t.fund.fund
	errs := partnerhub.FieldErrors{}
	if err := p.Validate(&t.call, &f); err != nil {
		if err := addFields(errs, err); err != nil {
			return err
		}
	}
	for i, u := range p.Units {
		var n int
		if err := t.row(`SELECT count(*) FROM units WHERE home_id = ? AND code = ? AND deleted_at IS NULL`, t.homeID, u).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			errs.Add("units["+strconv.Itoa(i)+"]", "unknown_unit", u)
		}
	}
	for i, m := range p.Members {
		if m.Unit == "" {
			continue
		}
		var n int
		if err := t.row(`SELECT count(*) FROM units WHERE home_id = ? AND code = ? AND deleted_at IS NULL`, t.homeID, m.Unit).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			errs.Add("members["+strconv.Itoa(i)+"].unit", "unknown_unit", m.Unit)
		}
	}
	return errs.Err()
}

// writeMembers replaces a proposal's applicants, linking each to the
// account of their address in the home, if there is one.
func (t *callTx) writeMembers(id int64, ms []partnerhub.ProposalMember) error {
	if _, err := t.exec(`DELETE FROM proposal_members WHERE proposal_id = ?`, id); err != nil {
		return err
	}
	for i := range ms {
		var uid sql.NullInt64
		err := t.row(`SELECT id FROM users WHERE home_id = ? AND email = ?`, t.homeID, ms[i].Email).Scan(&uid)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if _, err := t.exec(`INSERT INTO proposal_members (proposal_id, position, user_id, email, name, role, side, unit, affiliation)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, i, uid, ms[i].Email, ms[i].Name, string(ms[i].Role), string(ms[i].Side),
			ms[i].Unit, ms[i].Affiliation); err != nil {
			return err
		}
		ms[i].UserID = uid.Int64
		if !uid.Valid {
			if err := t.inviteMember(id, i, ms[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// inviteMember invites an applicant with no account to make one, unless
// an invitation of theirs is waiting already: a partner's co-lead joins
// the proposal that names them from the link in the mail. The account is
// given its places in proposals when it is made (linkProposalsOnAccept).
func (t *callTx) inviteMember(id int64, i int, m partnerhub.ProposalMember) error {
	var waiting int
	if err := t.row(`SELECT count(*) FROM invitations WHERE home_id = ? AND email = ? AND accepted_at IS NULL
		AND revoked_at IS NULL AND expires_at > ?`, t.homeID, m.Email, t.now).Scan(&waiting); err != nil {
		return err
	}
	if waiting > 0 {
		return nil
	}
	actor := t.access.User
	lang := partnerhub.Japanese
	if m.Side == partnerhub.SidePartner {
		lang = partnerhub.English
	}
	callJa, _ := t.call.Title.In(partnerhub.Japanese)
	callEn, _ := t.call.Title.In(partnerhub.English)
	grants, _ := json.Marshal(map[string]int64{"proposal": id})
	spec := partnerhub.InvitationSpec{Email: m.Email, Name: m.Name, Lang: lang, Role: partnerhub.RoleGuest, Grants: grants,
		Note: partnerhub.Text{
			Ja: actor.Name + "さんが、公募「" + callJa + "」への申請の申請者としてあなたを加えました。アカウントを作ると、申請書を一緒に編集できます。",
			En: actor.Name + " has named you an applicant of a proposal to the call “" + callEn + "”. Make your account to edit the proposal with them.",
		}}
	if _, err := t.db.invite(t.ctx, t.tx, actor, t.fund.home, spec, t.now); err != nil {
		var pe *partnerhub.Error
		if errors.As(err, &pe) && pe.Fields != nil {
			// The invitation's problem is the member's address (an account
			// of another home, or a disabled one).
			errs := partnerhub.FieldErrors{}
			for _, fe := range pe.Fields {
				errs.Add("members["+strconv.Itoa(i)+"].email", fe.Key, fe.Args...)
				break
			}
			return errs.Err()
		}
		return err
	}
	return nil
}

// linkProposalsOnAccept is the accept hook of invitations: a new account
// takes the places its address holds in its home's proposals.
func (db *DB) linkProposalsOnAccept(ctx context.Context, tx *sql.Tx, userID int64, _ []byte) error {
	var homeID int64
	var email string
	if err := tx.QueryRowContext(ctx, db.q(`SELECT home_id, email FROM users WHERE id = ?`), userID).Scan(&homeID, &email); err != nil {
		return err
	}
	return db.LinkProposalMembers(ctx, tx, homeID, userID, email)
}

// LinkProposalMembers gives an account the places its address holds in
// proposals of its home: for a person who joins after being named.
func (db *DB) LinkProposalMembers(ctx context.Context, tx *sql.Tx, homeID, userID int64, email string) error {
	_, err := tx.ExecContext(ctx, db.q(`UPDATE proposal_members SET user_id = ? WHERE email = ? AND user_id IS NULL
		AND proposal_id IN (SELECT p.id FROM proposals p JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id WHERE f.home_id = ?)`),
		userID, partnerhub.NormalizeEmail(email), homeID)
	return err
}

// UpdateProposal saves a draft (or a withdrawn proposal) at the version
// read, while its call is open. A submitted proposal is withdrawn first.
func (db *DB) UpdateProposal(ctx context.Context, actor *partnerhub.User, home string, p partnerhub.Proposal) (partnerhub.Proposal, error) {
	normalizeProposal(&p)
	err := db.inCall(ctx, actor, home, p.Fund, p.Call, func(t *callTx) error {
		cur, err := db.proposalByID(t.ctx, t.tx, home, p.ID)
		if err != nil {
			return err
		}
		if cur.CallKey() != t.call.Key() || t.access.View(p.ID) == partnerhub.ViewNone {
			return errProposalNotFound(p.ID)
		}
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityProposal, p.ID); err != nil {
			return err
		}
		if cur.Version != p.Version {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{p.Version, cur.Version}, Current: cur}
		}
		if cur.State == partnerhub.ProposalSubmitted {
			return partnerhub.Errorf(partnerhub.EConflict, "error.proposal_submitted")
		}
		if t.call.State(t.now) == partnerhub.CallClosed {
			return fieldError("call", "call_closed")
		}
		if err := t.checkProposal(&p); err != nil {
			return err
		}
		units, _ := json.Marshal(p.Units)
		budget, _ := json.Marshal(p.Budget)
		res, err := t.exec(`UPDATE proposals SET grant_code = ?, title_ja = ?, title_en = ?, abstract_ja = ?, abstract_en = ?, plan_ja = ?,
			plan_en = ?, keywords = ?, units = ?, budget = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			p.Grant, p.Title.Ja, p.Title.En, p.Abstract.Ja, p.Abstract.En, p.Plan.Ja, p.Plan.En, p.Keywords, string(units), string(budget),
			t.now, p.ID, p.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
		}
		if err := t.writeMembers(p.ID, p.Members); err != nil {
			return err
		}
		p.State, p.Files, p.Version, p.SubmittedAt = cur.State, cur.Files, cur.Version+1, cur.SubmittedAt
		return t.auditFund(partnerhub.ActionUpdate, partnerhub.EntityProposal, strconv.FormatInt(p.ID, 10), p.Version, cur, p)
	})
	return p, wrap("update proposal", err)
}

// TransitProposal submits or withdraws a proposal at now, which must be
// before the call's deadline; afterProposalTransit then tells the
// applicants.
func (db *DB) TransitProposal(ctx context.Context, actor *partnerhub.User, home string, id int64, version int, verb partnerhub.Verb, now time.Time) (partnerhub.Proposal, error) {
	var out partnerhub.Proposal
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return out, wrap("proposal", err)
	}
	err = db.inCall(ctx, actor, home, p.Fund, p.Call, func(t *callTx) error {
		t.now = dbTime(now)
		cur, err := db.proposalByID(t.ctx, t.tx, home, id)
		if err != nil {
			return err
		}
		if t.access.View(id) == partnerhub.ViewNone {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionTransition, partnerhub.EntityProposal, id); err != nil {
			return err
		}
		if cur.Version != version {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{version, cur.Version}, Current: cur}
		}
		if !slices.Contains(cur.Verbs(), verb) {
			return partnerhub.Errorf(partnerhub.EConflict, "error.transition_not_allowed", string(verb), string(cur.State))
		}
		f := t.fund.fund
		next := cur
		switch verb {
		case partnerhub.VerbSubmitProposal:
			if err := cur.ValidateSubmit(&t.call, &f, t.now); err != nil {
				return err
			}
			next.State = partnerhub.ProposalSubmitted
			next.SubmittedAt = &t.now
		case partnerhub.VerbWithdraw:
			if t.call.State(t.now) != partnerhub.CallOpen {
				return fieldError("call", "call_closed")
			}
			next.State = partnerhub.ProposalWithdrawn
		}
		next.Version = cur.Version + 1
		var submitted any
		if next.SubmittedAt != nil {
			submitted = *next.SubmittedAt
		}
		res, err := t.exec(`UPDATE proposals SET state = ?, submitted_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			string(next.State), submitted, t.now, id, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
		}
		ch := partnerhub.Change{Actor: actor, Action: partnerhub.ActionTransition, Entity: partnerhub.EntityProposal,
			Transition: partnerhub.Transition{Verb: verb}}
		if err := t.audit(ch, strconv.FormatInt(id, 10), next.Version, cur, next); err != nil {
			return err
		}
		out = next
		if verb == partnerhub.VerbSubmitProposal {
			// The conflicts the data shows are known before anyone reads it.
			if _, err := db.detectConflicts(t.fundTx, next); err != nil {
				return err
			}
		}
		return db.afterProposalTransit(t, verb, next)
	})
	return out, wrap("transit proposal", err)
}

// afterProposalTransit runs in the transition's transaction: the
// applicants are told of what happened.
func (db *DB) afterProposalTransit(t *callTx, verb partnerhub.Verb, p partnerhub.Proposal) error {
	return db.proposalReceipts(t, verb, p)
}

// fieldError is an invalid-input error of one field.
func fieldError(field, key string, args ...any) error {
	errs := partnerhub.FieldErrors{}
	errs.Add(field, key, args...)
	return errs.Err()
}
