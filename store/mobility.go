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
	"fmt"
	"slices"
	"strings"

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

// The types of the mobility service are the domain's.
type (
	ImportResult    = partnerhub.ImportResult
	MobilityProblem = partnerhub.MobilityProblem
	MobilityFilter  = partnerhub.MobilityFilter
)

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
			if id < 0 || id >= 1<<32 {
				// A rollup key holds an id in 32 bits (figureLayout.rollupKey).
				return fmt.Errorf("store: %s has id %d, beyond the 32 bits of a mobility rollup key", key, id)
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
