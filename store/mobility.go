package store

// Mobility figures: one at a time (PutMobility, DeleteMobility,
// RestoreMobility), many at once (ImportMobility), listed (ListMobility) and
// summed (Stats).
//
// Statistics never scan the figures for the common questions: three rollup
// tables hold the totals of the live figures by home × year × direction ×
// category, and by partner or by unit besides. They are kept in the same
// transaction as every change to a figure, so they are always exact, and they
// stay small (a home has years × partners × 10 rows at most) however many
// figures there are. CheckMobilityRollups recomputes them from the figures.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

const (
	// mobilityBatch is the number of figures one INSERT statement writes.
	mobilityBatch = 100
	// maxMobilityProblems bounds the problems an import lists; the count
	// of all of them is kept.
	maxMobilityProblems = 200
	// mobilityProgressEvery is how often, in rows, an import reports.
	mobilityProgressEvery = 10_000
	// mobilityLockClass is the first key of the PostgreSQL advisory lock
	// that makes the mobility writes of one home institution take turns
	// (SQLite has one writer anyway). The second key is the home's id.
	mobilityLockClass = 0x6d6f62 // "mob"
)

// ImportResult is what an import read, and what it refused.
type ImportResult struct {
	// Rows is the number of figures read; all of them were stored when
	// ImportMobility returns no error.
	Rows int64
	// Problems are the store's reasons for refusing figures, the first 200
	// by row (a row can have several), ordered by row; ProblemCount counts
	// all of them.
	Problems     []MobilityProblem
	ProblemCount int
}

// MobilityProblem is a figure the store refused: Row is the row number the
// caller's iterator gave, Field the figure's field at fault ("" for the
// figure as a whole), Key an i18n key under "field." and Args its arguments.
type MobilityProblem struct {
	Row   int
	Field string
	Key   string
	Args  []any
}

// MobilityFilter selects figures; zero fields select all.
type MobilityFilter struct {
	Partner   string // partner slug
	Unit      string // unit code
	Direction partnerhub.Direction
	Category  partnerhub.Category
	Programme partnerhub.MobilityProgramme
	FromYear  int
	ToYear    int
	InBin     bool // the deleted figures instead of the live ones
}

// ---- references ------------------------------------------------------------

// mref is a record a figure refers to: its id, and its number n among the
// records of its kind in the order of their ids, from 1 (0: none), which
// packs a figure's key into 16 bytes.
type mref struct {
	id int64
	n  uint32
}

// mobilityRefs resolves the slugs and codes of figures against the live
// records of a home institution, loaded once.
type mobilityRefs struct {
	partners, insts, units       map[string]mref
	partnerIDs, instIDs, unitIDs []int64             // id by n; [0] is 0
	members                      map[[2]int64]bool   // partner id, institution id
	teams                        map[string][]string // partner slug → unit codes of its team in the current phase
}

func (e *editTx) mobilityRefs() (*mobilityRefs, error) {
	r := &mobilityRefs{partners: map[string]mref{}, insts: map[string]mref{}, units: map[string]mref{},
		members: map[[2]int64]bool{}, teams: map[string][]string{}}
	load := func(into map[string]mref, ids *[]int64, q string, args ...any) error {
		*ids = []int64{0}
		rows, err := e.tx.QueryContext(e.ctx, e.db.q(q+` ORDER BY id`), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var id int64
			if err := rows.Scan(&key, &id); err != nil {
				return err
			}
			into[key] = mref{id: id, n: uint32(len(*ids))}
			*ids = append(*ids, id)
		}
		return rows.Err()
	}
	if err := load(r.partners, &r.partnerIDs, `SELECT slug, id FROM partners WHERE home_id = ? AND deleted_at IS NULL`, e.homeID); err != nil {
		return nil, err
	}
	if err := load(r.insts, &r.instIDs, `SELECT slug, id FROM institutions WHERE deleted_at IS NULL`); err != nil {
		return nil, err
	}
	if err := load(r.units, &r.unitIDs, `SELECT code, id FROM units WHERE home_id = ? AND deleted_at IS NULL`, e.homeID); err != nil {
		return nil, err
	}
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT m.partner_id, m.institution_id FROM partner_members m JOIN partners p ON p.id = m.partner_id
		WHERE p.home_id = ?`), e.homeID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k [2]int64
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return nil, err
		}
		r.members[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = e.tx.QueryContext(e.ctx, e.db.q(`SELECT p.slug, u.code FROM team_memberships t JOIN partners p ON p.id = t.partner_id
		JOIN units u ON u.id = t.unit_id WHERE p.home_id = ? AND t.phase = ? AND u.deleted_at IS NULL ORDER BY t.position`), e.homeID, e.phase)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, u string
		if err := rows.Scan(&p, &u); err != nil {
			return nil, err
		}
		r.teams[p] = append(r.teams[p], u)
	}
	return r, rows.Err()
}

// figure is a figure resolved: the records it refers to, and its enums as
// indexes into directionNames, categoryNames and programmeNames.
type figure struct {
	partner, inst, unit mref // inst and unit zero when the figure has none
	year                int
	dir, cat, prog      uint8
	count               int64
}

// The names of the enums in byte order, the order the unique index keeps
// them in: a figure holds its enums as indexes into these.
var (
	directionNames = sortedNames(partnerhub.Directions)
	categoryNames  = sortedNames(partnerhub.Categories)
	programmeNames = sortedNames(partnerhub.MobilityProgrammes)
	// the same, boxed once, so that filling the arguments of the rollups'
	// INSERT does not allocate
	dirArgs, catArgs, progArgs = boxed(directionNames), boxed(categoryNames), boxed(programmeNames)
)

// packFigureValues keeps a count in 20 bits: this fails to compile when
// the largest count no longer fits.
const _ = uint(1<<20 - 1 - partnerhub.MaxMobilityCount)

func sortedNames[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	slices.Sort(out)
	return out
}

func boxed(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func joinEnum[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func (f *figure) direction() string { return directionNames[f.dir] }
func (f *figure) category() string  { return categoryNames[f.cat] }
func (f *figure) programme() string { return programmeNames[f.prog] }

// nullID is a reference's id, or NULL for none.
func (r mref) nullID() any {
	if r.n == 0 {
		return nil
	}
	return r.id
}

// resolve checks a figure's values and resolves its references, reporting
// each problem to add. It reports true when there was none.
func (r *mobilityRefs) resolve(m *partnerhub.Mobility, f *figure, add func(field, key string, args ...any)) bool {
	ok := true
	fail := func(field, key string, args ...any) {
		ok = false
		add(field, key, args...)
	}
	var found bool
	if f.partner, found = r.partners[m.Partner]; !found {
		fail("partner", "unknown_partner", m.Partner)
	}
	f.inst, f.unit = mref{}, mref{}
	if m.Institution != "" {
		if f.inst, found = r.insts[m.Institution]; !found {
			fail("institution", "unknown_institution", m.Institution)
		} else if f.partner.n != 0 && !r.members[[2]int64{f.partner.id, f.inst.id}] {
			fail("institution", "not_member", m.Institution, m.Partner)
		}
	}
	if m.Unit != "" {
		if f.unit, found = r.units[m.Unit]; !found {
			fail("unit", "unknown_unit", m.Unit)
		}
	}
	if m.Year < partnerhub.MinAcademicYear || m.Year > partnerhub.MaxAcademicYear {
		fail("year", "out_of_range", partnerhub.MinAcademicYear, partnerhub.MaxAcademicYear)
	}
	f.year = m.Year
	enum := func(field string, v string, sorted []string, into *uint8, message string) {
		switch i, found := slices.BinarySearch(sorted, v); {
		case v == "":
			fail(field, "required")
		case !found:
			fail(field, "one_of", message)
		default:
			*into = uint8(i)
		}
	}
	enum("direction", string(m.Direction), directionNames, &f.dir, directionList)
	enum("category", string(m.Category), categoryNames, &f.cat, categoryList)
	enum("programme", string(m.Programme), programmeNames, &f.prog, programmeList)
	switch {
	case m.Count < 0:
		fail("count", "not_negative")
	case m.Count > partnerhub.MaxMobilityCount:
		fail("count", "out_of_range", 0, partnerhub.MaxMobilityCount)
	}
	f.count = int64(m.Count)
	return ok
}

// The enums' values in the domain's order, for messages.
var (
	directionList = joinEnum(partnerhub.Directions)
	categoryList  = joinEnum(partnerhub.Categories)
	programmeList = joinEnum(partnerhub.MobilityProgrammes)
)

// lockMobility makes the mobility writes of the transaction's home
// institution take turns (in SQLite the write transaction holds the
// database's one write lock already).
func (e *editTx) lockMobility() error {
	if e.db.dialect.lockMobility == "" {
		return nil
	}
	_, err := e.tx.ExecContext(e.ctx, e.db.dialect.lockMobility, int32(mobilityLockClass), int32(e.homeID))
	return err
}

// ---- rollups ---------------------------------------------------------------

// rollupDeltas are changes to the rollups, summed in memory and written
// once. The keys pack a year (offset from MinAcademicYear, 9 bits), a
// direction and a category (4 bits), and a partner's or unit's id or a
// programme's index above.
type rollupDeltas struct {
	partner, unit, programme, home map[uint64]int64
}

func newRollupDeltas() *rollupDeltas {
	return &rollupDeltas{partner: map[uint64]int64{}, unit: map[uint64]int64{}, programme: map[uint64]int64{}, home: map[uint64]int64{}}
}

func (d *rollupDeltas) add(f *figure, delta int64) {
	k := uint64(f.year-partnerhub.MinAcademicYear)<<4 | uint64(f.dir)*uint64(len(categoryNames)) + uint64(f.cat)
	d.partner[uint64(f.partner.id)<<13|k] += delta
	d.unit[uint64(f.unit.id)<<13|k] += delta // unit.id is 0 for none
	d.programme[uint64(f.prog)<<13|k] += delta
	d.home[k] += delta
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
				dc := k & 15
				args = append(args, e.homeID, int64(k>>4&511)+partnerhub.MinAcademicYear)
				if refCol != "" {
					args = append(args, ref(k>>13))
				}
				args = append(args, dirArgs[dc/uint64(len(categoryNames))], catArgs[dc%uint64(len(categoryNames))], deltas[k])
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

// ---- import ----------------------------------------------------------------

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
	err := db.dialect.bulkTx(ctx, db, func(tx *sql.Tx) error {
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
		im, err := newMobilityImport(e, actor, &res)
		if err != nil {
			return err
		}
		defer im.close()
		im.read(rows, progress)
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := im.write(); err != nil {
			return err
		}
		im.finish()
		if rowsFailed != nil && rowsFailed() || res.ProblemCount > 0 {
			return partnerhub.Errorf(partnerhub.EInvalid, "error.import_rejected", res.ProblemCount)
		}
		if res.Rows == 0 {
			return nil // nothing was written: nothing to record
		}
		if err := im.deltas.write(e); err != nil {
			return err
		}
		return e.audit(partnerhub.Change{Actor: actor, Action: partnerhub.ActionCreate, Entity: partnerhub.EntityMobility},
			"import", 0, nil, map[string]int64{"rows": res.Rows})
	})
	return res, err
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

func pack(f *figure, row int) packedFigure {
	return packedFigure{
		hi:    uint64(f.partner.n)<<32 | uint64(f.inst.n),
		lo:    uint64(f.unit.n)<<32 | uint64(f.year-partnerhub.MinAcademicYear)<<16 | uint64(f.dir)<<8 | uint64(f.cat)<<4 | uint64(f.prog),
		count: int32(f.count),
		row:   int32(row),
	}
}

func (r *mobilityRefs) unpack(p *packedFigure, f *figure) {
	n := uint32(p.hi >> 32)
	f.partner = mref{r.partnerIDs[n], n}
	n = uint32(p.hi)
	f.inst = mref{r.instIDs[n], n}
	n = uint32(p.lo >> 32)
	f.unit = mref{r.unitIDs[n], n}
	f.year = int(p.lo>>16&0xffff) + partnerhub.MinAcademicYear
	f.dir, f.cat, f.prog = uint8(p.lo>>8&0xff), uint8(p.lo>>4&0xf), uint8(p.lo&0xf)
	f.count = int64(p.count)
}

type mobilityImport struct {
	e         *editTx
	actor     *partnerhub.User
	res       *ImportResult
	refs      *mobilityRefs
	maxBefore int64 // the largest id before the import: figures stored before it have none larger

	chunks [][]packedFigure // the figures read, in chunks, each sorted once full
	cutoff int              // problems of later rows are not listed (see note)
	deltas *rollupDeltas
	full   *sql.Stmt // the INSERT of a full batch
	lookup *sql.Stmt // finds a stored figure by key
	args   []any
}

func newMobilityImport(e *editTx, actor *partnerhub.User, res *ImportResult) (*mobilityImport, error) {
	im := &mobilityImport{e: e, actor: actor, res: res, deltas: newRollupDeltas(), cutoff: math.MaxInt}
	var err error
	if im.refs, err = e.mobilityRefs(); err != nil {
		return nil, err
	}
	if err := e.row(`SELECT COALESCE(max(id), 0) FROM mobility`).Scan(&im.maxBefore); err != nil {
		return nil, err
	}
	if im.full, err = e.tx.PrepareContext(e.ctx, e.db.mobilityInsertSQL(mobilityBatch)); err != nil {
		return nil, err
	}
	if im.lookup, err = e.tx.PrepareContext(e.ctx, e.db.q(`SELECT id, deleted_at IS NOT NULL FROM mobility
		WHERE home_id = ? AND partner_id = ? AND COALESCE(institution_id, 0) = ? AND COALESCE(unit_id, 0) = ?
		AND year = ? AND direction = ? AND category = ? AND programme = ?`)); err != nil {
		im.full.Close()
		return nil, err
	}
	im.args = make([]any, 2+4*mobilityBatch)
	return im, nil
}

func (im *mobilityImport) close() {
	im.full.Close()
	im.lookup.Close()
}

// mobilityInsertSQL inserts n figures. The home and the time are the
// first two parameters, shared by every row; each figure then has four:
// partner, institution and unit ids (NULL for none) and packFigureValues.
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
	text := func(shift int, names []string) string {
		var b strings.Builder
		b.WriteString("CASE column4 >> " + strconv.Itoa(shift) + " & 15")
		for i, name := range names {
			b.WriteString(" WHEN " + strconv.Itoa(i) + " THEN '" + name + "'")
		}
		b.WriteString(" END")
		return b.String()
	}
	var b strings.Builder
	home, now := db.dialect.param(1, "bigint"), db.dialect.param(2, "timestamptz")
	b.WriteString(`INSERT INTO mobility (home_id, created_at, partner_id, institution_id, unit_id, year, direction, category, programme, count) SELECT ` +
		home + ", " + now + ", column1, column2, column3, column4 >> 32, " +
		text(28, directionNames) + ", " + text(24, categoryNames) + ", " + text(20, programmeNames) + ", column4 & 1048575 FROM (VALUES ")
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

// packFigureValues packs a figure's year, direction, category, programme
// (as indexes into directionNames, categoryNames and programmeNames) and
// count into one integer, as mobilityInsertSQL takes them apart.
func packFigureValues(f *figure) int64 {
	return int64(f.year)<<32 | int64(f.dir)<<28 | int64(f.cat)<<24 | int64(f.prog)<<20 | f.count
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
	for r, m := range rows {
		row = r
		im.res.Rows++
		if im.res.Rows%mobilityProgressEvery == 0 {
			if im.e.ctx.Err() != nil {
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
		im.keep(pack(&f, row))
		if im.res.ProblemCount == 0 { // the rollups matter only while nothing is refused
			im.deltas.add(&f, f.count)
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

func comparePacked(a, b *packedFigure) int {
	return cmp.Or(cmp.Compare(a.hi, b.hi), cmp.Compare(a.lo, b.lo), cmp.Compare(a.row, b.row))
}

func sortFigures(figs []packedFigure) {
	slices.SortFunc(figs, func(a, b packedFigure) int { return comparePacked(&a, &b) })
}

// sorted merges the sorted chunks: every figure in the unique index's
// order, those with the same key by row.
func (im *mobilityImport) sorted() iter.Seq[*packedFigure] {
	return func(yield func(*packedFigure) bool) {
		chunks := im.chunks
		if n := len(chunks); n > 0 {
			sortFigures(chunks[n-1])
		}
		// a binary heap of the chunks by their next figure
		next := make([]int, len(chunks))
		heap := make([]int, 0, len(chunks))
		less := func(i, j int) bool {
			return comparePacked(&chunks[heap[i]][next[heap[i]]], &chunks[heap[j]][next[heap[j]]]) < 0
		}
		down := func(i int) {
			for {
				l, small := 2*i+1, i
				if l < len(heap) && less(l, small) {
					small = l
				}
				if l+1 < len(heap) && less(l+1, small) {
					small = l + 1
				}
				if small == i {
					return
				}
				heap[i], heap[small] = heap[small], heap[i]
				i = small
			}
		}
		for c := range chunks {
			if len(chunks[c]) > 0 {
				heap = append(heap, c)
			}
		}
		for i := len(heap)/2 - 1; i >= 0; i-- {
			down(i)
		}
		for len(heap) > 0 {
			c := heap[0]
			if !yield(&chunks[c][next[c]]) {
				return
			}
			if next[c]++; next[c] == len(chunks[c]) {
				heap[0] = heap[len(heap)-1]
				heap = heap[:len(heap)-1]
			}
			down(0)
		}
	}
}

// write inserts the figures in the unique index's order, a batch a
// statement, and refuses each that repeats the key of an earlier row.
func (im *mobilityImport) write() error {
	batch := make([]packedFigure, 0, mobilityBatch)
	var prev packedFigure
	first := true
	for p := range im.sorted() {
		if !first && p.hi == prev.hi && p.lo == prev.lo {
			im.problem(int(p.row), "", "duplicate_figure", int(prev.row))
			continue // prev stays the first row with the key
		}
		first, prev = false, *p
		if batch = append(batch, *p); len(batch) == mobilityBatch {
			if err := im.flush(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := im.flush(batch); err != nil {
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
func (im *mobilityImport) flush(batch []packedFigure) error {
	e := im.e
	if err := e.ctx.Err(); err != nil {
		return err
	}
	n := len(batch)
	args := im.args[:2+4*n]
	args[0], args[1] = e.homeID, e.now
	var f figure
	for i := range batch {
		im.refs.unpack(&batch[i], &f)
		a := args[2+4*i : 6+4*i]
		a[0], a[1], a[2], a[3] = f.partner.id, f.inst.nullID(), f.unit.nullID(), packFigureValues(&f)
	}
	var res sql.Result
	var err error
	if n == mobilityBatch {
		res, err = im.full.ExecContext(e.ctx, args...)
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
		return im.findStored(batch, int(missing))
	}
	return nil
}

// findStored reports the figures of a batch that were stored before the
// import: duplicates within the import never reach the database, so every
// figure the INSERT left out is one of them. It looks up only those that
// could still be listed; the count comes from the INSERT.
func (im *mobilityImport) findStored(batch []packedFigure, missing int) error {
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
		im.refs.unpack(p, &f)
		var id int64
		var deleted bool
		err := im.lookup.QueryRowContext(e.ctx, e.homeID, f.partner.id, f.inst.id, f.unit.id, int64(f.year),
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

// ---- single figures --------------------------------------------------------

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
	d := newRollupDeltas()
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

// ---- reading ---------------------------------------------------------------

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

// statsSource is where a statistics query is answered from: a rollup, or
// the figures themselves.
type statsSource struct {
	table string
	total string // the column summed
	dims  []string
	live  bool // the figures: only the live ones count
}

// statsSources are the sources in the order they are tried: the smallest
// that holds every dimension grouped or filtered by answers.
var statsSources = []statsSource{
	{table: "mobility_by_home", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility_by_programme", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimProgramme, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility_by_partner", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimPartner, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility_by_unit", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimUnit, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility", total: "count", dims: partnerhub.Dimensions, live: true},
}

// statsSourceFor is the first source that holds every dimension needed.
func statsSourceFor(need map[string]bool) statsSource {
	for _, s := range statsSources {
		covers := true
		for d := range need {
			covers = covers && slices.Contains(s.dims, d)
		}
		if covers {
			return s
		}
	}
	return statsSources[len(statsSources)-1]
}

// statsColumn is the column of a dimension, in every source (the table is
// r). Partners, units and homes are grouped by id, which follows the
// rollups' primary keys, and named afterwards.
var statsColumn = map[string]string{
	partnerhub.DimYear:      "r.year",
	partnerhub.DimPartner:   "r.partner_id",
	partnerhub.DimUnit:      "COALESCE(r.unit_id, 0)",
	partnerhub.DimDirection: "r.direction",
	partnerhub.DimCategory:  "r.category",
	partnerhub.DimProgramme: "r.programme",
	partnerhub.DimHome:      "r.home_id",
}

// Stats sums mobility figures: the totals of the groups of q.GroupBy (all
// figures together when it is empty), ordered by their keys, groups whose
// total is 0 left out. Keys are written as the API writes them: the year as
// "2021", the partner by slug, the unit by code ("" for the figures of the
// university as a whole), the home institution by slug. Across home
// institutions (q.Home ""), partners and units with the same slug or code
// are one group. Stats answers from the smallest rollup that holds every
// dimension grouped or filtered by, and reads the figures themselves only
// for the programme together with a partner or a unit (then the unique
// index narrows the scan to the home's figures, or the partner's).
func (db *DB) Stats(ctx context.Context, q partnerhub.StatsQuery) ([]partnerhub.StatsRow, error) {
	errs := partnerhub.FieldErrors{}
	need := map[string]bool{}
	for i, d := range q.GroupBy {
		field := "group_by[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(partnerhub.Dimensions, d):
			errs.Add(field, "one_of", strings.Join(partnerhub.Dimensions, ", "))
		case need[d]:
			errs.Add(field, "duplicate", d)
		}
		need[d] = true
	}
	checkMobilityFilters(errs, q.Direction, q.Category, q.Programme, q.FromYear, q.ToYear)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	var homeID int64
	if q.Home != "" {
		if homeID, err = db.homeID(ctx, tx, q.Home); err != nil {
			return nil, err
		}
		add("r.home_id = ?", homeID)
	}
	// names reads the names of the partners, units or homes by id.
	names := func(query string, scoped bool) (map[int64]string, error) {
		var qargs []any
		if scoped && q.Home != "" {
			query += ` WHERE home_id = ?`
			qargs = append(qargs, homeID)
		}
		rows, err := tx.QueryContext(ctx, db.q(query), qargs...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[int64]string{}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return nil, err
			}
			out[id] = name
		}
		return out, rows.Err()
	}
	// filter selects the ids that have a name; a name none has is a
	// mistake, not an empty answer.
	filter := func(field, key, col, name string, byID map[int64]string) {
		var ids []any
		for _, id := range slices.Sorted(maps.Keys(byID)) {
			if byID[id] == name {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			errs.Add(field, key, name)
			return
		}
		add(col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
	}
	var partners, units, homes map[int64]string
	if need[partnerhub.DimPartner] || q.Partner != "" {
		if partners, err = names(`SELECT id, slug FROM partners`, true); err != nil {
			return nil, err
		}
	}
	if need[partnerhub.DimUnit] || q.Unit != "" {
		if units, err = names(`SELECT id, code FROM units`, true); err != nil {
			return nil, err
		}
		units[0] = ""
	}
	if need[partnerhub.DimHome] {
		if homes, err = names(`SELECT id, slug FROM home_institutions`, false); err != nil {
			return nil, err
		}
	}
	if q.Partner != "" {
		need[partnerhub.DimPartner] = true
		filter("partner", "unknown_partner", statsColumn[partnerhub.DimPartner], q.Partner, partners)
	}
	if q.Unit != "" {
		need[partnerhub.DimUnit] = true
		filter("unit", "unknown_unit", statsColumn[partnerhub.DimUnit], q.Unit, units)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if q.Programme != "" {
		need[partnerhub.DimProgramme] = true
	}
	addMobilityFilters(add, "r", q.Direction, q.Category, q.Programme, q.FromYear, q.ToYear)
	src := statsSourceFor(need)
	if src.live {
		where = append(where, "r.deleted_at IS NULL")
	}
	cols := make([]string, len(q.GroupBy))
	for i, d := range q.GroupBy {
		cols[i] = statsColumn[d]
	}
	query := "SELECT " + strings.Join(append(slices.Clone(cols), "CAST(sum(r."+src.total+") AS BIGINT)"), ", ") + " FROM " + src.table + " r"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ")
	}
	query += " HAVING sum(r." + src.total + ") <> 0"
	rows, err := tx.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Name the groups; groups with the same names (the same partner slug
	// in two homes) become one.
	out := []partnerhub.StatsRow{}
	index := map[string]int{}
	ids := make([]int64, len(cols))
	texts := make([]string, len(cols))
	var total int64
	dest := make([]any, len(cols)+1)
	for i, d := range q.GroupBy {
		switch d {
		case partnerhub.DimDirection, partnerhub.DimCategory, partnerhub.DimProgramme:
			dest[i] = &texts[i]
		default:
			dest[i] = &ids[i]
		}
	}
	dest[len(cols)] = &total
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		keys := make([]string, len(cols))
		for i, d := range q.GroupBy {
			switch d {
			case partnerhub.DimYear:
				keys[i] = strconv.FormatInt(ids[i], 10)
			case partnerhub.DimPartner:
				keys[i] = partners[ids[i]]
			case partnerhub.DimUnit:
				keys[i] = units[ids[i]]
			case partnerhub.DimHome:
				keys[i] = homes[ids[i]]
			default:
				keys[i] = texts[i]
			}
		}
		k := strings.Join(keys, "\x00")
		if i, ok := index[k]; ok {
			out[i].Total += total
			continue
		}
		index[k] = len(out)
		out = append(out, partnerhub.StatsRow{Keys: keys, Total: total})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Years are four digits, so every key sorts as text, bytewise: the
	// same order on both engines.
	slices.SortFunc(out, func(a, b partnerhub.StatsRow) int { return slices.Compare(a.Keys, b.Keys) })
	return out, nil
}

// ---- upkeep ----------------------------------------------------------------

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
