package store

// One figure at a time: PutMobility, DeleteMobility, RestoreMobility.

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
)

// storedFigure is a figure as stored.
type storedFigure struct {
	id      int64
	count   int64
	version int
	deleted bool
}

// mobilityTx runs fn in a write transaction of a home institution that holds
// the home's mobility lock, with the references resolved, when actor
// belongs to the home.
func (db *DB) mobilityTx(ctx context.Context, actor *partnerhub.User, home string, fn func(e *editTx, refs *mobilityRefs) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		if err := partnerhub.AuthorizeHome(actor, home); err != nil {
			return err
		}
		if err := e.lockMobility(); err != nil {
			return err
		}
		refs, err := e.mobilityRefs()
		if err != nil {
			return err
		}
		return fn(e, refs)
	})
}

// team returns the unit codes of a partner's team in the current phase,
// as loaded with the references (a failed read failed mobilityRefs).
func (refs *mobilityRefs) team(partner string) []string { return refs.teams[partner] }

// resolveOne resolves a single figure, as field errors.
func (refs *mobilityRefs) resolveOne(m *partnerhub.Mobility) (figure, error) {
	var f figure
	errs := partnerhub.FieldErrors{}
	refs.resolve(m, &f, func(field, key string, args ...any) { errs.Add(field, key, args...) })
	return f, errs.Err()
}

func (e *editTx) storedFigure(f *figure) (*storedFigure, error) {
	var s storedFigure
	var deleted sql.NullTime
	err := e.row(`SELECT id, count, version, deleted_at FROM mobility
		WHERE home_id = ? AND partner_id = ? AND COALESCE(institution_id, 0) = ? AND COALESCE(unit_id, 0) = ?
		AND year = ? AND direction = ? AND category = ? AND programme = ?`,
		e.homeID, f.partner.id, f.inst.id, f.unit.id, f.year, f.direction(), f.category(), f.programme()).
		Scan(&s.id, &s.count, &s.version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	s.deleted = deleted.Valid
	return &s, err
}

// bumpRollups adds delta to the rollups of a figure.
func (e *editTx) bumpRollups(f *figure, delta int64) error {
	if delta == 0 {
		return nil
	}
	d := newRollupDeltas(layout)
	d.add(f, delta)
	return d.write(e)
}

func (e *editTx) auditFigure(actor *partnerhub.User, action partnerhub.Action, m partnerhub.Mobility, version int, before, after *int64) error {
	rec := func(count *int64) any {
		if count == nil {
			return nil
		}
		r := m
		r.Count = int(*count)
		return &r
	}
	return e.audit(partnerhub.Change{Actor: actor, Action: action, Entity: partnerhub.EntityMobility}, m.Key(), version, rec(before), rec(after))
}

// PutMobility records one figure: it creates it, or replaces the count of
// the live figure with the same key (a figure in the bin is a conflict:
// restore it first). The rollups change by the difference and the audit log
// keeps the figure before and after. Putting the count a figure has already
// changes nothing.
func (db *DB) PutMobility(ctx context.Context, actor *partnerhub.User, home string, m partnerhub.Mobility) error {
	return db.mobilityTx(ctx, actor, home, func(e *editTx, refs *mobilityRefs) error {
		if err := partnerhub.AuthorizeMobility(actor, &m, refs.team); err != nil {
			return err
		}
		if err := m.Validate(); err != nil {
			return err
		}
		f, err := refs.resolveOne(&m)
		if err != nil {
			return err
		}
		cur, err := e.storedFigure(&f)
		if err != nil {
			return err
		}
		switch {
		case cur == nil:
			if _, err := e.exec(`INSERT INTO mobility (home_id, partner_id, institution_id, unit_id, year, direction, category, programme, count, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.homeID, f.partner.id, f.inst.nullID(), f.unit.nullID(), f.year,
				f.direction(), f.category(), f.programme(), f.count, e.now); err != nil {
				return err
			}
			if err := e.bumpRollups(&f, f.count); err != nil {
				return err
			}
			return e.auditFigure(actor, partnerhub.ActionCreate, m, 1, nil, &f.count)
		case cur.deleted:
			stored := m
			stored.Count = int(cur.count)
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.exists_in_bin", Args: []any{m.Key()}, Current: &stored}
		case cur.count == f.count:
			return nil
		}
		if err := e.mustChangeOne(`UPDATE mobility SET count = ?, version = ? WHERE id = ? AND version = ?`,
			f.count, cur.version+1, cur.id, cur.version); err != nil {
			return err
		}
		if err := e.bumpRollups(&f, f.count-cur.count); err != nil {
			return err
		}
		return e.auditFigure(actor, partnerhub.ActionUpdate, m, cur.version+1, &cur.count, &f.count)
	})
}

// DeleteMobility moves the live figure with m's key (m.Count is ignored) to
// the bin: it stays stored, leaves the rollups, and RestoreMobility brings
// it back.
func (db *DB) DeleteMobility(ctx context.Context, actor *partnerhub.User, home string, m partnerhub.Mobility) error {
	return db.binFigure(ctx, actor, home, m, partnerhub.ActionDelete)
}

// RestoreMobility brings the figure with m's key (m.Count is ignored) back
// from the bin, with the count it had.
func (db *DB) RestoreMobility(ctx context.Context, actor *partnerhub.User, home string, m partnerhub.Mobility) error {
	return db.binFigure(ctx, actor, home, m, partnerhub.ActionRestore)
}

func (db *DB) binFigure(ctx context.Context, actor *partnerhub.User, home string, m partnerhub.Mobility, action partnerhub.Action) error {
	return db.mobilityTx(ctx, actor, home, func(e *editTx, refs *mobilityRefs) error {
		if err := partnerhub.AuthorizeMobility(actor, &m, refs.team); err != nil {
			return err
		}
		m.Count = 0
		if err := m.Validate(); err != nil {
			return err
		}
		f, err := refs.resolveOne(&m)
		if err != nil {
			return err
		}
		cur, err := e.storedFigure(&f)
		if err != nil {
			return err
		}
		del := action == partnerhub.ActionDelete
		if cur == nil || cur.deleted == del {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", m.Key())
		}
		var deletedAt any
		delta := cur.count
		if del {
			deletedAt, delta = e.now, -cur.count
		}
		if err := e.mustChangeOne(`UPDATE mobility SET deleted_at = ?, version = ? WHERE id = ? AND version = ?`,
			deletedAt, cur.version+1, cur.id, cur.version); err != nil {
			return err
		}
		f.count = cur.count
		if err := e.bumpRollups(&f, delta); err != nil {
			return err
		}
		m.Count = int(cur.count)
		if del {
			return e.auditFigure(actor, action, m, cur.version+1, &cur.count, nil)
		}
		return e.auditFigure(actor, action, m, cur.version+1, nil, &cur.count)
	})
}
