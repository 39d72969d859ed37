package store

import (
	"testing"

	"partnerhub"
)

// Every figure keeps a key of its own, in memory and in the rollups, with
// more categories and programmes than the domain has today. With four bits
// a direction and category took in the rollup keys, nine categories made
// (2021, inbound, the ninth) and (2022, outbound, the second) one key, and
// their totals mixed without an error.
func TestFigureLayoutKeepsFiguresApart(t *testing.T) {
	for _, c := range []struct{ dirs, cats, progs int }{
		{len(directionNames), len(categoryNames), len(programmeNames)},
		{2, 9, 6},
		{2, 17, 33},
		{2, 256, 3}, // a byte, the most a figure holds of an enum
		{4, 3, 256},
	} {
		l, err := newFigureLayout(c.dirs, c.cats, c.progs)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		rollup := map[uint64]figure{}
		packed := map[uint64]figure{}
		for _, year := range []int{partnerhub.MinAcademicYear, 2021, 2022, partnerhub.MaxAcademicYear} {
			for dir := range c.dirs {
				for cat := range c.cats {
					for prog := range c.progs {
						f := figure{year: year, dir: uint8(dir), cat: uint8(cat), prog: uint8(prog), count: partnerhub.MaxMobilityCount}
						if prog == 0 {
							k := l.rollupKey(1<<32-1, &f)
							if g, ok := rollup[k]; ok {
								t.Fatalf("%+v: rollup key of %+v is that of %+v", c, f, g)
							}
							rollup[k] = f
						}
						lo := l.low(f.year, f.dir, f.cat, f.prog)
						if g, ok := packed[lo]; ok {
							t.Fatalf("%+v: packed key of %+v is that of %+v", c, f, g)
						}
						packed[lo] = f
						if lo >= 1<<32 {
							t.Fatalf("%+v: %+v packs beyond 32 bits", c, f)
						}
						var back figure
						back.year, back.dir, back.cat, back.prog = l.split(lo)
						back.count = f.count
						if back != f {
							t.Fatalf("%+v: %+v comes back as %+v", c, f, back)
						}
						if v := l.values(&f); v>>(countBits+l.enumBits()) != int64(year) || v&(1<<countBits-1) != f.count ||
							uint64(v>>countBits)&(1<<l.enumBits()-1) != l.enums(f.dir, f.cat, f.prog) {
							t.Fatalf("%+v: values of %+v: %x", c, f, v)
						}
					}
				}
			}
		}
	}
}

// A packed key sorts as the unique index: year, direction, category, programme.
func TestFigureLayoutSortsAsTheIndex(t *testing.T) {
	l, err := newFigureLayout(2, 9, 6)
	if err != nil {
		t.Fatal(err)
	}
	var prev uint64
	first := true
	for year := 2020; year <= 2022; year++ {
		for dir := range 2 {
			for cat := range 9 {
				for prog := range 6 {
					k := l.low(year, uint8(dir), uint8(cat), uint8(prog))
					if !first && k <= prev {
						t.Fatalf("(%d, %d, %d, %d) sorts before the one ahead of it", year, dir, cat, prog)
					}
					first, prev = false, k
				}
			}
		}
	}
}

// More values than the keys hold are refused, not wrapped around.
func TestFigureLayoutRefusesWhatDoesNotFit(t *testing.T) {
	for _, c := range []struct{ dirs, cats, progs int }{
		{2, 257, 6},     // more than a byte holds
		{256, 256, 256}, // 24 bits
		{256, 256, 129}, // 24 bits
		{2, 1 << 12, 1 << 12},
	} {
		if _, err := newFigureLayout(c.dirs, c.cats, c.progs); err == nil {
			t.Errorf("%+v fits, want an error", c)
		}
	}
	if l, err := newFigureLayout(256, 256, 128); err != nil || l.enumBits() != maxEnumBits {
		t.Errorf("the most that fits: %+v, %v", l, err)
	}
}
