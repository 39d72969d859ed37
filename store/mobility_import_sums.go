package store

// An import's rollup deltas, summed in arrays while the rows are read.

import "partnerhub"

// importSums sums an import's counts by rollup row in arrays indexed by
// the numbers (mref.n) of the records a figure refers to, the year, the
// direction and the category, and hands them to rollupDeltas' maps once
// reading is done: four map updates a row had taken a third of the
// reading goroutine's time (1 M rows: 0.26 s), an array update costs a few
// nanoseconds. A home with so many partners and units that the arrays
// would pass maxSumCells adds to the maps directly, as before.
type importSums struct {
	deltas  *rollupDeltas
	partner []int64 // partner n × cell
	unit    []int64 // unit n × cell (n 0: no unit)
	prog    []int64 // programme × cell
	home    []int64 // cell
	dense   bool
	started bool
}

// sumYears are the years a figure may have; a cell is a year, direction
// and category.
const sumYears = partnerhub.MaxAcademicYear - partnerhub.MinAcademicYear + 1

// maxSumCells bounds the arrays of an import: 4 Mi cells are 32 MB, the
// size of 1.3 M figures held for writing; a home of 100 partners and 100
// units takes 600,000.
const maxSumCells = 1 << 22

func newImportSums(refs *mobilityRefs, d *rollupDeltas) *importSums {
	return &importSums{deltas: d,
		dense: (len(refs.partnerIDs)+len(refs.unitIDs)+len(programmeNames)+1)*sumCells() <= maxSumCells}
}

func sumCells() int { return sumYears * len(directionNames) * len(categoryNames) }

func sumCell(f *figure) int {
	return ((f.year-partnerhub.MinAcademicYear)*len(directionNames)+int(f.dir))*len(categoryNames) + int(f.cat)
}

// add counts a figure.
func (s *importSums) add(refs *mobilityRefs, f *figure) {
	if !s.dense {
		s.deltas.add(f, f.count)
		return
	}
	cells := sumCells()
	if !s.started {
		s.started = true
		s.partner = make([]int64, len(refs.partnerIDs)*cells)
		s.unit = make([]int64, len(refs.unitIDs)*cells)
		s.prog = make([]int64, len(programmeNames)*cells)
		s.home = make([]int64, cells)
	}
	c := sumCell(f)
	s.partner[int(f.partner.n)*cells+c] += f.count
	s.unit[int(f.unit.n)*cells+c] += f.count
	s.prog[int(f.prog)*cells+c] += f.count
	s.home[c] += f.count
}

// flush adds the sums to the deltas' maps, by the records' ids.
func (s *importSums) flush(refs *mobilityRefs) {
	if !s.started {
		return
	}
	cells := sumCells()
	nd, nc := len(directionNames), len(categoryNames)
	into := func(m map[uint64]int64, sums []int64, ref func(n int) uint64) {
		for i, v := range sums {
			if v == 0 {
				continue
			}
			n, c := i/cells, i%cells
			year := c/(nd*nc) + partnerhub.MinAcademicYear
			dir, cat := uint8(c/nc%nd), uint8(c%nc)
			m[ref(n)<<32|s.deltas.layout.low(year, dir, cat, 0)] += v
		}
	}
	into(s.deltas.partner, s.partner, func(n int) uint64 { return uint64(refs.partnerIDs[n]) })
	into(s.deltas.unit, s.unit, func(n int) uint64 { return uint64(refs.unitIDs[n]) }) // unitIDs[0] is 0: none
	into(s.deltas.programme, s.prog, func(n int) uint64 { return uint64(n) })
	into(s.deltas.home, s.home, func(int) uint64 { return 0 })
	s.partner, s.unit, s.prog, s.home, s.started = nil, nil, nil, nil, false
}
