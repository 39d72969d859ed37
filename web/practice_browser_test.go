package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// TestBrowserPracticeNote: a member's coordinator writes a note in the
// browser and submits it; a network editor (of another member, on that
// member's portal) publishes it from the review queue; the public library
// shows it in both languages. The editors' notice and the writer's are
// read back from Mailpit. Without a problem axe-core calls serious, in
// both languages. PARTNERHUB_SCREENSHOTS=dir keeps pictures of the
// library, the note and the form.
func TestBrowserPracticeNote(t *testing.T) {
	t.Parallel()    // in a browser context of its own; see browser
	chromiumPath(t) // skips without Chromium or under -short, before Mailpit starts
	mp := mailpittest.Start(t)
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := browser(t)
		bg := context.Background()
		ps := newPracticeServers(t, e)
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		ps.db.SetMail(&mail.Composer{Messages: msgs, BaseURL: ps.URL})
		shoot := func(name string) {
			if shots == "" || e.Name != "sqlite" {
				return
			}
			png := get(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		checkAxe := func(what string) {
			t.Helper()
			for _, v := range runAxe(t, ctx, axe).serious() {
				t.Errorf("%s: %s", what, v)
			}
		}
		signIn := func(base, who string) {
			t.Helper()
			email := who + "@utokyo.example.ac.jp"
			if ps.atKyoto[who] {
				email = who + "@kyoto.example.ac.jp"
			}
			do(t, ctx, chromedp.Navigate(base+"/en/signin"),
				chromedp.SetValue(chromedp.CSS(`input[name="email"]`), email),
				chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
				chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
			arrive(t, ctx, "/en/account")
		}

		// The coordinator writes a note; a save without the English title
		// is refused at that field, what was typed kept.
		signIn(ps.URL, "coordinator")
		do(t, ctx, chromedp.Navigate(ps.URL+"/en/network/practice"), chromedp.WaitReady(chromedp.CSS("footer")),
			chromedp.Click(chromedp.CSS(`main a[href="/en/network/practice/new"]`)))
		arrive(t, ctx, "/en/network/practice/new")
		do(t, ctx,
			chromedp.SetValue(chromedp.CSS(`#f-title-ja`), "オンライン共同授業の運営"),
			chromedp.SetValue(chromedp.CSS(`#f-topic`), "online_exchange"),
			chromedp.SetValue(chromedp.CSS(`#f-body-ja`), "両大学の学生が毎週オンラインで集まりました。\n\n時差は授業を朝に置いて解決しました。"),
			chromedp.SetValue(chromedp.CSS(`#f-body-en`), "Students of both universities met online every week.\n\nWe solved the time difference by teaching in the morning."),
			chromedp.SetValue(chromedp.CSS(`#f-tags`), "COIL, 時差"),
			chromedp.SetValue(chromedp.CSS(`#f-partners`), "ntu"),
			chromedp.Click(chromedp.CSS(`#practice-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#e-title-en`)))
		if v := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#f-body-ja').value + '|' + document.querySelector('#f-tags').value`)); !strings.Contains(v, "時差は") || !strings.HasSuffix(v, "|COIL, 時差") {
			t.Fatalf("the refused form lost what was typed: %q", v)
		}
		shoot("network-practice-form-error-en")
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-title-en`), "Running a joint online class"),
			chromedp.Click(chromedp.CSS(`#practice-form button[type="submit"]`)))
		var id int64
		for range 200 {
			loc := get(t, ctx, chromedp.Evaluate[string](`location.pathname`))
			if rest, ok := strings.CutPrefix(loc, "/en/network/practice/"); ok && strings.HasSuffix(rest, "/edit") {
				id, _ = strconv.ParseInt(strings.TrimSuffix(rest, "/edit"), 10, 64)
				break
			}
			chromedp.Run(ctx, chromedp.Sleep(20_000_000))
		}
		if id == 0 {
			t.Fatal("the note was not saved")
		}
		note := "/network/practice/" + strconv.FormatInt(id, 10)
		for _, lang := range []string{"en", "ja"} {
			do(t, ctx, chromedp.Navigate(ps.URL+"/"+lang+note+"/edit"), chromedp.WaitReady(chromedp.CSS("footer")))
			checkAxe(lang + " form")
			shoot("network-practice-form-" + lang)
		}
		// Submitted from its page; the draft was nobody else's to see.
		if r := ps.page(t, "public", "GET", "/en"+note, nil); r.status != 404 {
			t.Fatalf("the public sees the draft: %d", r.status)
		}
		do(t, ctx, chromedp.Navigate(ps.URL+"/en"+note), chromedp.WaitReady(chromedp.CSS("footer")),
			chromedp.Click(chromedp.CSS(`form.practice-verb button[type="submit"]`)))
		arrive(t, ctx, "/en"+note+"?saved=1")
		if s := get(t, ctx, chromedp.Text(chromedp.CSS(`.practice-meta .state`))); s != "Submitted for review" {
			t.Fatalf("state after submitting: %q", s)
		}

		// A network editor of kyoto publishes it from kyoto's portal.
		signIn(ps.kyoto.URL, "editor")
		do(t, ctx, chromedp.Navigate(ps.kyoto.URL+"/en/network/practice/review"), chromedp.WaitReady(chromedp.CSS("footer")))
		checkAxe("review queue")
		do(t, ctx, chromedp.Click(chromedp.CSS(`main .practice-card a`)))
		arrive(t, ctx, "/en"+note)
		do(t, ctx, chromedp.Click(chromedp.CSS(`form.practice-verb input[value="publish"] ~ button`)))
		arrive(t, ctx, "/en"+note+"?saved=1")

		// The public library, in both languages (the editor's kyoto
		// session is nobody at utokyo's portal).
		for _, lang := range []string{"en", "ja"} {
			title := map[string]string{"en": "Running a joint online class", "ja": "オンライン共同授業の運営"}[lang]
			do(t, ctx, chromedp.Navigate(ps.URL+"/"+lang+"/network/practice?topic=online_exchange"), chromedp.WaitReady(chromedp.CSS("footer")))
			if got := get(t, ctx, chromedp.Text(chromedp.CSS(`main .practice-card h2`))); got != title {
				t.Fatalf("%s library shows %q, want %q", lang, got, title)
			}
			checkAxe(lang + " library")
			shoot("network-practice-library-" + lang)
			do(t, ctx, chromedp.Click(chromedp.CSS(`main .practice-card h2 a`)))
			arrive(t, ctx, "/"+lang+note)
			if href := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('.practice-note ul a').getAttribute('href')`)); href != "/"+lang+"/partners/ntu" {
				t.Fatalf("the partner's link: %q", href)
			}
			checkAxe(lang + " note")
			shoot("network-practice-note-" + lang)
		}

		// The mail: the editors were told of the submission, the writer of
		// the publication.
		ids := map[string]string{}
		out, err := ps.db.Outbox(bg, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			if m.Kind == mail.KindPracticeNote {
				ids[m.MessageID] = m.To
			}
		}
		smtp, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("partnerships@example.ac.jp")
		if _, err := (&mail.Sender{Outbox: ps.db, SMTP: smtp, From: from}).Drain(bg); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range mp.Messages(t) {
			if to, ours := ids[s.MessageID]; ours {
				m := mp.Message(t, s.ID)
				got[to] = m.Subject + "\n" + m.Text
			}
		}
		if m := got["editor@kyoto.example.ac.jp"]; !strings.Contains(m, "Running a joint online class") && !strings.Contains(m, "オンライン共同授業の運営") ||
			!strings.Contains(m, "/network/practice/review") {
			t.Errorf("the editor's mail: %q", m)
		}
		if m := got["coordinator@utokyo.example.ac.jp"]; !strings.Contains(m, "/network/practice/"+strconv.FormatInt(id, 10)) || !strings.Contains(m, "publish") && !strings.Contains(m, "公開") {
			t.Errorf("the writer's mail: %q", m)
		}
	})
}
