package transfer

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// WriteRegister writes agreements as a register workbook in lang: the
// first sheet has one header row in lang and one row per agreement, the
// second explains each column and the values it takes. With no agreements
// it is the register's template. ReadRegister reads it back unchanged:
// partners, institutions and units are written by name or mark where that
// names them alone, by slug or code otherwise; dates as ISO text (a
// partial date stays partial); values in lang's labels.
func WriteRegister(w io.Writer, x *partnerhub.Index, lang partnerhub.Lang, agreements []partnerhub.Agreement) error {
	if _, ok := partnerhub.ParseLang(string(lang)); !ok {
		return fmt.Errorf("transfer: unknown language %q", lang)
	}
	cats, err := mobCatalogs()
	if err != nil {
		return err
	}
	t := cats.Printer(lang).T
	res := NewResolver(x)

	f := excelize.NewFile()
	defer f.Close()
	data, help := t("register.sheet"), t("register.help_sheet")
	if err := f.SetSheetName("Sheet1", data); err != nil {
		return err
	}
	if _, err := f.NewSheet(help); err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": what is typed stays text (2015-03 is not a date)
	if err != nil {
		return err
	}
	for i := range regColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(data, cell, regHeader(regColumn(i), lang)); err != nil {
			return err
		}
		letter := mobColumnLetter(i)
		width := 16.0
		switch regColumn(i) {
		case regTitleJa, regTitleEn, regNoteJa, regNoteEn, regPartner:
			width = 36
		case regSlug, regInstitution, regUnits, regHomeSignatory, regPartnerSignatory, regRenews:
			width = 24
		}
		if err := f.SetColWidth(data, letter, letter, width); err != nil {
			return err
		}
		if err := f.SetColStyle(data, letter, text); err != nil {
			return err
		}
	}
	last := mobColumnLetter(int(regNumColumns) - 1)
	if err := f.SetCellStyle(data, "A1", last+"1", header); err != nil {
		return err
	}
	if err := f.SetRowHeight(data, 1, 32); err != nil {
		return err
	}
	if err := f.SetPanes(data, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	// One row per agreement, every cell text.
	for n, a := range agreements {
		row := regRow(a, x, res, lang)
		for i, v := range row {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, n+2)
			if err := f.SetCellStr(data, cell, v); err != nil {
				return err
			}
		}
	}

	// Drop-down lists of the enumerated columns, in lang.
	for _, l := range regLists(lang) {
		dv := excelize.NewDataValidation(true)
		col := mobColumnLetter(int(l.col))
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, mobLastRow)
		if err := dv.SetDropList(l.values); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, t("import.template_list_title"), t("import.template_list_error"))
		if err := f.AddDataValidation(data, dv); err != nil {
			return err
		}
	}

	// The help sheet: each column, whether required, what it takes.
	rows := [][]any{
		{t("register.help_title")},
		{t("register.help_intro")},
		{},
		{t("import.help_head_column"), t("import.help_head_required"), t("register.help_head_values")},
	}
	for i, c := range regColumns {
		req := t("import.help_optional")
		if c.Required {
			req = t("import.help_required")
		}
		rows = append(rows, []any{regHeader(regColumn(i), lang), req, t("register.help_" + strings.ReplaceAll(c.Field, ".", "_"))})
	}
	for i, row := range rows {
		if err := f.SetSheetRow(help, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(help, "A1", fmt.Sprintf("C%d", len(rows)), wrap); err != nil {
		return err
	}
	if err := f.SetCellStyle(help, "A4", "C4", header); err != nil {
		return err
	}
	if err := f.MergeCell(help, "A2", "C2"); err != nil {
		return err
	}
	if err := f.SetRowHeight(help, 2, 110); err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 26, "B": 12, "C": 90} {
		if err := f.SetColWidth(help, col, col, width); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: t("register.title"), Language: string(lang)}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// regHeader is a column's header in lang.
func regHeader(c regColumn, lang partnerhub.Lang) string {
	if lang == partnerhub.Japanese {
		return regColumns[c].Ja
	}
	return regColumns[c].En
}

// regLabel is a value's label in lang.
func regLabel(key string, lang partnerhub.Lang) string {
	cats, err := mobCatalogs()
	if err != nil {
		return key
	}
	return cats.Printer(lang).T(key)
}

type regList struct {
	col    regColumn
	values []string
}

// regLists are the drop-down lists of the enumerated columns in lang.
func regLists(lang partnerhub.Lang) []regList {
	var kinds, levels, renewals, stages, statuses []string
	for _, k := range partnerhub.AgreementKinds {
		kinds = append(kinds, regLabel("agreement.kind."+string(k), lang))
	}
	for _, l := range partnerhub.AgreementLevels {
		levels = append(levels, regLabel("agreement.level."+string(l), lang))
	}
	for _, r := range partnerhub.Renewals {
		renewals = append(renewals, regLabel("agreement.renewal."+string(r), lang))
	}
	for _, s := range []partnerhub.AgreementStage{partnerhub.StageSigned, partnerhub.StageDraft} {
		stages = append(stages, regLabel("agreement.stage."+string(s), lang))
	}
	for _, s := range partnerhub.DeclaredStatuses {
		statuses = append(statuses, regLabel("agreement.status."+string(s), lang))
	}
	return []regList{
		{regKind, kinds}, {regLevel, levels}, {regRenewal, renewals}, {regStage, stages}, {regStatus, statuses},
		{regPublished, []string{regLabel("register.yes", lang), regLabel("register.no", lang)}},
	}
}

// regRow is an agreement's cells, in regColumns' order.
func regRow(a partnerhub.Agreement, x *partnerhub.Index, res Resolver, lang partnerhub.Lang) [regNumColumns]string {
	var row [regNumColumns]string
	row[regSlug] = a.Slug
	row[regPartner] = a.Partner
	if p, err := x.Partner(a.Partner); err == nil {
		if name, _ := p.Name.In(lang); name != "" {
			if s, ok := res.Partner(name); ok && s == a.Partner {
				row[regPartner] = name
			}
		}
		for _, m := range p.Members {
			if m.Slug != a.Institution {
				continue
			}
			row[regInstitution] = a.Institution
			if name, _ := m.Name.In(lang); name != "" {
				if s, ok := res.Institution(a.Partner, name); ok && s == a.Institution {
					row[regInstitution] = name
				}
			}
		}
	}
	if row[regInstitution] == "" {
		row[regInstitution] = a.Institution
	}
	var units []string
	for _, code := range a.Units {
		label := code
		if u, err := x.Unit(code); err == nil {
			if mark, _ := u.Abbr.In(lang); mark != "" {
				if c, ok := res.Unit(mark); ok && c == code && !strings.ContainsAny(mark, ",、;") {
					label = mark
				}
			}
		}
		units = append(units, label)
	}
	sep := ", "
	if lang == partnerhub.Japanese {
		sep = "、"
	}
	row[regUnits] = strings.Join(units, sep)
	row[regKind] = regLabel("agreement.kind."+string(a.Kind), lang)
	row[regLevel] = regLabel("agreement.level."+string(a.Level), lang)
	row[regTitleJa], row[regTitleEn] = a.Title.Ja, a.Title.En
	row[regSigned], row[regEffective], row[regExpires] = a.Signed.String(), a.Effective.String(), a.Expires.String()
	if a.Renewal != "" {
		row[regRenewal] = regLabel("agreement.renewal."+string(a.Renewal), lang)
	}
	if a.NoticeDays != 0 {
		row[regNoticeDays] = strconv.Itoa(a.NoticeDays)
	}
	row[regHomeSignatory], row[regPartnerSignatory] = a.HomeSignatory, a.PartnerSignatory
	row[regRenews] = a.Renews
	row[regStage] = regLabel("agreement.stage."+string(a.Stage), lang)
	if a.Stage == partnerhub.StageSigned && a.Declared != "" {
		row[regStatus] = regLabel("agreement.status."+string(a.Declared), lang)
	}
	row[regPublished] = regLabel(regBoolKey(a.Published), lang)
	row[regNoteJa], row[regNoteEn] = a.Note.Ja, a.Note.En
	return row
}
