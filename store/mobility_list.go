package store

// ListMobility, and the filters a list and a statistics query share.

import (
	"context"
	"database/sql"
	"slices"
	"strconv"

	"partnerhub"
)

// ListMobility lists the live figures of a home institution (the deleted
// ones with f.InBin) in the order of their key: partner (in the order they
// were added), member institution, unit, year, direction, category,
// programme; with the number of figures the filter selects. limit is 100
// when not positive, and at most 1,000.
func (db *DB) ListMobility(ctx context.Context, home string, f MobilityFilter, limit, offset int) ([]partnerhub.Mobility, int64, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	offset = max(offset, 0)
	errs := partnerhub.FieldErrors{}
	checkMobilityFilters(errs, f.Direction, f.Category, f.Programme, f.FromYear, f.ToYear)
	if err := errs.Err(); err != nil {
		return nil, 0, err
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	homeID, err := db.homeID(ctx, tx, home)
	if err != nil {
		return nil, 0, err
	}
	where := ` WHERE m.home_id = ?`
	args := []any{homeID}
	add := func(cond string, v ...any) {
		where += " AND " + cond
		args = append(args, v...)
	}
	if f.InBin {
		where += ` AND m.deleted_at IS NOT NULL`
	} else {
		where += ` AND m.deleted_at IS NULL`
	}
	if f.Partner != "" {
		var id int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM partners WHERE home_id = ? AND slug = ?`), homeID, f.Partner).Scan(&id); err == sql.ErrNoRows {
			errs.Add("partner", "unknown_partner", f.Partner)
		} else if err != nil {
			return nil, 0, err
		}
		add("m.partner_id = ?", id)
	}
	if f.Unit != "" {
		var id int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM units WHERE home_id = ? AND code = ?`), homeID, f.Unit).Scan(&id); err == sql.ErrNoRows {
			errs.Add("unit", "unknown_unit", f.Unit)
		} else if err != nil {
			return nil, 0, err
		}
		add("m.unit_id = ?", id)
	}
	if err := errs.Err(); err != nil {
		return nil, 0, err
	}
	addMobilityFilters(add, "m", f.Direction, f.Category, f.Programme, f.FromYear, f.ToYear)
	var total int64
	if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM mobility m`+where), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT p.slug, COALESCE(i.slug, ''), COALESCE(u.code, ''), m.year, m.direction, m.category, m.programme, m.count
		FROM mobility m JOIN partners p ON p.id = m.partner_id LEFT JOIN institutions i ON i.id = m.institution_id LEFT JOIN units u ON u.id = m.unit_id`+
		where+` ORDER BY m.home_id, m.partner_id, COALESCE(m.institution_id, 0), COALESCE(m.unit_id, 0), m.year, m.direction, m.category, m.programme
		LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []partnerhub.Mobility{}
	for rows.Next() {
		var m partnerhub.Mobility
		if err := rows.Scan(&m.Partner, &m.Institution, &m.Unit, &m.Year, &m.Direction, &m.Category, &m.Programme, &m.Count); err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// addMobilityFilters adds to a query the conditions of the filters a list
// and a statistics query share (checked by checkMobilityFilters), on the
// columns of table alias t.
func addMobilityFilters(add func(cond string, v ...any), t string, dir partnerhub.Direction, cat partnerhub.Category,
	prog partnerhub.MobilityProgramme, from, to int) {
	if dir != "" {
		add(t+".direction = ?", string(dir))
	}
	if cat != "" {
		add(t+".category = ?", string(cat))
	}
	if prog != "" {
		add(t+".programme = ?", string(prog))
	}
	if from != 0 {
		add(t+".year >= ?", from)
	}
	if to != 0 {
		add(t+".year <= ?", to)
	}
}

// checkMobilityFilters checks the filters a list and a statistics query share.
func checkMobilityFilters(errs partnerhub.FieldErrors, dir partnerhub.Direction, cat partnerhub.Category, prog partnerhub.MobilityProgramme, from, to int) {
	enum := func(field, v string, sorted []string, message string) {
		if _, found := slices.BinarySearch(sorted, v); v != "" && !found {
			errs.Add(field, "one_of", message)
		}
	}
	enum("direction", string(dir), directionNames, directionList)
	enum("category", string(cat), categoryNames, categoryList)
	enum("programme", string(prog), programmeNames, programmeList)
	for field, y := range map[string]int{"from_year": from, "to_year": to} {
		if y != 0 && (y < partnerhub.MinAcademicYear || y > partnerhub.MaxAcademicYear) {
			errs.Add(field, "out_of_range", partnerhub.MinAcademicYear, partnerhub.MaxAcademicYear)
		}
	}
	if from != 0 && to != 0 && to < from {
		errs.Add("to_year", "before_start")
	}
}
