package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// TestBrowserDocuments: a coordinator reaches an agreement's documents
// from the agreements index, uploads a PDF through the form, sees it
// listed, and is told at the field when a file is not what its name says;
// the page passes axe in both languages and does not scroll sideways on a
// phone.
func TestBrowserDocuments(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ed := newEditors(t, storetest.Engines()[0])
	ctx := browser(t)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "協定案 2026.pdf"), filepath.Join(dir, "renamed.docx")
	for name, data := range map[string][]byte{good: storetest.PDF("Draft"), bad: storetest.PDF("Not a Word file")} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx,
		chromedp.Navigate(ed.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), "coordinator@example.ac.jp"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	const page = "/en/agreements/snu-mou/documents"
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/agreements"), chromedp.Click(chromedp.CSS(`a[href="`+page+`"]`)))
	arrive(t, ctx, page)
	do(t, ctx,
		chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{good}),
		chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
	)
	arrive(t, ctx, page+"?saved=1")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "協定案 2026.pdf") || !strings.Contains(body, "Name of coordinator@example.ac.jp") {
		t.Fatalf("the upload is not listed: %s", body)
	}
	do(t, ctx,
		chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{bad}),
		chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#err-file`)),
	)
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`#err-file`))); !strings.Contains(msg, "its content is not a Word document") {
		t.Errorf("the refusal at the field: %q", msg)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	if shots != "" {
		png := get(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, "documents-refused-en-1280.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ja"} {
		path := "/" + lang + "/agreements/snu-mou/documents"
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ed.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		for _, v := range runAxe(t, ctx, axe).serious() {
			t.Errorf("%s: %s", path, v)
		}
		for _, width := range []int64{1280, 390, 360} {
			do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ed.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
			if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
				t.Errorf("%s scrolls sideways by %dpx at %dpx", path, overflow, width)
			}
			// PARTNERHUB_SCREENSHOTS=dir keeps pictures of the page.
			if shots != "" && width != 360 {
				png := get(t, ctx, chromedp.FullScreenshot(100))
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("documents-%s-%d.png", lang, width)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
}
