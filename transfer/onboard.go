package transfer

// The onboarding workbook: what a new member of the network brings with it
// (its units, its phases, its partners and their teams) in one XLSX file
// with a sheet for each, headers in both languages ("code / コード"). It is
// read whole, and every problem found is reported by sheet, row and column
// before the store is asked to write anything.

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// The onboarding workbook's sheets, by their names in the file.
const (
	OnboardUnits    = "Units"
	OnboardPhases   = "Phases"
	OnboardPartners = "Partners"
	OnboardTeams    = "Teams"
	OnboardNotes    = "Notes"
)

// OnboardSheets are the data sheets, in the order they are read and written.
var OnboardSheets = []string{OnboardUnits, OnboardPhases, OnboardPartners, OnboardTeams}

// onboardMaxBytes bounds a workbook: a member's units and partners are
// hundreds of rows at most.
const onboardMaxBytes = 16 << 20

// onboardMaxRows bounds the rows of each sheet.
const onboardMaxRows = 5000

// OnboardColumn is a column of a sheet: Key is its field (and the English
// header), Ja its Japanese header.
type OnboardColumn struct {
	Key, Ja  string
	Required bool
}

// Header is the column's header as the template writes it.
func (c OnboardColumn) Header() string { return c.Key + " / " + c.Ja }

// OnboardColumns are each sheet's columns, in the template's order.
var OnboardColumns = map[string][]OnboardColumn{
	OnboardUnits: {
		{"code", "コード", true}, {"name_ja", "名称（日本語）", true}, {"name_en", "名称（英語）", true},
		{"abbr_ja", "略称（日本語）", true}, {"abbr_en", "略称（英語）", true}, {"kind", "種別", true},
	},
	OnboardPhases: {
		{"number", "期", true}, {"start_year", "開始年度", true}, {"end_year", "終了年度", true},
		{"partners", "協定校数", false}, {"aims_ja", "目標（日本語）", false}, {"aims_en", "目標（英語）", false},
	},
	OnboardPartners: {
		{"slug", "キー", true}, {"name_ja", "名称（日本語）", true}, {"name_en", "名称（英語）", true},
		{"short_name", "略称", false}, {"kind", "種別", true}, {"institution", "機関キー", false},
		{"ror", "ROR", false}, {"country", "国", false}, {"city_ja", "都市（日本語）", false}, {"city_en", "都市（英語）", false},
		{"website", "ウェブサイト", false}, {"summary_ja", "概要（日本語）", false}, {"summary_en", "概要（英語）", false},
	},
	OnboardTeams: {
		{"partner", "パートナー", true}, {"phase", "期", true}, {"unit", "部局", true},
		{"lead", "代表", false}, {"tier", "区分", false},
	},
}

// OnboardExample is the example row of each sheet in the template.
var OnboardExample = map[string][]string{
	OnboardUnits:    {"eng", "工学研究科", "Graduate School of Engineering", "工", "Eng.", "graduate_school"},
	OnboardPhases:   {"1", "2024", "2028", "10", "研究交流の拡大", "Broader research exchange"},
	OnboardPartners: {"example-u", "例大学", "Example University", "EU", "institution", "example-u", "https://ror.org/0abcde123", "US", "ボストン", "Boston", "https://www.example.edu", "", ""},
	OnboardTeams:    {"example-u", "1", "eng", "yes", "primary"},
}

// SheetError is a problem of the workbook: the sheet, the row (1 is the
// header; 0 for the sheet or file as a whole), the column's header as
// written in the file ("" for a whole row), an i18n key and its arguments.
type SheetError struct {
	Sheet  string
	Row    int
	Column string
	Key    string
	Args   []any
}

// Onboarding is a workbook read: its rows, each with the row it came from.
type Onboarding struct {
	Units    []OnboardRow[partnerhub.Unit]
	Phases   []OnboardRow[partnerhub.Phase]
	Partners []OnboardPartner
	Teams    []OnboardTeam
	// headers are each sheet's headers as written, by field, for the
	// columns of problems found later (by the store).
	headers map[string]map[string]string
}

// OnboardRow is a record of a sheet and its row.
type OnboardRow[R any] struct {
	Row    int
	Record R
}

// OnboardPartner is a partner and what the registry needs of its
// institution when it is new: ROR, country, city, website.
type OnboardPartner struct {
	Row     int
	Partner partnerhub.Partner
	// Institution is the row's institution (for a partner of one): its
	// slug is Partner.Members[0], its names the partner's.
	Institution partnerhub.Institution
}

// OnboardTeam is a unit in a partner's team in a phase.
type OnboardTeam struct {
	Row     int
	Partner string
	Phase   int
	Unit    string
	Lead    bool
	Tier    partnerhub.Tier
}

// Column is the header of a sheet's field as the file wrote it (the
// template's header when the file did not have it).
func (o *Onboarding) Column(sheet, field string) string {
	if h, ok := o.headers[sheet][field]; ok {
		return h
	}
	for _, c := range OnboardColumns[sheet] {
		if c.Key == field {
			return c.Header()
		}
	}
	return field
}

// onboardHeader is the field a header names: the template's header, its
// English or its Japanese part, in any case and spacing.
func onboardHeader(sheet, h string) (string, bool) {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	n := norm(h)
	for _, c := range OnboardColumns[sheet] {
		if n == norm(c.Header()) || n == norm(c.Key) || n == norm(c.Ja) {
			return c.Key, true
		}
	}
	return "", false
}

// ReadOnboarding reads a workbook. It returns every problem of the file,
// by sheet, row and column; none means the rows are well formed (the store
// checks them against what it holds).
func ReadOnboarding(r io.Reader) (*Onboarding, []SheetError) {
	b, err := io.ReadAll(io.LimitReader(r, onboardMaxBytes+1))
	switch {
	case err != nil:
		return nil, []SheetError{{Key: "onboard.unreadable"}}
	case len(b) > onboardMaxBytes:
		return nil, []SheetError{{Key: "onboard.too_large", Args: []any{onboardMaxBytes >> 20}}}
	case len(b) == 0:
		return nil, []SheetError{{Key: "onboard.empty_file"}}
	}
	if key := mobCheckZip(b); key != "" {
		return nil, []SheetError{{Key: "onboard.not_xlsx"}}
	}
	var f *excelize.File
	err = mobSafely(func() (err error) {
		f, err = excelize.OpenReader(bytes.NewReader(b), mobXLSXOptions)
		return err
	})
	if f != nil {
		defer mobSafely(f.Close)
	}
	if err != nil {
		return nil, []SheetError{{Key: "onboard.not_xlsx"}}
	}
	o := &Onboarding{headers: map[string]map[string]string{}}
	var errs []SheetError
	for _, sheet := range OnboardSheets {
		grid, serrs := onboardGrid(f, sheet)
		if len(serrs) > 0 {
			errs = append(errs, serrs...)
			continue
		}
		errs = append(errs, o.readSheet(sheet, grid)...)
	}
	errs = append(errs, o.crossCheck()...)
	return o, errs
}

// onboardGrid reads a sheet's cells, trimmed, row by row.
func onboardGrid(f *excelize.File, sheet string) ([][]string, []SheetError) {
	var rows [][]string
	err := mobSafely(func() (err error) {
		idx, err := f.GetSheetIndex(sheet)
		if err != nil || idx < 0 {
			return errNoSheet
		}
		rows, err = f.GetRows(sheet, excelize.Options{RawCellValue: true})
		return err
	})
	if err == errNoSheet {
		return nil, []SheetError{{Sheet: sheet, Key: "onboard.missing_sheet", Args: []any{sheet}}}
	}
	if err != nil {
		return nil, []SheetError{{Sheet: sheet, Key: "onboard.not_xlsx"}}
	}
	if len(rows) > onboardMaxRows+1 {
		return nil, []SheetError{{Sheet: sheet, Key: "onboard.too_many_rows", Args: []any{onboardMaxRows}}}
	}
	for i := range rows {
		for j := range rows[i] {
			rows[i][j] = strings.TrimSpace(rows[i][j])
		}
	}
	return rows, nil
}

// errNoSheet is a sheet the workbook lacks.
var errNoSheet = errors.New("no such sheet")

// cells is one row by field.
type cells map[string]string

func (o *Onboarding) readSheet(sheet string, grid [][]string) []SheetError {
	if len(grid) == 0 {
		return []SheetError{{Sheet: sheet, Key: "onboard.no_header"}}
	}
	var errs []SheetError
	fields := make([]string, len(grid[0]))
	o.headers[sheet] = map[string]string{}
	for j, h := range grid[0] {
		if h == "" {
			continue
		}
		key, ok := onboardHeader(sheet, h)
		if !ok {
			errs = append(errs, SheetError{Sheet: sheet, Row: 1, Column: h, Key: "onboard.unknown_column", Args: []any{h}})
			continue
		}
		if _, dup := o.headers[sheet][key]; dup {
			errs = append(errs, SheetError{Sheet: sheet, Row: 1, Column: h, Key: "onboard.duplicate_column", Args: []any{h}})
			continue
		}
		fields[j] = key
		o.headers[sheet][key] = h
	}
	var missing []string
	for _, c := range OnboardColumns[sheet] {
		if _, ok := o.headers[sheet][c.Key]; !ok && c.Required {
			missing = append(missing, c.Header())
		}
	}
	if len(missing) > 0 {
		errs = append(errs, SheetError{Sheet: sheet, Row: 1, Key: "onboard.missing_columns", Args: []any{strings.Join(missing, ", ")}})
	}
	if len(errs) > 0 {
		return errs
	}
	for i, line := range grid[1:] {
		row := i + 2
		c := cells{}
		blank := true
		for j, v := range line {
			if j < len(fields) && fields[j] != "" {
				c[fields[j]] = v
				if v != "" {
					blank = false
				}
			}
		}
		if blank {
			continue
		}
		p := rowParser{o: o, sheet: sheet, row: row, c: c}
		for _, col := range OnboardColumns[sheet] {
			if col.Required && c[col.Key] == "" {
				p.fail(col.Key, "onboard.required")
			}
		}
		switch sheet {
		case OnboardUnits:
			p.unit()
		case OnboardPhases:
			p.phase()
		case OnboardPartners:
			p.partner()
		case OnboardTeams:
			p.team()
		}
		errs = append(errs, p.errs...)
	}
	return errs
}

type rowParser struct {
	o     *Onboarding
	sheet string
	row   int
	c     cells
	errs  []SheetError
}

func (p *rowParser) fail(field, key string, args ...any) {
	p.errs = append(p.errs, SheetError{Sheet: p.sheet, Row: p.row, Column: p.o.Column(p.sheet, field), Key: key, Args: args})
}

// int reads a whole number; 0 and a problem when it is not one.
func (p *rowParser) int(field string) int {
	s := p.c[field]
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, ".0"))
	if err != nil {
		p.fail(field, "onboard.bad_number", s)
	}
	return n
}

func (p *rowParser) enum(field string, allowed []string) string {
	s := strings.ToLower(p.c[field])
	if s != "" && !slices.Contains(allowed, s) {
		p.fail(field, "onboard.one_of", p.c[field], strings.Join(allowed, ", "))
	}
	return s
}

func (p *rowParser) text(field string) partnerhub.Text {
	return partnerhub.Text{Ja: p.c[field+"_ja"], En: p.c[field+"_en"]}
}

func (p *rowParser) unit() {
	kinds := make([]string, len(partnerhub.UnitKinds))
	for i, k := range partnerhub.UnitKinds {
		kinds[i] = string(k)
	}
	u := partnerhub.Unit{Code: p.c["code"], Name: p.text("name"), Abbr: p.text("abbr"), Kind: partnerhub.UnitKind(p.enum("kind", kinds))}
	for _, prev := range p.o.Units {
		if prev.Record.Code == u.Code && u.Code != "" {
			p.fail("code", "onboard.duplicate", u.Code, prev.Row)
		}
	}
	p.o.Units = append(p.o.Units, OnboardRow[partnerhub.Unit]{p.row, u})
}

func (p *rowParser) phase() {
	ph := partnerhub.Phase{Number: p.int("number"), StartYear: p.int("start_year"), EndYear: p.int("end_year"),
		Declared: partnerhub.PartnerCount{Total: p.int("partners")}}
	ja, en := splitLines(p.c["aims_ja"]), splitLines(p.c["aims_en"])
	if len(ja) != len(en) {
		p.fail("aims_en", "onboard.aims_mismatch", len(ja), len(en))
	}
	for i := range min(len(ja), len(en)) {
		ph.Aims = append(ph.Aims, partnerhub.Text{Ja: ja[i], En: en[i]})
	}
	for _, prev := range p.o.Phases {
		if prev.Record.Number == ph.Number && ph.Number != 0 {
			p.fail("number", "onboard.duplicate", strconv.Itoa(ph.Number), prev.Row)
		}
	}
	p.o.Phases = append(p.o.Phases, OnboardRow[partnerhub.Phase]{p.row, ph})
}

func splitLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (p *rowParser) partner() {
	kind := partnerhub.PartnerKind(p.enum("kind", []string{string(partnerhub.PartnerInstitution), string(partnerhub.PartnerGroup)}))
	pa := partnerhub.Partner{Slug: p.c["slug"], Name: p.text("name"), ShortName: p.c["short_name"], Kind: kind,
		Summary: p.text("summary")}
	inst := partnerhub.Institution{Name: pa.Name, Acronym: pa.ShortName, ROR: p.c["ror"], Country: strings.ToUpper(p.c["country"]),
		City: p.text("city"), Website: p.c["website"]}
	switch kind {
	case partnerhub.PartnerGroup:
		for s := range strings.SplitSeq(p.c["institution"], ";") {
			if s = strings.TrimSpace(s); s != "" {
				pa.Members = append(pa.Members, s)
			}
		}
		if len(pa.Members) < 2 {
			p.fail("institution", "onboard.group_members")
		}
	default:
		inst.Slug = p.c["institution"]
		if inst.Slug == "" {
			inst.Slug = pa.Slug
		}
		if strings.Contains(inst.Slug, ";") {
			p.fail("institution", "onboard.one_institution")
		}
		pa.Members = []string{inst.Slug}
	}
	for _, prev := range p.o.Partners {
		if prev.Partner.Slug == pa.Slug && pa.Slug != "" {
			p.fail("slug", "onboard.duplicate", pa.Slug, prev.Row)
		}
	}
	p.o.Partners = append(p.o.Partners, OnboardPartner{Row: p.row, Partner: pa, Institution: inst})
}

func (p *rowParser) team() {
	t := OnboardTeam{Row: p.row, Partner: p.c["partner"], Phase: p.int("phase"), Unit: p.c["unit"],
		Tier: partnerhub.Tier(p.enum("tier", []string{string(partnerhub.Primary), string(partnerhub.Prospective)}))}
	switch strings.ToLower(p.c["lead"]) {
	case "", "no", "n", "false", "0", "いいえ":
	case "yes", "y", "true", "1", "はい", "○":
		t.Lead = true
	default:
		p.fail("lead", "onboard.bad_yes_no", p.c["lead"])
	}
	p.o.Teams = append(p.o.Teams, t)
}

// crossCheck finds the problems between rows: a team's unit, partner or
// phase that no sheet has (the store looks for them among what it holds
// too), two leads of one team, two tiers of one partner in one phase.
func (o *Onboarding) crossCheck() []SheetError {
	var errs []SheetError
	type teamKey struct {
		partner string
		phase   int
	}
	lead := map[teamKey]int{}
	tier := map[teamKey]partnerhub.Tier{}
	seen := map[string]int{}
	for _, t := range o.Teams {
		k := teamKey{t.Partner, t.Phase}
		if t.Lead {
			if prev, ok := lead[k]; ok {
				errs = append(errs, SheetError{Sheet: OnboardTeams, Row: t.Row, Column: o.Column(OnboardTeams, "lead"), Key: "onboard.two_leads", Args: []any{prev}})
			} else {
				lead[k] = t.Row
			}
		}
		if prev, ok := tier[k]; ok && t.Tier != "" && prev != "" && prev != t.Tier {
			errs = append(errs, SheetError{Sheet: OnboardTeams, Row: t.Row, Column: o.Column(OnboardTeams, "tier"), Key: "onboard.two_tiers", Args: []any{string(prev), string(t.Tier)}})
		}
		if t.Tier != "" {
			tier[k] = t.Tier
		}
		line := t.Partner + "\x00" + strconv.Itoa(t.Phase) + "\x00" + t.Unit
		if prev, ok := seen[line]; ok {
			errs = append(errs, SheetError{Sheet: OnboardTeams, Row: t.Row, Column: o.Column(OnboardTeams, "unit"), Key: "onboard.duplicate", Args: []any{t.Unit, prev}})
		}
		seen[line] = t.Row
	}
	return errs
}

// Headers are a sheet's headers in the template.
func onboardHeaders(sheet string) []any {
	var out []any
	for _, c := range OnboardColumns[sheet] {
		out = append(out, c.Header())
	}
	return out
}

// WriteOnboardingTemplate writes the empty workbook: the four data sheets,
// each with its bilingual headers and one example row, and the notes sheet
// in both languages (lang first).
func WriteOnboardingTemplate(w io.Writer, lang partnerhub.Lang) error {
	cats, err := mobCatalogs()
	if err != nil {
		return err
	}
	other := partnerhub.English
	if lang == partnerhub.English {
		other = partnerhub.Japanese
	}
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	if err != nil {
		return err
	}
	italic, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "666666"}})
	if err != nil {
		return err
	}
	for i, sheet := range OnboardSheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		head := onboardHeaders(sheet)
		if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
			return err
		}
		ex := make([]any, len(OnboardExample[sheet]))
		for j, v := range OnboardExample[sheet] {
			ex[j] = v
		}
		if err := f.SetSheetRow(sheet, "A2", &ex); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(head), 1)
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return err
		}
		lastEx, _ := excelize.CoordinatesToCellName(len(head), 2)
		if err := f.SetCellStyle(sheet, "A2", lastEx, italic); err != nil {
			return err
		}
		lastCol, _ := excelize.ColumnNumberToName(len(head))
		if err := f.SetColWidth(sheet, "A", lastCol, 22); err != nil {
			return err
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(OnboardNotes); err != nil {
		return err
	}
	row := 1
	put := func(vals ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return f.SetSheetRow(OnboardNotes, cell, &vals)
	}
	for _, l := range []partnerhub.Lang{lang, other} {
		t := cats.Printer(l).T
		if err := put(t("onboard.notes_title")); err != nil {
			return err
		}
		for _, k := range []string{"notes_intro", "notes_whole", "notes_twice", "notes_example"} {
			if err := put(t("onboard." + k)); err != nil {
				return err
			}
		}
		for _, sheet := range OnboardSheets {
			if err := put(sheet, t("onboard.notes_sheet_"+strings.ToLower(sheet))); err != nil {
				return err
			}
			for _, c := range OnboardColumns[sheet] {
				req := ""
				if c.Required {
					req = t("onboard.notes_required")
				}
				if err := put("", c.Header(), t("onboard.notes_"+strings.ToLower(sheet)+"_"+c.Key), req); err != nil {
					return err
				}
			}
		}
		row++
	}
	if err := f.SetColWidth(OnboardNotes, "A", "A", 14); err != nil {
		return err
	}
	if err := f.SetColWidth(OnboardNotes, "B", "B", 28); err != nil {
		return err
	}
	if err := f.SetColWidth(OnboardNotes, "C", "C", 90); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}
