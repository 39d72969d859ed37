package store

import (
	"testing"

	"partnerhub"
)

// Statistics read the smallest rollup that holds what they need, and the
// figures themselves only when none does.
func TestStatsSourceFor(t *testing.T) {
	for _, tc := range []struct {
		need []string
		want string
	}{
		{nil, "mobility_by_home"},
		{[]string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimDirection}, "mobility_by_home"},
		{[]string{partnerhub.DimYear, partnerhub.DimProgramme}, "mobility_by_programme"},
		{[]string{partnerhub.DimHome, partnerhub.DimProgramme, partnerhub.DimCategory}, "mobility_by_programme"},
		{[]string{partnerhub.DimYear, partnerhub.DimPartner, partnerhub.DimDirection}, "mobility_by_partner"},
		{[]string{partnerhub.DimUnit, partnerhub.DimCategory}, "mobility_by_unit"},
		{[]string{partnerhub.DimPartner, partnerhub.DimProgramme}, "mobility"},
		{[]string{partnerhub.DimPartner, partnerhub.DimUnit}, "mobility"},
	} {
		need := map[string]bool{}
		for _, d := range tc.need {
			need[d] = true
		}
		if got := statsSourceFor(need).table; got != tc.want {
			t.Errorf("%v: %s, want %s", tc.need, got, tc.want)
		}
	}
}
