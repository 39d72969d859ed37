package transfer

// The agreements register: the workbook an international office keeps of
// its agreements, read in whole (every problem reported by row and column
// before anything is written) and written back in the same layout.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/i18n"
)

// The columns of a register.
type regColumn int

const (
	regSlug regColumn = iota
	regPartner
	regInstitution
	regKind
	regLevel
	regTitleJa
	regTitleEn
	regUnits
	regSigned
	regEffective
	regExpires
	regRenewal
	regNoticeDays
	regHomeSignatory
	regPartnerSignatory
	regRenews
	regStage
	regStatus
	regPublished
	regNoteJa
	regNoteEn
	regNumColumns
)

// regColumns names each column in English and Japanese, in the order the
// template and the export lay them out. Field is the Agreement field as
// Validate names it, so that its errors land on their column; Required
// tells the columns every register must have.
var regColumns = [regNumColumns]struct {
	Field    string
	En, Ja   string
	Required bool
}{
	{"slug", "Key", "キー", false},
	{"partner", "Partner", "パートナー", true},
	{"institution", "Member institution", "構成機関", false},
	{"kind", "Kind", "種類", true},
	{"level", "Signed by", "締結の単位", true},
	{"title.ja", "Title (Japanese)", "名称（日本語）", true},
	{"title.en", "Title (English)", "名称（英語）", true},
	{"units", "Units", "部局", false},
	{"signed", "Signed", "締結日", false},
	{"effective", "In force from", "発効日", false},
	{"expires", "Expires", "期限", false},
	{"renewal", "Renewal terms", "更新の条件", false},
	{"notice_days", "Notice period (days)", "通知期間（日）", false},
	{"home_signatory", "Home signatory", "本学の署名者", false},
	{"partner_signatory", "Partner signatory", "相手方の署名者", false},
	{"renews", "Renews", "更新する協定", false},
	{"stage", "Stage", "段階", false},
	{"status", "Standing when undated", "状況（期限なし）", false},
	{"published", "Published", "公開", false},
	{"note.ja", "Note (Japanese)", "注記（日本語）", false},
	{"note.en", "Note (English)", "注記（英語）", false},
}

// regHeaderNames maps a normalised header to its column: the English and
// Japanese names, the machine key (title_ja as well as title.ja), and a
// few names registers commonly use.
var regHeaderNames = func() map[string]regColumn {
	m := map[string]regColumn{
		"slug": regSlug, "協定名": regTitleJa, "有効期限": regExpires, "締結": regSigned, "締結年月日": regSigned,
		"機関": regInstitution, "備考": regNoteJa,
	}
	for i, c := range regColumns {
		for _, n := range []string{c.En, c.Ja, c.Field, strings.ReplaceAll(c.Field, ".", "_")} {
			m[mobNormalize(n)] = regColumn(i)
		}
	}
	return m
}()

// regHeaderColumn recognises a header cell: one name, or one column named
// in both languages separated by a slash ("パートナー / Partner").
func regHeaderColumn(s string) (regColumn, bool) {
	k := mobNormalize(s)
	if c, ok := regHeaderNames[k]; ok {
		return c, true
	}
	parts := strings.Split(k, "/")
	if len(parts) < 2 {
		return 0, false
	}
	var c regColumn
	for i, p := range parts {
		pc, ok := regHeaderNames[strings.TrimSpace(p)]
		if !ok || (i > 0 && pc != c) {
			return 0, false
		}
		c = pc
	}
	return c, true
}

// Bounds of a register: offices keep hundreds of agreements, not millions,
// so a register is read whole into memory.
const (
	regMaxBytes = 16 << 20
	regMaxRows  = 20_000
)

// Message keys, in i18n/{en,ja}/register.json (and the mobility import's
// for what the two share).
const (
	regKeyEmptyFile      = "register.empty_file"
	regKeyNoData         = "register.no_data"
	regKeyTooLarge       = "register.too_large"
	regKeyTooManyRows    = "register.too_many_rows"
	regKeyMissingColumns = "register.missing_columns"
	regKeyUnknownColumn  = "register.unknown_column"
	regKeyBadKind        = "register.bad_kind"
	regKeyBadLevel       = "register.bad_level"
	regKeyBadDate        = "register.bad_date"
	regKeyBadRenewal     = "register.bad_renewal"
	regKeyBadNoticeDays  = "register.bad_notice_days"
	regKeyBadStage       = "register.bad_stage"
	regKeyBadStatus      = "register.bad_status"
	regKeyBadPublished   = "register.bad_published"
	regKeyDuplicateSlug  = "register.duplicate_slug"
	regKeySlugTaken      = "register.slug_taken"
	regKeyUnknownRenews  = "register.unknown_renews"
	regKeyUnknownUnit    = "register.unknown_unit"
)

// RegisterOptions are what reading a register checks against.
type RegisterOptions struct {
	Resolver Resolver
	// Taken reports whether a slug is an agreement already stored (in the
	// bin too); nil: none is.
	Taken func(slug string) bool
}

// RegisterRow is one agreement of a register and the row it came from.
type RegisterRow struct {
	Row       int
	Agreement partnerhub.Agreement
}

// Register is a register read without a problem: its agreements in the
// file's order, and the columns' headers as written, to name a column in
// the problems the store finds later.
type Register struct {
	Rows  []RegisterRow
	names [regNumColumns]string
}

// Column is the header, as written in the file, of the column that holds
// an Agreement field as Validate and the store name it ("title.ja",
// "units.2" → the units column); for a column the file lacks, its names
// in both languages; "" for no column.
func (r *Register) Column(field string) string {
	return regColumnName(r.names, field)
}

func regColumnName(names [regNumColumns]string, field string) string {
	for i, c := range regColumns {
		if c.Field == field || strings.HasPrefix(field, c.Field+".") {
			if names[i] != "" {
				return names[i]
			}
			return c.Ja + " / " + c.En
		}
	}
	return ""
}

// ReadRegister reads a register (format "xlsx": the first sheet; or "csv":
// UTF-8) and checks every row: references resolved (partner, member
// institution, units, the agreement renewed), values read as offices write
// them in either language, Agreement.Validate, slugs unique in the file
// and not stored yet. A row without a slug gets one made of its partner,
// kind and year of signing. It returns the register, or every problem
// found (the register then nil).
func ReadRegister(r io.Reader, format string, opt RegisterOptions) (*Register, []RowError) {
	var grid []regLine
	var errs []RowError
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "csv":
		grid, errs = regReadCSV(r)
	case "xlsx":
		grid, errs = regReadXLSX(r)
	default:
		return nil, []RowError{{Key: mobKeyBadFormat, Args: []any{format}}}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	p := &regParser{opt: opt, xlsx: strings.EqualFold(strings.TrimSpace(format), "xlsx")}
	if p.opt.Taken == nil {
		p.opt.Taken = func(string) bool { return false }
	}
	return p.parse(grid)
}

// regLine is one non-blank row of a file and its number.
type regLine struct {
	row   int
	cells []string
}

func regReadCSV(r io.Reader) ([]regLine, []RowError) {
	b, err := io.ReadAll(io.LimitReader(r, regMaxBytes+1))
	switch {
	case err != nil:
		return nil, []RowError{{Key: mobKeyUnreadable}}
	case len(b) > regMaxBytes:
		return nil, []RowError{{Key: regKeyTooLarge, Args: []any{regMaxBytes >> 20}}}
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(b)))
	cr.FieldsPerRecord = -1
	var out []regLine
	var errs []RowError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if pe := mobParseError(err); pe != nil {
			errs = append(errs, RowError{Row: pe.StartLine, Key: mobKeyBadQuotes})
			continue
		} else if err != nil {
			return nil, []RowError{{Key: mobKeyUnreadable}}
		}
		for _, f := range rec {
			if !utf8.ValidString(f) {
				return nil, []RowError{{Key: mobKeyNotUTF8, Args: []any{line}}}
			}
		}
		if mobBlank(rec) {
			continue
		}
		if len(out) > regMaxRows {
			return nil, []RowError{{Key: regKeyTooManyRows, Args: []any{regMaxRows}}}
		}
		out = append(out, regLine{row: line, cells: append([]string(nil), rec...)})
	}
	return out, errs
}

func regReadXLSX(r io.Reader) ([]regLine, []RowError) {
	b, err := io.ReadAll(io.LimitReader(r, regMaxBytes+1))
	switch {
	case err != nil:
		return nil, []RowError{{Key: mobKeyUnreadable}}
	case len(b) > regMaxBytes:
		return nil, []RowError{{Key: regKeyTooLarge, Args: []any{regMaxBytes >> 20}}}
	case len(b) == 0:
		return nil, []RowError{{Key: regKeyEmptyFile}}
	}
	if key := mobCheckZip(b); key != "" {
		if key == mobKeyXLSXTooLarge {
			return nil, []RowError{{Key: regKeyTooLarge, Args: []any{regMaxBytes >> 20}}}
		}
		return nil, []RowError{{Key: mobKeyNotXLSX}}
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
		return nil, []RowError{{Key: mobKeyNotXLSX}}
	}
	var sheets []string
	_ = mobSafely(func() error { sheets = f.GetSheetList(); return nil })
	if len(sheets) == 0 {
		return nil, []RowError{{Key: mobKeyNoSheet}}
	}
	var rows *excelize.Rows
	if err := mobSafely(func() (err error) { rows, err = f.Rows(sheets[0]); return err }); err != nil {
		return nil, []RowError{{Key: mobKeyNotXLSX}}
	}
	defer mobSafely(rows.Close)
	raw := excelize.Options{RawCellValue: true}
	var out []regLine
	var errs []RowError
	row := 0
	for {
		var cells []string
		var more bool
		err := mobSafely(func() (err error) {
			if more = rows.Next(); more {
				cells, err = rows.Columns(raw)
			}
			return err
		})
		if !more && err == nil {
			break
		}
		row++
		switch {
		case errors.Is(err, errMobPanic):
			return nil, []RowError{{Key: mobKeyNotXLSX}}
		case err != nil:
			errs = append(errs, RowError{Row: row, Key: mobKeyUnreadableRow})
		case mobBlank(cells):
		case len(out) > regMaxRows:
			return nil, []RowError{{Key: regKeyTooManyRows, Args: []any{regMaxRows}}}
		default:
			out = append(out, regLine{row: row, cells: cells})
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		return nil, []RowError{{Key: mobKeyEmptySheet, Args: []any{sheets[0]}}}
	}
	return out, errs
}

// regParser checks the lines of one register.
type regParser struct {
	opt   RegisterOptions
	xlsx  bool // numbers in date columns are Excel's serial dates
	index [regNumColumns]int
	names [regNumColumns]string
	width int
	blank []bool
}

func (p *regParser) parse(grid []regLine) (*Register, []RowError) {
	if len(grid) == 0 {
		return nil, []RowError{{Key: regKeyEmptyFile}}
	}
	errs, ok := p.header(grid[0])
	if !ok {
		return nil, errs
	}
	if len(grid) == 1 {
		return nil, append(errs, RowError{Key: regKeyNoData})
	}
	reg := &Register{names: p.names}
	explicit := map[string]int{} // a slug written in the file → its row
	type pending struct {
		line    regLine
		a       partnerhub.Agreement
		generic bool // the slug is to be made
		renews  string
		errs    []RowError
	}
	var all []*pending
	for _, l := range grid[1:] {
		a, rowErrs := p.record(l)
		pd := &pending{line: l, a: a, generic: a.Slug == "", renews: a.Renews, errs: rowErrs}
		if !pd.generic && !p.hasErr(rowErrs, regSlug) {
			switch first, dup := explicit[a.Slug]; {
			case dup:
				pd.errs = append(pd.errs, p.err(l.row, regSlug, regKeyDuplicateSlug, a.Slug, first))
			case p.opt.Taken(a.Slug):
				pd.errs = append(pd.errs, p.err(l.row, regSlug, regKeySlugTaken, a.Slug))
			default:
				explicit[a.Slug] = l.row
			}
		}
		all = append(all, pd)
	}
	// Slugs are made once every written one is known, so that a made
	// slug never takes one a later row names.
	made := map[string]bool{}
	for _, pd := range all {
		if !pd.generic || pd.a.Partner == "" {
			continue
		}
		base := pd.a.Partner + "-" + string(pd.a.Kind)
		if !pd.a.Signed.IsZero() {
			base += "-" + strconv.Itoa(pd.a.Signed.Year)
		}
		base = strings.Trim(base[:min(len(base), 56)], "-")
		slug := base
		for n := 2; ; n++ {
			if _, ok := explicit[slug]; !ok && !made[slug] && !p.opt.Taken(slug) {
				break
			}
			slug = base + "-" + strconv.Itoa(n)
		}
		made[slug] = true
		pd.a.Slug = slug
	}
	for _, pd := range all {
		if pd.renews != "" && !p.hasErr(pd.errs, regRenews) {
			if _, ok := explicit[pd.renews]; !ok && !made[pd.renews] && !p.opt.Taken(pd.renews) {
				pd.errs = append(pd.errs, p.err(pd.line.row, regRenews, regKeyUnknownRenews, pd.renews))
			}
		}
		if len(pd.errs) == 0 && pd.a.Partner != "" {
			pd.errs = p.validate(&pd.a, pd.line.row)
		}
		if len(pd.errs) > 0 {
			errs = append(errs, pd.errs...)
			continue
		}
		reg.Rows = append(reg.Rows, RegisterRow{Row: pd.line.row, Agreement: pd.a})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return reg, nil
}

// header reads the header row; ok is false when a required column is
// missing (no row is read then).
func (p *regParser) header(l regLine) (errs []RowError, ok bool) {
	for i := range p.index {
		p.index[i] = -1
	}
	if len(l.cells) > mobMaxColumns {
		return []RowError{{Key: mobKeyTooManyColumns, Args: []any{len(l.cells), mobMaxColumns}}}, false
	}
	p.width = len(l.cells)
	p.blank = make([]bool, len(l.cells))
	for i, cell := range l.cells {
		name := strings.TrimSpace(strings.TrimPrefix(cell, "\ufeff"))
		if name == "" {
			p.blank[i] = true
			continue
		}
		c, known := regHeaderColumn(name)
		switch {
		case !known:
			errs = append(errs, RowError{Row: l.row, Column: name, Key: regKeyUnknownColumn, Args: []any{name}})
		case p.index[c] >= 0:
			errs = append(errs, RowError{Row: l.row, Column: name, Key: mobKeyDuplicateColumn, Args: []any{p.names[c]}})
		default:
			p.index[c], p.names[c] = i, name
		}
	}
	var en, ja []string
	for i, c := range regColumns {
		if c.Required && p.index[i] < 0 {
			en, ja = append(en, c.En), append(ja, c.Ja)
		}
	}
	if len(en) > 0 {
		errs = append([]RowError{{Row: l.row, Key: regKeyMissingColumns, Args: []any{strings.Join(en, ", "), strings.Join(ja, "、")}}}, errs...)
	}
	return errs, len(en) == 0
}

func (p *regParser) err(row int, c regColumn, key string, args ...any) RowError {
	name := p.names[c]
	if name == "" {
		name = regColumns[c].Ja + " / " + regColumns[c].En
	}
	return RowError{Row: row, Column: name, Key: key, Args: args}
}

// hasErr reports whether errs has a problem in column c.
func (p *regParser) hasErr(errs []RowError, c regColumn) bool {
	for _, e := range errs {
		if e.Column == p.names[c] && e.Column != "" {
			return true
		}
	}
	return false
}

// record reads one row into an agreement and its problems.
func (p *regParser) record(l regLine) (partnerhub.Agreement, []RowError) {
	var errs []RowError
	for i, c := range l.cells {
		if (i >= p.width || p.blank[i]) && mobTrim(c) != "" {
			errs = append(errs, RowError{Row: l.row, Key: mobKeyValueWithoutHeader, Args: []any{mobColumnLetter(i)}})
		}
	}
	var v [regNumColumns]string
	for c := range regNumColumns {
		i := p.index[c]
		if i < 0 || i >= len(l.cells) {
			continue
		}
		s := mobTrim(l.cells[i])
		if utf8.RuneCountInString(s) > mobMaxFieldChars && c != regNoteJa && c != regNoteEn {
			errs = append(errs, p.err(l.row, c, mobKeyTooLong, mobMaxFieldChars))
			continue
		}
		v[c] = s
	}
	for c, col := range regColumns {
		if col.Required && p.index[c] >= 0 && v[c] == "" {
			errs = append(errs, p.err(l.row, regColumn(c), mobKeyRequired))
		}
	}
	bad := func(c regColumn, key string, args ...any) { errs = append(errs, p.err(l.row, c, key, args...)) }
	labels := regLabels()
	a := partnerhub.Agreement{
		Slug: v[regSlug], Title: partnerhub.Text{Ja: v[regTitleJa], En: v[regTitleEn]},
		Note: partnerhub.Text{Ja: v[regNoteJa], En: v[regNoteEn]}, HomeSignatory: v[regHomeSignatory],
		PartnerSignatory: v[regPartnerSignatory], Renews: v[regRenews], Stage: partnerhub.StageSigned,
	}
	if s := v[regPartner]; s != "" {
		var ok bool
		if a.Partner, ok = p.opt.Resolver.Partner(s); !ok {
			bad(regPartner, mobKeyUnknownPartner, s)
		}
	}
	if s := v[regInstitution]; s != "" && a.Partner != "" {
		var ok bool
		if a.Institution, ok = p.opt.Resolver.Institution(a.Partner, s); !ok {
			bad(regInstitution, mobKeyUnknownInstitution, s, a.Partner)
		}
	}
	if s := v[regKind]; s != "" {
		var ok bool
		if a.Kind, ok = regEnum(labels.kinds, s); !ok {
			bad(regKind, regKeyBadKind, s)
		}
	}
	if s := v[regLevel]; s != "" {
		var ok bool
		if a.Level, ok = regEnum(labels.levels, s); !ok {
			bad(regLevel, regKeyBadLevel, s)
		}
	}
	if s := v[regUnits]; s != "" {
		for _, part := range regSplitList(s) {
			code, ok := p.opt.Resolver.Unit(part)
			if !ok {
				bad(regUnits, regKeyUnknownUnit, part)
				continue
			}
			if !slices.Contains(a.Units, code) {
				a.Units = append(a.Units, code)
			}
		}
	}
	for _, d := range []struct {
		c  regColumn
		to *partnerhub.PartialDate
	}{{regSigned, &a.Signed}, {regEffective, &a.Effective}, {regExpires, &a.Expires}} {
		if s := v[d.c]; s != "" {
			date, ok := p.date(s)
			if !ok {
				bad(d.c, regKeyBadDate, s)
			}
			*d.to = date
		}
	}
	if s := v[regRenewal]; s != "" {
		var ok bool
		if a.Renewal, ok = regEnum(labels.renewals, s); !ok {
			bad(regRenewal, regKeyBadRenewal, s)
		}
	}
	if s := v[regNoticeDays]; s != "" {
		n, ok := regParseDays(s)
		if !ok {
			bad(regNoticeDays, regKeyBadNoticeDays, s)
		}
		a.NoticeDays = n
	}
	if s := v[regStage]; s != "" {
		var ok bool
		if a.Stage, ok = regEnum(labels.stages, s); !ok {
			bad(regStage, regKeyBadStage, s)
		}
	}
	if s := v[regStatus]; s != "" {
		var ok bool
		if a.Status, ok = regEnum(labels.statuses, s); !ok {
			bad(regStatus, regKeyBadStatus, s)
		}
	}
	if s := v[regPublished]; s != "" {
		var ok bool
		if a.Published, ok = regEnum(labels.published, s); !ok {
			bad(regPublished, regKeyBadPublished, s)
		}
	}
	if len(errs) > 0 {
		a.Partner = "" // not validated: its problems are enough
	}
	return a, errs
}

// validate runs Agreement.Validate, each problem on its column.
func (p *regParser) validate(a *partnerhub.Agreement, row int) []RowError {
	err := a.Validate()
	if err == nil {
		return nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) {
		return []RowError{{Row: row, Key: mobKeyUnreadableRow}}
	}
	var errs []RowError
	for _, field := range slices.Sorted(maps.Keys(e.Fields)) {
		f := e.Fields[field]
		errs = append(errs, RowError{Row: row, Column: regColumnName(p.names, field), Key: "field." + f.Key, Args: f.Args})
	}
	return errs
}

// date reads a date as offices write it; in a workbook, a number is a date
// cell's serial (a year is four digits, a serial five).
func (p *regParser) date(s string) (partnerhub.PartialDate, bool) {
	if p.xlsx && len(s) >= 5 && mobIsDigits(strings.Split(s, ".")[0]) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 10000 && f < 2958466 {
			t, err := excelize.ExcelDateToTime(f, false)
			if err == nil {
				return partnerhub.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}, true
			}
		}
	}
	d, err := partnerhub.ParseWrittenDate(s)
	return d, err == nil
}

// regParseDays reads a number of days: 90, ９０, 90日, 90 days.
func regParseDays(s string) (int, bool) {
	t := mobNormalize(s)
	for _, suffix := range []string{"日間", "日", "days", "day"} {
		t = strings.TrimSpace(strings.TrimSuffix(t, suffix))
	}
	if !mobIsDigits(strings.Split(t, ".")[0]) {
		return 0, false
	}
	return mobParseWhole(t)
}

// regSplitList splits a list of units: commas, 、, semicolons or lines.
func regSplitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",、，;；\n", r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// regValues are the spellings of each enumerated column: its keys and its
// labels in both languages (as the catalogs have them), and a few words
// registers use.
type regValues struct {
	kinds     map[string]partnerhub.AgreementKind
	levels    map[string]partnerhub.AgreementLevel
	renewals  map[string]partnerhub.Renewal
	stages    map[string]partnerhub.AgreementStage
	statuses  map[string]partnerhub.AgreementStatus
	published map[string]bool
}

var regLabels = sync.OnceValue(func() *regValues {
	cats, err := mobCatalogs()
	r := &regValues{
		kinds:    map[string]partnerhub.AgreementKind{"mou": partnerhub.MoU, "memorandum": partnerhub.MoU},
		levels:   map[string]partnerhub.AgreementLevel{"全学": partnerhub.UniversityLevel, "university-wide": partnerhub.UniversityLevel},
		renewals: map[string]partnerhub.Renewal{"自動": partnerhub.RenewAutomatic, "by notice": partnerhub.RenewByNotice, "なし": partnerhub.RenewNone},
		stages:   map[string]partnerhub.AgreementStage{},
		statuses: map[string]partnerhub.AgreementStatus{"active": partnerhub.Active, "in force": partnerhub.Active},
		published: map[string]bool{"yes": true, "no": false, "true": true, "false": false, "1": true, "0": false,
			"はい": true, "いいえ": false, "○": true, "×": false, "公開": true, "非公開": false},
	}
	for _, k := range partnerhub.AgreementKinds {
		regAdd(r.kinds, k, "agreement.kind."+string(k), cats, err)
	}
	for _, l := range partnerhub.AgreementLevels {
		regAdd(r.levels, l, "agreement.level."+string(l), cats, err)
	}
	for _, v := range partnerhub.Renewals {
		regAdd(r.renewals, v, "agreement.renewal."+string(v), cats, err)
	}
	for _, s := range []partnerhub.AgreementStage{partnerhub.StageDraft, partnerhub.StageSigned} {
		regAdd(r.stages, s, "agreement.stage."+string(s), cats, err)
	}
	for _, s := range partnerhub.DeclaredStatuses {
		regAdd(r.statuses, s, "agreement.status."+string(s), cats, err)
	}
	for _, b := range []bool{true, false} {
		for _, l := range partnerhub.Langs {
			if err == nil {
				r.published[mobNormalizeEnum(cats.Printer(l).T(regBoolKey(b)))] = b
			}
		}
	}
	for k, v := range r.published {
		r.published[mobNormalizeEnum(k)] = v
	}
	return r
})

func regBoolKey(b bool) string {
	if b {
		return "register.yes"
	}
	return "register.no"
}

// regAdd adds a value's key and its labels in both languages.
func regAdd[T ~string](m map[string]T, v T, key string, cats *i18n.Catalogs, err error) {
	m[mobNormalizeEnum(string(v))] = v
	if err != nil {
		return
	}
	for _, l := range partnerhub.Langs {
		m[mobNormalizeEnum(cats.Printer(l).T(key))] = v
	}
}

func regEnum[T any](m map[string]T, s string) (T, bool) {
	v, ok := m[mobNormalizeEnum(s)]
	return v, ok
}
