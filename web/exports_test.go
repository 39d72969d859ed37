package web

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub/store/storetest"
)

func TestExports(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	csvRows := func(path string) [][]string {
		t.Helper()
		r := ts.do(t, "GET", path)
		if r.status != 200 || r.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %v", path, r.status, r.header)
		}
		if !bytes.HasPrefix(r.body, []byte("\xef\xbb\xbf")) {
			t.Fatalf("%s: no BOM", path)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := csvRows("/ja/export/partners?format=csv&tier=prospective")
	if len(rows) != 8 || rows[0][1] != "名称" || rows[1][1] != "ミュンヘン工科大学" {
		t.Fatalf("prospective partners in Japanese: %d rows, %q", len(rows), rows[:2])
	}
	rows = csvRows("/en/export/activities?format=csv&partner=cambridge&from=2021")
	for _, r := range rows[1:] {
		if !strings.Contains(r[7], "University of Cambridge") {
			t.Fatalf("filter not applied: %q", r)
		}
	}
	if len(rows) < 4 {
		t.Fatalf("%d Cambridge activities from 2021", len(rows)-1)
	}
	rows = csvRows("/en/export/matrix?format=csv")
	if len(rows) != 17 || len(rows[0]) != 35 {
		t.Fatalf("matrix %dx%d", len(rows), len(rows[0]))
	}
	r := ts.do(t, "GET", "/en/export/units?format=xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(xrows) != 33 || xrows[1][1] != "Law" {
		t.Fatalf("units XLSX: %d rows, %v", len(xrows), err)
	}
	for _, bad := range []string{"/en/export/partners?format=pdf", "/en/export/partners?format=csv&tier=gold", "/ja/export/units?format=csv&x=1"} {
		if r := ts.do(t, "GET", bad); r.status != 400 {
			t.Errorf("%s: %d", bad, r.status)
		}
	}
}
