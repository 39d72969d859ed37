package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// Apply makes one change in one transaction: it loads the record as it is,
// asks partnerhub.Authorize, validates, checks the version (a stale one is a
// conflict that carries the current record), writes, and appends the audit
// event. It returns the record's new version.
func (db *DB) Apply(ctx context.Context, c partnerhub.Change) (int, error) {
	k, ok := kinds[c.Entity]
	if !ok {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err := c.Check(); err != nil {
		return 0, err
	}
	var version int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(c.Home); err != nil {
			return err
		}
		if err := partnerhub.AuthorizeHome(c.Actor, c.Home); err != nil {
			return err
		}
		var err error
		version, err = k.apply(e, c)
		return err
	})
	return version, wrap("apply "+string(c.Action)+" "+string(c.Entity), err)
}

// editTx is a write transaction of one home institution.
type editTx struct {
	db     *DB
	tx     *sql.Tx
	ctx    context.Context
	now    time.Time
	homeID int64
	phase  int // current phase
}

func (e *editTx) home(slug string) error {
	err := e.tx.QueryRowContext(e.ctx, e.db.q(`SELECT h.id, COALESCE((SELECT max(number) FROM phases WHERE home_id = h.id), 0)
		FROM home_institutions h WHERE h.slug = ?`), slug).Scan(&e.homeID, &e.phase)
	if err == sql.ErrNoRows {
		return notFound("error.home_not_found", slug)
	}
	return err
}

func (e *editTx) exec(q string, args ...any) (sql.Result, error) {
	return e.tx.ExecContext(e.ctx, e.db.q(q), args...)
}

func (e *editTx) row(q string, args ...any) *sql.Row {
	return e.tx.QueryRowContext(e.ctx, e.db.q(q), args...)
}

func (e *editTx) strings(q string, args ...any) ([]string, error) {
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// id looks up the id of a live record by key; 0 when there is none.
func (e *editTx) id(table, keyCol, key string, homeScoped bool) (int64, error) {
	q := `SELECT id FROM ` + table + ` WHERE ` + keyCol + ` = ? AND deleted_at IS NULL`
	args := []any{key}
	if homeScoped {
		q += ` AND home_id = ?`
		args = append(args, e.homeID)
	}
	var id int64
	err := e.row(q, args...).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// team returns the unit codes of a partner's team in the current phase.
func (e *editTx) team(partner string) ([]string, error) {
	return e.strings(`SELECT u.code FROM team_memberships t JOIN partners p ON p.id = t.partner_id JOIN units u ON u.id = t.unit_id
		WHERE p.home_id = ? AND p.slug = ? AND t.phase = ? AND u.deleted_at IS NULL`, e.homeID, partner, e.phase)
}

// teams reads the teams of partners before partnerhub.Authorize asks for
// them: its team function cannot fail, and a team that could not be read
// must be a database error, not an empty team that makes the actor
// forbidden.
func (e *editTx) teams(partners ...string) (func(partner string) []string, error) {
	byPartner := make(map[string][]string, len(partners))
	for _, p := range partners {
		codes, err := e.team(p)
		if err != nil {
			return nil, fmt.Errorf("team of %s: %w", p, err)
		}
		byPartner[p] = codes
	}
	return func(p string) []string { return byPartner[p] }, nil
}

// state is a record as stored: the record, its version, and whether it is
// in the bin.
type state[R partnerhub.Record] struct {
	rec     R
	version int
	deleted bool
}

// kind is how one kind of record is stored. Its functions take the record's
// own type, so the compiler checks each against the record it stores.
type kind[R partnerhub.Record] struct {
	table  string // "" when the record has no row of its own (a team)
	keyCol string
	home   bool // the table has a home_id
	// load returns the record with key, or nil when there is none.
	load func(e *editTx, key string) (*state[R], error)
	// save writes a record (create or update) and returns field errors for
	// references that do not resolve.
	save func(e *editTx, rec R, create bool, version int) (partnerhub.FieldErrors, error)
	// deletable and restorable, when set, refuse a deletion or a restore
	// that would break what other records need.
	deletable  func(e *editTx, key string) error
	restorable func(e *editTx, rec R) error
	// prepare, when set, fills what the writer does not choose before a
	// create (cur nil) or an update is validated: fields that only
	// transitions move.
	prepare func(e *editTx, cur *state[R], rec R) error
	// transit, when set, is what a transition needs beyond the verb; its
	// review verbs are authorised by the record's own chain, not the role.
	transit func(e *editTx, rec R, c partnerhub.Change) (partnerhub.TransitContext, error)
	// afterTransit, when set, runs in the transaction after a transition
	// is written: it tells the people concerned.
	afterTransit func(e *editTx, before, after R, c partnerhub.Change) error
}

// recordKind is a kind whatever its record type: what Apply and Record
// need of it.
type recordKind interface {
	apply(e *editTx, c partnerhub.Change) (int, error)
	// record returns the record with key, or nil when there is none.
	record(e *editTx, key string) (rec partnerhub.Record, deleted bool, err error)
}

// kinds are the kinds the Editor writes; a test checks that every kind of
// partnerhub.Edited is here.
var kinds = map[partnerhub.Entity]recordKind{
	partnerhub.EntityInstitution: &kind[*partnerhub.Institution]{table: "institutions", keyCol: "slug",
		load: loadInstitution, save: saveInstitution, deletable: institutionUnused},
	partnerhub.EntityUnit: &kind[*partnerhub.Unit]{table: "units", keyCol: "code", home: true,
		load: loadUnit, save: saveUnit, deletable: unitUnused, restorable: unitMarkFree},
	partnerhub.EntityPartner: &kind[*partnerhub.Partner]{table: "partners", keyCol: "slug", home: true,
		load: loadPartner, save: savePartner},
	partnerhub.EntityTeam: &kind[*partnerhub.TeamDoc]{load: loadTeam, save: saveTeam},
	partnerhub.EntityAgreement: &kind[*partnerhub.Agreement]{table: "agreements", keyCol: "slug", home: true, load: loadAgreement, save: saveAgreement,
		prepare: prepareAgreement, transit: agreementTransit, afterTransit: afterAgreementTransit},
	partnerhub.EntityActivity: &kind[*partnerhub.Activity]{table: "activities", keyCol: "slug", home: true, load: loadActivity, save: saveActivity},
}

func (k *kind[R]) record(e *editTx, key string) (partnerhub.Record, bool, error) {
	s, err := k.load(e, key)
	if err != nil || s == nil {
		return nil, false, err
	}
	return s.rec, s.deleted, nil
}

func (k *kind[R]) apply(e *editTx, c partnerhub.Change) (int, error) {
	var rec R
	if c.Record != nil {
		r, ok := c.Record.(R)
		if !ok {
			return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
		}
		rec = r
	}
	key := c.Key
	if c.Action == partnerhub.ActionCreate {
		key = rec.Key()
	}
	cur, err := k.load(e, key)
	if err != nil {
		return 0, err
	}
	partners := []string{}
	if cur != nil {
		partners = append(partners, cur.rec.PartnerSlugs()...)
	}
	if c.Record != nil {
		partners = append(partners, rec.PartnerSlugs()...)
	}
	slices.Sort(partners)
	partners = slices.Compact(partners)
	team, err := e.teams(partners...)
	if err != nil {
		return 0, err
	}
	sharers, err := e.sharers(c.Entity, key)
	if err != nil {
		return 0, err
	}
	facts := partnerhub.Facts{Partners: partners, Team: team}
	for _, h := range sharers {
		facts.SharedWith = append(facts.SharedWith, h.slug)
	}
	if k.transit != nil && c.Action == partnerhub.ActionTransition && slices.Contains(partnerhub.ReviewVerbs, c.Transition.Verb) {
		// The chain's step decides (Transit), whatever the role: an
		// executive who edits nothing still approves.
	} else if err := partnerhub.Authorize(c.Actor, c.Action, c.Entity, facts); err != nil {
		return 0, err
	}

	version := 0
	switch c.Action {
	case partnerhub.ActionCreate:
		if cur != nil && c.Entity != partnerhub.EntityTeam {
			key := "error.exists"
			if cur.deleted {
				key = "error.exists_in_bin"
			}
			return 0, &partnerhub.Error{Code: partnerhub.EConflict, Message: key, Args: []any{rec.Key()}, Current: cur.rec}
		}
		if k.prepare != nil {
			if err := k.prepare(e, nil, rec); err != nil {
				return 0, err
			}
		}
		if err := rec.Validate(); err != nil {
			return 0, err
		}
		version = 1
		if cur != nil { // a team "created" for a phase updates its partner
			version = cur.version + 1
		}
		if err := k.write(e, rec, true, version); err != nil {
			return 0, err
		}
	case partnerhub.ActionUpdate:
		if err := live(cur, key, c.Version); err != nil {
			return 0, err
		}
		if rec.Key() != key {
			return 0, (partnerhub.FieldErrors{c.Entity.KeyField(): {Key: "cannot_change"}}).Err()
		}
		if k.prepare != nil {
			if err := k.prepare(e, cur, rec); err != nil {
				return 0, err
			}
		}
		if err := rec.Validate(); err != nil {
			return 0, err
		}
		version = cur.version + 1
		if err := k.write(e, rec, false, version); err != nil {
			return 0, err
		}
	case partnerhub.ActionTransition:
		if err := live(cur, key, c.Version); err != nil {
			return 0, err
		}
		// Loaded again, so that the record before stays as it was for the audit log.
		next, err := k.load(e, key)
		if err != nil {
			return 0, err
		}
		w, ok := any(next.rec).(partnerhub.Workflow)
		if !ok {
			return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.not_workflow")
		}
		var tc partnerhub.TransitContext
		if k.transit != nil {
			if tc, err = k.transit(e, next.rec, c); err != nil {
				return 0, err
			}
		}
		if err := w.Transit(c.Transition.Verb, tc); err != nil {
			if e, ok := err.(*partnerhub.Error); ok && e.Code == partnerhub.EConflict {
				e.Current = cur.rec // what state the record is in, to choose another verb
			}
			return 0, err
		}
		if err := next.rec.Validate(); err != nil {
			return 0, err
		}
		version = cur.version + 1
		if err := k.write(e, next.rec, false, version); err != nil {
			return 0, err
		}
		if k.afterTransit != nil {
			if err := k.afterTransit(e, cur.rec, next.rec, c); err != nil {
				return 0, err
			}
		}
	case partnerhub.ActionDelete, partnerhub.ActionRestore:
		if k.table == "" {
			return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.not_deletable")
		}
		if cur == nil || cur.deleted == (c.Action == partnerhub.ActionDelete) {
			return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
		}
		if c.Action == partnerhub.ActionDelete && cur.version != c.Version {
			return 0, &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{c.Version, cur.version}, Current: cur.rec}
		}
		if c.Action == partnerhub.ActionDelete && k.deletable != nil {
			if err := k.deletable(e, key); err != nil {
				return 0, err
			}
		}
		if c.Action == partnerhub.ActionRestore && k.restorable != nil {
			if err := k.restorable(e, cur.rec); err != nil {
				return 0, err
			}
		}
		version = cur.version + 1
		var deletedAt any
		if c.Action == partnerhub.ActionDelete {
			deletedAt = e.now
		}
		q := `UPDATE ` + k.table + ` SET deleted_at = ?, version = ? WHERE ` + k.keyCol + ` = ? AND version = ?`
		args := []any{deletedAt, version, key, cur.version}
		if k.home {
			q += ` AND home_id = ?`
			args = append(args, e.homeID)
		}
		if err := e.mustChangeOne(q, args...); err != nil {
			return 0, err
		}
	default:
		return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}

	after, err := k.load(e, key)
	if err != nil {
		return 0, err
	}
	var afterRec, beforeRec any
	if after != nil && !after.deleted {
		afterRec = after.rec
	}
	if cur != nil && !cur.deleted {
		beforeRec = cur.rec
	}
	// A change to a shared record is in the audit log of every home that
	// uses it, so that each sees who changed what it relies on.
	for _, homeID := range append([]int64{e.homeID}, homeIDs(sharers)...) {
		if err := e.auditIn(homeID, c, key, version, beforeRec, afterRec); err != nil {
			return 0, err
		}
	}
	return version, nil
}

// live refuses a change to a record that is not there or was read at
// another version.
func live[R partnerhub.Record](cur *state[R], key string, version int) error {
	if cur == nil || cur.deleted {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
	}
	if cur.version != version {
		return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{version, cur.version}, Current: cur.rec}
	}
	return nil
}

// write saves a record, turning references that do not resolve into field errors.
func (k *kind[R]) write(e *editTx, rec R, create bool, version int) error {
	fields, err := k.save(e, rec, create, version)
	if err != nil {
		return err
	}
	return fields.Err()
}

// mustChangeOne runs an update that must change exactly one row; none means
// a concurrent writer got there first.
func (e *editTx) mustChangeOne(q string, args ...any) error {
	res, err := e.exec(q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
	}
	return nil
}

// institutionUnused refuses to delete an institution that live partners have as a member.
func institutionUnused(e *editTx, key string) error {
	var n int
	err := e.row(`SELECT count(*) FROM partner_members m JOIN partners p ON p.id = m.partner_id JOIN institutions i ON i.id = m.institution_id
		WHERE i.slug = ? AND p.deleted_at IS NULL`, key).Scan(&n)
	if err == nil && n > 0 {
		return partnerhub.Errorf(partnerhub.EConflict, "error.institution_in_use", key, n)
	}
	return err
}

// unitUnused refuses to delete a unit that active coordinators are granted.
func unitUnused(e *editTx, key string) error {
	var n int
	err := e.row(`SELECT count(*) FROM user_units uu JOIN units u ON u.id = uu.unit_id JOIN users us ON us.id = uu.user_id
		WHERE u.home_id = ? AND u.code = ? AND NOT us.disabled`, e.homeID, key).Scan(&n)
	if err == nil && n > 0 {
		return partnerhub.Errorf(partnerhub.EConflict, "error.unit_in_use", key, n)
	}
	return err
}

// unitMarkFree refuses to restore a unit whose mark a live unit now has:
// marks stay unique among live units.
func unitMarkFree(e *editTx, u *partnerhub.Unit) error {
	var clash string
	err := e.row(`SELECT code FROM units WHERE home_id = ? AND abbr_ja = ? AND code <> ? AND deleted_at IS NULL`, e.homeID, u.Abbr.Ja, u.Code).Scan(&clash)
	if err == nil {
		return partnerhub.Errorf(partnerhub.EConflict, "error.restore_mark_taken", u.Abbr.Ja, clash)
	} else if err != sql.ErrNoRows {
		return err
	}
	return nil
}

func (e *editTx) audit(c partnerhub.Change, key string, version int, before, after any) error {
	return e.auditIn(e.homeID, c, key, version, before, after)
}

// auditIn appends the event to the audit log of a home institution.
func (e *editTx) auditIn(homeID int64, c partnerhub.Change, key string, version int, before, after any) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	var userID any
	actor := "system"
	if c.Actor != nil {
		actor = c.Actor.Email
		if c.Actor.ID != 0 { // the command line acts as an administrator with no account
			userID = c.Actor.ID
		}
	}
	_, err = e.exec(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json, verb, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, homeID, e.now, userID, actor, c.Action, c.Entity, key, version, b, a,
		c.Transition.Verb, c.Transition.Comment)
	return err
}

// resolve turns keys into ids of live records, adding a field error for
// each that does not resolve.
func (e *editTx) resolve(errs partnerhub.FieldErrors, field, table, keyCol string, homeScoped bool, keys []string, fieldKey string) ([]int64, error) {
	ids := make([]int64, 0, len(keys))
	for i, k := range keys {
		id, err := e.id(table, keyCol, k, homeScoped)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add(field+"["+strconv.Itoa(i)+"]", fieldKey, k)
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// replaceLinks rewrites the rows of a link table that belong to owner.
func (e *editTx) replaceLinks(table, ownerCol string, owner int64, otherCol string, ids []int64) error {
	if _, err := e.exec(`DELETE FROM `+table+` WHERE `+ownerCol+` = ?`, owner); err != nil {
		return err
	}
	for i, id := range ids {
		if _, err := e.exec(`INSERT INTO `+table+` (`+ownerCol+`, `+otherCol+`, position) VALUES (?, ?, ?)`, owner, id, i); err != nil {
			return err
		}
	}
	return nil
}

// upsert inserts a row or updates it at the expected version.
func (e *editTx) upsert(create bool, table, keyCol, key string, homeScoped bool, cols []string, vals []any, version int) (int64, error) {
	if create {
		names := append([]string{}, cols...)
		args := append([]any{}, vals...)
		names = append(names, "version")
		args = append(args, version)
		if homeScoped {
			names = append(names, "home_id")
			args = append(args, e.homeID)
		}
		var id int64
		q := `INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + `) RETURNING id`
		err := e.row(q, args...).Scan(&id)
		return id, err
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = ?"
	}
	args := append(append([]any{}, vals...), version, key, version-1)
	q := `UPDATE ` + table + ` SET ` + strings.Join(sets, ", ") + `, version = ? WHERE ` + keyCol + ` = ? AND version = ? AND deleted_at IS NULL`
	if homeScoped {
		q += ` AND home_id = ?`
		args = append(args, e.homeID)
	}
	if err := e.mustChangeOne(q, args...); err != nil {
		return 0, err
	}
	var id int64
	q = `SELECT id FROM ` + table + ` WHERE ` + keyCol + ` = ?`
	args = []any{key}
	if homeScoped {
		q += ` AND home_id = ?`
		args = append(args, e.homeID)
	}
	err := e.row(q, args...).Scan(&id)
	return id, err
}
