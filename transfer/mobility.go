// Package transfer takes data into partnerhub and out of it: the mobility
// spreadsheets offices keep (CSV and XLSX), and the XLSX template they fill.
package transfer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"partnerhub"
)

// Resolver recognises partners, member institutions and units as offices
// write them. Every lookup is case-insensitive, ignores surrounding and
// repeated spaces, and is NFKC-normalised, so full-width letters and digits
// (ＮＴＵ) and half-width katakana match.
type Resolver interface {
	// Partner accepts a partner's slug, its name in Japanese or English, or its short name.
	Partner(s string) (slug string, ok bool)
	// Institution accepts a member of partner (a slug): its slug, name in Japanese or English, or acronym.
	Institution(partner, s string) (slug string, ok bool)
	// Unit accepts a unit's code, name in Japanese or English, its mark
	// (工, 東文研, IPMU, Eng), or a mark and name as the template's list gives
	// them ("工 — 工学系研究科").
	Unit(s string) (code string, ok bool)
}

// mobResolver answers from maps built once: a key is a normalised spelling, its
// value the slug; "" marks a spelling that two records share (ambiguous).
type mobResolver struct {
	partners map[string]string
	members  map[string]map[string]string // partner slug → spelling → institution slug
	units    map[string]string
}

// NewResolver builds a Resolver of the partners, members and units of x.
func NewResolver(x *partnerhub.Index) Resolver {
	r := &mobResolver{partners: map[string]string{}, members: map[string]map[string]string{}, units: map[string]string{}}
	partners := x.Partners(partnerhub.PartnerFilter{})
	for _, p := range partners {
		mobAddName(r.partners, p.Name.Ja, p.Slug)
		mobAddName(r.partners, p.Name.En, p.Slug)
		mobAddName(r.partners, p.ShortName, p.Slug)
		m := map[string]string{}
		for _, in := range p.Members {
			mobAddName(m, in.Name.Ja, in.Slug)
			mobAddName(m, in.Name.En, in.Slug)
			mobAddName(m, in.Acronym, in.Slug)
		}
		for _, in := range p.Members {
			m[mobNormalize(in.Slug)] = in.Slug
		}
		r.members[p.Slug] = m
	}
	for _, p := range partners {
		r.partners[mobNormalize(p.Slug)] = p.Slug // a slug wins over a name spelled the same
	}
	for _, u := range x.Units() {
		mobAddName(r.units, u.Name.Ja, u.Code)
		mobAddName(r.units, u.Name.En, u.Code)
		mobAddName(r.units, u.Abbr.Ja, u.Code)
		mobAddName(r.units, u.Abbr.En, u.Code)
		for _, l := range partnerhub.Langs {
			mobAddName(r.units, mobUnitLabel(u, l), u.Code)
		}
	}
	for _, u := range x.Units() {
		r.units[mobNormalize(u.Code)] = u.Code
	}
	return r
}

// mobAddName maps the spelling s to slug, or marks it ambiguous when another
// record already has it.
func mobAddName(m map[string]string, s, slug string) {
	// The spelling as the catalog has it is looked up without normalising.
	for _, k := range []string{mobNormalize(s), strings.TrimSpace(s)} {
		if k == "" {
			continue
		}
		if old, ok := m[k]; ok && old != slug {
			m[k] = ""
			continue
		}
		m[k] = slug
	}
}

// mobLookup finds s in m: as written first (no allocation for the spellings
// files usually hold), then normalised.
func mobLookup(m map[string]string, s string) (string, bool) {
	if v, ok := m[s]; ok {
		return v, v != ""
	}
	k := mobNormalize(s)
	if k == s {
		return "", false
	}
	v, ok := m[k]
	return v, ok && v != ""
}

func (r *mobResolver) Partner(s string) (string, bool) { return mobLookup(r.partners, s) }

func (r *mobResolver) Institution(partner, s string) (string, bool) {
	m, ok := r.members[partner]
	if !ok {
		return "", false
	}
	return mobLookup(m, s)
}

func (r *mobResolver) Unit(s string) (string, bool) {
	if c, ok := mobLookup(r.units, s); ok {
		return c, true
	}
	// "mark — name" typed by hand: both halves must name the same unit.
	k := mobNormalize(s)
	for _, sep := range []string{"—", "–", " - "} {
		if mark, name, ok := strings.Cut(k, sep); ok {
			a, okA := mobLookup(r.units, mark)
			b, okB := mobLookup(r.units, name)
			if okA && okB && a == b {
				return a, true
			}
			return "", false
		}
	}
	return "", false
}

// mobUnitLabel is how the template's drop-down list shows a unit: its mark and
// name in lang.
func mobUnitLabel(u partnerhub.Unit, lang partnerhub.Lang) string {
	abbr, _ := u.Abbr.In(lang)
	name, _ := u.Name.In(lang)
	return abbr + " — " + name
}

// mobNormalize folds a spelling for comparison: NFKC, lower case, surrounding
// spaces dropped and inner runs of spaces made one.
func mobNormalize(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && mobIsFolded(s) {
		return s
	}
	if !ascii {
		s = norm.NFKC.String(s)
	}
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// mobIsFolded reports whether an ASCII string is already normalised.
func mobIsFolded(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return true
}

// RowError is one problem of an imported file. Row is the 1-based line (CSV)
// or row (XLSX) in the file, 0 for the file as a whole. Column is the header
// of the column as written in the file, "" for a problem of the file or of a
// whole row. Key is an i18n key (in i18n/*/mobility.json) and Args its
// arguments.
type RowError struct {
	Row    int
	Column string
	Key    string
	Args   []any
}

func (e RowError) Error() string {
	s := e.Key
	if e.Row > 0 {
		s = "row " + strconv.Itoa(e.Row) + ": " + s
	}
	if e.Column != "" {
		s += " (" + e.Column + ")"
	}
	return s
}

// Bounds of a file.
const (
	mobMaxFieldChars  = 1000     // characters of one value
	mobMaxColumns     = 64       // columns of the header
	mobMaxRecordBytes = 1 << 20  // bytes of one CSV record
	mobMaxXLSXBytes   = 64 << 20 // a workbook, packed and unpacked
	mobMaxXLSXEntries = 10_000   // parts of a workbook; Excel writes a few dozen
	mobMaxXLSXXML     = 16 << 20 // a sheet larger than this is unpacked to a temporary file, not to memory
	mobProgressEvery  = 10_000   // rows between calls of progress
	mobMaxYear        = partnerhub.MaxAcademicYear
	mobMinYear        = partnerhub.MinAcademicYear
)

// The columns of a mobility file.
type mobColumn int

const (
	mobColPartner mobColumn = iota
	mobColInstitution
	mobColUnit
	mobColYear
	mobColDirection
	mobColCategory
	mobColProgramme
	mobColCount
	mobNumColumns
)

// mobColumns names each column in English and Japanese, in the order the
// template lays them out; Required tells the ones every file must have.
var mobColumns = [mobNumColumns]struct {
	Field    string // the Mobility field, as Validate names it
	En, Ja   string
	Required bool
}{
	{"partner", "Partner", "パートナー", true},
	{"institution", "Institution", "機関", false},
	{"unit", "Unit", "部局", false},
	{"year", "Year", "年度", true},
	{"direction", "Direction", "方向", true},
	{"category", "Category", "区分", true},
	{"programme", "Programme", "プログラム", true},
	{"count", "Count", "人数", true},
}

// mobHeaderNames maps a normalised header to its column.
var mobHeaderNames = func() map[string]mobColumn {
	m := map[string]mobColumn{"program": mobColProgramme}
	for i, c := range mobColumns {
		m[mobNormalize(c.En)] = mobColumn(i)
		m[mobNormalize(c.Ja)] = mobColumn(i)
	}
	return m
}()

// mobHeaderColumn recognises a header cell: one name, or the same column named
// in both languages and separated by a slash ("パートナー / Partner").
func mobHeaderColumn(s string) (mobColumn, bool) {
	k := mobNormalize(s)
	if c, ok := mobHeaderNames[k]; ok {
		return c, true
	}
	parts := strings.Split(k, "/")
	if len(parts) < 2 {
		return 0, false
	}
	var c mobColumn
	for i, p := range parts {
		pc, ok := mobHeaderNames[strings.TrimSpace(p)]
		if !ok || (i > 0 && pc != c) {
			return 0, false
		}
		c = pc
	}
	return c, true
}

// Spellings of the values, in both languages. A value is looked up as
// written, then normalised with '_' and '-' read as spaces.
var (
	mobDirections = mobEnumMap(map[string]partnerhub.Direction{
		"outbound": partnerhub.Outbound, "派遣": partnerhub.Outbound,
		"inbound": partnerhub.Inbound, "受入": partnerhub.Inbound,
	})
	mobCategories = mobEnumMap(map[string]partnerhub.Category{
		"undergraduate": partnerhub.Undergraduate, "学部生": partnerhub.Undergraduate,
		"graduate": partnerhub.Graduate, "大学院生": partnerhub.Graduate,
		"faculty": partnerhub.Faculty, "教員": partnerhub.Faculty,
		"staff": partnerhub.Staff, "職員": partnerhub.Staff,
		"researcher": partnerhub.Researcher, "研究者": partnerhub.Researcher,
	})
	mobProgrammes = mobEnumMap(map[string]partnerhub.MobilityProgramme{
		"exchange": partnerhub.ExchangeProgramme, "交換留学": partnerhub.ExchangeProgramme,
		"short_programme": partnerhub.ShortProgramme, "short program": partnerhub.ShortProgramme, "短期プログラム": partnerhub.ShortProgramme,
		"joint_degree": partnerhub.JointDegree, "共同学位": partnerhub.JointDegree,
		"visit": partnerhub.Visit, "訪問": partnerhub.Visit,
		"internship": partnerhub.Internship, "インターンシップ": partnerhub.Internship,
		"other": partnerhub.OtherProgramme, "その他": partnerhub.OtherProgramme,
	})
)

// Labels are the values as the template's lists show them, per language.
var (
	mobDirectionLabels = map[partnerhub.Lang][]string{
		partnerhub.English: {"outbound", "inbound"}, partnerhub.Japanese: {"派遣", "受入"},
	}
	mobCategoryLabels = map[partnerhub.Lang][]string{
		partnerhub.English:  {"undergraduate", "graduate", "faculty", "staff", "researcher"},
		partnerhub.Japanese: {"学部生", "大学院生", "教員", "職員", "研究者"},
	}
	mobProgrammeLabels = map[partnerhub.Lang][]string{
		partnerhub.English:  {"exchange", "short programme", "joint degree", "visit", "internship", "other"},
		partnerhub.Japanese: {"交換留学", "短期プログラム", "共同学位", "訪問", "インターンシップ", "その他"},
	}
)

func mobEnumMap[T ~string](spellings map[string]T) map[string]T {
	m := map[string]T{}
	for k, v := range spellings {
		m[k] = v
		m[string(v)] = v
		m[mobNormalizeEnum(k)] = v
		m[mobNormalizeEnum(string(v))] = v
	}
	return m
}

func mobNormalizeEnum(s string) string {
	return mobNormalize(strings.NewReplacer("_", " ", "-", " ").Replace(mobNormalize(s)))
}

func mobParseEnum[T ~string](m map[string]T, s string) (T, bool) {
	if v, ok := m[s]; ok {
		return v, true
	}
	v, ok := m[mobNormalizeEnum(s)]
	return v, ok
}

// mobParseWhole reads a whole number written with ASCII digits, optionally
// followed by a decimal point and zeros (as a spreadsheet may store it);
// ok is false otherwise or past 9 digits.
func mobParseWhole(s string) (n int, ok bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	s = strings.TrimLeft(s, "0")
	if len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// mobIsDigits reports whether s is one or more ASCII digits.
func mobIsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mobParseYear reads an academic year: 2021, 2021年度, FY2021 (full-width too).
func mobParseYear(s string) (int, bool) {
	if mobIsDigits(s) {
		return mobParseWhole(s)
	}
	t := mobNormalize(s)
	t = strings.TrimSpace(strings.TrimPrefix(t, "fy"))
	t = strings.TrimSpace(strings.TrimSuffix(t, "年度"))
	if t == "" || t[0] == '.' {
		return 0, false
	}
	return mobParseWhole(t)
}

// mobParseCount reads a count: a whole number, full-width digits and thousands
// separators ("1,234") allowed. key is "" or the problem.
func mobParseCount(s string) (n int, key string) {
	if mobIsDigits(s) {
		if len(strings.TrimLeft(s, "0")) > 7 {
			return 0, mobKeyCountTooLarge
		}
		n, _ = mobParseWhole(s)
		if n > partnerhub.MaxMobilityCount {
			return 0, mobKeyCountTooLarge
		}
		return n, ""
	}
	t := mobNormalize(s)
	neg := false
	if rest, ok := strings.CutPrefix(t, "-"); ok {
		neg, t = true, strings.TrimSpace(rest)
	} else if rest, ok := strings.CutPrefix(t, "−"); ok { // MINUS SIGN
		neg, t = true, strings.TrimSpace(rest)
	}
	whole, frac, _ := strings.Cut(t, ".")
	if strings.Trim(frac, "0") != "" {
		return 0, mobKeyBadCount
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		for i, g := range groups {
			if !mobIsDigits(g) || len(g) > 3 || (i > 0 && len(g) != 3) {
				return 0, mobKeyBadCount
			}
		}
		whole = strings.Join(groups, "")
	}
	if !mobIsDigits(whole) {
		return 0, mobKeyBadCount
	}
	if len(strings.TrimLeft(whole, "0")) > 7 {
		if neg {
			return 0, mobKeyNegativeCount
		}
		return 0, mobKeyCountTooLarge
	}
	n, _ = mobParseWhole(whole)
	switch {
	case neg && n != 0:
		return 0, mobKeyNegativeCount
	case n > partnerhub.MaxMobilityCount:
		return 0, mobKeyCountTooLarge
	}
	return n, ""
}

// Message keys, in i18n/{en,ja}/mobility.json.
const (
	mobKeyBadFormat          = "import.bad_format"
	mobKeyUnreadable         = "import.unreadable"
	mobKeyEmptyFile          = "import.empty_file"
	mobKeyNoData             = "import.no_data"
	mobKeyNotUTF8            = "import.not_utf8"
	mobKeyRecordTooLarge     = "import.record_too_large"
	mobKeyTooManyColumns     = "import.too_many_columns"
	mobKeyMissingColumns     = "import.missing_columns"
	mobKeyUnknownColumn      = "import.unknown_column"
	mobKeyDuplicateColumn    = "import.duplicate_column"
	mobKeyNotXLSX            = "import.not_xlsx"
	mobKeyXLSXTooLarge       = "import.xlsx_too_large"
	mobKeyXLSXTooManyEntries = "import.xlsx_too_many_parts"
	mobKeyNoSheet            = "import.no_sheet"
	mobKeyEmptySheet         = "import.empty_sheet"
	mobKeyUnreadableRow      = "import.unreadable_row"
	mobKeyWrongFieldCount    = "import.wrong_field_count"
	mobKeyBadQuotes          = "import.bad_quotes"
	mobKeyDuplicateRow       = "import.duplicate_row"
	mobKeyValueWithoutHeader = "import.value_without_header"
	mobKeyRequired           = "import.required"
	mobKeyTooLong            = "import.too_long"
	mobKeyUnknownPartner     = "import.unknown_partner"
	mobKeyUnknownInstitution = "import.unknown_institution"
	mobKeyUnknownUnit        = "import.unknown_unit"
	mobKeyBadYear            = "import.bad_year"
	mobKeyYearOutOfRange     = "import.year_out_of_range"
	mobKeyBadDirection       = "import.bad_direction"
	mobKeyBadCategory        = "import.bad_category"
	mobKeyBadProgramme       = "import.bad_programme"
	mobKeyBadCount           = "import.bad_count"
	mobKeyNegativeCount      = "import.negative_count"
	mobKeyCountTooLarge      = "import.count_too_large"
)

// Rows reads a mobility file and yields each data row as a figure, or the
// row's problems. It never stops at the first problem: a caller validates
// the whole file (and rejects it whole) by reading to the end. It stops early
// only when the file itself is unreadable, yielding one RowError with Row 0.
// Problems of the header come first, in one yield; when a required column is
// missing no row is read. Figures yielded have passed Mobility.Validate and
// reference resolution, and no two share a Mobility.Key (a repeated key is
// the later row's problem, naming both rows). Blank rows are skipped.
//
// format is "csv" (UTF-8, with or without a byte order mark, comma
// separated) or "xlsx" (the first sheet). progress, if not nil, is called
// with the number of bytes (CSV) or rows (XLSX) read so far every 10,000
// rows, and once at the end.
func Rows(r io.Reader, format string, res Resolver, progress func(done int64)) iter.Seq2[partnerhub.Mobility, []RowError] {
	return func(yield func(partnerhub.Mobility, []RowError) bool) {
		for f, errs := range figures(r, format, res, progress, true) {
			if !yield(f.Mobility, errs) {
				return
			}
		}
	}
}

// Figure is a figure read from a file and the row it came from, so that
// problems found later (by the store) can name the row too.
type Figure struct {
	Row      int
	Mobility partnerhub.Mobility
}

// Figures is Rows with each figure's row number, for a caller that stores
// the figures: it leaves duplicate rows to the store, which finds them
// anyway (and against the figures already stored) and names both rows, so
// that a large file is not held twice in memory.
func Figures(r io.Reader, format string, res Resolver, progress func(done int64)) iter.Seq2[Figure, []RowError] {
	return figures(r, format, res, progress, false)
}

func figures(r io.Reader, format string, res Resolver, progress func(done int64), dedupe bool) iter.Seq2[Figure, []RowError] {
	return func(yield func(Figure, []RowError) bool) {
		p := &mobParser{res: res, progress: progress, noDedupe: !dedupe}
		p.yield = func(m partnerhub.Mobility, errs []RowError) bool {
			return yield(Figure{Row: p.figureRow, Mobility: m}, errs)
		}
		switch strings.ToLower(strings.TrimSpace(format)) {
		case "csv":
			p.readCSV(r)
		case "xlsx":
			p.readXLSX(r)
		default:
			p.yield(partnerhub.Mobility{}, []RowError{{Key: mobKeyBadFormat, Args: []any{format}}})
		}
	}
}

// mobParser holds the state of one read: the header, the keys seen so far.
type mobParser struct {
	res       Resolver
	yield     func(partnerhub.Mobility, []RowError) bool
	progress  func(int64)
	stopped   bool // the consumer stopped ranging
	figureRow int  // the row of the figure being yielded
	noDedupe  bool // the caller's store finds duplicate rows

	header   bool                   // the header has been read
	index    [mobNumColumns]int     // position of each column in a row, -1 when absent
	names    [mobNumColumns]string  // each column's header as written
	blankPos []bool                 // positions whose header is blank: a value there is an error
	width    int                    // cells in the header
	rows     int                    // data rows read
	seen     map[mobFigureKey]int32 // key of each valid figure → its row
	ids      map[string]uint32      // interned slugs, for mobFigureKey
}

// mobFigureKey is Mobility.Key packed: the slugs are interned to numbers, the
// enumerations to their positions. Two figures have the same mobFigureKey
// exactly when they have the same Key.
type mobFigureKey struct {
	partner, institution, unit uint32
	rest                       uint32 // year, direction, category, programme
}

func (p *mobParser) fail(row int, key string, args ...any) {
	p.emit(partnerhub.Mobility{}, []RowError{{Row: row, Key: key, Args: args}})
}

func (p *mobParser) emit(m partnerhub.Mobility, errs []RowError) {
	if !p.stopped && !p.yield(m, errs) {
		p.stopped = true
	}
}

// mobTrim is strings.TrimSpace, quick when there is nothing to trim.
func mobTrim(s string) string {
	if s == "" {
		return s
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if !unicode.IsSpace(first) && !unicode.IsSpace(last) {
		return s
	}
	return strings.TrimSpace(s)
}

// mobBlank reports whether every cell is empty or spaces.
func mobBlank(cells []string) bool {
	for _, c := range cells {
		if mobTrim(c) != "" {
			return false
		}
	}
	return true
}

// readHeader takes the first non-blank row as the header. ok is false when
// the rows cannot be read.
func (p *mobParser) readHeader(cells []string, row int) (ok bool) {
	p.header = true
	if len(cells) > mobMaxColumns {
		p.fail(0, mobKeyTooManyColumns, len(cells), mobMaxColumns)
		return false
	}
	for i := range p.index {
		p.index[i] = -1
	}
	p.width = len(cells)
	p.blankPos = make([]bool, len(cells))
	var errs []RowError
	for i, cell := range cells {
		name := strings.TrimSpace(strings.TrimPrefix(cell, "\ufeff"))
		if name == "" {
			p.blankPos[i] = true
			continue
		}
		c, known := mobHeaderColumn(name)
		switch {
		case !known: // its values are ignored
			errs = append(errs, RowError{Row: row, Column: name, Key: mobKeyUnknownColumn, Args: []any{name}})
		case p.index[c] >= 0: // its values are ignored
			errs = append(errs, RowError{Row: row, Column: name, Key: mobKeyDuplicateColumn, Args: []any{p.names[c]}})
		default:
			p.index[c], p.names[c] = i, name
		}
	}
	var en, ja []string
	for i, c := range mobColumns {
		if c.Required && p.index[i] < 0 {
			en, ja = append(en, strings.ToLower(c.En)), append(ja, c.Ja)
		}
	}
	if len(en) > 0 {
		errs = append([]RowError{{Key: mobKeyMissingColumns, Args: []any{strings.Join(en, ", "), strings.Join(ja, "、")}}}, errs...)
	}
	if len(errs) > 0 {
		p.emit(partnerhub.Mobility{}, errs)
	}
	return len(en) == 0
}

// record checks one data row (not blank) and yields its figure or problems.
func (p *mobParser) record(cells []string, row int) {
	p.rows++
	var errs []RowError
	for i, c := range cells {
		if (i >= p.width || p.blankPos[i]) && mobTrim(c) != "" {
			errs = append(errs, RowError{Row: row, Key: mobKeyValueWithoutHeader, Args: []any{mobColumnLetter(i)}})
		}
	}
	var m partnerhub.Mobility
	var v [mobNumColumns]string  // each column's value, trimmed
	var long [mobNumColumns]bool // too long: checked no further
	for c := range mobNumColumns {
		i := p.index[c]
		if i < 0 {
			continue
		}
		s := ""
		if i < len(cells) { // an XLSX row ends at its last value
			s = mobTrim(cells[i])
		}
		if len(s) > mobMaxFieldChars && utf8.RuneCountInString(s) > mobMaxFieldChars {
			errs = append(errs, RowError{Row: row, Column: p.names[c], Key: mobKeyTooLong, Args: []any{mobMaxFieldChars}})
			long[c] = true
			continue
		}
		v[c] = s
		if s == "" && mobColumns[c].Required {
			errs = append(errs, RowError{Row: row, Column: p.names[c], Key: mobKeyRequired})
		}
	}
	bad := func(c mobColumn, key string, args ...any) {
		errs = append(errs, RowError{Row: row, Column: p.names[c], Key: key, Args: args})
	}
	usable := func(c mobColumn) bool { return v[c] != "" && !long[c] }
	partnerOK := false
	if s := v[mobColPartner]; usable(mobColPartner) {
		if m.Partner, partnerOK = p.res.Partner(s); !partnerOK {
			bad(mobColPartner, mobKeyUnknownPartner, s)
		}
	}
	if s := v[mobColInstitution]; usable(mobColInstitution) && partnerOK {
		var ok bool
		if m.Institution, ok = p.res.Institution(m.Partner, s); !ok {
			bad(mobColInstitution, mobKeyUnknownInstitution, s, m.Partner)
		}
	}
	if s := v[mobColUnit]; usable(mobColUnit) {
		var ok bool
		if m.Unit, ok = p.res.Unit(s); !ok {
			bad(mobColUnit, mobKeyUnknownUnit, s)
		}
	}
	if s := v[mobColYear]; usable(mobColYear) {
		y, ok := mobParseYear(s)
		switch {
		case !ok:
			bad(mobColYear, mobKeyBadYear, s)
		case y < mobMinYear || y > mobMaxYear:
			bad(mobColYear, mobKeyYearOutOfRange, s, mobMinYear, mobMaxYear)
		default:
			m.Year = y
		}
	}
	if s := v[mobColDirection]; usable(mobColDirection) {
		var ok bool
		if m.Direction, ok = mobParseEnum(mobDirections, s); !ok {
			bad(mobColDirection, mobKeyBadDirection, s)
		}
	}
	if s := v[mobColCategory]; usable(mobColCategory) {
		var ok bool
		if m.Category, ok = mobParseEnum(mobCategories, s); !ok {
			bad(mobColCategory, mobKeyBadCategory, s)
		}
	}
	if s := v[mobColProgramme]; usable(mobColProgramme) {
		var ok bool
		if m.Programme, ok = mobParseEnum(mobProgrammes, s); !ok {
			bad(mobColProgramme, mobKeyBadProgramme, s)
		}
	}
	if s := v[mobColCount]; usable(mobColCount) {
		n, key := mobParseCount(s)
		switch key {
		case "":
			m.Count = n
		case mobKeyCountTooLarge:
			bad(mobColCount, key, s, partnerhub.MaxMobilityCount)
		default:
			bad(mobColCount, key, s)
		}
	}
	if len(errs) == 0 {
		errs = p.validate(&m, row)
	}
	if len(errs) == 0 && !p.noDedupe {
		k := p.key(&m)
		if first, dup := p.seen[k]; dup {
			errs = append(errs, RowError{Row: row, Key: mobKeyDuplicateRow, Args: []any{int(first), row}})
		} else {
			p.seen[k] = int32(row)
		}
	}
	if len(errs) > 0 {
		p.emit(partnerhub.Mobility{}, errs)
		return
	}
	p.figureRow = row
	p.emit(m, nil)
}

// validate runs Mobility.Validate: with the references resolved it fails
// only when a Resolver returns what is not a slug.
func (p *mobParser) validate(m *partnerhub.Mobility, row int) []RowError {
	err := m.Validate()
	if err == nil {
		return nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) {
		return []RowError{{Row: row, Key: mobKeyUnreadableRow}}
	}
	var errs []RowError
	for c, col := range mobColumns {
		if f, ok := e.Fields[col.Field]; ok {
			errs = append(errs, RowError{Row: row, Column: p.names[c], Key: "field." + f.Key, Args: f.Args})
		}
	}
	return errs
}

// key packs m's Key.
func (p *mobParser) key(m *partnerhub.Mobility) mobFigureKey {
	if p.seen == nil {
		p.seen, p.ids = map[mobFigureKey]int32{}, map[string]uint32{"": 0}
	}
	id := func(s string) uint32 {
		n, ok := p.ids[s]
		if !ok {
			n = uint32(len(p.ids))
			p.ids[s] = n
		}
		return n
	}
	return mobFigureKey{
		partner: id(m.Partner), institution: id(m.Institution), unit: id(m.Unit),
		rest: uint32(m.Year)<<16 | uint32(mobPosition(partnerhub.Directions, m.Direction))<<8 |
			uint32(mobPosition(partnerhub.Categories, m.Category))<<4 | uint32(mobPosition(partnerhub.MobilityProgrammes, m.Programme)),
	}
}

func mobPosition[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return len(list)
}

// mobColumnLetter names the i-th (0-based) column as a spreadsheet does: A, B, …, Z, AA.
func mobColumnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// errMobRecordTooLarge stops a CSV record that outgrows mobMaxRecordBytes.
var errMobRecordTooLarge = errors.New("record too large")

// mobBoundedReader counts the bytes read and refuses to read more than limit
// bytes past the mark, which the parser moves after each record.
type mobBoundedReader struct {
	r       io.Reader
	n, mark int64
	limit   int64
	over    bool
}

func (b *mobBoundedReader) Read(p []byte) (int, error) {
	if b.n-b.mark > b.limit {
		b.over = true
		return 0, errMobRecordTooLarge
	}
	k, err := b.r.Read(p)
	b.n += int64(k)
	return k, err
}

const mobCSVBuffer = 64 << 10

// mobParseError returns err as a *csv.ParseError, or nil.
func mobParseError(err error) *csv.ParseError {
	if err == nil {
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func (p *mobParser) readCSV(r io.Reader) {
	br := &mobBoundedReader{r: r, limit: mobMaxRecordBytes + mobCSVBuffer}
	buf := bufio.NewReaderSize(br, mobCSVBuffer)
	if b, err := buf.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		buf.Discard(3)
	}
	cr := newMobCSVReader(buf) // any number of fields until the header sets it
	line := 0
	for !p.stopped {
		rec, err := cr.read()
		if err == io.EOF {
			break
		}
		if br.over || errors.Is(err, errMobRecordTooLarge) {
			l := line + 1 // the record after the last one read
			if pe := mobParseError(err); pe != nil {
				l = max(l, pe.StartLine)
			}
			p.fail(0, mobKeyRecordTooLarge, l, mobMaxRecordBytes>>20)
			return
		}
		br.mark = br.n
		pe := mobParseError(err)
		if err != nil && pe == nil {
			p.fail(0, mobKeyUnreadable)
			return
		}
		line = cr.startLine()
		for _, f := range rec {
			if !utf8.ValidString(f) {
				p.fail(0, mobKeyNotUTF8, line)
				return
			}
		}
		switch {
		case pe != nil && pe.Err != csv.ErrFieldCount:
			p.emit(partnerhub.Mobility{}, []RowError{{Row: line, Key: mobKeyBadQuotes}})
			continue
		case mobBlank(rec):
			continue
		case !p.header:
			if !p.readHeader(rec, line) {
				return
			}
			cr.fieldsPerRecord = len(rec)
			continue
		case pe != nil: // the wrong number of fields
			p.rows++
			p.emit(partnerhub.Mobility{}, []RowError{{Row: line, Key: mobKeyWrongFieldCount, Args: []any{len(rec), p.width}}})
		default:
			p.record(rec, line)
		}
		if p.progress != nil && p.rows%mobProgressEvery == 0 {
			p.progress(br.n)
		}
	}
	if p.stopped {
		return
	}
	switch {
	case !p.header:
		p.fail(0, mobKeyEmptyFile)
	case p.rows == 0:
		p.fail(0, mobKeyNoData)
	}
	if p.progress != nil {
		p.progress(br.n)
	}
}

// Ahead reads figures on another goroutine, some thousands ahead of the
// consumer, so that reading a file and storing its figures use two cores.
// The batches handed over are used again once the consumer has taken
// their figures: new ones for each batch came to some 150 bytes a row
// (150 MB for a million rows), and the collector's cycles with them.
func Ahead(seq iter.Seq2[Figure, []RowError]) iter.Seq2[Figure, []RowError] {
	type item struct {
		f    Figure
		errs []RowError
	}
	const batch, queued = 1024, 8
	return func(yield func(Figure, []RowError) bool) {
		ch := make(chan []item, queued)
		free := make(chan []item, queued+2) // every batch that can exist at once
		stop := make(chan struct{})
		go func() {
			defer close(ch)
			next := func() []item {
				select {
				case b := <-free:
					return b[:0]
				default:
					return make([]item, 0, batch)
				}
			}
			b := next()
			for f, errs := range seq {
				b = append(b, item{f, errs})
				if len(b) == batch {
					select {
					case ch <- b:
					case <-stop:
						return
					}
					b = next()
				}
			}
			if len(b) > 0 {
				select {
				case ch <- b:
				case <-stop:
				}
			}
		}()
		defer func() {
			close(stop)
			for range ch { // let the reader end
			}
		}()
		for b := range ch {
			for _, it := range b {
				if !yield(it.f, it.errs) {
					return
				}
			}
			select {
			case free <- b:
			default:
			}
		}
	}
}
