package store

// ImportMobility's writing on PostgreSQL: the figures, checked and sorted
// in memory as on SQLite, are streamed with COPY into a temporary table;
// a few set-based statements then find those stored already (the bin
// too), insert the rest and add the rollups. Row by row, the INSERTs of
// rowWriter ran at about 23,000 figures a second, each batch a round trip
// and a statement to plan; COPY and INSERT … SELECT are not bound by
// either.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"partnerhub"
)

// copyImportTx is importMobilityTx on PostgreSQL: the transaction runs on a
// connection of its own, so that COPY (pgx's, below database/sql) goes
// through the same connection, in the same transaction.
func copyImportTx(ctx context.Context, db *DB, fn func(*sql.Tx, figureWriter) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	// A connection whose COPY was cut off by ctx is closed by pgx; the pool
	// throws it away.
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	return commit(tx, err, func(tx *sql.Tx) error { return fn(tx, &copyWriter{conn: conn}) })
}

// copyWriter is the figureWriter of PostgreSQL.
type copyWriter struct {
	conn         *sql.Conn // the transaction's
	keyChecksOff bool      // skipKeyChecks turned them off
	rollupTable  bool      // mobility_import_rollup is made
}

// copy streams rows into table with COPY, in the transaction.
func (w *copyWriter) copy(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) error {
	return w.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, not %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		return err
	})
}

// figures copies the figures straight into mobility, in a savepoint, when
// no problem was found so far: an import that is accepted is written by
// one COPY. If the COPY meets a figure stored already (a unique
// violation) or one that repeats an earlier row, the savepoint is rolled
// back and findProblems finds them all, as it does for an import refused
// while reading.
func (w *copyWriter) figures(im *mobilityImport) error {
	if im.res.ProblemCount == 0 {
		done, err := w.copyFigures(im)
		if err != nil || done {
			return err
		}
	}
	return w.findProblems(im)
}

// The columns copyFigures writes, in figureRows' order.
var copiedColumns = []string{"home_id", "created_at", "partner_id", "institution_id", "unit_id", "year", "direction", "category", "programme", "count"}

// copyFigures writes the figures with COPY. It reports false, having
// written nothing, when a figure repeats an earlier row or a stored one.
func (w *copyWriter) copyFigures(im *mobilityImport) (bool, error) {
	e := im.e
	if _, err := e.exec(`SAVEPOINT figures`); err != nil {
		return false, err
	}
	if err := w.skipKeyChecks(im); err != nil {
		return false, err
	}
	src := newFigureRows(im)
	err := w.copy(e.ctx, "mobility", copiedColumns, src)
	if err == nil && im.res.ProblemCount == 0 {
		im.chunks = nil
		return true, nil
	}
	if err != nil && !e.db.dialect.isUnique(err) && im.res.ProblemCount == 0 {
		return false, err
	}
	if _, err := e.exec(`ROLLBACK TO SAVEPOINT figures`); err != nil {
		return false, err
	}
	// The rollback turned the checks on again; findProblems counts anew.
	w.keyChecksOff = false
	im.res.ProblemCount, im.res.Problems, im.cutoff = 0, nil, math.MaxInt
	return false, nil
}

// The temporary table of an import's figures, to find those stored
// already: the ids of the records each refers to (0 for none, which the
// unique index's COALESCE reads alike), figureLayout.values, and the row.
// Dropped at the end of the transaction, committed or not.
const copyFiguresTable = `CREATE TEMPORARY TABLE mobility_import (partner_id bigint NOT NULL, institution_id bigint NOT NULL,
	unit_id bigint NOT NULL, v bigint NOT NULL, row integer NOT NULL) ON COMMIT DROP`

// findProblems counts and lists the figures that repeat an earlier row
// (found in memory, as they are copied) or a stored figure (found by a
// join with the figures copied into a temporary table). The import is
// refused: nothing is written.
func (w *copyWriter) findProblems(im *mobilityImport) error {
	e := im.e
	if _, err := e.exec(copyFiguresTable); err != nil {
		return err
	}
	if err := w.copy(e.ctx, "mobility_import", []string{"partner_id", "institution_id", "unit_id", "v", "row"}, newFigureKeys(im)); err != nil {
		return err
	}
	im.chunks = nil
	if err := w.stored(im); err != nil {
		return err
	}
	if im.res.ProblemCount == 0 {
		// The COPY met a stored figure that is gone now: only a writer that
		// does not take the mobility lock could do that.
		return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
	}
	return nil
}

// stored counts the figures of the import stored already, live or in the
// bin, and lists the first of them by row.
func (w *copyWriter) stored(im *mobilityImport) error {
	e := im.e
	l := layout
	col := func(shift, width uint) string { return fmt.Sprintf("(t.v >> %d & %d)", shift, 1<<width-1) }
	// The figure's key, taken apart from v as unpackValuesSQL does, so
	// that the join compares the columns as they are stored.
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT t.row, m.deleted_at IS NOT NULL, count(*) OVER ()
		FROM mobility_import t JOIN mobility m ON m.home_id = ? AND m.partner_id = t.partner_id
		AND COALESCE(m.institution_id, 0) = t.institution_id AND COALESCE(m.unit_id, 0) = t.unit_id
		AND m.year = `+fmt.Sprintf("(t.v >> %d)", countBits+l.enumBits())+`
		AND m.direction = `+enumSQL(col(countBits+l.catBits+l.progBits, l.dirBits), directionNames)+`
		AND m.category = `+enumSQL(col(countBits+l.progBits, l.catBits), categoryNames)+`
		AND m.programme = `+enumSQL(col(countBits, l.progBits), programmeNames)+`
		ORDER BY t.row LIMIT ?`), e.homeID, maxMobilityProblems)
	if err != nil {
		return err
	}
	defer rows.Close()
	first := true
	for rows.Next() {
		var row, total int
		var deleted bool
		if err := rows.Scan(&row, &deleted, &total); err != nil {
			return err
		}
		if first {
			first = false
			im.res.ProblemCount += total
			im.trimProblems()
		}
		key := "figure_exists"
		if deleted {
			key = "figure_in_bin"
		}
		im.note(row, "", key)
	}
	return rows.Err()
}

// skipKeyChecks turns off, until the rollups are written, the checks of
// the foreign keys of the figures and the rollups, when the database lets
// this role do so: they run a query a row and a key (four a figure), and
// took four fifths of the time of writing the figures. As in SQLite's
// bulkTx, the import has resolved every reference itself against live
// records, in this transaction; what the checks would add is the lock
// that keeps each record referred to from being deleted until the
// transaction ends, and that is taken here, once a record rather than
// once a figure.
//
// The checks are triggers: session_replication_role = replica turns them
// off, and with them every other trigger, so this is done only while the
// tables written have none but the foreign keys' own. Setting it takes a
// superuser, or from PostgreSQL 15 a role granted it
// (GRANT SET ON PARAMETER session_replication_role TO …); otherwise the
// checks stay on and the import is slower, not different.
func (w *copyWriter) skipKeyChecks(im *mobilityImport) error {
	e := im.e
	var others bool
	if err := e.row(`SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN
		('mobility'::regclass, 'mobility_by_partner'::regclass, 'mobility_by_unit'::regclass, 'mobility_by_programme'::regclass,
		'mobility_by_home'::regclass))`).Scan(&others); err != nil || others {
		return err
	}
	if _, err := e.exec(`SAVEPOINT key_checks`); err != nil {
		return err
	}
	if _, err := e.exec(`SET LOCAL session_replication_role = replica`); err != nil {
		// Not allowed: the savepoint takes the failed SET back.
		_, err := e.exec(`ROLLBACK TO SAVEPOINT key_checks`)
		return err
	}
	w.keyChecksOff = true
	partners, insts, units := im.referred()
	for _, k := range []struct {
		table string
		ids   []int64
	}{
		{"home_institutions", []int64{e.homeID}},
		{"partners", partners},
		{"institutions", insts},
		{"units", units},
	} {
		var locked int
		if err := e.row(`SELECT count(*) FROM (SELECT 1 FROM `+k.table+` WHERE id = ANY(?) FOR KEY SHARE) AS l`, k.ids).Scan(&locked); err != nil {
			return err
		}
		if locked != len(k.ids) {
			// A record the rows were checked against is gone since.
			return partnerhub.Errorf(partnerhub.EConflict, "error.import_changed")
		}
	}
	return nil
}

// referred returns the ids of the partners, institutions and units the
// figures of the import refer to.
func (im *mobilityImport) referred() (partners, insts, units []int64) {
	r := im.refs
	p, i, u := make([]bool, len(r.partnerIDs)), make([]bool, len(r.instIDs)), make([]bool, len(r.unitIDs))
	for _, c := range im.chunks {
		for j := range c {
			p[c[j].hi>>32], i[uint32(c[j].hi)], u[c[j].lo>>32] = true, true, true
		}
	}
	ids := func(marks []bool, ids []int64) []int64 {
		out := []int64{}
		for n, m := range marks {
			if m && n > 0 { // 0: none
				out = append(out, ids[n])
			}
		}
		return out
	}
	return ids(p, r.partnerIDs), ids(i, r.instIDs), ids(u, r.unitIDs)
}

// keyChecksOn turns the checks skipKeyChecks turned off on again.
func (w *copyWriter) keyChecksOn(e *editTx) error {
	if !w.keyChecksOff {
		return nil
	}
	w.keyChecksOff = false
	_, err := e.exec(`SET LOCAL session_replication_role = DEFAULT`)
	return err
}

// boxedIDs boxes the ids of records by number once, nil for number 0
// (none): filling COPY's values then allocates nothing for them.
func boxedIDs(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids[1:] {
		out[i+1] = id
	}
	return out
}

// figureRows gives COPY the rows of mobility, in the unique index's
// order. It stops at the first figure that repeats an earlier row
// (uniqueFigures refuses it): the import is refused then.
type figureRows struct {
	im                     *mobilityImport
	figs                   *uniqueFigures
	f                      figure
	vals                   []any
	partners, insts, units []any
	years                  []any
}

func newFigureRows(im *mobilityImport) *figureRows {
	r := &figureRows{im: im, figs: im.unique(), vals: make([]any, len(copiedColumns)),
		partners: boxedIDs(im.refs.partnerIDs), insts: boxedIDs(im.refs.instIDs), units: boxedIDs(im.refs.unitIDs)}
	for y := partnerhub.MinAcademicYear; y <= partnerhub.MaxAcademicYear; y++ {
		r.years = append(r.years, int32(y))
	}
	r.vals[0], r.vals[1] = im.e.homeID, im.e.now
	return r
}

func (r *figureRows) Next() bool {
	p := r.figs.next()
	if p == nil || r.im.res.ProblemCount > 0 {
		return false
	}
	f := &r.f
	r.im.refs.unpack(layout, p, f)
	v := r.vals
	v[2], v[3], v[4] = r.partners[f.partner.n], r.insts[f.inst.n], r.units[f.unit.n]
	v[5], v[6], v[7], v[8], v[9] = r.years[f.year-partnerhub.MinAcademicYear], dirArgs[f.dir], catArgs[f.cat], progArgs[f.prog], int32(f.count)
	return true
}

func (r *figureRows) Values() ([]any, error) { return r.vals, nil }

// Err stops the COPY when a figure repeats an earlier row.
func (r *figureRows) Err() error {
	if r.im.res.ProblemCount > 0 {
		return errRepeatedFigure
	}
	return nil
}

var errRepeatedFigure = errors.New("store: a figure repeats an earlier row")

// figureKeys gives COPY the keys of the figures, in the unique index's
// order, each key once (uniqueFigures refuses the repeats).
type figureKeys struct {
	refs                   *mobilityRefs
	figs                   *uniqueFigures
	f                      figure
	vals                   [5]any
	partners, insts, units []int64
}

func newFigureKeys(im *mobilityImport) *figureKeys {
	return &figureKeys{refs: im.refs, figs: im.unique(), partners: im.refs.partnerIDs, insts: im.refs.instIDs, units: im.refs.unitIDs}
}

func (s *figureKeys) Next() bool {
	p := s.figs.next()
	if p == nil {
		return false
	}
	f := &s.f
	s.refs.unpack(layout, p, f)
	s.vals = [5]any{s.partners[f.partner.n], s.insts[f.inst.n], s.units[f.unit.n], layout.values(f), p.row}
	return true
}

func (s *figureKeys) Values() ([]any, error) { return s.vals[:], nil }
func (s *figureKeys) Err() error             { return nil }

// rollups adds the import's deltas to the rollups. The rollup rows the
// home has already are read first (the import holds the home's mobility
// lock, which every writer of a home's rollup rows takes, and a rebuild
// locks the tables: none appears meanwhile; should one, COPY fails on the
// key and the import with it). The deltas of new rows go by COPY straight
// into each rollup, in its key's order; those of rows that exist, by COPY
// into a temporary table, then one UPDATE a rollup. An INSERT … ON
// CONFLICT DO UPDATE of every delta, which this replaced, made a
// speculative insertion a row: 52,000 rows for the bench file, the most
// expensive rows of the import after the figures.
func (w *copyWriter) rollups(im *mobilityImport) error {
	e := im.e
	d := im.deltas
	id := func(v uint64) any { return int64(v) }
	for i, r := range []struct {
		table, refCol, ref string // ref: the temporary table's ref as refCol
		refOf              func(uint64) any
		deltas             map[uint64]int64
	}{
		{"mobility_by_partner", "partner_id", "t.ref", id, d.partner},
		{"mobility_by_unit", "unit_id", "t.ref", id, d.unit},
		{"mobility_by_programme", "programme", enumSQL("t.ref", programmeNames), func(v uint64) any { return progArgs[v] }, d.programme},
		{"mobility_by_home", "", "", nil, d.home},
	} {
		have, err := w.rollupKeys(e, r.table, r.refCol)
		if err != nil {
			return err
		}
		keys := make([]uint64, 0, len(r.deltas))
		for k, delta := range r.deltas {
			if delta != 0 {
				keys = append(keys, k)
			}
		}
		// The primary key's order: year, ref, direction, category.
		slices.SortFunc(keys, func(a, b uint64) int {
			return cmp.Or(cmp.Compare(a&(1<<32-1)>>layout.enumBits(), b&(1<<32-1)>>layout.enumBits()),
				cmp.Compare(a>>32, b>>32), cmp.Compare(a&(1<<layout.enumBits()-1), b&(1<<layout.enumBits()-1)))
		})
		cols := []string{"home_id", "year", "direction", "category", "total"}
		if r.refCol != "" {
			cols = slices.Insert(cols, 2, r.refCol)
		}
		var rows, updates [][]any
		for _, k := range keys {
			year, dir, cat, _ := layout.split(k & (1<<32 - 1))
			if _, ok := have[k]; ok {
				updates = append(updates, []any{int16(i), int64(k >> 32), int32(year), dirArgs[dir], catArgs[cat], r.deltas[k]})
				continue
			}
			row := []any{e.homeID, int32(year)}
			if r.refCol != "" {
				row = append(row, r.refOf(k>>32))
			}
			rows = append(rows, append(row, dirArgs[dir], catArgs[cat], r.deltas[k]))
		}
		if len(rows) > 0 {
			if err := w.copy(e.ctx, r.table, cols, pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("%s: %w", r.table, err)
			}
		}
		if len(updates) > 0 {
			if err := w.updateRollup(e, i, r.table, r.refCol, r.ref, updates); err != nil {
				return err
			}
		}
	}
	return w.keyChecksOn(e)
}

// rollupKeys returns the keys (figureLayout.rollupKey) of the rows a
// rollup has for the home.
func (w *copyWriter) rollupKeys(e *editTx, table, refCol string) (map[uint64]struct{}, error) {
	ref := "0"
	if refCol != "" {
		ref = refCol
	}
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT year, `+ref+`, direction, category FROM `+table+` WHERE home_id = ?`), e.homeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[uint64]struct{}{}
	for rows.Next() {
		var year int
		var refText, dir, cat string
		if err := rows.Scan(&year, &refText, &dir, &cat); err != nil {
			return nil, err
		}
		var n uint64
		if refCol == "programme" {
			i, _ := slices.BinarySearch(programmeNames, refText)
			n = uint64(i)
		} else if n, err = strconv.ParseUint(refText, 10, 64); err != nil {
			return nil, err
		}
		di, _ := slices.BinarySearch(directionNames, dir)
		ci, _ := slices.BinarySearch(categoryNames, cat)
		have[n<<32|layout.low(year, uint8(di), uint8(ci), 0)] = struct{}{}
	}
	return have, rows.Err()
}

// updateRollup adds to rollup i's existing rows their deltas, updates
// (rollup, ref, year, direction, category, delta): copied into a
// temporary table (made once), then one UPDATE.
func (w *copyWriter) updateRollup(e *editTx, i int, table, refCol, ref string, updates [][]any) error {
	if !w.rollupTable {
		if _, err := e.exec(`CREATE TEMPORARY TABLE mobility_import_rollup (rollup smallint NOT NULL, ref bigint NOT NULL,
			year integer NOT NULL, direction text NOT NULL, category text NOT NULL, total bigint NOT NULL) ON COMMIT DROP`); err != nil {
			return err
		}
		w.rollupTable = true
	}
	if err := w.copy(e.ctx, "mobility_import_rollup", []string{"rollup", "ref", "year", "direction", "category", "total"},
		pgx.CopyFromRows(updates)); err != nil {
		return err
	}
	match := ""
	if refCol != "" {
		match = ` AND r.` + refCol + ` = ` + ref
	}
	if _, err := e.exec(`UPDATE `+table+` AS r SET total = r.total + t.total FROM mobility_import_rollup AS t
		WHERE t.rollup = ? AND r.home_id = ? AND r.year = t.year`+match+` AND r.direction = t.direction AND r.category = t.category`,
		i, e.homeID); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}
