package storetest

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub/transfer"
)

// Onboarding is an onboarding workbook with the given rows below each
// sheet's header row (the template's headers), for tests of its import.
// A sheet missing from rows is written with its header only; rows under
// the key "-" name sheets to leave out of the workbook.
func Onboarding(t testing.TB, rows map[string][][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	skip := map[string]bool{}
	for _, r := range rows["-"] {
		for _, s := range r {
			skip[s] = true
		}
	}
	first := true
	for _, sheet := range transfer.OnboardSheets {
		if skip[sheet] {
			continue
		}
		if first {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		var head []any
		for _, c := range transfer.OnboardColumns[sheet] {
			head = append(head, c.Header())
		}
		if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows[sheet] {
			vals := make([]any, len(r))
			for j, v := range r {
				vals[j] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// GoodOnboarding is a workbook a new member can import: two units, one
// phase, a partner whose institution is new to the registry and one whose
// institution the registry holds (Princeton, by its ROR, under other
// names, which must not rename it), and their teams.
func GoodOnboarding(t testing.TB) []byte {
	return Onboarding(t, map[string][][]string{
		transfer.OnboardUnits: {
			{"eng", "工学研究科", "Graduate School of Engineering", "工", "Eng.", "graduate_school"},
			{"sci", "理学研究科", "Graduate School of Science", "理", "Sci.", "graduate_school"},
		},
		transfer.OnboardPhases: {{"1", "2024", "2028", "2", "研究交流の拡大\n学生交流", "Broader research exchange\nStudent exchange"}},
		transfer.OnboardPartners: {
			{"example-tech", "例工科大学", "Example Institute of Technology", "EIT", "institution", "example-tech", "https://ror.org/0exmpl012", "US", "ボストン", "Boston", "https://www.example.edu", "工学の連携", "Engineering together"},
			{"princeton-p", "プリンストン（別名）", "Princeton Renamed", "", "institution", "not-princeton", "https://ror.org/00hx57361", "", "", "", "", "", ""},
		},
		transfer.OnboardTeams: {
			{"example-tech", "1", "eng", "yes", "primary"},
			{"example-tech", "1", "sci", "no", "primary"},
			{"princeton-p", "1", "sci", "yes", "prospective"},
		},
	})
}
