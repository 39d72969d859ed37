package store

// ImportMobility: many figures at once, checked whole, then written in the
// unique index's order.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// ImportMobility adds the figures of rows (each with the row number the
// caller reports problems by) to a home institution, in one transaction. It
// reads rows to the end, then writes. When rowsFailed reports true after
// reading (the caller found problems of its own), or the store refused any
// figure, it writes nothing and returns an EInvalid "error.import_rejected"
// error whose argument is the number of problems the store found; the
// result lists the first of them by row. The store refuses a figure that
// repeats the key of an earlier row or of a figure already stored (in the
// bin too), refers to a partner, institution (a member of the partner) or
// unit that is not a live record, has a value out of range, or that the
// actor may not record (partnerhub.AuthorizeMobility, with the teams of the
// current phase).
//
// Rows are read and checked before the write transaction begins, holding
// no connection: the records they refer to are loaded first in a short
// read-only transaction. However slow the file is to read (a large upload,
// a workbook to unzip), SQLite's one writer stays free for sign-ins and
// edits; it is taken only to write. If the partners, institutions, units
// or teams the rows were checked against changed meanwhile, nothing is
// written and the error is EConflict "error.import_changed".
//
// progress, when not nil, is called with the number of rows read, every
// 10,000 rows and at the end of reading; writing follows. Cancelling ctx
// stops the import and leaves nothing. One audit event records the import:
// entity "mobility", action "create", key "import", after {"rows": n}.
//
// Figures are held in memory, 24 bytes each, between reading and writing:
// sorted, duplicates are neighbours, and they go into the unique index in
// its own order, several times faster than in the file's.
func (db *DB) ImportMobility(ctx context.Context, actor *partnerhub.User, home string, rows iter.Seq2[int, partnerhub.Mobility],
	rowsFailed func() bool, progress func(rows int64)) (ImportResult, error) {
	var res ImportResult
	if err := mayRecordMobility(actor); err != nil {
		return res, err
	}
	var checked editTx // the home and phase the rows are checked for
	var refs *mobilityRefs
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx}
		if err := e.home(home); err != nil {
			return err
		}
		if err := partnerhub.AuthorizeHome(actor, home); err != nil {
			return err
		}
		var err error
		refs, err = e.mobilityRefs()
		checked.homeID, checked.phase = e.homeID, e.phase
		return err
	})
	if err != nil {
		return res, err
	}
	im := &mobilityImport{ctx: ctx, actor: actor, res: &res, refs: refs, deltas: newRollupDeltas(layout), cutoff: math.MaxInt}
	im.read(rows, progress)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	im.sortLast() // the writer waits for no sorting it need not
	err = db.dialect.importMobilityTx(ctx, db, func(tx *sql.Tx, w figureWriter) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		if err := e.lockMobility(); err != nil {
			return err
		}
		now, err := e.mobilityRefs()
		if err != nil {
			return err
		}
		if e.homeID != checked.homeID || e.phase != checked.phase || !refs.equal(now) {
			return partnerhub.Errorf(partnerhub.EConflict, "error.import_changed")
		}
		im.e = e
		if err := w.figures(im); err != nil {
			return err
		}
		im.finish()
		if rowsFailed != nil && rowsFailed() || res.ProblemCount > 0 {
			return partnerhub.Errorf(partnerhub.EInvalid, "error.import_rejected", res.ProblemCount)
		}
		if res.Rows == 0 {
			return nil // nothing was written: nothing to record
		}
		if db.afterImportFiguresForTest != nil {
			db.afterImportFiguresForTest()
		}
		if err := w.rollups(im); err != nil {
			return err
		}
		return e.audit(partnerhub.Change{Actor: actor, Action: partnerhub.ActionCreate, Entity: partnerhub.EntityMobility},
			"import", 0, nil, map[string]int64{"rows": res.Rows})
	})
	return res, err
}

// equal reports whether two loads of the references resolve and
// authorize every row alike.
func (r *mobilityRefs) equal(o *mobilityRefs) bool {
	return maps.Equal(r.partners, o.partners) && maps.Equal(r.insts, o.insts) && maps.Equal(r.units, o.units) &&
		slices.Equal(r.partnerIDs, o.partnerIDs) && slices.Equal(r.instIDs, o.instIDs) && slices.Equal(r.unitIDs, o.unitIDs) &&
		maps.Equal(r.members, o.members) && maps.EqualFunc(r.teams, o.teams, slices.Equal)
}

// mayRecordMobility refuses, before anything is read, an actor who may
// record no figure at all.
func mayRecordMobility(u *partnerhub.User) error {
	if u == nil || u.Disabled || (u.Role != partnerhub.RoleAdmin && u.Role != partnerhub.RoleCoordinator) {
		return partnerhub.AuthorizeMobility(u, &partnerhub.Mobility{}, func(string) []string { return nil })
	}
	return nil
}

// packedFigure is a figure of an import in 24 bytes. Its key is packed so
// that (hi, lo) sorts as the unique index does: partner, institution, unit
// (each by id, none first), year, direction, category, programme.
type packedFigure struct {
	hi, lo uint64
	count  int32
	row    int32
}

func pack(l figureLayout, f *figure, row int) packedFigure {
	return packedFigure{
		hi:    uint64(f.partner.n)<<32 | uint64(f.inst.n),
		lo:    uint64(f.unit.n)<<32 | l.low(f.year, f.dir, f.cat, f.prog),
		count: int32(f.count),
		row:   int32(row),
	}
}

func (r *mobilityRefs) unpack(l figureLayout, p *packedFigure, f *figure) {
	n := uint32(p.hi >> 32)
	f.partner = mref{r.partnerIDs[n], n}
	n = uint32(p.hi)
	f.inst = mref{r.instIDs[n], n}
	n = uint32(p.lo >> 32)
	f.unit = mref{r.unitIDs[n], n}
	f.year, f.dir, f.cat, f.prog = l.split(p.lo)
	f.count = int64(p.count)
}

type mobilityImport struct {
	ctx       context.Context
	e         *editTx // the write transaction, once reading is done
	actor     *partnerhub.User
	res       *ImportResult
	refs      *mobilityRefs
	maxBefore int64 // the largest id before the import: figures stored before it have none larger

	chunks [][]packedFigure // the figures read, in chunks, each sorted once full
	cutoff int              // problems of later rows are not listed (see note)
	deltas *rollupDeltas
}

// figureWriter is how an engine writes the figures of an import, in the
// import's write transaction (im.e): the dialect's importMobilityTx gives
// it. figures counts and lists the figures that repeat an earlier row or
// a stored figure, and stores the others (it may leave them out once a
// problem is found: the transaction is rolled back then); rollups adds
// im.deltas to the rollups, once the import is known to be accepted.
type figureWriter interface {
	figures(im *mobilityImport) error
	rollups(im *mobilityImport) error
}

// rowWriter writes the figures with multi-row INSERTs, a batch a
// statement, in the unique index's order (SQLite).
type rowWriter struct {
	im     *mobilityImport
	full   *sql.Stmt // the INSERT of a full batch
	lookup *sql.Stmt // finds a stored figure by key
	args   []any
}

// rowsImportTx is the importMobilityTx of an engine that writes rows with
// INSERTs, in bulkTx.
func rowsImportTx(ctx context.Context, db *DB, fn func(*sql.Tx, figureWriter) error) error {
	return db.dialect.bulkTx(ctx, db, func(tx *sql.Tx) error { return fn(tx, &rowWriter{}) })
}

func (w *rowWriter) figures(im *mobilityImport) error {
	if err := w.begin(im); err != nil {
		return err
	}
	defer w.close()
	return w.write()
}

func (w *rowWriter) rollups(im *mobilityImport) error { return im.deltas.write(im.e) }

// begin prepares the writing, in the write transaction im.e.
func (w *rowWriter) begin(im *mobilityImport) error {
	w.im = im
	e := im.e
	if err := e.row(`SELECT COALESCE(max(id), 0) FROM mobility`).Scan(&im.maxBefore); err != nil {
		return err
	}
	var err error
	if w.full, err = e.tx.PrepareContext(e.ctx, e.db.mobilityInsertSQL(mobilityBatch)); err != nil {
		return err
	}
	if w.lookup, err = e.tx.PrepareContext(e.ctx, e.db.q(`SELECT id, deleted_at IS NOT NULL FROM mobility
		WHERE home_id = ? AND partner_id = ? AND COALESCE(institution_id, 0) = ? AND COALESCE(unit_id, 0) = ?
		AND year = ? AND direction = ? AND category = ? AND programme = ?`)); err != nil {
		w.full.Close()
		w.full = nil
		return err
	}
	w.args = make([]any, 2+4*mobilityBatch)
	return nil
}

func (w *rowWriter) close() {
	if w.full != nil {
		w.full.Close()
	}
	if w.lookup != nil {
		w.lookup.Close()
	}
}

// mobilityInsertSQL inserts n figures. The home and the time are the
// first two parameters, shared by every row; each figure then has four:
// partner, institution and unit ids (NULL for none) and figureLayout.values.
// Every parameter costs the SQLite driver three calls into the library,
// so the fewer the faster: packing the values took a sixth off the
// instructions of an import's writing.
// The later parameters are not numbered (SQLite looks a numbered
// parameter's name up in a list, so binding hundreds of them takes time
// that grows with the square of their number). A figure whose key is
// stored already is left out, and found afterwards: in PostgreSQL a unique
// violation would abort the transaction.
func (db *DB) mobilityInsertSQL(n int) string {
	p := 2
	param := func() string {
		p++
		return db.dialect.param(p, "bigint")
	}
	var b strings.Builder
	home, now := db.dialect.param(1, "bigint"), db.dialect.param(2, "timestamptz")
	b.WriteString(`INSERT INTO mobility (home_id, created_at, partner_id, institution_id, unit_id, year, direction, category, programme, count) SELECT ` +
		home + ", " + now + ", column1, column2, column3, " + unpackValuesSQL("column4") + " FROM (VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + param() + ", " + param() + ", " + param() + ", " + param() + ")")
	}
	// WHERE true: else SQLite would read ON as the start of a join's ON.
	b.WriteString(") AS v WHERE true ON CONFLICT DO NOTHING")
	return b.String()
}

// unpackValuesSQL takes apart, in SQL, what figureLayout.values packed
// into the integer column col: the year, direction, category, programme
// and count of a figure, in that order, separated by commas.
func unpackValuesSQL(col string) string {
	l := layout
	text := func(shift, width uint, names []string) string {
		return enumSQL(col+" >> "+strconv.Itoa(int(shift))+" & "+strconv.Itoa(1<<width-1), names)
	}
	return col + " >> " + strconv.Itoa(int(countBits+l.enumBits())) + ", " +
		text(countBits+l.catBits+l.progBits, l.dirBits, directionNames) + ", " + text(countBits+l.progBits, l.catBits, categoryNames) + ", " +
		text(countBits, l.progBits, programmeNames) + ", " + col + " & " + strconv.Itoa(1<<countBits-1)
}

// enumSQL is the name of an enum's value whose index expr gives.
func enumSQL(expr string, names []string) string {
	var b strings.Builder
	b.WriteString("CASE " + expr)
	for i, name := range names {
		b.WriteString(" WHEN " + strconv.Itoa(i) + " THEN '" + name + "'")
	}
	b.WriteString(" END")
	return b.String()
}

// problem counts a problem and lists it.
func (im *mobilityImport) problem(row int, field, key string, args ...any) {
	im.res.ProblemCount++
	im.note(row, field, key, args...)
}

// note lists a problem, keeping the first maxMobilityProblems by row
// (problems are found out of the rows' order).
func (im *mobilityImport) note(row int, field, key string, args ...any) {
	if row > im.cutoff {
		return
	}
	im.res.Problems = append(im.res.Problems, MobilityProblem{Row: row, Field: field, Key: key, Args: args})
	if len(im.res.Problems) >= 2*maxMobilityProblems {
		im.trimProblems()
	}
}

// trimProblems keeps the first maxMobilityProblems problems by row; when it
// has that many, a problem of a later row can be listed no more.
func (im *mobilityImport) trimProblems() {
	slices.SortStableFunc(im.res.Problems, func(a, b MobilityProblem) int { return a.Row - b.Row })
	if len(im.res.Problems) >= maxMobilityProblems {
		im.res.Problems = slices.Clip(im.res.Problems[:maxMobilityProblems])
		im.cutoff = im.res.Problems[maxMobilityProblems-1].Row
	}
}

// read resolves and checks every row, keeping the figures that pass.
func (im *mobilityImport) read(rows iter.Seq2[int, partnerhub.Mobility], progress func(int64)) {
	team := im.refs.team
	coordinator := im.actor.Role != partnerhub.RoleAdmin
	var f figure
	var row int
	add := func(field, key string, args ...any) { im.problem(row, field, key, args...) }
	sums := newImportSums(im.refs, im.deltas)
	defer sums.flush(im.refs)
	for r, m := range rows {
		row = r
		im.res.Rows++
		if im.res.Rows%mobilityProgressEvery == 0 {
			if im.ctx.Err() != nil {
				break
			}
			if progress != nil {
				progress(im.res.Rows)
			}
		}
		if !im.refs.resolve(&m, &f, add) {
			continue
		}
		if coordinator {
			if err := partnerhub.AuthorizeMobility(im.actor, &m, team); err != nil {
				field, key := "unit", "forbidden_mobility_unit"
				var pe *partnerhub.Error
				if errors.As(err, &pe) && pe.Message == "error.forbidden_partner" {
					field, key = "partner", "forbidden_partner"
				}
				im.problem(row, field, key, m.Unit, m.Partner)
				continue
			}
		}
		im.keep(pack(layout, &f, row))
		if im.res.ProblemCount == 0 { // the rollups matter only while nothing is refused
			sums.add(im.refs, &f)
		}
	}
	if progress != nil && im.res.Rows%mobilityProgressEvery != 0 {
		progress(im.res.Rows)
	}
}

// figureChunk is the number of figures a chunk holds (6 MiB): figures are
// kept in chunks, not one slice, so that holding a million takes 24 MB and
// never twice that while a slice grows.
const figureChunk = 1 << 18

func (im *mobilityImport) keep(p packedFigure) {
	n := len(im.chunks)
	if n == 0 || len(im.chunks[n-1]) == figureChunk {
		if n > 0 {
			sortFigures(im.chunks[n-1])
		}
		im.chunks = append(im.chunks, make([]packedFigure, 0, 1024))
		n++
	}
	c := im.chunks[n-1]
	if len(c) == cap(c) { // grow to figureChunk at most
		c = append(make([]packedFigure, 0, min(2*cap(c), figureChunk)), c...)
	}
	im.chunks[n-1] = append(c, p)
}

// comparePacked orders figures by key, then row. (cmp.Or would compare
// all three fields every time: sorting took a sixth longer.)
func comparePacked(a, b *packedFigure) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	if a.lo != b.lo {
		return cmp.Compare(a.lo, b.lo)
	}
	return cmp.Compare(a.row, b.row)
}

func sortFigures(figs []packedFigure) {
	slices.SortFunc(figs, func(a, b packedFigure) int { return comparePacked(&a, &b) })
}

// sortLast sorts the last chunk, the one not full yet (the others were
// sorted as they filled).
func (im *mobilityImport) sortLast() {
	if n := len(im.chunks); n > 0 {
		sortFigures(im.chunks[n-1])
	}
}

// figureMerge merges the sorted chunks: every figure in the unique
// index's order, those with the same key by row.
type figureMerge struct {
	chunks [][]packedFigure // each sorted: the last by sortLast
	next   []int
	heap   []int // the chunks by their next figure
}

func (im *mobilityImport) merge() *figureMerge {
	m := &figureMerge{chunks: im.chunks, next: make([]int, len(im.chunks)), heap: make([]int, 0, len(im.chunks))}
	for c := range m.chunks {
		if len(m.chunks[c]) > 0 {
			m.heap = append(m.heap, c)
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m
}

func (m *figureMerge) less(i, j int) bool {
	a, b := m.heap[i], m.heap[j]
	return comparePacked(&m.chunks[a][m.next[a]], &m.chunks[b][m.next[b]]) < 0
}

func (m *figureMerge) down(i int) {
	for {
		l, small := 2*i+1, i
		if l < len(m.heap) && m.less(l, small) {
			small = l
		}
		if l+1 < len(m.heap) && m.less(l+1, small) {
			small = l + 1
		}
		if small == i {
			return
		}
		m.heap[i], m.heap[small] = m.heap[small], m.heap[i]
		i = small
	}
}

// pop returns the next figure, nil after the last.
func (m *figureMerge) pop() *packedFigure {
	if len(m.heap) == 0 {
		return nil
	}
	c := m.heap[0]
	p := &m.chunks[c][m.next[c]]
	if m.next[c]++; m.next[c] == len(m.chunks[c]) {
		m.heap[0] = m.heap[len(m.heap)-1]
		m.heap = m.heap[:len(m.heap)-1]
	}
	m.down(0)
	return p
}

// uniqueFigures yields the merged figures, each key once (its first row),
// and refuses each that repeats the key of an earlier row.
type uniqueFigures struct {
	im    *mobilityImport
	m     *figureMerge
	prev  packedFigure
	first bool
}

func (im *mobilityImport) unique() *uniqueFigures {
	return &uniqueFigures{im: im, m: im.merge(), first: true}
}

// next returns the next figure to store, nil after the last.
func (u *uniqueFigures) next() *packedFigure {
	for {
		p := u.m.pop()
		if p == nil {
			return nil
		}
		if !u.first && p.hi == u.prev.hi && p.lo == u.prev.lo {
			u.im.problem(int(p.row), "", "duplicate_figure", int(u.prev.row))
			continue // prev stays the first row with the key
		}
		u.first, u.prev = false, *p
		return p
	}
}

// write inserts the figures in the unique index's order, a batch a
// statement, and refuses each that repeats the key of an earlier row.
func (w *rowWriter) write() error {
	im := w.im
	batch := make([]packedFigure, 0, mobilityBatch)
	figs := im.unique()
	for p := figs.next(); p != nil; p = figs.next() {
		if batch = append(batch, *p); len(batch) == mobilityBatch {
			if err := w.flush(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := w.flush(batch); err != nil {
			return err
		}
	}
	im.chunks = nil
	return nil
}

func (im *mobilityImport) finish() {
	im.trimProblems()
	if len(im.res.Problems) == 0 {
		im.res.Problems = nil
	}
}

// flush inserts a batch. Figures whose key is stored already are left out
// by the INSERT; when some were, they are looked up one by one.
func (w *rowWriter) flush(batch []packedFigure) error {
	im := w.im
	e := im.e
	if err := e.ctx.Err(); err != nil {
		return err
	}
	n := len(batch)
	args := w.args[:2+4*n]
	args[0], args[1] = e.homeID, e.now
	var f figure
	for i := range batch {
		im.refs.unpack(layout, &batch[i], &f)
		a := args[2+4*i : 6+4*i]
		a[0], a[1], a[2], a[3] = f.partner.id, f.inst.nullID(), f.unit.nullID(), layout.values(&f)
	}
	var res sql.Result
	var err error
	if n == mobilityBatch {
		res, err = w.full.ExecContext(e.ctx, args...)
	} else {
		res, err = e.tx.ExecContext(e.ctx, e.db.mobilityInsertSQL(n), args...)
	}
	if err != nil {
		return err
	}
	got, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if missing := int64(n) - got; missing > 0 {
		return w.findStored(batch, int(missing))
	}
	return nil
}

// findStored reports the figures of a batch that were stored before the
// import: duplicates within the import never reach the database, so every
// figure the INSERT left out is one of them. It looks up only those that
// could still be listed; the count comes from the INSERT.
func (w *rowWriter) findStored(batch []packedFigure, missing int) error {
	im := w.im
	e := im.e
	im.res.ProblemCount += missing
	im.trimProblems()
	last := im.cutoff
	found, looked := 0, 0
	var f figure
	for i := range batch {
		p := &batch[i]
		if int(p.row) > last {
			continue
		}
		looked++
		im.refs.unpack(layout, p, &f)
		var id int64
		var deleted bool
		err := w.lookup.QueryRowContext(e.ctx, e.homeID, f.partner.id, f.inst.id, f.unit.id, int64(f.year),
			f.direction(), f.category(), f.programme()).Scan(&id, &deleted)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		if id > im.maxBefore {
			continue // inserted by this batch
		}
		found++
		key := "figure_exists"
		if deleted {
			key = "figure_in_bin"
		}
		im.note(int(p.row), "", key)
	}
	if looked == len(batch) && found != missing {
		// Only a writer that does not take the lock could get here.
		return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
	}
	return nil
}
