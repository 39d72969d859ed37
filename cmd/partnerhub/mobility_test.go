package main

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub/store"
	"partnerhub/store/storetest"
)

// TestImportMobilityFiles runs good and bad files through
// `partnerhub import mobility` on every engine: a good file is added whole,
// and each bad one is refused with its message and stores nothing.
func TestImportMobilityFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "partner,unit,year,direction,category,programme,count\n"
	good := header + "pku,law,2021,outbound,graduate,exchange,12\nsnu,eng,2022,inbound,faculty,visit,3\n"
	workbook := func(rows [][]any) []byte {
		f := excelize.NewFile()
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			f.SetSheetRow("Sheet1", cell, &r)
		}
		var b bytes.Buffer
		f.Write(&b)
		return b.Bytes()
	}
	goodXLSX := workbook([][]any{{"パートナー", "部局", "年度", "方向", "区分", "プログラム", "人数"}, {"北京大学", "法", 2021, "派遣", "大学院生", "交換留学", 12}})
	// A zip whose one entry unpacks to far more than the limit.
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write(bytes.Repeat([]byte("<row/>"), 20<<20))
	zw.Close()
	sjis := []byte("partner,year,direction,category,programme,count\n\x96\x6b\x8b\x9e\x91\xe5\x8a\x77,2021,outbound,graduate,exchange,1\n")

	for _, tc := range []struct {
		name, file string
		want       string // in the error or the problems printed; "" for success
		rows       int64
	}{
		{"good CSV", write("good.csv", []byte(good)), "", 2},
		{"good workbook in Japanese", write("good.xlsx", goodXLSX), "", 1},
		{"unknown partner", write("p.csv", []byte(header+"atlantis,law,2021,outbound,graduate,exchange,1\n")), "Atlantis", 0},
		{"bad year", write("y.csv", []byte(header+"pku,law,20x1,outbound,graduate,exchange,1\n")), "20x1", 0},
		{"negative count", write("c.csv", []byte(header+"pku,law,2021,outbound,graduate,exchange,-3\n")), "-3", 0},
		{"duplicate row", write("d.csv", []byte(header+"pku,law,2021,outbound,graduate,exchange,1\npku,law,2021,outbound,graduate,exchange,2\n")), ":3", 0},
		{"wrong header", write("h.csv", []byte("partner,when,count\npku,2021,1\n")), "when", 0},
		{"empty file", write("e.csv", nil), "empty", 0},
		{"Shift_JIS CSV", write("s.csv", sjis), "UTF-8", 0},
		{"truncated workbook", write("t.xlsx", goodXLSX[:len(goodXLSX)/2]), "", -1},
		{"zip bomb", write("b.xlsx", bomb.Bytes()), "", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, e storetest.Engine) {
				dbURL := migrated(t, e)
				var out, errOut bytes.Buffer
				err := run(context.Background(), []string{"import", "mobility", "-q", "-db", dbURL, tc.file}, env(), &out, &errOut)
				db, oerr := store.Open(context.Background(), dbURL)
				if oerr != nil {
					t.Fatal(oerr)
				}
				defer db.Close()
				_, total, lerr := db.ListMobility(context.Background(), "utokyo", store.MobilityFilter{}, 10, 0)
				if lerr != nil {
					t.Fatal(lerr)
				}
				if tc.rows > 0 {
					if err != nil || total != tc.rows {
						t.Fatalf("err %v, %d figures stored, want %d\n%s", err, total, tc.rows, errOut.String())
					}
					return
				}
				if err == nil {
					t.Fatalf("a bad file was accepted: %s", out.String())
				}
				if total != 0 {
					t.Fatalf("a refused file stored %d figures", total)
				}
				said := err.Error() + "\n" + errOut.String()
				if tc.want != "" && !strings.Contains(strings.ToLower(said), strings.ToLower(tc.want)) {
					t.Fatalf("message lacks %q:\n%s", tc.want, said)
				}
				if strings.Contains(said, "import.") || strings.Contains(said, "field.") {
					t.Fatalf("a message key leaked:\n%s", said)
				}
			})
		})
	}
}
