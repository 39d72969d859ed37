package transfer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/i18n"
)

// The seed corpus is in testdata/fuzz/FuzzReadCSV and FuzzReadXLSX; the
// samples of testdata are added too.

func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"mobility_en.csv", "mobility_ja.csv", "mobility_sjis.csv"} {
		f.Add(mobReadTestdata(f, name))
	}
	f.Add([]byte(mobHead))
	f.Add([]byte("\ufeff" + mobHead + "NTU,\"K\"\"TH\",,2021,outbound,graduate,exchange,1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { mobCheckRows(t, data, "csv") })
}

// FuzzReadXLSX reads each input twice: as a workbook, and as the first
// sheet of a sound workbook (whose shared strings are the values of the
// Japanese sample), since mutations of a packed file rarely get past its
// checksums. The workbook is lean (no theme, no properties): opening it
// costs little, so the fuzzer spends its time on rows.
func FuzzReadXLSX(f *testing.F) {
	base := mobLeanXLSX(f)
	f.Add(base)
	f.Add(mobSheetOf(f, base))
	f.Fuzz(func(t *testing.T, data []byte) {
		mobCheckRows(t, data, "xlsx")
		mobCheckRows(t, mobWithSheet(t, base, data), "xlsx")
	})
}

const mobSheetPath = "xl/worksheets/sheet1.xml"

// mobLeanXLSX is the Japanese sample as a workbook of text cells, without
// a theme or document properties.
func mobLeanXLSX(tb testing.TB) []byte {
	tb.Helper()
	text := strings.TrimPrefix(string(mobReadTestdata(tb, "mobility_ja.csv")), "\ufeff")
	return mobRezip(tb, mobXLSXFromCSV(tb, text), func(name string, b []byte) []byte {
		if strings.HasPrefix(name, "docProps/") || strings.HasPrefix(name, "xl/theme/") {
			return nil
		}
		return b
	})
}

// mobWithSheet returns the workbook base with sheet as its first sheet.
func mobWithSheet(tb testing.TB, base, sheet []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name != mobSheetPath {
			if err := zw.Copy(zf); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: mobSheetPath, Method: zip.Store})
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(sheet)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// mobSheetOf returns the first sheet's XML of a workbook.
func mobSheetOf(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := zr.Open(mobSheetPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	x, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

func mobReadTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var mobFuzzCatalogs = sync.OnceValues(i18n.Load)

// mobCheckRows reads data to the end and checks what any file must give: no
// panic; every figure valid and its key not seen before; every problem with
// a known message key and a row not before the file's start; a problem of
// the file as a whole (row 0) only in the last yield.
func mobCheckRows(t *testing.T, data []byte, format string) {
	c, err := mobFuzzCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	ended := false
	for m, errs := range Rows(bytes.NewReader(data), format, mobTestResolver(), nil) {
		if ended {
			t.Fatalf("a yield after a problem of the whole file: %v %v", m, errs)
		}
		if errs == nil {
			if err := m.Validate(); err != nil {
				t.Fatalf("figure %+v: %v", m, err)
			}
			if keys[m.Key()] {
				t.Fatalf("figure %+v given twice", m)
			}
			keys[m.Key()] = true
			continue
		}
		if len(errs) == 0 || m != (partnerhub.Mobility{}) {
			t.Fatalf("yield %+v with problems %v", m, errs)
		}
		for _, e := range errs {
			if e.Row < 0 {
				t.Fatalf("problem %v", e)
			}
			if e.Row == 0 {
				ended = true
			}
			if _, ok := c.Keys(partnerhub.English)[e.Key]; !ok || !strings.HasPrefix(e.Key, "import.") {
				t.Fatalf("problem %v has no message", e)
			}
		}
	}
}

// TestWriteSamples writes the XLSX samples of testdata (the template filled
// with the rows of the CSV samples) and the fuzz seed corpus, when
// PARTNERHUB_WRITE_SAMPLES is set: go test ./transfer/ -run WriteSamples.
func TestWriteSamples(t *testing.T) {
	if os.Getenv("PARTNERHUB_WRITE_SAMPLES") == "" {
		t.Skip("set PARTNERHUB_WRITE_SAMPLES=1 to write the samples")
	}
	x := mobIndex(t)
	for _, lang := range partnerhub.Langs {
		text := strings.TrimPrefix(string(mobReadTestdata(t, "mobility_"+string(lang)+".csv")), "\ufeff")
		recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var tmpl bytes.Buffer
		if err := WriteTemplate(&tmpl, x, lang); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&tmpl)
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetList()[0]
		// The template's column order; numbers as numbers.
		pos := map[mobColumn]int{}
		for i, h := range recs[0] {
			c, _ := mobHeaderColumn(h)
			pos[c] = i
		}
		for r, rec := range recs[1:] {
			row := make([]any, mobNumColumns)
			for c := range mobNumColumns {
				v := rec[pos[c]]
				if n, err := strconv.Atoi(v); err == nil {
					row[c] = n
				} else if v != "" {
					row[c] = v
				}
			}
			if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(r+2), &row); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if _, err := f.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.WriteFile(filepath.Join("testdata", "mobility_"+string(lang)+".xlsx"), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seeds := map[string]map[string][]byte{
		"FuzzReadCSV": {
			"en":          mobReadTestdata(t, "mobility_en.csv"),
			"ja":          mobReadTestdata(t, "mobility_ja.csv"),
			"sjis":        mobReadTestdata(t, "mobility_sjis.csv"),
			"header-only": []byte(mobHead),
			"problems":    []byte("Partner,年度,Year,Notes,\n" + "NTU,2021,,x,\n"),
			"rows": []byte(mobHead + "NTU,,,2021,outbound,graduate,exchange,1\n" + "ntu,,工,2021年度,派遣,大学院生,交換留学,\"1,234\"\n" +
				"Harvard,x,宇宙,FY1800,out,alumni,holiday,-1\n" + "NTU,\"K\"TH\n" + ",,,,,,,\n" + "NTU,,,2021,outbound,graduate,exchange,1\n"),
		},
		"FuzzReadXLSX": {
			"lean-ja":       mobLeanXLSX(t),
			"lean-problems": mobWithSheet(t, mobLeanXLSX(t), mobSheetOf(t, mobXLSXFromCSV(t, mobHead+"NTU,,,2021,outbound,graduate,exchange,1\nNTU,,,2021,outbound,graduate,exchange,x\n"))),
			"sheet-ja":      mobSheetOf(t, mobLeanXLSX(t)),
			"sheet-inline": []byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
				`<row r="1"><c r="A1" t="inlineStr"><is><t>partner</t></is></c><c r="B1" t="inlineStr"><is><t>year</t></is></c><c r="C1" t="inlineStr"><is><t>direction</t></is></c>` +
				`<c r="D1" t="inlineStr"><is><t>category</t></is></c><c r="E1" t="inlineStr"><is><t>programme</t></is></c><c r="F1" t="inlineStr"><is><t>count</t></is></c></row>` +
				`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>2021</v></c><c r="C2" t="str"><v>inbound</v></c><c r="D2" t="inlineStr"><is><t>staff</t></is></c>` +
				`<c r="E2" t="inlineStr"><is><t>visit</t></is></c><c r="F2"><v>3.0</v></c></row>` +
				`<row r="5"><c r="A5" t="inlineStr"><is><t>NTU</t></is></c><c r="B5" t="b"><v>1</v></c><c r="F5" t="e"><v>#N/A</v></c><c r="XFD5"><f>1+1</f></c></row>` +
				`</sheetData></worksheet>`),
		},
	}
	for target, files := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The fuzzer's lean workbook reads like the sample it comes from.
func TestLeanWorkbook(t *testing.T) {
	base := mobLeanXLSX(t)
	figs, errs := mobReadAll(t, base, "xlsx")
	if len(figs) != 6 || len(errs) != 0 {
		t.Fatalf("%v %v", figs, mobFmtErrs(errs))
	}
	again, _ := mobReadAll(t, mobWithSheet(t, base, mobSheetOf(t, base)), "xlsx")
	if !slices.Equal(again, figs) {
		t.Fatalf("with its own sheet: %v", again)
	}
}
