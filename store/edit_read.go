package store

// Reads of the records as stored, of the bin and of the audit log: from
// the read pool, never behind a write.

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"partnerhub"
)

// Record returns one record as stored, with its version, for an edit form
// or an API read of a record that may be a draft or in the bin.
func (db *DB) Record(ctx context.Context, home string, entity partnerhub.Entity, key string) (rec partnerhub.Record, deleted bool, err error) {
	k, ok := kinds[entity]
	if !ok {
		return nil, false, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		if rec, deleted, err = k.record(e, key); err != nil {
			return err
		}
		if rec == nil {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
		}
		return nil
	})
	return rec, deleted, wrap("read "+string(entity), err)
}

// Bin lists the deleted records of a home institution, newest first.
func (db *DB) Bin(ctx context.Context, home string) ([]partnerhub.BinItem, error) {
	var out []partnerhub.BinItem
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		for _, q := range []struct {
			entity partnerhub.Entity
			sql    string
		}{
			{partnerhub.EntityPartner, `SELECT slug, name_ja, name_en, deleted_at, version FROM partners WHERE home_id = ? AND deleted_at IS NOT NULL`},
			{partnerhub.EntityActivity, `SELECT slug, title_ja, title_en, deleted_at, version FROM activities WHERE home_id = ? AND deleted_at IS NOT NULL`},
			{partnerhub.EntityAgreement, `SELECT slug, title_ja, title_en, deleted_at, version FROM agreements WHERE home_id = ? AND deleted_at IS NOT NULL`},
			{partnerhub.EntityUnit, `SELECT code, name_ja, name_en, deleted_at, version FROM units WHERE home_id = ? AND deleted_at IS NOT NULL`},
			// The institution registry is shared: list the deleted ones this home's audit log shows it deleting.
			{partnerhub.EntityInstitution, `SELECT slug, name_ja, name_en, deleted_at, version FROM institutions WHERE deleted_at IS NOT NULL
				AND slug IN (SELECT entity_key FROM audit_events WHERE home_id = ? AND entity = 'institution')`},
		} {
			rows, err := tx.QueryContext(ctx, db.q(q.sql), e.homeID)
			if err != nil {
				return err
			}
			for rows.Next() {
				it := partnerhub.BinItem{Entity: q.entity}
				if err := rows.Scan(&it.Key, &it.Name.Ja, &it.Name.En, &it.DeletedAt, &it.Version); err != nil {
					rows.Close()
					return err
				}
				out = append(out, it)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list bin", err)
	}
	slices.SortFunc(out, func(a, b partnerhub.BinItem) int { return b.DeletedAt.Compare(a.DeletedAt) })
	return out, nil
}

// Audit lists audit events of a home institution, newest first.
func (db *DB) Audit(ctx context.Context, home string, f partnerhub.AuditFilter) ([]partnerhub.AuditEvent, error) {
	var out []partnerhub.AuditEvent
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		// The joint review's own records (reviews, conflicts, assignments,
		// the discussion) stay out of the programme's log: an administrator
		// may apply to a fund or be conflicted with a proposal, and must not
		// learn there who reviewed it, or what they wrote. They are kept,
		// and exported, like every write.
		q := `SELECT id, at, COALESCE(user_id, 0), actor, action, entity, entity_key, version, before_json, after_json, verb, comment
			FROM audit_events WHERE home_id = ? AND entity NOT IN (?, ?, ?, ?)`
		args := []any{e.homeID, partnerhub.EntityReview, partnerhub.EntityConflict, partnerhub.EntityAssignment, partnerhub.EntityComment}
		add := func(cond string, v any) {
			q += " AND " + cond
			args = append(args, v)
		}
		if f.Entity != "" {
			add("entity = ?", f.Entity)
		}
		if f.Key != "" {
			add("entity_key = ?", f.Key)
		}
		if f.Actor != "" {
			add("actor = ?", f.Actor)
		}
		if f.Action != "" {
			add("action = ?", f.Action)
		}
		if !f.Since.IsZero() {
			add("at >= ?", f.Since.UTC())
		}
		if !f.Until.IsZero() {
			add("at < ?", f.Until.UTC())
		}
		if f.Before > 0 {
			add("id < ?", f.Before)
		}
		limit := f.Limit
		if limit <= 0 || limit > 1000 {
			limit = 200
		}
		q += ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit)
		rows, err := tx.QueryContext(ctx, db.q(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev partnerhub.AuditEvent
			var before, after sql.NullString
			if err := rows.Scan(&ev.ID, &ev.At, &ev.UserID, &ev.Actor, &ev.Action, &ev.Entity, &ev.Key, &ev.Version, &before, &after, &ev.Verb, &ev.Comment); err != nil {
				return err
			}
			ev.At = ev.At.UTC()
			if before.Valid {
				ev.Before = []byte(before.String)
			}
			if after.Valid {
				ev.After = []byte(after.String)
			}
			out = append(out, ev)
		}
		return rows.Err()
	})
	return out, wrap("list audit events", err)
}

// DataVersion changes whenever a home institution's data does: app nodes
// poll it to know when to reload their in-memory copy.
func (db *DB) DataVersion(ctx context.Context, home string) (int64, error) {
	var v sql.NullInt64
	err := db.read.QueryRowContext(ctx, db.q(`SELECT max(a.id) FROM audit_events a JOIN home_institutions h ON h.id = a.home_id WHERE h.slug = ?`), home).Scan(&v)
	return v.Int64, wrap("data version", err)
}

// DB is the application's Editor.
var _ partnerhub.Editor = (*DB)(nil)
