package transfer

import (
	"fmt"
	"io"
	"sync"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/i18n"
)

// The template's sheets besides the first (named in the template's language).
// Excel forbids "/" in sheet names, so Help and 説明 are joined by "|".
const (
	mobHelpSheet  = "Help | 説明"
	mobListsSheet = "Lists"
	mobLastRow    = 1_048_576 // Excel's last row: the checks cover the whole column
)

var mobCatalogs = sync.OnceValues(i18n.Load)

// WriteTemplate writes an XLSX template for mobility figures. Its first
// sheet has the header row in both languages ("パートナー / Partner", the
// language of lang first) and no data; drop-down lists offer the partners
// (names in lang), the units (mark — name) and the directions, categories and
// programmes (in lang); the year column takes whole numbers 1900–2200 and the
// count 0–1,000,000. The sheet "Help | 説明" explains each column in both
// languages. A hidden sheet holds the lists. A file filled from it reads
// back with Rows.
func WriteTemplate(w io.Writer, x *partnerhub.Index, lang partnerhub.Lang) error {
	if _, ok := partnerhub.ParseLang(string(lang)); !ok {
		return fmt.Errorf("transfer: unknown language %q", lang)
	}
	cats, err := mobCatalogs()
	if err != nil {
		return err
	}
	t := cats.Printer(lang).T
	en, ja := cats.Printer(partnerhub.English).T, cats.Printer(partnerhub.Japanese).T

	f := excelize.NewFile()
	defer f.Close()
	data := t("import.template_sheet")
	if err := f.SetSheetName("Sheet1", data); err != nil {
		return err
	}
	if _, err := f.NewSheet(mobHelpSheet); err != nil {
		return err
	}
	if _, err := f.NewSheet(mobListsSheet); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	if err := f.SetSheetVisible(mobListsSheet, false); err != nil {
		return err
	}

	// The lists the drop-downs offer, one column each on the hidden sheet.
	var partners, units []string
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		name, _ := p.Name.In(lang)
		partners = append(partners, name)
	}
	for _, u := range x.Units() {
		units = append(units, mobUnitLabel(u, lang))
	}
	lists := []struct {
		name   string
		col    mobColumn
		values []string
	}{
		{"PartnerList", mobColPartner, partners},
		{"UnitList", mobColUnit, units},
		{"DirectionList", mobColDirection, mobDirectionLabels[lang]},
		{"CategoryList", mobColCategory, mobCategoryLabels[lang]},
		{"ProgrammeList", mobColProgramme, mobProgrammeLabels[lang]},
	}

	// The header row, bold on a tinted ground, frozen.
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	if err != nil {
		return err
	}
	whole, err := f.NewStyle(&excelize.Style{NumFmt: 1}) // 0: a year shows no thousands separator
	if err != nil {
		return err
	}
	for i, c := range mobColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		h := c.Ja + " / " + c.En
		if lang == partnerhub.English {
			h = c.En + " / " + c.Ja
		}
		if err := f.SetCellValue(data, cell, h); err != nil {
			return err
		}
		letter := mobColumnLetter(i)
		width := 18.0
		switch mobColumn(i) {
		case mobColPartner, mobColUnit, mobColInstitution:
			width = 36
		case mobColCount, mobColYear:
			width = 14
			if err := f.SetColStyle(data, letter, whole); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(data, letter, letter, width); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(data, "A1", mobColumnLetter(int(mobNumColumns)-1)+"1", header); err != nil {
		return err
	}
	if err := f.SetRowHeight(data, 1, 32); err != nil {
		return err
	}
	if err := f.SetPanes(data, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	rangeOf := func(c mobColumn) string {
		l := mobColumnLetter(int(c))
		return fmt.Sprintf("%s2:%s%d", l, l, mobLastRow)
	}
	for i, l := range lists {
		letter := mobColumnLetter(i)
		for j, v := range l.values {
			if err := f.SetCellStr(mobListsSheet, fmt.Sprintf("%s%d", letter, j+1), v); err != nil {
				return err
			}
		}
		ref := fmt.Sprintf("'%s'!$%s$1:$%s$%d", mobListsSheet, letter, letter, max(len(l.values), 1))
		if err := f.SetDefinedName(&excelize.DefinedName{Name: l.name, RefersTo: ref}); err != nil {
			return err
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = rangeOf(l.col)
		dv.SetSqrefDropList(l.name)
		dv.SetError(excelize.DataValidationErrorStyleStop, t("import.template_list_title"), t("import.template_list_error"))
		if err := f.AddDataValidation(data, dv); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		col      mobColumn
		min, max int
		title    string
		msg      string
	}{
		{mobColYear, mobMinYear, mobMaxYear, "import.template_year_title", "import.template_year_error"},
		{mobColCount, 0, partnerhub.MaxMobilityCount, "import.template_count_title", "import.template_count_error"},
	} {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = rangeOf(r.col)
		if err := dv.SetRange(r.min, r.max, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, t(r.title), t(r.msg))
		dv.SetInput(t(r.title), t(r.msg))
		if err := f.AddDataValidation(data, dv); err != nil {
			return err
		}
	}

	// The help sheet: both languages side by side.
	help := [][]any{
		{en("import.help_title") + " / " + ja("import.help_title")},
		{en("import.help_intro")},
		{ja("import.help_intro")},
		{},
		{
			en("import.help_head_column") + " / " + ja("import.help_head_column"),
			en("import.help_head_required") + " / " + ja("import.help_head_required"),
			"English", "日本語",
		},
	}
	for _, c := range mobColumns {
		req := en("import.help_optional") + " / " + ja("import.help_optional")
		if c.Required {
			req = en("import.help_required") + " / " + ja("import.help_required")
		}
		help = append(help, []any{c.En + " / " + c.Ja, req, en("import.help_" + c.Field), ja("import.help_" + c.Field)})
	}
	for i, row := range help {
		if err := f.SetSheetRow(mobHelpSheet, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(mobHelpSheet, "A1", fmt.Sprintf("D%d", len(help)), wrap); err != nil {
		return err
	}
	if err := f.SetCellStyle(mobHelpSheet, "A5", "D5", header); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(mobHelpSheet, "A1", "A1", bold); err != nil {
		return err
	}
	for _, m := range []string{"A2:D2", "A3:D3"} {
		if err := f.MergeCell(mobHelpSheet, m[:2], m[3:]); err != nil {
			return err
		}
	}
	for _, r := range []int{2, 3} {
		if err := f.SetRowHeight(mobHelpSheet, r, 90); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 24, "B": 18, "C": 60, "D": 60} {
		if err := f.SetColWidth(mobHelpSheet, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: t("import.template_title"), Language: string(lang)}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
