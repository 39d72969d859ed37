package web

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// The annual report: a PDF of the public programme, 404 for a year outside
// its data, cached with an ETag, linked from the phases page; a draft
// activity of the year is not in it.
func TestAnnualReport(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("report: needs poppler-utils (pdftotext not found)")
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, _ := newCalendarServer(t, e)
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		for _, a := range []*partnerhub.Activity{
			{Slug: "report-public", Kind: partnerhub.Workshop, Title: partnerhub.Text{Ja: "報告書に載る公開ワークショップ", En: "Public workshop for the report"},
				Start: partnerhub.MustPartialDate("2024-05"), Partners: []string{"ntu"}, Units: []string{"eng"}, Published: true},
			{Slug: "report-draft", Kind: partnerhub.Workshop, Title: partnerhub.Text{Ja: "非公開の下書き活動", En: "Unpublished draft activity"},
				Start: partnerhub.MustPartialDate("2024-06"), Partners: []string{"ntu"}, Units: []string{"eng"}, Published: false},
		} {
			if _, err := ts.db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity,
				Action: partnerhub.ActionCreate, Record: a}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ts.srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for _, lang := range []string{"en", "ja"} {
			r := ts.send(t, "GET", "/"+lang+"/report/2024.pdf", nil)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.body, "%PDF-") {
				t.Fatalf("%s: %d %q %.40q", lang, r.status, r.header.Get("Content-Type"), r.body)
			}
			etag := r.header.Get("Etag")
			if again := ts.send(t, "GET", "/"+lang+"/report/2024.pdf", nil, "If-None-Match", etag); etag == "" || again.status != http.StatusNotModified {
				t.Errorf("%s: If-None-Match %q: %d", lang, etag, again.status)
			}
			file := filepath.Join(dir, lang+".pdf")
			if err := os.WriteFile(file, []byte(r.body), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, file, "-").CombinedOutput()
			if err != nil {
				t.Fatalf("pdftotext: %v\n%s", err, out)
			}
			text := strings.Join(strings.Fields(string(out)), "")
			pub, draft := "Publicworkshopforthereport", "Unpublisheddraftactivity"
			if lang == "ja" {
				pub, draft = "報告書に載る公開ワークショップ", "非公開の下書き活動"
			}
			if !strings.Contains(text, pub) {
				t.Errorf("%s: the published activity of 2024 is not in the report", lang)
			}
			if strings.Contains(text, draft) {
				t.Errorf("%s: the draft activity is in the report", lang)
			}
			for _, bad := range []string{"/report/1999.pdf", "/report/2999.pdf", "/report/2024.txt", "/report/24.pdf", "/report/abcd.pdf", "/report/2024.pdf?x=1"} {
				if r := ts.send(t, "GET", "/"+lang+bad, nil); r.status != http.StatusNotFound || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
					t.Errorf("%s%s: %d %q, want a 404 page", lang, bad, r.status, r.header.Get("Content-Type"))
				}
			}
			ph := ts.send(t, "GET", "/"+lang+"/phases", nil)
			if !strings.Contains(ph.body, `href="/`+lang+`/report/`) || !strings.Contains(ph.body, `.pdf" type="application/pdf"`) {
				t.Errorf("%s: the phases page does not link to the report", lang)
			}
		}
	})
}
