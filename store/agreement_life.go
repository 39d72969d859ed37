package store

// The agreement's life in the store: what an edit may not choose (the
// stage, the review), what a transition needs (the chain of the kind, the
// units that approve), and the approval chains each home configures.

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"partnerhub"
)

// createStages are the stages an agreement may be created in: a draft, to
// go up the chain, or one already signed, recorded from the register.
var createStages = []partnerhub.AgreementStage{partnerhub.StageDraft, partnerhub.StageSigned}

// prepareAgreement keeps what only transitions move: an update keeps the
// stored stage, declaration and review whatever the writer sent; a create
// starts as a draft unless it records a signed agreement.
func prepareAgreement(e *editTx, cur *state[*partnerhub.Agreement], a *partnerhub.Agreement) error {
	if cur != nil {
		a.Stage, a.Declared, a.Review = cur.rec.Stage, cur.rec.Declared, cur.rec.Review
		return nil
	}
	a.Review = nil
	if a.Stage == "" {
		a.Stage = partnerhub.StageDraft
	}
	if !slices.Contains(createStages, a.Stage) {
		return (partnerhub.FieldErrors{"stage": {Key: "create_stage"}}).Err()
	}
	// A recorded agreement may carry the office's word on its standing
	// (older clients send it as status); anything else is derived.
	a.Declared = partnerhub.Unknown
	if a.Stage == partnerhub.StageSigned {
		a.Declared = partnerhub.Active
		if slices.Contains(partnerhub.DeclaredStatuses, a.Status) {
			a.Declared = a.Status
		}
	}
	return nil
}

// agreementTransit gathers what a transition of a needs: the chain of its
// kind (for a submission) and the units whose coordinators approve.
func agreementTransit(e *editTx, a *partnerhub.Agreement, c partnerhub.Change) (partnerhub.TransitContext, error) {
	t := partnerhub.TransitContext{Actor: c.Actor, Comment: c.Transition.Comment, Today: partnerhub.Today(e.now)}
	units, err := approvingUnits(e, a)
	if err != nil {
		return t, err
	}
	t.Units = units
	chain, err := e.db.approvalChain(e.ctx, e.tx, e.homeID, a.Kind)
	if err != nil {
		return t, err
	}
	t.Chain = chain
	return t, nil
}

// approvingUnits are the units whose coordinators approve a's coordinator
// step: its own units, or else its partner's lead unit in the latest phase
// that has a team.
func approvingUnits(e *editTx, a *partnerhub.Agreement) ([]string, error) {
	if len(a.Units) > 0 {
		return a.Units, nil
	}
	return e.strings(`SELECT u.code FROM team_memberships t JOIN partners p ON p.id = t.partner_id JOIN units u ON u.id = t.unit_id
		WHERE p.home_id = ? AND p.slug = ? AND t.lead AND u.deleted_at IS NULL
		AND t.phase = (SELECT max(t2.phase) FROM team_memberships t2 WHERE t2.partner_id = p.id)`, e.homeID, a.Partner)
}

// approvers are the users of the home who may decide step s for units.
func approvers(e *editTx, s partnerhub.ApprovalStep, units []string) ([]*partnerhub.User, error) {
	users, err := e.db.usersTx(e.ctx, e.tx, e.homeID)
	if err != nil {
		return nil, err
	}
	var out []*partnerhub.User
	for _, u := range users {
		if s.CanApprove(u, units) {
			out = append(out, u)
		}
	}
	return out, nil
}

// ApprovalChains returns the chain of every kind of agreement in a home:
// the configured one, or the built-in one.
func (db *DB) ApprovalChains(ctx context.Context, home string) ([]partnerhub.ApprovalChain, error) {
	var out []partnerhub.ApprovalChain
	homeID, err := db.homeID(ctx, db.read, home)
	if err != nil {
		return nil, err
	}
	for _, k := range partnerhub.AgreementKinds {
		c, err := db.approvalChain(ctx, db.read, homeID, k)
		if err != nil {
			return nil, wrap("approval chains", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// approvalChain is the chain of kind k in a home.
func (db *DB) approvalChain(ctx context.Context, tx querier, homeID int64, k partnerhub.AgreementKind) (partnerhub.ApprovalChain, error) {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT approver, email FROM approval_chains WHERE home_id = ? AND kind = ? ORDER BY position`), homeID, string(k))
	if err != nil {
		return partnerhub.ApprovalChain{}, err
	}
	defer rows.Close()
	c := partnerhub.ApprovalChain{Kind: k}
	for rows.Next() {
		var s partnerhub.ApprovalStep
		if err := rows.Scan(&s.Approver, &s.Email); err != nil {
			return c, err
		}
		c.Steps = append(c.Steps, s)
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	if len(c.Steps) == 0 {
		return partnerhub.DefaultChain(k), nil
	}
	return c, nil
}

// SetApprovalChain replaces a kind's chain in a home; only its
// administrators may. Agreements already in review keep the chain they
// were submitted with. The change is audited.
func (db *DB) SetApprovalChain(ctx context.Context, actor *partnerhub.User, home string, c partnerhub.ApprovalChain) error {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return err
	}
	if actor.Role != partnerhub.RoleAdmin {
		return partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
	}
	for i := range c.Steps {
		if c.Steps[i].Approver == partnerhub.ApproverPerson {
			c.Steps[i].Email = partnerhub.NormalizeEmail(c.Steps[i].Email)
		}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		before, err := db.approvalChain(ctx, tx, e.homeID, c.Kind)
		if err != nil {
			return err
		}
		errs := partnerhub.FieldErrors{}
		for i, s := range c.Steps {
			if s.Approver != partnerhub.ApproverPerson {
				continue
			}
			var n int
			if err := e.row(`SELECT count(*) FROM users WHERE home_id = ? AND email = ? AND NOT disabled`, e.homeID, s.Email).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				errs.Add("steps."+strconv.Itoa(i)+".email", "unknown_user", s.Email)
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := e.exec(`DELETE FROM approval_chains WHERE home_id = ? AND kind = ?`, e.homeID, string(c.Kind)); err != nil {
			return err
		}
		for i, s := range c.Steps {
			if _, err := e.exec(`INSERT INTO approval_chains (home_id, kind, position, approver, email) VALUES (?, ?, ?, ?, ?)`,
				e.homeID, string(c.Kind), i, string(s.Approver), s.Email); err != nil {
				return err
			}
		}
		c.BuiltIn = false
		ch := partnerhub.Change{Actor: actor, Home: home, Entity: partnerhub.EntityApprovalChain, Action: partnerhub.ActionUpdate, Key: string(c.Kind)}
		return e.audit(ch, string(c.Kind), 1, before, c)
	})
	return wrap("set approval chain", err)
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// usersTx lists the enabled users of a home, with their units.
func (db *DB) usersTx(ctx context.Context, tx *sql.Tx, homeID int64) ([]*partnerhub.User, error) {
	return db.queryUsers(ctx, tx, ` WHERE u.home_id = ? AND NOT u.disabled ORDER BY u.email`, homeID)
}

// afterAgreementTransit tells, in the transition's transaction, whoever
// the agreement now waits for (the approvers of the next step: mail they
// cannot turn off), or its author that it came back or went through.
func afterAgreementTransit(e *editTx, before, after *partnerhub.Agreement, c partnerhub.Change) error {
	n := partnerhub.Notice{Entity: partnerhub.EntityAgreement, Key: after.Slug, Title: after.Title,
		Path: partnerhub.AgreementPath(after.Slug), NoticeDetails: partnerhub.NoticeDetails{Comment: c.Transition.Comment}}
	if c.Actor != nil {
		n.Actor = c.Actor.Name
	}
	var to []*partnerhub.User
	switch {
	case after.Stage == partnerhub.StageReview:
		units, err := approvingUnits(e, after)
		if err != nil {
			return err
		}
		if to, err = approvers(e, *after.WaitingStep(), units); err != nil {
			return err
		}
		n.Kind = partnerhub.NoticeApproval
		// The request names who submitted it, whichever step acted last.
		var name string
		if err := e.row(`SELECT name FROM users WHERE home_id = ? AND email = ?`, e.homeID, after.Review.SubmittedBy).Scan(&name); err == nil {
			n.Actor = name
		} else if err != sql.ErrNoRows {
			return err
		}
	case c.Transition.Verb == partnerhub.VerbReturn || after.Stage == partnerhub.StageApproved:
		n.Kind = partnerhub.NoticeApproved
		if c.Transition.Verb == partnerhub.VerbReturn {
			n.Kind = partnerhub.NoticeReturned
		}
		if before.Review == nil || before.Review.SubmittedBy == "" {
			return nil
		}
		users, err := e.db.usersTx(e.ctx, e.tx, e.homeID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Email == before.Review.SubmittedBy && (c.Actor == nil || u.ID != c.Actor.ID) {
				to = append(to, u)
			}
		}
	default:
		return nil
	}
	ids := make([]int64, len(to))
	for i, u := range to {
		ids[i] = u.ID
	}
	if len(ids) == 0 {
		return nil
	}
	return e.db.Notify(e.ctx, e.tx, ids, n, e.now)
}
