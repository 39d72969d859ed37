package store

// The rollups of the mobility figures: deltas summed in memory and
// written once a transaction, and their check and rebuild from the figures.

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// rollupDeltas are changes to the rollups, summed in memory and written
// once, by figureLayout.rollupKey.
type rollupDeltas struct {
	layout                         figureLayout
	partner, unit, programme, home map[uint64]int64
}

func newRollupDeltas(l figureLayout) *rollupDeltas {
	return &rollupDeltas{layout: l, partner: map[uint64]int64{}, unit: map[uint64]int64{}, programme: map[uint64]int64{}, home: map[uint64]int64{}}
}

func (d *rollupDeltas) add(f *figure, delta int64) {
	l := d.layout
	d.partner[l.rollupKey(uint64(f.partner.id), f)] += delta
	d.unit[l.rollupKey(uint64(f.unit.id), f)] += delta // unit.id is 0 for none
	d.programme[l.rollupKey(uint64(f.prog), f)] += delta
	d.home[l.rollupKey(0, f)] += delta
}

// write adds the deltas to the rollups, many rows a statement; the
// statement of a full batch is prepared once a table (an import can have
// tens of thousands of rollup rows, and parsing the statement anew each
// time took most of their time).
func (d *rollupDeltas) write(e *editTx) error {
	// upsert writes the deltas of a table; ref gives the value of its
	// refCol (if any) from a key.
	upsert := func(table, refCol string, ref func(uint64) any, deltas map[uint64]int64) error {
		cols := []string{"home_id", "year", "direction", "category", "total"}
		if refCol != "" {
			cols = slices.Insert(cols, 2, refCol)
		}
		statement := func(n int) string {
			row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
			return e.db.q("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
				" ON CONFLICT (" + strings.Join(cols[:len(cols)-1], ", ") + ") DO UPDATE SET total = " + table + ".total + excluded.total")
		}
		keys := slices.Sorted(maps.Keys(deltas)) // the same order every time: no deadlocks
		keys = slices.DeleteFunc(keys, func(k uint64) bool { return deltas[k] == 0 })
		var full *sql.Stmt
		if len(keys) >= mobilityBatch {
			var err error
			if full, err = e.tx.PrepareContext(e.ctx, statement(mobilityBatch)); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			defer full.Close()
		}
		args := make([]any, 0, mobilityBatch*len(cols))
		for len(keys) > 0 {
			n := min(len(keys), mobilityBatch)
			args = args[:0]
			for _, k := range keys[:n] {
				year, dir, cat, _ := d.layout.split(k & (1<<32 - 1))
				args = append(args, e.homeID, int64(year))
				if refCol != "" {
					args = append(args, ref(k>>32))
				}
				args = append(args, dirArgs[dir], catArgs[cat], deltas[k])
			}
			var err error
			if n == mobilityBatch {
				_, err = full.ExecContext(e.ctx, args...)
			} else {
				_, err = e.tx.ExecContext(e.ctx, statement(n), args...)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			keys = keys[n:]
		}
		return nil
	}
	id := func(v uint64) any { return int64(v) }
	if err := upsert("mobility_by_partner", "partner_id", id, d.partner); err != nil {
		return err
	}
	if err := upsert("mobility_by_unit", "unit_id", id, d.unit); err != nil {
		return err
	}
	if err := upsert("mobility_by_programme", "programme", func(v uint64) any { return progArgs[v] }, d.programme); err != nil {
		return err
	}
	return upsert("mobility_by_home", "", nil, d.home)
}

// rollupSQL recomputes each rollup from the live figures.
var rollupSQL = []struct{ table, cols, query string }{
	{"mobility_by_partner", "home_id, year, partner_id, direction, category, total",
		`SELECT home_id, year, partner_id, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL
		GROUP BY home_id, year, partner_id, direction, category`},
	{"mobility_by_unit", "home_id, year, unit_id, direction, category, total",
		`SELECT home_id, year, COALESCE(unit_id, 0), direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL
		GROUP BY home_id, year, COALESCE(unit_id, 0), direction, category`},
	{"mobility_by_programme", "home_id, year, programme, direction, category, total",
		`SELECT home_id, year, programme, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL
		GROUP BY home_id, year, programme, direction, category`},
	{"mobility_by_home", "home_id, year, direction, category, total",
		`SELECT home_id, year, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL
		GROUP BY home_id, year, direction, category`},
}

// CheckMobilityRollups recomputes the rollups from the figures (a scan of
// every figure) and returns one line for each total that differs from the
// stored one. A total of 0 and no row are the same.
func (db *DB) CheckMobilityRollups(ctx context.Context) ([]string, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshot})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var problems []string
	for _, r := range rollupSQL {
		read := func(q string) (map[string]int64, error) {
			rows, err := tx.QueryContext(ctx, q)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			n := strings.Count(r.cols, ",")
			out := map[string]int64{}
			vals := make([]sql.NullString, n)
			dest := make([]any, n+1)
			for i := range vals {
				dest[i] = &vals[i]
			}
			for rows.Next() {
				var total int64
				dest[n] = &total
				if err := rows.Scan(dest...); err != nil {
					return nil, err
				}
				parts := make([]string, n)
				for i, v := range vals {
					parts[i] = v.String
				}
				if total != 0 {
					out[strings.Join(parts, "|")] = total
				}
			}
			return out, rows.Err()
		}
		want, err := read(r.query)
		if err != nil {
			return nil, err
		}
		have, err := read(`SELECT ` + r.cols + ` FROM ` + r.table)
		if err != nil {
			return nil, err
		}
		for k, w := range want {
			if have[k] != w {
				problems = append(problems, fmt.Sprintf("%s (%s): total %d, the figures sum to %d", r.table, k, have[k], w))
			}
		}
		for k, h := range have {
			if _, ok := want[k]; !ok {
				problems = append(problems, fmt.Sprintf("%s (%s): total %d, no live figures", r.table, k, h))
			}
		}
	}
	slices.Sort(problems)
	return problems, nil
}

// RebuildMobilityRollups recomputes every rollup from the figures, in one
// transaction: the repair for rollups CheckMobilityRollups finds wrong, and
// the quick way to fill them after figures were loaded by other means.
func (db *DB) RebuildMobilityRollups(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		// Writers of figures wait until the rollups are whole again.
		if lock := db.dialect.lockTables([]string{"mobility", "mobility_by_partner", "mobility_by_unit", "mobility_by_programme", "mobility_by_home"}); lock != "" {
			if _, err := tx.ExecContext(ctx, lock); err != nil {
				return err
			}
		}
		for _, r := range rollupSQL {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+r.table); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+r.table+` (`+r.cols+`) `+r.query); err != nil {
				return fmt.Errorf("%s: %w", r.table, err)
			}
		}
		return nil
	})
}
