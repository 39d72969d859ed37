package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// TestBrowserRegisterImport: an admin uploads a register with five bad
// cells; the page lists each by row and column in its language, passes
// axe, and does not scroll sideways on a phone.
func TestBrowserRegisterImport(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ed := newEditors(t, storetest.Engines()[0])
	ctx := browser(t)
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "register.csv")
	if err := os.WriteFile(bad, []byte(registerBad), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Navigate(ed.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), "admin@example.ac.jp"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	for _, lang := range []string{"en", "ja"} {
		for _, width := range []int64{1280, 360} {
			do(t, ctx, chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(ed.URL+"/"+lang+"/agreements/import"),
				chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{bad}),
				chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".register-problems table")))
			rows := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".register-problems tbody tr").length`))
			if rows != 5 {
				t.Errorf("%s at %dpx: %d problems listed, want 5", lang, width, rows)
			}
			text := get(t, ctx, chromedp.Text(chromedp.CSS(".register-problems")))
			want := map[string]string{"en": "is not a kind of agreement", "ja": "は協定の種類ではありません"}[lang]
			if !strings.Contains(text, want) {
				t.Errorf("%s: the problems do not say %q: %s", lang, want, text)
			}
			if width == 360 {
				if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
					t.Errorf("%s: the page scrolls sideways by %dpx at 360px", lang, overflow)
				}
			} else if v := runAxe(t, ctx, axe).serious(); len(v) > 0 {
				t.Errorf("%s: axe: %v", lang, v)
			}
			// PARTNERHUB_SCREENSHOTS=dir keeps pictures of the page.
			if shots != "" {
				png := get(t, ctx, chromedp.FullScreenshot(100))
				if err := os.WriteFile(filepath.Join(shots, "register-import-refused-"+lang+"-"+itoa(int(width))+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
