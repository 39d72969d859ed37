package store

import (
	"maps"
	"math/rand/v2"
	"testing"

	"partnerhub"
)

// The arrays of importSums hand rollupDeltas the same deltas as adding
// each figure to the maps, which a home too large for the arrays still
// does: by partner, unit (none too), programme and home, counts of zero
// left out as the writing leaves them out.
func TestImportSumsAsMaps(t *testing.T) {
	refs := &mobilityRefs{partnerIDs: []int64{0, 11, 12, 40}, unitIDs: []int64{0, 7, 9}}
	rng := rand.New(rand.NewPCG(3, 4))
	dense, sparse := newRollupDeltas(layout), newRollupDeltas(layout)
	ds := newImportSums(refs, dense)
	ss := &importSums{deltas: sparse} // not dense: the maps directly
	if !ds.dense {
		t.Fatal("a home of three partners and two units should get arrays")
	}
	for range 5000 {
		pn, un := uint32(1+rng.IntN(3)), uint32(rng.IntN(3))
		f := figure{partner: mref{refs.partnerIDs[pn], pn}, unit: mref{refs.unitIDs[un], un},
			year: partnerhub.MinAcademicYear + rng.IntN(partnerhub.MaxAcademicYear-partnerhub.MinAcademicYear+1),
			dir:  uint8(rng.IntN(len(directionNames))), cat: uint8(rng.IntN(len(categoryNames))),
			prog: uint8(rng.IntN(len(programmeNames))), count: int64(rng.IntN(3))}
		ds.add(refs, &f)
		ss.add(refs, &f)
	}
	ds.flush(refs)
	ss.flush(refs)
	nonzero := func(m map[uint64]int64) map[uint64]int64 {
		out := maps.Clone(m)
		maps.DeleteFunc(out, func(_ uint64, v int64) bool { return v == 0 })
		return out
	}
	for name, pair := range map[string][2]map[uint64]int64{
		"partner": {dense.partner, sparse.partner}, "unit": {dense.unit, sparse.unit},
		"programme": {dense.programme, sparse.programme}, "home": {dense.home, sparse.home},
	} {
		if got, want := nonzero(pair[0]), nonzero(pair[1]); len(want) == 0 || !maps.Equal(got, want) {
			t.Errorf("%s: %d deltas from the arrays, %d from the maps, equal %v", name, len(got), len(want), maps.Equal(got, want))
		}
	}
	big := &mobilityRefs{partnerIDs: make([]int64, 2000), unitIDs: make([]int64, 2000)}
	if newImportSums(big, newRollupDeltas(layout)).dense {
		t.Error("4,000 partners and units should keep the maps")
	}
}
