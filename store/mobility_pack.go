package store

import (
	"fmt"
	"math/bits"

	"partnerhub"
)

// How a figure's year, direction, category and programme are packed into
// one integer: the key of a figure in an import's memory, the key of a
// rollup delta, and a parameter of the import's INSERT. Each enum gets the
// bits its number of values needs, so adding a category or a programme
// widens the packing; newFigureLayout refuses, at start-up, more values than
// the integers have room for, rather than let two figures share a key and
// their totals mix.

// yearBits hold a year as its offset from MinAcademicYear: this fails to
// compile when the years no longer fit.
const yearBits = 9

const _ = uint(1<<yearBits - 1 - (partnerhub.MaxAcademicYear - partnerhub.MinAcademicYear))

// countBits hold a figure's count in the INSERT's packed parameter: this
// fails to compile when the largest count no longer fits.
const countBits = 20

const _ = uint(1<<countBits - 1 - partnerhub.MaxMobilityCount)

// maxEnumBits is the room of the enums: the year and they share the low 32
// bits of a key, whose high 32 hold a unit's number or a partner's id.
const maxEnumBits = 32 - yearBits

// figureLayout places the enums, programme lowest: a packed value sorts as
// the unique index orders year, direction, category, programme.
type figureLayout struct {
	dirBits, catBits, progBits uint
}

// newFigureLayout lays out enums of dirs, cats and progs values. A figure
// holds each enum's index in a byte.
func newFigureLayout(dirs, cats, progs int) (figureLayout, error) {
	width := func(n int) uint { return uint(bits.Len(uint(max(n, 1) - 1))) }
	l := figureLayout{dirBits: width(dirs), catBits: width(cats), progBits: width(progs)}
	if max(dirs, cats, progs) > 1<<8 || l.dirBits+l.catBits+l.progBits > maxEnumBits {
		return l, fmt.Errorf("store: %d directions, %d categories and %d programmes do not fit the %d bits of a mobility key",
			dirs, cats, progs, maxEnumBits)
	}
	return l, nil
}

// layout is the layout of the domain's enums; a build whose enums do not
// fit stops here, at start-up.
var layout = func() figureLayout {
	l, err := newFigureLayout(len(directionNames), len(categoryNames), len(programmeNames))
	if err != nil {
		panic(err)
	}
	return l
}()

func (l figureLayout) enumBits() uint { return l.dirBits + l.catBits + l.progBits }

// enums packs a direction, category and programme.
func (l figureLayout) enums(dir, cat, prog uint8) uint64 {
	return uint64(dir)<<(l.catBits+l.progBits) | uint64(cat)<<l.progBits | uint64(prog)
}

// low packs a year and the enums into 32 bits.
func (l figureLayout) low(year int, dir, cat, prog uint8) uint64 {
	return uint64(year-partnerhub.MinAcademicYear)<<l.enumBits() | l.enums(dir, cat, prog)
}

// split takes apart what low packed.
func (l figureLayout) split(v uint64) (year int, dir, cat, prog uint8) {
	year = int(v>>l.enumBits()&(1<<yearBits-1)) + partnerhub.MinAcademicYear
	dir = uint8(v >> (l.catBits + l.progBits) & (1<<l.dirBits - 1))
	cat = uint8(v >> l.progBits & (1<<l.catBits - 1))
	prog = uint8(v & (1<<l.progBits - 1))
	return year, dir, cat, prog
}

// rollupKey is the key of a rollup delta: ref (a partner's or unit's id,
// or a programme's index; below 1<<32, which mobilityRefs checks) above the
// year, direction and category.
func (l figureLayout) rollupKey(ref uint64, f *figure) uint64 {
	return ref<<32 | l.low(f.year, f.dir, f.cat, 0)
}

// values packs a figure's year, enums and count into the one parameter the
// import's INSERT takes apart (see mobilityInsertSQL).
func (l figureLayout) values(f *figure) int64 {
	return int64(f.year)<<(countBits+l.enumBits()) | int64(l.enums(f.dir, f.cat, f.prog))<<countBits | f.count
}
