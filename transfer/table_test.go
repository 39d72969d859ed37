package transfer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// tabSample has every kind of cell and the awkward texts.
func tabSample() Table {
	return Table{
		Name:    "パートナー一覧 2021/2024",
		Headers: []string{"パートナー", "Country", "活動件数", "Share", "Primary", "Note"},
		Rows: [][]any{
			{"国立台湾大学", "TW", 48, 0.25, true, "共同シンポジウム、第7回"},
			{"University of California, Berkeley", "US", int64(1254), 1234567.5, false, `She said "hi", twice`},
			{"北京大学", nil, 0, -2.5, true, "line one\nline two"},
			{"=HYPERLINK(\"http://evil\")", "+81", -5, math.NaN(), false, "@SUM(A1)"},
			{"-1+2", "\tTab", int32(7), float32(1.5), nil, "\rCR"},
			{" leading space", "a=b", uint8(3), 1e21, true, ""},
			{"short row"},
		},
	}
}

// tabSampleCSV is what tabSample reads back as from CSV.
var tabSampleCSV = [][]string{
	{"パートナー", "Country", "活動件数", "Share", "Primary", "Note"},
	{"国立台湾大学", "TW", "48", "0.25", "TRUE", "共同シンポジウム、第7回"},
	{"University of California, Berkeley", "US", "1254", "1234567.5", "FALSE", `She said "hi", twice`},
	{"北京大学", "", "0", "-2.5", "TRUE", "line one\nline two"},
	{"'=HYPERLINK(\"http://evil\")", "'+81", "-5", "", "FALSE", "'@SUM(A1)"},
	{"'-1+2", "'\tTab", "7", "1.5", "", "'CR"}, // a lone CR in a cell is dropped (UseCRLF), the apostrophe stays
	{" leading space", "a=b", "3", "1000000000000000000000", "TRUE", ""},
	{"short row", "", "", "", "", ""},
}

func TestTableCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tabSample()); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasPrefix(out, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no UTF-8 BOM: % x", out[:min(8, len(out))])
	}
	body := out[3:]
	if !utf8.Valid(body) {
		t.Errorf("not valid UTF-8")
	}
	// CRLF line ends, never a bare LF.
	if n := bytes.Count(body, []byte("\n")); n != bytes.Count(body, []byte("\r\n")) || n == 0 {
		t.Errorf("line ends: %d LF, %d CRLF", n, bytes.Count(body, []byte("\r\n")))
	}
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Errorf("last line not ended by CRLF")
	}
	// RFC 4180 quoting.
	for _, want := range []string{`"University of California, Berkeley"`, `"She said ""hi"", twice"`, "\"line one\r\nline two\""} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	// Japanese intact, byte for byte.
	for _, want := range []string{"パートナー", "国立台湾大学", "共同シンポジウム、第7回", "北京大学"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("Japanese text %q not intact", want)
		}
	}
	// It round-trips through encoding/csv.
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(tabSampleCSV) {
		t.Fatalf("%d records, want %d", len(records), len(tabSampleCSV))
	}
	for i := range records {
		if fmt.Sprintf("%q", records[i]) != fmt.Sprintf("%q", tabSampleCSV[i]) {
			t.Errorf("record %d:\n got %q\nwant %q", i, records[i], tabSampleCSV[i])
		}
	}
}

func TestTableCSVRoundTrip(t *testing.T) {
	// Text cells without a risky first character come back exactly.
	tbl := Table{Headers: []string{"名前", "メモ"}}
	texts := []string{"", "a", "東京大学", "a,b", `"quoted"`, "multi\nline", " space ", "'apostrophe", "1,234", "ｶﾀｶﾅ", "😀 emoji", "a\tb", "x=y"}
	for _, s := range texts {
		tbl.Rows = append(tbl.Rows, []any{s, s + "！"})
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tbl); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), tabBOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if records[0][0] != "名前" || records[0][1] != "メモ" {
		t.Errorf("header = %q", records[0])
	}
	for i, s := range texts {
		if got := records[i+1]; got[0] != s || got[1] != s+"！" {
			t.Errorf("cell %q came back as %q", s, got)
		}
	}
}

func TestTableCSVFormulaInjection(t *testing.T) {
	for _, s := range []string{"=1+1", "=cmd|' /C calc'!A0", "+1", "-1", "-", "@SUM(A1)", "\t=1", "\r=1", "=", "+81-3-1234-5678"} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, Table{Headers: []string{s}, Rows: [][]any{{s}, {fmt.Errorf("%s", s)}}}); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), tabBOM))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := "'" + strings.ReplaceAll(s, "\r", "")
		for i, r := range records {
			if r[0] != want {
				t.Errorf("%q (record %d) written as %q, want %q", s, i, r[0], want)
			}
		}
	}
	// Safe texts and numbers are left alone.
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Table{Rows: [][]any{{"a=1", " =1", "東京=", -5, -2.5, "'=1"}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimPrefix(buf.String(), tabBOM), "a=1,\" =1\",東京=,-5,-2.5,'=1\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTableCSVNoHeaders(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Table{}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != tabBOM {
		t.Errorf("empty table = %q, want only the BOM", buf.String())
	}
}

type tabFailWriter struct{ n int }

func (w *tabFailWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, io.ErrClosedPipe
	}
	w.n--
	return len(p), nil
}

func TestTableWriteErrors(t *testing.T) {
	big := Table{Headers: []string{"a"}}
	for i := range 20000 {
		big.Rows = append(big.Rows, []any{strings.Repeat("x", 10) + strconv.Itoa(i)})
	}
	if err := WriteCSV(&tabFailWriter{0}, big); err == nil {
		t.Errorf("WriteCSV: no error when the BOM cannot be written")
	}
	if err := WriteCSV(&tabFailWriter{1}, big); err == nil {
		t.Errorf("WriteCSV: no error when the rows cannot be written")
	}
	if err := WriteXLSX(&tabFailWriter{0}, big); err == nil {
		t.Errorf("WriteXLSX: no error from a failing writer")
	}
	wide := Table{Headers: make([]string, tabMaxColumns+1)}
	if err := WriteXLSX(io.Discard, wide); err == nil {
		t.Errorf("WriteXLSX: no error for %d columns", tabMaxColumns+1)
	}
}

// tabOpen writes t as XLSX and opens it again.
func tabOpen(t *testing.T, tbl Table) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, tbl); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("excelize cannot open the file: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTableXLSX(t *testing.T) {
	tbl := tabSample()
	f := tabOpen(t, tbl)
	sheets := f.GetSheetList()
	if len(sheets) != 1 || sheets[0] != "パートナー一覧 2021_2024" {
		t.Fatalf("sheets = %q", sheets)
	}
	sheet := sheets[0]

	// The same cells: text as text, numbers as numbers, booleans as booleans.
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tbl.Rows)+1 {
		t.Fatalf("%d rows, want %d", len(rows), len(tbl.Rows)+1)
	}
	for i, h := range tbl.Headers {
		if rows[0][i] != h {
			t.Errorf("header %d = %q, want %q", i, rows[0][i], h)
		}
	}
	for r, cells := range tbl.Rows {
		for c, v := range cells {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+2)
			got := ""
			if c < len(rows[r+1]) {
				got = rows[r+1][c]
			}
			typ, err := f.GetCellType(sheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			switch v := v.(type) {
			case string:
				if got != v {
					t.Errorf("%s = %q, want %q", ref, got, v)
				}
				if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
					t.Errorf("%s (%q) has type %v, want text", ref, v, typ)
				}
			case nil:
				if got != "" {
					t.Errorf("%s = %q, want empty", ref, got)
				}
			case bool:
				want := map[bool]string{true: "1", false: "0"}[v]
				if got != want || typ != excelize.CellTypeBool {
					t.Errorf("%s = %q (type %v), want boolean %v", ref, got, typ, v)
				}
			default:
				want, _ := strconv.ParseFloat(tabCSVCell(v), 64)
				if math.IsNaN(tabNumber(v)) {
					if got != "" {
						t.Errorf("%s = %q, want empty for NaN", ref, got)
					}
					continue
				}
				n, err := strconv.ParseFloat(got, 64)
				if err != nil || n != want {
					t.Errorf("%s = %q, want the number %v", ref, got, want)
				}
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("%s (%v) has type %v, want a number", ref, v, typ)
				}
			}
		}
	}
	// Text is stored as text: no apostrophe needed, none added.
	if v, _ := f.GetCellValue(sheet, "A5"); v != `=HYPERLINK("http://evil")` {
		t.Errorf("A5 = %q", v)
	}
	if formula, _ := f.GetCellFormula(sheet, "A5"); formula != "" {
		t.Errorf("A5 became a formula: %q", formula)
	}

	// The header is bold, the data not.
	for c := range tbl.Headers {
		ref, _ := excelize.CoordinatesToCellName(c+1, 1)
		if !tabBold(t, f, sheet, ref) {
			t.Errorf("header %s not bold", ref)
		}
	}
	if tabBold(t, f, sheet, "A2") {
		t.Errorf("data cell A2 bold")
	}
	// The header row is frozen.
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the first row frozen", panes)
	}
	// An auto filter over the whole table.
	found := false
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			found = true
			if want := "'" + sheet + "'!$A$1:$F$8"; dn.RefersTo != want {
				t.Errorf("filter range %q, want %q", dn.RefersTo, want)
			}
		}
	}
	if !found {
		t.Errorf("no auto filter")
	}
	// Widths follow the content; CJK characters count double.
	wa, _ := f.GetColWidth(sheet, "A") // a long English name
	wb, _ := f.GetColWidth(sheet, "B") // two letters
	wf, _ := f.GetColWidth(sheet, "F") // 共同シンポジウム、第7回: 11 wide characters and a digit
	if !(wa > 30 && wb < 12 && wf >= 23 && wf < wa) {
		t.Errorf("column widths A %v, B %v, F %v", wa, wb, wf)
	}
}

func TestTableXLSXColumnsInOrder(t *testing.T) {
	// Excel rejects a sheet whose <col> elements are not in ascending order.
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, tabSample()); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			sheet, _ = io.ReadAll(r)
			r.Close()
		}
	}
	cols := regexp.MustCompile(`<col min="(\d+)"`).FindAllSubmatch(sheet, -1)
	if len(cols) != 6 {
		t.Fatalf("%d <col> elements, want 6:\n%s", len(cols), sheet)
	}
	for i, c := range cols {
		if string(c[1]) != strconv.Itoa(i+1) {
			t.Errorf("<col> %d is column %s: not in ascending order", i+1, c[1])
		}
	}
	// The parts come in the schema's order.
	order := []string{"<sheetPr", "<dimension", "<sheetViews", "<sheetFormatPr", "<cols>", "<sheetData>", "</sheetData>", "<autoFilter"}
	last := -1
	for _, tag := range order {
		i := bytes.Index(sheet, []byte(tag))
		if i < last {
			t.Errorf("%s out of order", tag)
		}
		last = i
	}
}

// tabNumber returns v as a float (NaN when it is not a number).
func tabNumber(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	}
	return 0
}

func tabBold(t *testing.T, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return style.Font != nil && style.Font.Bold
}

func TestTableXLSXTimes(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	f := tabOpen(t, Table{Name: "t", Headers: []string{"date", "time"},
		Rows: [][]any{{time.Date(2024, 3, 15, 0, 0, 0, 0, jst), time.Date(2024, 3, 15, 18, 30, 0, 0, jst)}}})
	got, _ := f.GetCellValue("t", "A2")
	if got == "" || !strings.Contains(got, "3") {
		t.Errorf("date cell = %q", got)
	}
	raw, _ := f.GetCellValue("t", "A2", excelize.Options{RawCellValue: true})
	if raw != "45366" { // 2024-03-15 as an Excel serial date
		t.Errorf("date serial = %q, want 45366", raw)
	}
	raw, _ = f.GetCellValue("t", "B2", excelize.Options{RawCellValue: true})
	if n, err := strconv.ParseFloat(raw, 64); err != nil || math.Abs(n-(45366+18.5/24)) > 1e-6 {
		t.Errorf("date-time serial = %q, want 45366.77 (the wall clock in JST)", raw)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Table{Rows: [][]any{{time.Date(2024, 3, 15, 0, 0, 0, 0, jst), time.Date(2024, 3, 15, 18, 30, 0, 0, jst)}}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(buf.String(), tabBOM); got != "2024-03-15,2024-03-15 18:30:00\r\n" {
		t.Errorf("CSV times = %q", got)
	}
}

func TestTableSheetName(t *testing.T) {
	tests := map[string]string{
		"":                 "Sheet1",
		"Partners":         "Partners",
		"a:b\\c/d?e*f[g]h": "a_b_c_d_e_f_g_h",
		"'quoted'":         "quoted",
		"history":          "history_",
		"  spaced  ":       "spaced",
		"tab\there\x00":    "tabhere",
		"a very long list name that goes on and on": "a very long list name that goes",
		"戦略的パートナーシップ大学プロジェクトの活動一覧（2021〜2024年度）":     "戦略的パートナーシップ大学プロジェクトの活動一覧（2021〜2", // 31 characters
		strings.Repeat("😀", 20):                     strings.Repeat("😀", 15),           // 2 UTF-16 units each
		"name ending at 31 with quote'x":            "name ending at 31 with quote'x",
		"thirty chars exactly here.....'zz":         "thirty chars exactly here.....", // cut after the apostrophe, which then goes
	}
	for in, want := range tests {
		got := tabSheetName(in)
		if got != want {
			t.Errorf("tabSheetName(%q) = %q, want %q", in, got, want)
		}
		// Excel (and excelize) accept every result.
		f := excelize.NewFile()
		if got != "Sheet1" {
			if err := f.SetSheetName("Sheet1", got); err != nil {
				t.Errorf("%q: %v", got, err)
			} else if _, err := f.NewStreamWriter(got); err != nil {
				t.Errorf("%q: %v", got, err)
			}
		}
		f.Close()
	}
}

func TestTableDigits(t *testing.T) {
	for _, n := range []int64{0, 7, -7, 9, 10, -10, 99, 100, 123456, -123456, math.MaxInt64, math.MinInt64} {
		if got, want := tabDigits(n), len(strconv.FormatInt(n, 10)); got != want {
			t.Errorf("tabDigits(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestTableDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "東京": 4, "ｶﾀｶﾅ": 4, "Ａ1": 3, "one\nlonger line": 11, "国立台湾大学\nNTU": 12} {
		if got := tabDisplayWidth(s); got != want {
			t.Errorf("tabDisplayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// tabLarge is a table of n rows like an activity export.
func tabLarge(n int) Table {
	t := Table{Name: "活動 Activities", Headers: []string{"ID", "パートナー", "Partner", "部局", "年度", "参加者数", "Share", "Online"}}
	partners := []string{"国立台湾大学", "北京大学", "カリフォルニア大学バークレー校", "ケンブリッジ大学"}
	t.Rows = make([][]any, n)
	for i := range t.Rows {
		t.Rows[i] = []any{i + 1, partners[i%4], fmt.Sprintf("Partner %d", i%97), "工学系研究科", 2019 + i%6, int64(i % 500), float64(i%1000) / 1000, i%3 == 0}
	}
	return t
}

func TestTableXLSXLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 rows: not in -short")
	}
	const n = 100_000
	tbl := tabLarge(n)

	// Sample the heap while writing, to report the peak.
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	start := time.Now()
	var buf bytes.Buffer
	err := WriteXLSX(&buf, tbl)
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("%d rows × %d columns: %v, %.1f MB file, %.0f MB allocated, peak heap %.0f MB above the %.0f MB before writing",
		n, len(tbl.Headers), elapsed.Round(time.Millisecond), float64(buf.Len())/1e6,
		float64(after.TotalAlloc-base.TotalAlloc)/1e6, float64(max(peak, base.HeapInuse)-base.HeapInuse)/1e6, float64(base.HeapInuse)/1e6)

	// It opens, with every row.
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	var last []string
	for rows.Next() {
		count++
		if count == n+1 {
			if last, err = rows.Columns(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if count != n+1 {
		t.Errorf("%d rows read back, want %d", count, n+1)
	}
	if want := []string{"100000", "ケンブリッジ大学", "Partner 89", "工学系研究科", "2022", "499", "0.999", "TRUE"}; fmt.Sprint(last) != fmt.Sprint(want) {
		t.Errorf("last row = %q, want %q", last, want)
	}
}

func TestTableTooManyRows(t *testing.T) {
	tbl := Table{Headers: []string{"a"}, Rows: make([][]any, tabMaxRows)}
	if err := WriteXLSX(io.Discard, tbl); err == nil || !strings.Contains(err.Error(), "1048576") {
		t.Errorf("err = %v, want a row-limit error", err)
	}
}

// BenchmarkWriteXLSX writes 100,000 rows of 8 columns.
//
//	go test ./transfer/ -run '^$' -bench 'WriteXLSX|WriteCSV' -benchmem
func BenchmarkWriteXLSX(b *testing.B) {
	tbl := tabLarge(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteXLSX(io.Discard, tbl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteCSV(b *testing.B) {
	tbl := tabLarge(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCSV(io.Discard, tbl); err != nil {
			b.Fatal(err)
		}
	}
}
