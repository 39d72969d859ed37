package transfer

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// Table is a list to download: headers already in the reader's language,
// rows of cells.
//
// A cell is a string, int, int64 (or any other integer type), float64 (or
// float32), bool, time.Time or nil. NaN and infinite floats are written as
// empty cells. Anything else is written as text: its String method when it
// has one, fmt.Sprint otherwise. Rows may be shorter or longer than Headers;
// every line gets as many cells as the widest row.
type Table struct {
	Name    string
	Headers []string
	Rows    [][]any
}

// Excel's limits.
const (
	tabMaxRows      = excelize.TotalRows  // 1,048,576, the header included
	tabMaxColumns   = excelize.MaxColumns // 16,384
	tabMaxSheetName = 31                  // UTF-16 code units
)

// tabBOM makes Excel read a CSV file as UTF-8 (it reads Shift_JIS otherwise
// in Japan).
const tabBOM = "\uFEFF"

// WriteCSV writes UTF-8 with a BOM (so Excel opens Japanese correctly), CRLF
// line ends, RFC 4180 quoting, and neutralises spreadsheet formula
// injection: a text cell starting with =, +, -, @, tab or CR is written with
// a leading apostrophe. Numbers are written plainly (negative ones too),
// booleans as TRUE and FALSE, times as "2006-01-02" (or "2006-01-02
// 15:04:05" when they have a clock time) in their own location. A line break
// inside a cell is written as CRLF within quotes; a lone CR inside a cell is
// dropped (encoding/csv's rule with UseCRLF).
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, tabBOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	record := make([]string, tabWidth(t))
	write := func(cells []any) error {
		for i := range record {
			record[i] = ""
			if i < len(cells) {
				record[i] = tabCSVCell(cells[i])
			}
		}
		return cw.Write(record)
	}
	if len(t.Headers) > 0 {
		for i := range record {
			record[i] = ""
			if i < len(t.Headers) {
				record[i] = tabNeutralise(t.Headers[i])
			}
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	for _, row := range t.Rows {
		if err := write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// tabWidth is the number of columns: the longest of the header and rows.
func tabWidth(t Table) int {
	n := len(t.Headers)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

// tabCSVCell renders one cell for CSV.
func tabCSVCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return tabNeutralise(v)
	case int:
		return strconv.Itoa(v)
	case int8, int16, int32, int64:
		return strconv.FormatInt(tabInt(v), 10)
	case uint, uint8, uint16, uint32, uint64, uintptr:
		return fmt.Sprint(v)
	case float64:
		return tabFloat(v, 64)
	case float32:
		return tabFloat(float64(v), 32)
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.Format(tabTimeLayout(v))
	}
	return tabNeutralise(tabText(v))
}

func tabInt(v any) int64 {
	switch v := v.(type) {
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	}
	return 0
}

// tabFloat writes a float without an exponent (Excel reads "1e+21" as a
// number but shows "1E+21"; plain digits survive every reader).
func tabFloat(v float64, bits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, bits)
}

func tabTimeLayout(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return time.DateOnly
	}
	return time.DateTime
}

// tabText renders a cell of another type as text.
func tabText(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case fmt.Stringer:
		return v.String()
	case error:
		return v.Error()
	}
	return fmt.Sprint(v)
}

// tabNeutralise makes a text cell safe from formula injection (OWASP's
// CSV injection advice): one starting with =, +, -, @, tab or CR gets a
// leading apostrophe, which spreadsheets read as "this is text". It also
// replaces invalid UTF-8, so the file is UTF-8 throughout.
func tabNeutralise(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// WriteXLSX writes one sheet named after t.Name (sanitised to Excel's
// sheet-name rules: at most 31 characters, none of : \ / ? * [ ], not
// starting or ending with an apostrophe, not "History"), with a bold header
// row, the header frozen, an auto filter over the table, numbers and
// booleans as such, and column widths from the content (CJK characters count
// double). It streams the rows (excelize's StreamWriter, which moves them
// to a temporary file past 16 MB), so 100,000 rows take little more memory
// than the Table itself and the compressed file. Text cells are stored as
// text, which Excel never evaluates, so they need no apostrophe; text longer
// than Excel's 32,767 characters is cut.
func WriteXLSX(w io.Writer, t Table) (err error) {
	cols := tabWidth(t)
	if cols > tabMaxColumns {
		return fmt.Errorf("transfer: %d columns; Excel takes at most %d", cols, tabMaxColumns)
	}
	header := 0
	if len(t.Headers) > 0 {
		header = 1
	}
	if n := len(t.Rows) + header; n > tabMaxRows {
		return fmt.Errorf("transfer: %d rows; Excel takes at most %d", n, tabMaxRows)
	}

	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	sheet := tabSheetName(t.Name)
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // the locale's short date
	if err != nil {
		return err
	}
	dateTime, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	if err != nil {
		return err
	}

	// The filter goes on the worksheet before the stream writer takes it.
	if cols > 0 && header == 1 {
		last, err := excelize.CoordinatesToCellName(cols, max(len(t.Rows)+1, 2))
		if err != nil {
			return err
		}
		if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	// Last column first: excelize puts each new <col> before the ones it
	// has, and Excel wants them in ascending order.
	widths := tabColumnWidths(t, cols)
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	row := make([]any, cols)
	next := 1
	if header == 1 {
		if err := sw.SetPanes(&excelize.Panes{
			Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
		}); err != nil {
			return err
		}
		for i := range row {
			row[i] = nil
			if i < len(t.Headers) {
				row[i] = excelize.Cell{StyleID: bold, Value: tabXLSXText(t.Headers[i])}
			}
		}
		if err := sw.SetRow("A1", row, excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		next = 2
	}
	for _, cells := range t.Rows {
		for i := range row {
			row[i] = nil
			if i < len(cells) {
				row[i] = tabXLSXCell(cells[i], date, dateTime)
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, next)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
		next++
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// tabXLSXCell converts one cell for excelize.
func tabXLSXCell(cell any, date, dateTime int) any {
	switch v := cell.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return cell
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return cell // not v: boxing it again would allocate
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil
		}
		return cell
	case string:
		if utf8.ValidString(v) {
			return cell
		}
		return tabXLSXText(v)
	case time.Time:
		if v.IsZero() {
			return nil
		}
		// Excel has no time zones: the wall clock of the time's location.
		wall := time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC)
		if tabTimeLayout(v) == time.DateOnly {
			return excelize.Cell{StyleID: date, Value: wall}
		}
		return excelize.Cell{StyleID: dateTime, Value: wall}
	}
	return tabXLSXText(tabText(cell))
}

// tabXLSXText keeps text valid UTF-8.
func tabXLSXText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// tabSheetName makes name a valid sheet name.
func tabSheetName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(name, "") {
		switch {
		case strings.ContainsRune(`:\/?*[]`, r):
			b.WriteRune('_')
		case r < 0x20 || r == 0x7F || r == utf8.RuneError:
			// control characters are not allowed
		default:
			b.WriteRune(r)
		}
	}
	trim := func(s string) string { return strings.Trim(s, "' \u3000") }
	s := trim(b.String())
	// At most 31 UTF-16 code units, never splitting a surrogate pair.
	if len(utf16.Encode([]rune(s))) > tabMaxSheetName {
		n := 0
		for i, r := range s {
			if n+utf16.RuneLen(r) > tabMaxSheetName {
				s = trim(s[:i])
				break
			}
			n += utf16.RuneLen(r)
		}
	}
	switch {
	case s == "":
		return "Sheet1"
	case strings.EqualFold(s, "History"): // reserved by Excel
		return s + "_"
	}
	return s
}

// tabColumnWidths sizes each column to its widest cell, in Excel's units
// (the width of a "0"): wide (CJK) characters count double, the header gets
// room for its bold face and the filter button.
func tabColumnWidths(t Table, cols int) []float64 {
	const minWidth, maxWidth = 6, 60
	widths := make([]float64, cols)
	for i, h := range t.Headers {
		widths[i] = float64(tabDisplayWidth(h))*1.1 + 3
	}
	for _, row := range t.Rows {
		for i, v := range row {
			widths[i] = max(widths[i], float64(tabCellWidth(v))+1.5)
		}
	}
	for i := range widths {
		widths[i] = math.Round(min(max(widths[i], minWidth), maxWidth)*10) / 10
	}
	return widths
}

// tabCellWidth is the width of a cell as Excel shows it.
func tabCellWidth(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return tabDisplayWidth(v)
	case bool:
		return 5
	case time.Time:
		return len(tabTimeLayout(v))
	case float64:
		return min(len(tabFloat(v, 64)), 11) // General shows at most 11 characters
	case float32:
		return min(len(tabFloat(float64(v), 32)), 11)
	case int:
		return min(tabDigits(int64(v)), 11)
	case int64:
		return min(tabDigits(v), 11)
	case int8, int16, int32, uint, uint8, uint16, uint32, uint64:
		return min(len(fmt.Sprint(v)), 11)
	}
	return tabDisplayWidth(tabText(v))
}

// tabDigits is the length of n written out.
func tabDigits(n int64) int {
	d := 1
	if n < 0 {
		d++
	}
	for n <= -10 || n >= 10 {
		n /= 10
		d++
	}
	return d
}

// tabDisplayWidth is the width of the longest line of s, wide characters
// counting 2.
func tabDisplayWidth(s string) int {
	best, n := 0, 0
	for _, r := range s {
		switch {
		case r == '\n':
			best, n = max(best, n), 0
			continue
		case r < 0x80:
			n++
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return max(best, n)
}
