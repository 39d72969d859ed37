package store

// Joint funds and their calls, and FundAccess: what a person holds in a
// fund, which every read and write of a fund starts from.

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"partnerhub"
)

func errFundNotFound(slug string) error { return notFound("error.fund_not_found", slug) }

func errCallNotFound(key string) error { return notFound("error.call_not_found", key) }

// fundRow is a fund as stored, with its id.
type fundRow struct {
	id     int64
	homeID int64
	home   string // the home's slug
	fund   partnerhub.Fund
}

const fundCols = `f.id, f.home_id, f.slug, f.name_ja, f.name_en, f.summary_ja, f.summary_en, f.partners, f.partner_zone,
	f.home_currency, f.partner_currency, f.contributions, f.declared_calls, f.declared_projects, f.conflict_by_unit,
	f.reviews_open, f.version`

func scanFund(row rowScanner) (fundRow, error) {
	var r fundRow
	f := &r.fund
	var partners, contributions string
	err := row.Scan(&r.id, &r.homeID, &f.Slug, &f.Name.Ja, &f.Name.En, &f.Summary.Ja, &f.Summary.En, &partners, &f.PartnerZone,
		&f.HomeCurrency, &f.PartnerCurrency, &contributions, &f.DeclaredCalls, &f.DeclaredProjects, &f.ConflictByUnit,
		&f.ReviewsOpen, &f.Version)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(partners), &f.Partners); err != nil {
		return r, err
	}
	return r, json.Unmarshal([]byte(contributions), &f.Contributions)
}

// fundBySlug reads a live fund of a home.
func (db *DB) fundBySlug(ctx context.Context, q queryRower, home, slug string) (fundRow, error) {
	r, err := scanFund(q.QueryRowContext(ctx, db.q(`SELECT `+fundCols+` FROM funds f JOIN home_institutions h ON h.id = f.home_id
		WHERE h.slug = ? AND f.slug = ? AND f.deleted_at IS NULL`), home, slug))
	if err == sql.ErrNoRows {
		return r, errFundNotFound(slug)
	}
	r.home = home
	return r, err
}

// Funds lists a home's funds by name, with their seats for those who may
// see them (the fund's administrators).
func (db *DB) Funds(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.Fund, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+fundCols+` FROM funds f JOIN home_institutions h ON h.id = f.home_id
		WHERE h.slug = ? AND f.deleted_at IS NULL ORDER BY f.slug`), home)
	if err != nil {
		return nil, wrap("funds", err)
	}
	defer rows.Close()
	var out []partnerhub.Fund
	for rows.Next() {
		r, err := scanFund(rows)
		if err != nil {
			return nil, wrap("funds", err)
		}
		out = append(out, r.fund)
	}
	return out, wrap("funds", rows.Err())
}

// Fund returns a fund; its seats are filled in for the fund's committee
// and administrators.
func (db *DB) Fund(ctx context.Context, actor *partnerhub.User, home, slug string) (partnerhub.Fund, error) {
	r, err := db.fundBySlug(ctx, db.read, home, slug)
	if err != nil {
		return partnerhub.Fund{}, err
	}
	a, err := db.fundAccess(ctx, db.read, r, actor)
	if err != nil {
		return partnerhub.Fund{}, wrap("fund", err)
	}
	if a.Committee() {
		if r.fund.Seats, err = db.fundSeats(ctx, db.read, r.id); err != nil {
			return partnerhub.Fund{}, wrap("fund", err)
		}
	}
	return r.fund, nil
}

func (db *DB) fundSeats(ctx context.Context, q querier, fundID int64) ([]partnerhub.FundSeat, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT r.user_id, u.name, u.email, r.role, r.side, r.unit, r.keywords
		FROM fund_roles r JOIN users u ON u.id = r.user_id WHERE r.fund_id = ?
		ORDER BY CASE r.role WHEN 'chair' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, r.side, u.name, u.id`), fundID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []partnerhub.FundSeat{}
	for rows.Next() {
		var s partnerhub.FundSeat
		var role, side string
		if err := rows.Scan(&s.UserID, &s.Name, &s.Email, &role, &side, &s.Unit, &s.Keywords); err != nil {
			return nil, err
		}
		s.Role, s.Side = partnerhub.FundRole(role), partnerhub.Side(side)
		out = append(out, s)
	}
	return out, rows.Err()
}

// FundAccess returns what actor holds in a fund (nil actor: the public,
// who hold nothing).
func (db *DB) FundAccess(ctx context.Context, actor *partnerhub.User, home, fund string) (*partnerhub.FundAccess, error) {
	r, err := db.fundBySlug(ctx, db.read, home, fund)
	if err != nil {
		return nil, err
	}
	a, err := db.fundAccess(ctx, db.read, r, actor)
	return a, wrap("fund access", err)
}

// fundAccess reads a person's roles in a fund, the proposals they apply
// with, are conflicted with and are assigned to review.
func (db *DB) fundAccess(ctx context.Context, q querier, f fundRow, actor *partnerhub.User) (*partnerhub.FundAccess, error) {
	a := &partnerhub.FundAccess{User: actor, Applicant: map[int64]bool{}, Conflicted: map[int64]bool{}, Assigned: map[int64]bool{}}
	if actor == nil || actor.ID == 0 {
		if actor != nil && actor.Role == partnerhub.RoleAdmin { // the command line
			return a, nil
		}
		a.User = nil
		return a, nil
	}
	if actor.Home != f.home {
		a.User = nil
		return a, nil
	}
	err := eachRow(ctx, db, q, `SELECT role FROM fund_roles WHERE fund_id = ? AND user_id = ?`, []any{f.id, actor.ID}, func(rows *sql.Rows) error {
		var role string
		if err := rows.Scan(&role); err != nil {
			return err
		}
		a.Roles = append(a.Roles, partnerhub.FundRole(role))
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := func(m map[int64]bool, query string) error {
		return eachRow(ctx, db, q, query, []any{f.id, actor.ID}, func(rows *sql.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			m[id] = true
			return nil
		})
	}
	if err := ids(a.Applicant, `SELECT DISTINCT m.proposal_id FROM proposal_members m JOIN proposals p ON p.id = m.proposal_id
		JOIN calls c ON c.id = p.call_id WHERE c.fund_id = ? AND m.user_id = ?`); err != nil {
		return nil, err
	}
	if err := ids(a.Conflicted, `SELECT x.proposal_id FROM conflicts x JOIN proposals p ON p.id = x.proposal_id
		JOIN calls c ON c.id = p.call_id WHERE c.fund_id = ? AND x.user_id = ?`); err != nil {
		return nil, err
	}
	if err := ids(a.Assigned, `SELECT r.proposal_id FROM review_assignments r JOIN proposals p ON p.id = r.proposal_id
		JOIN calls c ON c.id = p.call_id WHERE c.fund_id = ? AND r.reviewer_id = ?`); err != nil {
		return nil, err
	}
	// An applicant is conflicted with their proposal whatever the table
	// says, so that no later role lets them read its review.
	for id := range a.Applicant {
		a.Conflicted[id] = true
	}
	return a, nil
}

// eachRow runs a query and calls fn for every row.
func eachRow(ctx context.Context, db *DB, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// fundTx is a write to a fund: the edit transaction, the fund, and what
// the actor holds in it.
type fundTx struct {
	*editTx
	fund   fundRow
	access *partnerhub.FundAccess
}

// inFund runs fn in a transaction on a live fund of home, with the actor's
// access read inside it.
func (db *DB) inFund(ctx context.Context, actor *partnerhub.User, home, fund string, fn func(*fundTx) error) error {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		f, err := db.fundBySlug(ctx, tx, home, fund)
		if err != nil {
			return err
		}
		a, err := db.fundAccess(ctx, tx, f, actor)
		if err != nil {
			return err
		}
		return fn(&fundTx{editTx: e, fund: f, access: a})
	})
}

// authorize asks the rule book about a write in this fund.
func (t *fundTx) authorize(action partnerhub.Action, entity partnerhub.Entity, proposal int64) error {
	return partnerhub.Authorize(t.access.User, action, entity, partnerhub.Facts{Fund: t.access, Proposal: proposal})
}

// auditFund records a fund write in the home's audit log.
func (t *fundTx) auditFund(action partnerhub.Action, entity partnerhub.Entity, key string, version int, before, after any) error {
	return t.audit(partnerhub.Change{Actor: t.access.User, Action: action, Entity: entity, Key: key}, key, version, before, after)
}

// PutFund creates a fund (version 0) or updates it at the version read.
func (db *DB) PutFund(ctx context.Context, actor *partnerhub.User, home string, f partnerhub.Fund) (int, error) {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return 0, err
	}
	f.Seats = nil
	if f.Partners == nil {
		f.Partners = []string{}
	}
	if f.Contributions == nil {
		f.Contributions = []partnerhub.Contribution{}
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	version := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		errs := partnerhub.FieldErrors{}
		for i, p := range f.Partners {
			var n int
			if err := e.row(`SELECT count(*) FROM partners WHERE home_id = ? AND slug = ? AND deleted_at IS NULL`, e.homeID, p).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				errs.Add("partners["+strconv.Itoa(i)+"]", "unknown_partner", p)
			}
		}
		partners, _ := json.Marshal(f.Partners)
		contributions, _ := json.Marshal(f.Contributions)
		cur, err := db.fundBySlug(ctx, tx, home, f.Slug)
		exists := err == nil
		if err != nil && partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			return err
		}
		access := &partnerhub.FundAccess{User: actor}
		if exists {
			if access, err = db.fundAccess(ctx, tx, cur, actor); err != nil {
				return err
			}
		}
		action := partnerhub.ActionCreate
		if f.Version > 0 {
			action = partnerhub.ActionUpdate
		}
		if err := partnerhub.Authorize(actor, action, partnerhub.EntityFund, partnerhub.Facts{Fund: access}); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		switch {
		case action == partnerhub.ActionCreate && exists:
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.fund_exists", Args: []any{f.Slug},
				Fields: partnerhub.FieldErrors{"slug": {Key: "slug_taken", Args: []any{f.Slug}}}}
		case action == partnerhub.ActionUpdate && !exists:
			return errFundNotFound(f.Slug)
		case action == partnerhub.ActionUpdate && cur.fund.Version != f.Version:
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{f.Version, cur.fund.Version}, Current: cur.fund}
		}
		args := []any{f.Name.Ja, f.Name.En, f.Summary.Ja, f.Summary.En, string(partners), f.PartnerZone, f.HomeCurrency, f.PartnerCurrency,
			string(contributions), f.DeclaredCalls, f.DeclaredProjects, f.ConflictByUnit, f.ReviewsOpen, e.now}
		if action == partnerhub.ActionCreate {
			version = 1
			_, err = e.exec(`INSERT INTO funds (name_ja, name_en, summary_ja, summary_en, partners, partner_zone, home_currency, partner_currency,
				contributions, declared_calls, declared_projects, conflict_by_unit, reviews_open, updated_at, created_at, home_id, slug, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, append(args, e.now, e.homeID, f.Slug)...)
			f.Version = 1
			if err != nil {
				return err
			}
			return e.audit(partnerhub.Change{Actor: actor, Action: action, Entity: partnerhub.EntityFund}, f.Slug, 1, nil, f)
		}
		version = f.Version + 1
		res, err := e.exec(`UPDATE funds SET name_ja = ?, name_en = ?, summary_ja = ?, summary_en = ?, partners = ?, partner_zone = ?,
			home_currency = ?, partner_currency = ?, contributions = ?, declared_calls = ?, declared_projects = ?, conflict_by_unit = ?,
			reviews_open = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, append(args, cur.id, f.Version)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
		}
		f.Version = version
		return e.audit(partnerhub.Change{Actor: actor, Action: action, Entity: partnerhub.EntityFund}, f.Slug, version, cur.fund, f)
	})
	return version, wrap("put fund", err)
}

// SetFundSeat grants a person a role in a fund (or changes the side,
// unit and keywords of the role they hold).
func (db *DB) SetFundSeat(ctx context.Context, actor *partnerhub.User, home, fund string, s partnerhub.FundSeat) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return wrap("set fund seat", db.inFund(ctx, actor, home, fund, func(t *fundTx) error {
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityFundSeat, 0); err != nil {
			return err
		}
		var email string
		err := t.row(`SELECT email FROM users WHERE id = ? AND home_id = ? AND NOT disabled`, s.UserID, t.homeID).Scan(&email)
		if err == sql.ErrNoRows {
			return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.invalid",
				Fields: partnerhub.FieldErrors{"user_id": {Key: "unknown_user", Args: []any{s.UserID}}}}
		}
		if err != nil {
			return err
		}
		if s.Unit != "" {
			var n int
			if err := t.row(`SELECT count(*) FROM units WHERE home_id = ? AND code = ? AND deleted_at IS NULL`, t.homeID, s.Unit).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.invalid",
					Fields: partnerhub.FieldErrors{"unit": {Key: "unknown_unit", Args: []any{s.Unit}}}}
			}
		}
		if _, err := t.exec(`DELETE FROM fund_roles WHERE fund_id = ? AND user_id = ? AND role = ?`, t.fund.id, s.UserID, string(s.Role)); err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO fund_roles (fund_id, user_id, role, side, unit, keywords, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.fund.id, s.UserID, string(s.Role), string(s.Side), s.Unit, s.Keywords, t.now); err != nil {
			return err
		}
		s.Email = email
		return t.auditFund(partnerhub.ActionUpdate, partnerhub.EntityFundSeat, fund+"/"+email+"/"+string(s.Role), 1, nil, s)
	}))
}

// RemoveFundSeat takes a role in a fund from a person.
func (db *DB) RemoveFundSeat(ctx context.Context, actor *partnerhub.User, home, fund string, userID int64, role partnerhub.FundRole) error {
	return wrap("remove fund seat", db.inFund(ctx, actor, home, fund, func(t *fundTx) error {
		if err := t.authorize(partnerhub.ActionDelete, partnerhub.EntityFundSeat, 0); err != nil {
			return err
		}
		seats, err := db.fundSeats(t.ctx, t.tx, t.fund.id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(seats, func(s partnerhub.FundSeat) bool { return s.UserID == userID && s.Role == role })
		if i < 0 {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.seat_not_found", userID)
		}
		if _, err := t.exec(`DELETE FROM fund_roles WHERE fund_id = ? AND user_id = ? AND role = ?`, t.fund.id, userID, string(role)); err != nil {
			return err
		}
		return t.auditFund(partnerhub.ActionDelete, partnerhub.EntityFundSeat, fund+"/"+seats[i].Email+"/"+string(role), 1, seats[i], nil)
	}))
}

// ---- calls -------------------------------------------------------------------

const callCols = `c.id, f.slug, c.number, c.title_ja, c.title_en, c.body_ja, c.body_en, c.eligibility_ja, c.eligibility_en,
	c.opens_at, c.closes_at, c.budget, c.budget_currency, c.grants, c.criteria, c.attachments, c.scale_min, c.scale_max,
	c.english_only, c.interim_due, c.final_due, c.published, c.version`

const callFrom = ` FROM calls c JOIN funds f ON f.id = c.fund_id JOIN home_institutions h ON h.id = f.home_id`

func scanCall(row rowScanner) (int64, partnerhub.Call, error) {
	var id int64
	var c partnerhub.Call
	var grants, criteria, attachments, interim, final string
	err := row.Scan(&id, &c.Fund, &c.Number, &c.Title.Ja, &c.Title.En, &c.Body.Ja, &c.Body.En, &c.Eligibility.Ja, &c.Eligibility.En,
		&c.Opens, &c.Closes, &c.Budget.Amount, &c.Budget.Currency, &grants, &criteria, &attachments, &c.ScaleMin, &c.ScaleMax,
		&c.EnglishOnly, &interim, &final, &c.Published, &c.Version)
	if err != nil {
		return 0, c, err
	}
	c.Opens, c.Closes = c.Opens.UTC(), c.Closes.UTC()
	for _, p := range []struct {
		s string
		v any
	}{{grants, &c.Grants}, {criteria, &c.Criteria}, {attachments, &c.Attachments}} {
		if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
			return 0, c, err
		}
	}
	if interim != "" {
		c.InterimDue, err = partnerhub.ParsePartialDate(interim)
	}
	if err == nil && final != "" {
		c.FinalDue, err = partnerhub.ParsePartialDate(final)
	}
	return id, c, err
}

// Calls lists calls of a home, newest first: published calls for anyone,
// drafts too for the fund's administrators and committee.
func (db *DB) Calls(ctx context.Context, actor *partnerhub.User, home string, f partnerhub.CallFilter) ([]partnerhub.Call, error) {
	where := ` WHERE h.slug = ? AND c.deleted_at IS NULL AND f.deleted_at IS NULL`
	args := []any{home}
	if f.Fund != "" {
		where += ` AND f.slug = ?`
		args = append(args, f.Fund)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+callCols+callFrom+where+` ORDER BY c.closes_at DESC, c.number DESC`), args...)
	if err != nil {
		return nil, wrap("calls", err)
	}
	var all []partnerhub.Call
	for rows.Next() {
		_, c, err := scanCall(rows)
		if err != nil {
			rows.Close()
			return nil, wrap("calls", err)
		}
		all = append(all, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("calls", err)
	}
	out := []partnerhub.Call{}
	committee := map[string]bool{}
	for _, c := range all {
		if !c.Published {
			if f.Public {
				continue
			}
			seen, ok := committee[c.Fund]
			if !ok {
				a, err := db.FundAccess(ctx, actor, home, c.Fund)
				if err != nil {
					return nil, err
				}
				seen = a.Has(partnerhub.FundAdmin) || a.Has(partnerhub.FundChair)
				committee[c.Fund] = seen
			}
			if !seen {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Call returns a call by fund and number; a draft call only to the fund's
// administrators and chairs.
func (db *DB) Call(ctx context.Context, actor *partnerhub.User, home, fund string, number int) (partnerhub.Call, error) {
	_, c, err := db.callRow(ctx, db.read, home, fund, number)
	if err != nil {
		return c, err
	}
	if !c.Published {
		a, err := db.FundAccess(ctx, actor, home, fund)
		if err != nil {
			return c, err
		}
		if !a.Has(partnerhub.FundAdmin) && !a.Has(partnerhub.FundChair) {
			return partnerhub.Call{}, errCallNotFound(c.Key())
		}
	}
	return c, nil
}

func (db *DB) callRow(ctx context.Context, q queryRower, home, fund string, number int) (int64, partnerhub.Call, error) {
	id, c, err := scanCall(q.QueryRowContext(ctx, db.q(`SELECT `+callCols+callFrom+`
		WHERE h.slug = ? AND f.slug = ? AND c.number = ? AND c.deleted_at IS NULL AND f.deleted_at IS NULL`), home, fund, number))
	if err == sql.ErrNoRows {
		return 0, c, errCallNotFound(fund + "/" + strconv.Itoa(number))
	}
	return id, c, err
}

// PutCall creates a call (version 0) or updates it at the version read.
// Once proposals have been submitted to it, its grants, criteria and
// scale stay as they are, so that no proposal or review is judged by rules
// it was not written for.
func (db *DB) PutCall(ctx context.Context, actor *partnerhub.User, home string, c partnerhub.Call) (int, error) {
	c.Opens, c.Closes = dbTime(c.Opens), dbTime(c.Closes)
	for _, p := range []*[]partnerhub.Grant{&c.Grants} {
		if *p == nil {
			*p = []partnerhub.Grant{}
		}
	}
	if c.Criteria == nil {
		c.Criteria = []partnerhub.Criterion{}
	}
	if c.Attachments == nil {
		c.Attachments = []partnerhub.AttachmentSpec{}
	}
	for i := range c.Grants {
		if c.Grants[i].Ceilings == nil {
			c.Grants[i].Ceilings = []partnerhub.Money{}
		}
	}
	if err := c.Validate(); err != nil {
		return 0, err
	}
	version := 0
	err := db.inFund(ctx, actor, home, c.Fund, func(t *fundTx) error {
		action := partnerhub.ActionCreate
		if c.Version > 0 {
			action = partnerhub.ActionUpdate
		}
		if err := t.authorize(action, partnerhub.EntityCall, 0); err != nil {
			return err
		}
		id, cur, err := db.callRow(t.ctx, t.tx, home, c.Fund, c.Number)
		exists := err == nil
		if err != nil && partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			return err
		}
		switch {
		case action == partnerhub.ActionCreate && exists:
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.call_exists", Args: []any{c.Key()},
				Fields: partnerhub.FieldErrors{"number": {Key: "call_number_taken", Args: []any{c.Number}}}}
		case action == partnerhub.ActionUpdate && !exists:
			return errCallNotFound(c.Key())
		case action == partnerhub.ActionUpdate && cur.Version != c.Version:
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{c.Version, cur.Version}, Current: cur}
		}
		if exists {
			var submitted int
			if err := t.row(`SELECT count(*) FROM proposals WHERE call_id = ? AND submitted_at IS NOT NULL`, id).Scan(&submitted); err != nil {
				return err
			}
			if submitted > 0 {
				errs := partnerhub.FieldErrors{}
				if !jsonEqual(cur.Grants, c.Grants) {
					errs.Add("grants", "fixed_after_submission")
				}
				if !jsonEqual(cur.Criteria, c.Criteria) {
					errs.Add("criteria", "fixed_after_submission")
				}
				if !jsonEqual(cur.Attachments, c.Attachments) {
					errs.Add("attachments", "fixed_after_submission")
				}
				if cur.ScaleMin != c.ScaleMin || cur.ScaleMax != c.ScaleMax {
					errs.Add("scale_max", "fixed_after_submission")
				}
				if err := errs.Err(); err != nil {
					return err
				}
			}
		}
		grants, _ := json.Marshal(c.Grants)
		criteria, _ := json.Marshal(c.Criteria)
		attachments, _ := json.Marshal(c.Attachments)
		args := []any{c.Title.Ja, c.Title.En, c.Body.Ja, c.Body.En, c.Eligibility.Ja, c.Eligibility.En, c.Opens, c.Closes,
			c.Budget.Amount, c.Budget.Currency, string(grants), string(criteria), string(attachments), c.ScaleMin, c.ScaleMax,
			c.EnglishOnly, dateText(c.InterimDue), dateText(c.FinalDue), c.Published, t.now}
		if !exists {
			version = 1
			if _, err := t.exec(`INSERT INTO calls (title_ja, title_en, body_ja, body_en, eligibility_ja, eligibility_en, opens_at, closes_at,
				budget, budget_currency, grants, criteria, attachments, scale_min, scale_max, english_only, interim_due, final_due, published,
				updated_at, created_at, fund_id, number, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
				append(args, t.now, t.fund.id, c.Number)...); err != nil {
				return err
			}
			c.Version = 1
			return t.auditFund(action, partnerhub.EntityCall, c.Key(), 1, nil, c)
		}
		version = c.Version + 1
		res, err := t.exec(`UPDATE calls SET title_ja = ?, title_en = ?, body_ja = ?, body_en = ?, eligibility_ja = ?, eligibility_en = ?,
			opens_at = ?, closes_at = ?, budget = ?, budget_currency = ?, grants = ?, criteria = ?, attachments = ?, scale_min = ?,
			scale_max = ?, english_only = ?, interim_due = ?, final_due = ?, published = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, append(args, id, c.Version)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
		}
		c.Version = version
		return t.auditFund(action, partnerhub.EntityCall, c.Key(), version, cur, c)
	})
	return version, wrap("put call", err)
}

func dateText(d partnerhub.PartialDate) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

var _ partnerhub.FundService = (*DB)(nil)
