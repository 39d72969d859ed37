package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"partnerhub/store/storetest"
)

// upload posts a file to the import page as a signed-in user and follows
// the job page until the import ends; it returns the final page.
func (ed *editors) upload(t *testing.T, role, lang, name, content string) reply {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", ed.URL+"/"+lang+"/mobility/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(ed.cookie[role])
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	job := res.Header.Get("Location")
	for range 200 {
		r := ed.send(t, "GET", job, nil, ed.cookie[role])
		if !strings.Contains(r.body, `http-equiv="refresh"`) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the import did not end")
	return reply{}
}

func TestMobilityImportAndStatistics(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	// Nothing recorded yet: the statistics show what the brochure declares
	// and say where the figures will appear, in both languages.
	wantPage200 := func(path, text string) {
		t.Helper()
		r := ed.send(t, "GET", path, nil)
		if r.status != 200 || !strings.Contains(r.body, text) {
			t.Fatalf("%s: %d, lacks %q", path, r.status, text)
		}
	}
	wantPage200("/en/stats", "once the programme office records them")
	wantPage200("/ja/stats", "事業事務局が記録すると")

	// A coordinator of agr imports NTU figures in Japanese.
	file := "パートナー,部局,年度,方向,区分,プログラム,人数\n国立台湾大学,農,2021,派遣,大学院生,交換留学,12\nNTU,農,2022年度,受入,学部生,短期プログラム,30\n"
	r := ed.upload(t, "coordinator", "ja", "ntu.csv", file)
	wantPage(t, r, 200, "2 件の数値を追加しました", `value="100"`)
	wantPage200("/en/stats/partners/ntu", "42 people in all")
	wantPage200("/ja/partners/ntu", "2022年度")

	// A file with problems adds nothing and lists them by row and column.
	bad := "partner,unit,year,direction,category,programme,count\nntu,agr,2023,outbound,graduate,exchange,5\ncambridge,eng,2023,outbound,graduate,exchange,5\nntu,agr,20x3,outbound,graduate,exchange,5\n"
	r = ed.upload(t, "coordinator", "en", "bad.csv", bad)
	wantPage(t, r, 200, "nothing was added", "Row 4 [year]", "Row 3 [unit]")
	wantPage200("/en/stats/partners/ntu", "42 people in all")

	// The statistics download, and the template is a workbook.
	if r := ed.send(t, "GET", "/en/export/stats?format=csv&view=year_direction&partner=ntu", nil); r.status != 200 || !strings.Contains(r.body, "2022,Inbound,30") {
		t.Fatalf("stats CSV: %d %q", r.status, r.body)
	}
	// By kind of programme: 12 in exchanges, 30 in short programmes.
	if r := ed.send(t, "GET", "/ja/export/stats?format=csv&view=programmes&partner=ntu", nil); r.status != 200 ||
		!strings.Contains(r.body, "短期プログラム,30") || !strings.Contains(r.body, "交換留学,12") {
		t.Fatalf("stats by programme CSV: %d %q", r.status, r.body)
	}
	if r := ed.send(t, "GET", "/en/export/stats?format=csv&view=nope", nil); r.status != 400 ||
		!strings.Contains(r.body, "phase, programmes, units, year_category, year_direction") {
		t.Fatalf("unknown view: %d %q", r.status, r.body)
	}
	wantPage200("/en/stats", "By kind of programme")
	wantPage200("/ja/stats/units/agr", "プログラムの種類別")
	if r := ed.send(t, "GET", "/en/export/mobility?format=csv&unit=agr", nil); r.status != 200 || !strings.Contains(r.body, "National Taiwan University") {
		t.Fatalf("figures CSV: %d %q", r.status, r.body)
	}
	tpl := ed.send(t, "GET", "/ja/mobility/template.xlsx", nil)
	if _, err := excelize.OpenReader(strings.NewReader(tpl.body)); err != nil {
		t.Fatalf("template: %v", err)
	}
	// One figure through the form.
	form := map[string][]string{"partner": {"ntu"}, "unit": {"agr"}, "year": {"2023"}, "direction": {"inbound"}, "category": {"faculty"},
		"programme": {"visit"}, "count": {"3"}}
	if r := ed.send(t, "POST", "/en/edit/mobility/new", form, ed.cookie["coordinator"]); r.status != 303 {
		t.Fatalf("form: %d %s", r.status, r.body)
	}
	wantPage200("/en/stats/partners/ntu", "45 people in all")
	form["unit"] = []string{"eng"}
	if r := ed.send(t, "POST", "/en/edit/mobility/new", form, ed.cookie["coordinator"]); r.status != 403 {
		t.Fatalf("another unit's figure: %d", r.status)
	}
}

// TestBrowserMobilityImport: upload a file, watch the progress bar end,
// see the chart change.
func TestBrowserMobilityImport(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ed := newEditors(t, storetest.Engines()[0])
	ctx := browser(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "figures.csv")
	var b strings.Builder
	b.WriteString("partner,unit,year,direction,category,programme,count\n")
	for y := 2015; y <= 2024; y++ {
		for _, c := range []string{"undergraduate", "graduate", "faculty"} {
			b.WriteString("ntu,agr," + itoa(y) + ",outbound," + c + ",exchange,7\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	bars := func() int {
		do(t, ctx, chromedp.Navigate(ed.URL+"/en/stats"), chromedp.WaitReady(chromedp.CSS("footer")))
		return get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.chart-block svg rect[fill], section.chart-block svg rect[style]").length`))
	}
	before := bars()
	do(t, ctx,
		chromedp.Navigate(ed.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), "coordinator@example.ac.jp"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	do(t, ctx,
		chromedp.Navigate(ed.URL+"/en/mobility/import"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{path}),
		chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.saved")),
	)
	if v := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("progress").getAttribute("value")`)); v != "100" {
		t.Fatalf("progress bar at %s", v)
	}
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("p.saved"))); msg != "30 figures were added." {
		t.Fatalf("message %q", msg)
	}
	if after := bars(); after <= before {
		t.Fatalf("the chart did not change: %d bars before, %d after", before, after)
	}
	if total := get(t, ctx, chromedp.Text(chromedp.CSS(`main p[role="status"]`))); total != "210 people in all" {
		t.Fatalf("total %q", total)
	}

	// A file with mistakes, in Japanese: nothing is added, and each
	// problem is listed by row and column in Japanese.
	bad := filepath.Join(dir, "間違い.csv")
	if err := os.WriteFile(bad, []byte("パートナー,部局,年度,方向,区分,プログラム,人数\n"+
		"国立台湾大学,農,2023,受入,大学院生,交換留学,5\n"+
		"存在しない大学,農,2023,派遣,大学院生,交換留学,5\n"+
		"NTU,農,二〇二三,派遣,大学院生,交換留学,5\n"+
		"NTU,農,2024,派遣,大学院生,交換留学,-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Navigate(ed.URL+"/ja/mobility/import"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{bad}),
		chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("ol.problems")),
	)
	problems := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ol.problems li")].map(li => li.textContent)`))
	if len(problems) != 3 || !strings.HasPrefix(problems[0], "3行目") || !strings.Contains(problems[0], "存在しない大学") ||
		!strings.HasPrefix(problems[1], "4行目") || !strings.Contains(problems[1], "年度") || !strings.HasPrefix(problems[2], "5行目") {
		t.Fatalf("problems %q", problems)
	}
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("main .alert"))); !strings.HasPrefix(msg, "3 件の問題があるため、何も追加していません") || strings.Contains(msg, "0 件") {
		t.Fatalf("page %q", msg)
	}
	if n := bars(); n <= before {
		t.Fatal("the statistics lost the figures imported before")
	}
	if total := get(t, ctx, chromedp.Text(chromedp.CSS(`main p[role="status"]`))); total != "210 people in all" {
		t.Fatalf("total after the refused file %q", total)
	}
	// On a phone the charts scroll sideways, and say so; on a wide screen
	// they fit, and the hint is not shown.
	hint := func(width int64) string {
		do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ed.URL+"/ja/stats"), chromedp.WaitReady(chromedp.CSS("footer")))
		return get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".scroll-hint")).display + " " +
			(document.querySelector(".chart-block").scrollWidth > document.querySelector(".chart-block").clientWidth)`))
	}
	if got := hint(360); got != "block true" {
		t.Errorf("at 360px: hint and overflow %q", got)
	}
	if got := hint(1280); got != "none false" {
		t.Errorf("at 1280px: hint and overflow %q", got)
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	// PARTNERHUB_SCREENSHOTS=dir keeps pictures of the refused file's page
	// (docs/screenshots.sh sets it).
	if dir := os.Getenv("PARTNERHUB_SCREENSHOTS"); dir != "" {
		for _, width := range []int64{1280, 390} {
			do(t, ctx, chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(ed.URL+"/ja/mobility/import"),
				chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{bad}),
				chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("ol.problems")))
			png := get(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(dir, "mobility-import-refused-ja-"+itoa(int(width))+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
