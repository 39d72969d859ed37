package transfer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// workbook writes sheets of rows (the first row the header) as XLSX.
func workbook(t *testing.T, sheets map[string][][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range OnboardSheets {
		rows, ok := sheets[name]
		if !ok {
			continue
		}
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &vals); err != nil {
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

// TestReadOnboarding: headers are read in English, in Japanese or both,
// in any order; a missing sheet, a missing column and an unknown one are
// reported by sheet and row; a group's members are split; a team's two
// leads are told.
func TestReadOnboarding(t *testing.T) {
	o, errs := ReadOnboarding(bytes.NewReader(workbook(t, map[string][][]string{
		OnboardUnits:    {{"種別", "code", "名称（日本語）", "Name_EN", "abbr_ja / 略称（日本語）", "略称（英語）"}, {"Institute", "iis", "生産研", "IIS", "生研", "IIS"}},
		OnboardPhases:   {{"number", "start_year", "end_year"}, {"3", "2021", "2024"}},
		OnboardPartners: {{"slug", "name_ja", "name_en", "kind", "institution"}, {"g5", "G5", "G5", "group", "a-u; b-u"}},
		OnboardTeams:    {{"partner", "phase", "unit", "lead"}, {"g5", "3", "iis", "はい"}, {"g5", "3", "eng", "yes"}},
	})))
	if len(errs) != 1 || errs[0].Key != "onboard.two_leads" || errs[0].Sheet != OnboardTeams || errs[0].Row != 3 || errs[0].Column != "lead" {
		t.Fatalf("problems: %+v", errs)
	}
	if u := o.Units[0].Record; u.Code != "iis" || u.Kind != partnerhub.Institute || u.Name.En != "IIS" || u.Abbr.Ja != "生研" {
		t.Errorf("unit: %+v", u)
	}
	if p := o.Partners[0].Partner; strings.Join(p.Members, ",") != "a-u,b-u" || p.Kind != partnerhub.PartnerGroup {
		t.Errorf("partner: %+v", p)
	}
	if len(o.Teams) != 2 || !o.Teams[0].Lead {
		t.Errorf("teams: %+v", o.Teams)
	}

	_, errs = ReadOnboarding(bytes.NewReader(workbook(t, map[string][][]string{
		OnboardUnits:  {{"code", "colour"}, {"x", "red"}},
		OnboardPhases: {{"number", "start_year", "end_year"}},
		OnboardTeams:  {{"partner", "phase", "unit"}},
	})))
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Sheet+":"+e.Key] = true
	}
	for _, want := range []string{"Units:onboard.unknown_column", "Partners:onboard.missing_sheet"} {
		if !got[want] {
			t.Errorf("no %s in %+v", want, errs)
		}
	}
	if _, errs := ReadOnboarding(strings.NewReader("not a workbook")); len(errs) != 1 || errs[0].Key != "onboard.not_xlsx" {
		t.Errorf("not a workbook: %+v", errs)
	}
}
