package transfer

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// mobListValues reads the values of a defined name's range on the lists sheet.
func mobListValues(t *testing.T, f *excelize.File, name string) []string {
	t.Helper()
	for _, d := range f.GetDefinedName() {
		if d.Name != name {
			continue
		}
		// 'Lists'!$A$1:$A$16
		_, ref, _ := strings.Cut(d.RefersTo, "!")
		from, to, _ := strings.Cut(strings.ReplaceAll(ref, "$", ""), ":")
		c1, r1, err := excelize.CellNameToCoordinates(from)
		if err != nil {
			t.Fatal(err)
		}
		_, r2, err := excelize.CellNameToCoordinates(to)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for r := r1; r <= r2; r++ {
			cell, _ := excelize.CoordinatesToCellName(c1, r)
			v, err := f.GetCellValue(mobListsSheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	t.Fatalf("no defined name %s", name)
	return nil
}

// The template, in either language, has the bilingual header and no data;
// its drop-down lists offer what Rows reads; filled with two rows from the
// lists it reads back as two figures.
func TestTemplateRoundTrip(t *testing.T) {
	x := mobIndex(t)
	res := mobTestResolver()
	for _, lang := range partnerhub.Langs {
		t.Run(string(lang), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTemplate(&buf, x, lang); err != nil {
				t.Fatal(err)
			}
			// Empty, it has a header and no data.
			if figs, errs := mobReadAll(t, buf.Bytes(), "xlsx"); len(figs) != 0 || !reflect.DeepEqual(errs, []RowError{mobRowErr(0, "", mobKeyNoData)}) {
				t.Fatalf("the empty template: %v %v", figs, mobFmtErrs(errs))
			}
			f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheets := f.GetSheetList()
			data := map[partnerhub.Lang]string{partnerhub.English: "Mobility", partnerhub.Japanese: "派遣・受入"}[lang]
			if !reflect.DeepEqual(sheets, []string{data, mobHelpSheet, mobListsSheet}) {
				t.Fatalf("sheets %q", sheets)
			}
			if visible, _ := f.GetSheetVisible(mobListsSheet); visible {
				t.Error("the lists sheet is visible")
			}
			header, err := f.GetRows(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(header) != 1 {
				t.Fatalf("the data sheet has %d rows: %q", len(header), header)
			}
			first := map[partnerhub.Lang]string{partnerhub.English: "Partner / パートナー", partnerhub.Japanese: "パートナー / Partner"}[lang]
			if len(header[0]) != int(mobNumColumns) || header[0][0] != first {
				t.Fatalf("header %q", header[0])
			}

			// The lists, in lang, each value readable.
			partners, units := mobListValues(t, f, "PartnerList"), mobListValues(t, f, "UnitList")
			dirs, cats, progs := mobListValues(t, f, "DirectionList"), mobListValues(t, f, "CategoryList"), mobListValues(t, f, "ProgrammeList")
			if len(partners) != len(x.Partners(partnerhub.PartnerFilter{})) || len(units) != len(x.Units()) || len(dirs) != 2 || len(cats) != 5 || len(progs) != 6 {
				t.Fatalf("lists: %d partners, %d units, %q %q %q", len(partners), len(units), dirs, cats, progs)
			}
			wantUnit := map[partnerhub.Lang]string{partnerhub.English: "Eng — Graduate School of Engineering", partnerhub.Japanese: "工 — 工学系研究科"}[lang]
			wantPartner := map[partnerhub.Lang]string{partnerhub.English: "National Taiwan University", partnerhub.Japanese: "国立台湾大学"}[lang]
			if !slices.Contains(units, wantUnit) || !slices.Contains(partners, wantPartner) {
				t.Errorf("lists lack %q or %q: %q %q", wantUnit, wantPartner, units, partners)
			}
			for _, p := range partners {
				if _, ok := res.Partner(p); !ok {
					t.Errorf("partner %q in the list is not read", p)
				}
			}
			for _, u := range units {
				if _, ok := res.Unit(u); !ok {
					t.Errorf("unit %q in the list is not read", u)
				}
			}
			for i, d := range dirs {
				if v, ok := mobParseEnum(mobDirections, d); !ok || v != partnerhub.Directions[i] {
					t.Errorf("direction %q reads as %q", d, v)
				}
			}
			for i, c := range cats {
				if v, ok := mobParseEnum(mobCategories, c); !ok || v != partnerhub.Categories[i] {
					t.Errorf("category %q reads as %q", c, v)
				}
			}
			for i, p := range progs {
				if v, ok := mobParseEnum(mobProgrammes, p); !ok || v != partnerhub.MobilityProgrammes[i] {
					t.Errorf("programme %q reads as %q", p, v)
				}
			}

			// The checks: five lists, the year and the count.
			dvs, err := f.GetDataValidations(data)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, dv := range dvs {
				got[dv.Sqref] = dv.Type + " " + dv.Formula1 + " " + dv.Formula2
				if dv.Error == nil || *dv.Error == "" {
					t.Errorf("%s has no error message", dv.Sqref)
				}
			}
			want := map[string]string{
				"A2:A1048576": "list PartnerList ", "C2:C1048576": "list UnitList ", "E2:E1048576": "list DirectionList ",
				"F2:F1048576": "list CategoryList ", "G2:G1048576": "list ProgrammeList ",
				"D2:D1048576": "whole 1900 2200", "H2:H1048576": "whole 0 1000000",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("validations\n got %v\nwant %v", got, want)
			}

			// The help sheet explains each column in both languages.
			help, err := f.GetRows(mobHelpSheet)
			if err != nil {
				t.Fatal(err)
			}
			if len(help) != 5+int(mobNumColumns) {
				t.Fatalf("help has %d rows", len(help))
			}
			for i, c := range mobColumns {
				row := help[5+i]
				if len(row) != 4 || row[0] != c.En+" / "+c.Ja || row[2] == "" || row[3] == "" || row[2] == row[3] {
					t.Errorf("help row %q", row)
				}
			}
			if !strings.Contains(help[6+int(mobColYear)-1][2], "April") || !strings.Contains(help[6+int(mobColYear)-1][3], "4月") {
				t.Errorf("the year's help: %q", help[6+int(mobColYear)-1])
			}

			// Fill two rows from the lists, numbers as numbers, and read back.
			stockholm := map[partnerhub.Lang]string{partnerhub.English: "Stockholm Universities", partnerhub.Japanese: "ストックホルム大学群"}[lang]
			rows := [][]any{
				{partners[0], nil, units[2], 2021, dirs[0], cats[1], progs[1], 12},
				{stockholm, "KTH", nil, 2022, dirs[1], cats[4], progs[5], 0},
			}
			for i, r := range rows {
				if err := f.SetSheetRow(data, "A"+strconv.Itoa(i+2), &r); err != nil {
					t.Fatal(err)
				}
			}
			var filled bytes.Buffer
			if _, err := f.WriteTo(&filled); err != nil {
				t.Fatal(err)
			}
			figs, errs := mobReadAll(t, filled.Bytes(), "xlsx")
			p0, _ := res.Partner(partners[0])
			u2, _ := res.Unit(units[2])
			wantFigs := []partnerhub.Mobility{
				{Partner: p0, Unit: u2, Year: 2021, Direction: partnerhub.Outbound, Category: partnerhub.Graduate, Programme: partnerhub.ShortProgramme, Count: 12},
				{Partner: "stockholm", Institution: "kth", Year: 2022, Direction: partnerhub.Inbound, Category: partnerhub.Researcher, Programme: partnerhub.OtherProgramme, Count: 0},
			}
			if len(errs) > 0 || !reflect.DeepEqual(figs, wantFigs) {
				t.Fatalf("read back %+v %v, want %+v", figs, mobFmtErrs(errs), wantFigs)
			}
		})
	}
	if err := WriteTemplate(&bytes.Buffer{}, x, "fr"); err == nil {
		t.Error("a template in French")
	}
}
