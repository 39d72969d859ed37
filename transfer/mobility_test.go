package transfer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
)

var mobTestIndex = sync.OnceValues(func() (*partnerhub.Index, error) {
	c, err := dataset.Builtin()
	if err != nil {
		return nil, err
	}
	return partnerhub.NewIndex(c), nil
})

func mobIndex(tb testing.TB) *partnerhub.Index {
	tb.Helper()
	x, err := mobTestIndex()
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

var mobTestResolver = sync.OnceValue(func() Resolver {
	x, err := mobTestIndex()
	if err != nil {
		panic(err)
	}
	return NewResolver(x)
})

// mobReadAll reads a whole file, keeping the figures and the problems apart.
func mobReadAll(tb testing.TB, data []byte, format string) (figs []partnerhub.Mobility, errs []RowError) {
	tb.Helper()
	for m, e := range Rows(bytes.NewReader(data), format, mobTestResolver(), nil) {
		if e != nil {
			errs = append(errs, e...)
			continue
		}
		figs = append(figs, m)
	}
	return figs, errs
}

// mobXLSXOf builds a workbook whose first sheet holds rows from A1 down.
func mobXLSXOf(tb testing.TB, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r); err != nil {
			tb.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// mobXLSXFromCSV lays the records of a CSV text on a sheet, one row each, as text.
func mobXLSXFromCSV(tb testing.TB, text string) []byte {
	tb.Helper()
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([][]any, len(recs))
	for i, r := range recs {
		for _, c := range r {
			rows[i] = append(rows[i], c)
		}
	}
	return mobXLSXOf(tb, rows)
}

const mobHead = "partner,institution,unit,year,direction,category,programme,count\n"

// mobRowErr is shorthand for a wanted problem.
func mobRowErr(row int, col, key string, args ...any) RowError {
	return RowError{Row: row, Column: col, Key: key, Args: args}
}

// TestRowErrors reads one file per kind of problem, as CSV and as XLSX, and
// wants exactly these problems, in this order, and the valid rows' figures.
func TestRowErrors(t *testing.T) {
	long := strings.Repeat("長", mobMaxFieldChars+1)
	for _, tc := range []struct {
		name string
		csv  string
		figs int // valid figures besides the problems
		want []RowError
		only string // "csv": the problem exists only in a CSV
	}{
		{name: "unknown partner", csv: mobHead + "NTU,,,2021,outbound,graduate,exchange,1\nHarvard,,,2021,outbound,graduate,exchange,2\n",
			figs: 1, want: []RowError{mobRowErr(3, "partner", mobKeyUnknownPartner, "Harvard")}},
		{name: "unknown member institution", csv: mobHead + "Stockholm,KTH,,2021,outbound,graduate,exchange,1\nStockholm,UNAM,,2021,inbound,graduate,exchange,1\nNTU,ntu,,2021,inbound,graduate,exchange,1\n",
			figs: 2, want: []RowError{mobRowErr(3, "institution", mobKeyUnknownInstitution, "UNAM", "stockholm")}},
		{name: "unknown unit", csv: mobHead + "NTU,,工,2021,outbound,graduate,exchange,1\nNTU,,宇宙,2021,outbound,graduate,visit,1\nNTU,,工 — 理学系研究科,2021,outbound,faculty,visit,1\n",
			figs: 1, want: []RowError{mobRowErr(3, "unit", mobKeyUnknownUnit, "宇宙"), mobRowErr(4, "unit", mobKeyUnknownUnit, "工 — 理学系研究科")}},
		{name: "bad year", csv: mobHead + "NTU,,,twenty,outbound,graduate,exchange,1\nNTU,,,1899,outbound,graduate,exchange,1\nNTU,,,令和3年度,outbound,graduate,exchange,1\nNTU,,,2021.5,outbound,graduate,exchange,1\n",
			want: []RowError{mobRowErr(2, "year", mobKeyBadYear, "twenty"), mobRowErr(3, "year", mobKeyYearOutOfRange, "1899", 1900, 2200),
				mobRowErr(4, "year", mobKeyBadYear, "令和3年度"), mobRowErr(5, "year", mobKeyBadYear, "2021.5")}},
		{name: "bad direction, category, programme", csv: mobHead + "NTU,,,2021,out,alumni,holiday,1\n",
			want: []RowError{mobRowErr(2, "direction", mobKeyBadDirection, "out"), mobRowErr(2, "category", mobKeyBadCategory, "alumni"), mobRowErr(2, "programme", mobKeyBadProgramme, "holiday")}},
		{name: "bad count", csv: mobHead + "NTU,,,2021,outbound,graduate,exchange,-3\nNTU,,,2021,outbound,graduate,visit,many\nNTU,,,2021,outbound,graduate,other,1.5\nNTU,,,2021,outbound,faculty,other,\"12,34\"\nNTU,,,2021,outbound,staff,other,1000001\nNTU,,,2021,inbound,staff,other,\"1,000,000\"\n",
			figs: 1, want: []RowError{mobRowErr(2, "count", mobKeyNegativeCount, "-3"), mobRowErr(3, "count", mobKeyBadCount, "many"), mobRowErr(4, "count", mobKeyBadCount, "1.5"),
				mobRowErr(5, "count", mobKeyBadCount, "12,34"), mobRowErr(6, "count", mobKeyCountTooLarge, "1000001", 1_000_000)}},
		{name: "missing required values", csv: mobHead + ",,,,,,,\n" + " ,,,2021, ,graduate,exchange,\n",
			want: []RowError{mobRowErr(3, "partner", mobKeyRequired), mobRowErr(3, "direction", mobKeyRequired), mobRowErr(3, "count", mobKeyRequired)}},
		{name: "too long", csv: mobHead + "NTU,,\"" + long + "\",2021,outbound,graduate,exchange,1\n",
			want: []RowError{mobRowErr(2, "unit", mobKeyTooLong, mobMaxFieldChars)}},
		{name: "duplicate row", csv: mobHead + "NTU,,eng,2021,outbound,graduate,exchange,1\nNTU,,eng,2021,inbound,graduate,exchange,1\nntu,,工,2021年度,派遣,大学院生,交換留学,5\nNTU,,,2021,outbound,graduate,exchange,1\nNTU,,Eng,FY2021,outbound,graduate,exchange,9\n",
			figs: 3, want: []RowError{mobRowErr(4, "", mobKeyDuplicateRow, 2, 4), mobRowErr(6, "", mobKeyDuplicateRow, 2, 6)}},
		{name: "missing columns", csv: "partner,unit,direction,category\nNTU,,outbound,graduate\n",
			want: []RowError{mobRowErr(0, "", mobKeyMissingColumns, "year, programme, count", "年度、プログラム、人数")}},
		{name: "unknown column", csv: "partner,year,direction,category,programme,count, Remarks \nNTU,2021,outbound,graduate,exchange,1,note\n",
			figs: 1, want: []RowError{mobRowErr(1, "Remarks", mobKeyUnknownColumn, "Remarks")}},
		{name: "duplicate column", csv: "partner,year,direction,category,programme,count,パートナー\nNTU,2021,outbound,graduate,exchange,1,SNU\n",
			figs: 1, want: []RowError{mobRowErr(1, "パートナー", mobKeyDuplicateColumn, "partner")}},
		{name: "header problems together", csv: "Partner,Year,Year,Direction,Notes\nNTU,2021,2021,outbound,x\n",
			want: []RowError{mobRowErr(0, "", mobKeyMissingColumns, "category, programme, count", "区分、プログラム、人数"),
				mobRowErr(1, "Year", mobKeyDuplicateColumn, "Year"), mobRowErr(1, "Notes", mobKeyUnknownColumn, "Notes")}},
		{name: "too many columns", csv: strings.Repeat("x,", mobMaxColumns) + "x\n",
			want: []RowError{mobRowErr(0, "", mobKeyTooManyColumns, mobMaxColumns+1, mobMaxColumns)}},
		{name: "empty file", csv: "", want: []RowError{mobRowErr(0, "", mobKeyEmptyFile)}, only: "csv"},
		{name: "blank lines only", csv: "\n\n,,,\n", want: []RowError{mobRowErr(0, "", mobKeyEmptyFile)}, only: "csv"},
		{name: "header only", csv: "\n" + mobHead + ",,,,,,,\n", want: []RowError{mobRowErr(0, "", mobKeyNoData)}},
		{name: "wrong number of fields", csv: mobHead + "NTU,,,2021,outbound,graduate,exchange,1,extra\nNTU,,,2021,outbound,graduate\nNTU,,,2021,inbound,graduate,exchange,1\n",
			figs: 1, want: []RowError{mobRowErr(2, "", mobKeyWrongFieldCount, 9, 8), mobRowErr(3, "", mobKeyWrongFieldCount, 6, 8)}, only: "csv"},
		{name: "value without header", csv: "partner,year,,direction,category,programme,count\nNTU,2021,oops,outbound,graduate,exchange,1\nNTU,2021,,inbound,graduate,exchange,1\n",
			figs: 1, want: []RowError{mobRowErr(2, "", mobKeyValueWithoutHeader, "C")}},
		{name: "bad quotes", csv: mobHead + "NTU,,,2021,outbound,graduate,exchange,1\nNTU,\"K\"TH,,2021,outbound,graduate,exchange,1\nN\"TU,,,2021,outbound,graduate,exchange,1\nNTU,,,2021,inbound,graduate,exchange,1\n",
			figs: 2, want: []RowError{mobRowErr(3, "", mobKeyBadQuotes), mobRowErr(4, "", mobKeyBadQuotes)}, only: "csv"},
	} {
		for _, format := range []string{"csv", "xlsx"} {
			if tc.only != "" && tc.only != format {
				continue
			}
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				data := []byte(tc.csv)
				if format == "xlsx" {
					data = mobXLSXFromCSV(t, tc.csv)
				}
				figs, errs := mobReadAll(t, data, format)
				if !reflect.DeepEqual(errs, tc.want) {
					t.Errorf("problems:\n got %v\nwant %v", mobFmtErrs(errs), mobFmtErrs(tc.want))
				}
				if len(figs) != tc.figs {
					t.Errorf("%d figures, want %d: %v", len(figs), tc.figs, figs)
				}
			})
		}
	}
}

func mobFmtErrs(errs []RowError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  {%d %q %s %#v}", e.Row, e.Column, e.Key, e.Args)
	}
	return b.String()
}

// A valid file in Japanese headers and values, another in English, in a
// different column order, with a byte order mark, full-width digits,
// 2021年度, FY2023 and 1,234, give the same figures; so does each as XLSX.
func TestJapaneseAndEnglishFilesGiveTheSameFigures(t *testing.T) {
	want := []partnerhub.Mobility{
		{Partner: "ntu", Unit: "eng", Year: 2021, Direction: partnerhub.Outbound, Category: partnerhub.Undergraduate, Programme: partnerhub.ExchangeProgramme, Count: 12},
		{Partner: "stockholm", Institution: "kth", Unit: "ipmu", Year: 2022, Direction: partnerhub.Inbound, Category: partnerhub.Graduate, Programme: partnerhub.ShortProgramme, Count: 1234},
		{Partner: "pku", Year: 2021, Direction: partnerhub.Inbound, Category: partnerhub.Faculty, Programme: partnerhub.JointDegree, Count: 3},
		{Partner: "cambridge", Unit: "ioc", Year: 2023, Direction: partnerhub.Outbound, Category: partnerhub.Staff, Programme: partnerhub.Visit, Count: 0},
		{Partner: "chile-mexico", Institution: "unam", Unit: "law", Year: 2021, Direction: partnerhub.Outbound, Category: partnerhub.Researcher, Programme: partnerhub.Internship, Count: 5},
		{Partner: "paris", Institution: "polytechnique", Year: 2020, Direction: partnerhub.Inbound, Category: partnerhub.Graduate, Programme: partnerhub.OtherProgramme, Count: 7},
	}
	for _, name := range []string{"mobility_en.csv", "mobility_ja.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"csv", "xlsx"} {
			data := b
			if format == "xlsx" {
				data = mobXLSXFromCSV(t, strings.TrimPrefix(string(b), "\ufeff"))
			}
			figs, errs := mobReadAll(t, data, format)
			if len(errs) > 0 {
				t.Errorf("%s as %s: %v", name, format, mobFmtErrs(errs))
			}
			if !reflect.DeepEqual(figs, want) {
				t.Errorf("%s as %s:\n got %+v\nwant %+v", name, format, figs, want)
			}
		}
	}
	// The same rows in the template of each language, numbers as numbers.
	for _, name := range []string{"mobility_en.xlsx", "mobility_ja.xlsx"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		figs, errs := mobReadAll(t, b, "xlsx")
		if len(errs) > 0 || !reflect.DeepEqual(figs, want) {
			t.Errorf("%s:\n got %+v %v\nwant %+v", name, figs, mobFmtErrs(errs), want)
		}
	}
}

// Numbers typed into cells (not text) read as numbers; a count formatted
// with a thousands separator reads as stored.
func TestXLSXNumericCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"年度", "パートナー", "方向", "区分", "プログラム", "人数"},
		{2021, "SNU", "派遣", "教員", "訪問", 1234},
		{2022.0, "SNU", "派遣", "教員", "訪問", 7.0},
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	f.SetCellStyle("Sheet1", "F2", "F3", style)
	f.SetCellStyle("Sheet1", "A2", "A3", style)
	var b bytes.Buffer
	f.WriteTo(&b)
	figs, errs := mobReadAll(t, b.Bytes(), "xlsx")
	if len(errs) > 0 || len(figs) != 2 || figs[0].Count != 1234 || figs[0].Year != 2021 || figs[1].Year != 2022 || figs[1].Count != 7 {
		t.Fatalf("figures %+v, problems %v", figs, mobFmtErrs(errs))
	}
}

// XLSX rows are numbered as the sheet numbers them: empty rows count.
func TestXLSXRowNumbersCountEmptyRows(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "B3", &[]any{"partner", "year", "direction", "category", "programme", "count"})
	f.SetSheetRow("Sheet1", "B7", &[]any{"NTU", 2021, "outbound", "graduate", "exchange", 1})
	f.SetSheetRow("Sheet1", "B9", &[]any{"NTU", 2021, "outbound", "graduate", "exchange", -1})
	f.SetCellValue("Sheet1", "J9", "stray")
	var b bytes.Buffer
	f.WriteTo(&b)
	figs, errs := mobReadAll(t, b.Bytes(), "xlsx")
	want := []RowError{mobRowErr(9, "", mobKeyValueWithoutHeader, "J"), mobRowErr(9, "count", mobKeyNegativeCount, "-1")}
	if len(figs) != 1 || !reflect.DeepEqual(errs, want) {
		t.Fatalf("figures %+v, problems %v", figs, mobFmtErrs(errs))
	}
}

// A CSV saved by Excel as "CSV (comma delimited)" is Shift_JIS: it is
// refused, with the line, and not guessed at.
func TestCSVNotUTF8(t *testing.T) {
	text := "partner,year,direction,category,programme,count\nNTU,2021,outbound,graduate,exchange,1\n国立台湾大学,2021年度,派遣,大学院生,交換留学,2\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	figs, errs := mobReadAll(t, []byte(sjis), "csv")
	if want := []RowError{mobRowErr(0, "", mobKeyNotUTF8, 3)}; !reflect.DeepEqual(errs, want) || len(figs) != 1 {
		t.Fatalf("figures %v, problems %v", figs, mobFmtErrs(errs))
	}
	// A Japanese header in Shift_JIS fails on line 1; so does the sample file.
	b, err := os.ReadFile(filepath.Join("testdata", "mobility_sjis.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := mobReadAll(t, b, "csv"); !reflect.DeepEqual(errs, []RowError{mobRowErr(0, "", mobKeyNotUTF8, 1)}) {
		t.Fatalf("problems %v", mobFmtErrs(errs))
	}
	// UTF-16 (Excel's "Unicode text") is not UTF-8 either.
	if _, errs := mobReadAll(t, []byte("\xff\xfep\x00a\x00"), "csv"); len(errs) != 1 || errs[0].Key != mobKeyNotUTF8 {
		t.Fatalf("problems %v", mobFmtErrs(errs))
	}
}

// A record that outgrows the bound stops the read: a runaway quote takes
// in the rest of the file.
func TestCSVRecordTooLarge(t *testing.T) {
	text := mobHead + "NTU,,,2021,outbound,graduate,exchange,1\n\"NTU" + strings.Repeat("x,y\n", mobMaxRecordBytes/3) + "\n"
	figs, errs := mobReadAll(t, []byte(text), "csv")
	if want := []RowError{mobRowErr(0, "", mobKeyRecordTooLarge, 3, 1)}; len(figs) != 1 || !reflect.DeepEqual(errs, want) {
		t.Fatalf("figures %v, problems %v", figs, mobFmtErrs(errs))
	}
}

func TestBadFormat(t *testing.T) {
	_, errs := mobReadAll(t, []byte(mobHead), "ods")
	if want := []RowError{mobRowErr(0, "", mobKeyBadFormat, "ods")}; !reflect.DeepEqual(errs, want) {
		t.Fatalf("problems %v", mobFmtErrs(errs))
	}
}

// mobRezip copies a zip, letting edit replace or drop (nil) an entry's content.
func mobRezip(tb testing.TB, data []byte, edit func(name string, b []byte) []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		if b = edit(f.Name, b); b == nil {
			continue
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// Workbooks that cannot be read are refused whole, with one problem of the file.
func TestXLSXUnreadable(t *testing.T) {
	good := mobXLSXFromCSV(t, mobHead+"NTU,,,2021,outbound,graduate,exchange,1\n")
	if figs, errs := mobReadAll(t, good, "xlsx"); len(figs) != 1 || len(errs) != 0 {
		t.Fatalf("the good workbook: %v %v", figs, mobFmtErrs(errs))
	}
	// A bomb: a sheet of 80 MB of spaces packs into a few hundred kilobytes.
	bomb := mobRezip(t, good, func(name string, b []byte) []byte {
		if name == "xl/worksheets/sheet1.xml" {
			return bytes.Replace(b, []byte("<sheetData>"), append([]byte("<sheetData>"), bytes.Repeat([]byte(" "), 80<<20)...), 1)
		}
		return b
	})
	// A liar: an entry that declares 100 bytes and unpacks to 32 MB.
	liar := mobLyingZip(t, good)
	noSheets := mobRezip(t, good, func(name string, b []byte) []byte {
		if name == "xl/workbook.xml" {
			return regexp.MustCompile(`<sheets>.*</sheets>`).ReplaceAll(b, []byte("<sheets></sheets>"))
		}
		return b
	})
	empty := mobXLSXOf(t, nil)
	headerOnly := mobXLSXFromCSV(t, mobHead)
	for _, tc := range []struct {
		name string
		data []byte
		want RowError
	}{
		{"empty", nil, mobRowErr(0, "", mobKeyEmptyFile)},
		{"not a zip", []byte(mobHead), mobRowErr(0, "", mobKeyNotXLSX)},
		{"truncated", good[:len(good)/2], mobRowErr(0, "", mobKeyNotXLSX)},
		{"truncated at the end", good[:len(good)-10], mobRowErr(0, "", mobKeyNotXLSX)},
		{"an old .xls (OLE)", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 1024)...), mobRowErr(0, "", mobKeyNotXLSX)},
		{"zip bomb", bomb, mobRowErr(0, "", mobKeyXLSXTooLarge, 64)},
		{"entry larger than declared", liar, mobRowErr(0, "", mobKeyNotXLSX)},
		{"too many entries", manyEntries(t, mobMaxXLSXEntries+1), mobRowErr(0, "", mobKeyXLSXTooManyEntries, mobMaxXLSXEntries)},
		{"too large packed", make([]byte, mobMaxXLSXBytes+1), mobRowErr(0, "", mobKeyXLSXTooLarge, 64)},
		{"no sheet", noSheets, mobRowErr(0, "", mobKeyNoSheet)},
		{"empty first sheet", empty, mobRowErr(0, "", mobKeyEmptySheet, "Sheet1")},
		{"header only", headerOnly, mobRowErr(0, "", mobKeyNoData)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			figs, errs := mobReadAll(t, tc.data, "xlsx")
			if len(figs) != 0 || !reflect.DeepEqual(errs, []RowError{tc.want}) {
				t.Fatalf("figures %v, problems %v", figs, mobFmtErrs(errs))
			}
		})
	}
	if len(bomb) > 1<<20 {
		t.Errorf("the bomb packs to %d bytes", len(bomb))
	}
}

// mobLyingZip rewrites the sheet entry of an XLSX with a header that
// understates its unpacked size.
func mobLyingZip(tb testing.TB, data []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name != "xl/worksheets/sheet1.xml" {
			w, _ := zw.Create(f.Name)
			w.Write(b)
			continue
		}
		big := bytes.Replace(b, []byte("<sheetData>"), append([]byte("<sheetData>"), bytes.Repeat([]byte(" "), 32<<20)...), 1)
		var packed bytes.Buffer
		fw, _ := mobFlateWriter(&packed)
		fw.Write(big)
		fw.Close()
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: 0, CompressedSize64: uint64(packed.Len()), UncompressedSize64: 100}
		w, err := zw.CreateRaw(h)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(packed.Bytes())
	}
	zw.Close()
	return out.Bytes()
}

func mobFlateWriter(w io.Writer) (*flate.Writer, error) { return flate.NewWriter(w, flate.BestSpeed) }

// The consumer may stop early; the reader stops with it.
func TestStopEarly(t *testing.T) {
	text := mobHead + strings.Repeat("NTU,,,2021,outbound,graduate,exchange,x\n", 10)
	for _, format := range []string{"csv", "xlsx"} {
		data := []byte(text)
		if format == "xlsx" {
			data = mobXLSXFromCSV(t, text)
		}
		n := 0
		for range Rows(bytes.NewReader(data), format, mobTestResolver(), nil) {
			n++
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Fatalf("%s: %d yields", format, n)
		}
	}
}

// progress is called every 10,000 rows and at the end, with bytes (CSV)
// or rows (XLSX).
func TestProgress(t *testing.T) {
	data := mobBenchCSV(mobIndex(t), 25_000)
	var calls []int64
	for range Rows(bytes.NewReader(data), "csv", mobTestResolver(), func(n int64) { calls = append(calls, n) }) {
	}
	if len(calls) != 3 || calls[2] != int64(len(data)) || !slices.IsSorted(calls) {
		t.Fatalf("csv progress %v of %d bytes", calls, len(data))
	}
	calls = nil
	small := mobXLSXFromCSV(t, mobHead+"NTU,,,2021,outbound,graduate,exchange,1\n\nNTU,,,2022,outbound,graduate,exchange,1\n")
	for range Rows(bytes.NewReader(small), "xlsx", mobTestResolver(), func(n int64) { calls = append(calls, n) }) {
	}
	if !reflect.DeepEqual(calls, []int64{3}) {
		t.Fatalf("xlsx progress %v", calls)
	}
}

func TestResolver(t *testing.T) {
	r := mobTestResolver()
	for _, tc := range []struct {
		kind, partner, in, want string
	}{
		{"partner", "", "ntu", "ntu"},
		{"partner", "", "NTU", "ntu"},
		{"partner", "", "ＮＴＵ", "ntu"},
		{"partner", "", "  national   taiwan university ", "ntu"},
		{"partner", "", "国立台湾大学", "ntu"},
		{"partner", "", "Chicago", "uchicago"},
		{"partner", "", "Chile–Mexico Universities", "chile-mexico"},
		{"partner", "", "ｃｈｉｌｅ-ｍｅｘｉｃｏ", "chile-mexico"},
		{"partner", "", "Harvard", ""},
		{"partner", "", "", ""},
		{"institution", "stockholm", "KTH", "kth"},
		{"institution", "stockholm", "ｋｔｈ", "kth"},
		{"institution", "stockholm", "Stockholm University", "su"},
		{"institution", "stockholm", "ストックホルム大学", "su"},
		{"institution", "stockholm", "su", "su"},
		{"institution", "stockholm", "UNAM", ""},
		{"institution", "ntu", "National Taiwan University", "ntu"},
		{"institution", "nowhere", "KTH", ""},
		{"unit", "", "工", "eng"},
		{"unit", "", "東文研", "ioc"},
		{"unit", "", "IPMU", "ipmu"},
		{"unit", "", "ipmu", "ipmu"},
		{"unit", "", "Eng", "eng"},
		{"unit", "", "eng", "eng"},
		{"unit", "", "工学系研究科", "eng"},
		{"unit", "", "graduate school of engineering", "eng"},
		{"unit", "", "工 — 工学系研究科", "eng"},
		{"unit", "", "Eng — Graduate School of Engineering", "eng"},
		{"unit", "", "工 - Graduate School of Engineering", "eng"},
		{"unit", "", "工 — 理学系研究科", ""},
		{"unit", "", "宇宙", ""},
	} {
		var got string
		var ok bool
		switch tc.kind {
		case "partner":
			got, ok = r.Partner(tc.in)
		case "institution":
			got, ok = r.Institution(tc.partner, tc.in)
		case "unit":
			got, ok = r.Unit(tc.in)
		}
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s(%q, %q) = %q, %v; want %q", tc.kind, tc.partner, tc.in, got, ok, tc.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		year int
		ok   bool
	}{
		{"2021", 2021, true}, {"2021年度", 2021, true}, {"２０２１年度", 2021, true}, {"FY2021", 2021, true},
		{"fy 2021", 2021, true}, {"ＦＹ２０２１", 2021, true}, {"2021.0", 2021, true},
		{"2021年", 0, false}, {"21", 21, true}, {"", 0, false}, {"FY", 0, false}, {"年度", 0, false}, {"2021-22", 0, false}, {".5", 0, false},
	} {
		if y, ok := mobParseYear(tc.in); y != tc.year || ok != tc.ok {
			t.Errorf("parseYear(%q) = %d, %v", tc.in, y, ok)
		}
	}
	for _, tc := range []struct {
		in  string
		n   int
		key string
	}{
		{"0", 0, ""}, {"12", 12, ""}, {"１２", 12, ""}, {"1,234", 1234, ""}, {"１，２３４", 1234, ""}, {"1,000,000", 1_000_000, ""},
		{"007", 7, ""}, {"12.0", 12, ""}, {"-0", 0, ""},
		{"1000001", 0, mobKeyCountTooLarge}, {"99999999999999999999", 0, mobKeyCountTooLarge},
		{"-1", 0, mobKeyNegativeCount}, {"－１", 0, mobKeyNegativeCount}, {"−5", 0, mobKeyNegativeCount}, {"-99999999999", 0, mobKeyNegativeCount},
		{"1.5", 0, mobKeyBadCount}, {"1,23", 0, mobKeyBadCount}, {",123", 0, mobKeyBadCount}, {"1e3", 0, mobKeyBadCount}, {"", 0, mobKeyBadCount},
		{"12人", 0, mobKeyBadCount}, {"--1", 0, mobKeyBadCount}, {".", 0, mobKeyBadCount}, {"+1", 0, mobKeyBadCount},
	} {
		if n, key := mobParseCount(tc.in); n != tc.n || key != tc.key {
			t.Errorf("parseCount(%q) = %d, %q", tc.in, n, key)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"short programme", "short_programme"}, {"short_programme", "short_programme"}, {"Short-Program", "short_programme"},
		{"JOINT DEGREE", "joint_degree"}, {"短期プログラム", "short_programme"}, {"ｲﾝﾀｰﾝｼｯﾌﾟ", "internship"}, {"holiday", ""},
	} {
		if got, _ := mobParseEnum(mobProgrammes, tc.in); string(got) != tc.want {
			t.Errorf("programme %q = %q", tc.in, got)
		}
	}
	for in, want := range map[string]mobColumn{"Partner": mobColPartner, " パートナー ": mobColPartner, "パートナー / Partner": mobColPartner, "Programme / プログラム": mobColProgramme,
		"program": mobColProgramme, "ＣＯＵＮＴ": mobColCount, "人数／Count": mobColCount} {
		if got, ok := mobHeaderColumn(in); !ok || got != want {
			t.Errorf("header %q = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"パートナー / Year", "partner/", "note"} {
		if _, ok := mobHeaderColumn(in); ok {
			t.Errorf("header %q recognised", in)
		}
	}
	if got := []string{mobColumnLetter(0), mobColumnLetter(25), mobColumnLetter(26), mobColumnLetter(701), mobColumnLetter(702)}; !reflect.DeepEqual(got, []string{"A", "Z", "AA", "ZZ", "AAA"}) {
		t.Errorf("columnLetter: %v", got)
	}
}

// Duplicates are found by Mobility.Key: the packed key agrees with it.
func TestFigureKeyAgreesWithMobilityKey(t *testing.T) {
	p := &mobParser{}
	figs := []partnerhub.Mobility{
		{Partner: "ntu", Year: 2021, Direction: "outbound", Category: "graduate", Programme: "exchange"},
		{Partner: "ntu", Unit: "eng", Year: 2021, Direction: "outbound", Category: "graduate", Programme: "exchange"},
		{Partner: "ntu", Institution: "eng", Year: 2021, Direction: "outbound", Category: "graduate", Programme: "exchange"},
		{Partner: "eng", Year: 2021, Direction: "outbound", Category: "graduate", Programme: "exchange"},
		{Partner: "ntu", Year: 2022, Direction: "outbound", Category: "graduate", Programme: "exchange"},
		{Partner: "ntu", Year: 2021, Direction: "inbound", Category: "graduate", Programme: "exchange"},
		{Partner: "ntu", Year: 2021, Direction: "outbound", Category: "faculty", Programme: "exchange"},
		{Partner: "ntu", Year: 2021, Direction: "outbound", Category: "graduate", Programme: "other"},
		{Partner: "ntu", Year: 2021, Direction: "outbound", Category: "graduate", Programme: "other", Count: 5},
	}
	for i := range figs {
		for j := range figs {
			ki, kj := p.key(&figs[i]), p.key(&figs[j])
			if (ki == kj) != (figs[i].Key() == figs[j].Key()) {
				t.Errorf("%d and %d: packed %v, Key %v", i, j, ki == kj, figs[i].Key() == figs[j].Key())
			}
		}
	}
}

// Every message key the package uses is in both catalogs.
func TestMessageKeysInCatalogs(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`"(import\.[a-z_]*[a-z])"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, col := range mobColumns {
		keys["import.help_"+col.Field] = true
	}
	for _, k := range []string{"required", "bad_slug", "out_of_range", "one_of", "not_negative"} {
		keys["field."+k] = true // from Mobility.Validate
	}
	if len(keys) < 40 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for k := range keys {
		for _, l := range partnerhub.Langs {
			if _, ok := c.Keys(l)[k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
	}
}

// BenchmarkRowsCSV reads a CSV of 1,000,000 distinct figures, written with
// a mix of slugs, names and marks, in memory.
func BenchmarkRowsCSV(b *testing.B) {
	x := mobIndex(b)
	res := NewResolver(x)
	data := mobBenchCSV(x, 1_000_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		for m, errs := range Rows(bytes.NewReader(data), "csv", res, nil) {
			if errs != nil {
				b.Fatal(mobFmtErrs(errs))
			}
			_ = m
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

// mobBenchCSV writes n distinct figures: partners × units × years × directions ×
// categories × programmes, spelled in turn by slug, name and mark.
func mobBenchCSV(x *partnerhub.Index, n int) []byte {
	var partners [][]string
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		partners = append(partners, []string{p.Slug, p.Name.Ja, p.Name.En, p.ShortName})
	}
	var units [][]string
	for _, u := range x.Units() {
		units = append(units, []string{u.Code, u.Abbr.Ja, u.Abbr.En, u.Name.Ja})
	}
	dirs := []string{"outbound", "inbound", "派遣", "受入"}
	cats := []string{"undergraduate", "graduate", "faculty", "staff", "researcher", "学部生", "大学院生", "教員", "職員", "研究者"}
	progs := []string{"exchange", "short_programme", "joint_degree", "visit", "internship", "other", "交換留学", "短期プログラム", "共同学位", "訪問", "インターンシップ", "その他"}
	var b bytes.Buffer
	b.WriteString(mobHead)
	for i := range n {
		j := i
		p := partners[j%len(partners)]
		j /= len(partners)
		u := units[j%len(units)]
		j /= len(units)
		d := j % 2
		j /= 2
		c := j % 5
		j /= 5
		g := j % 6
		j /= 6
		year := 1900 + j
		fmt.Fprintf(&b, "%s,,%s,%d,%s,%s,%s,%d\n", p[i%4], u[i%4], year, dirs[d+2*(i%2)], cats[c+5*(i%2)], progs[g+6*(i%2)], i%1000)
	}
	return b.Bytes()
}

// BenchmarkRowsXLSX reads a workbook of 100,000 figures (written with
// inline strings, the sheet unpacks to about 42 MB: past 16 MB it is read
// from a temporary file) and reports the peak of the heap while reading,
// besides the file itself: rows are streamed. At about 220 bytes a row
// (shared strings, as Excel writes them) a workbook holds at most some
// 290,000 figures within the 64 MB it may unpack to; 1,000,000 do not fit.
func BenchmarkRowsXLSX(b *testing.B) {
	x := mobIndex(b)
	res := NewResolver(x)
	const n = 100_000
	cr := csv.NewReader(bytes.NewReader(mobBenchCSV(x, n)))
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	for i := 1; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		row := make([]any, len(rec))
		for j, v := range rec {
			if n, err := strconv.Atoi(v); err == nil && i > 1 {
				row[j] = n
			} else {
				row[j] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	f.Close()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before, peak := ms.HeapAlloc, ms.HeapAlloc
	sample := func(int64) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		for _, errs := range Rows(bytes.NewReader(data), "xlsx", res, sample) {
			if errs != nil {
				b.Fatal(mobFmtErrs(errs))
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak-before)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(data))/(1<<20), "file-MB")
}

// manyEntries is a zip of n empty files: tiny on disk, costly to list.
func manyEntries(t *testing.T, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
