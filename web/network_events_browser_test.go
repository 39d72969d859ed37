package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestBrowserNetworkEvents: people register on an event's public page
// until it is full, and the next one joins the waiting list; the list,
// the event's page, the organisers' form and registrations pass axe and
// do not scroll sideways on a phone. PARTNERHUB_SCREENSHOTS=dir keeps
// pictures of them in both languages (network-events-<page>-<lang>.png).
func TestBrowserNetworkEvents(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	es := newEventServer(t, storetest.Engines()[0])
	ctx := browser(t)
	organiser, err := es.db.UserByEmail(context.Background(), "organiser@example.ac.jp")
	if err != nil {
		t.Fatal(err)
	}
	starts := time.Date(time.Now().Year()+1, 3, 11, 1, 0, 0, 0, time.UTC)
	put := func(e partnerhub.NetworkEvent) *partnerhub.NetworkEvent {
		got, err := es.db.PutNetworkEvent(context.Background(), organiser, e, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	ev := put(partnerhub.NetworkEvent{Title: partnerhub.Text{Ja: "全国ネットワーク・シンポジウム", En: "National network symposium"},
		Description: partnerhub.Text{Ja: "加盟大学の国際連携の実践を共有します。", En: "Member universities share how they run their international partnerships."},
		Kind:        partnerhub.EventSymposium, Venue: partnerhub.Text{Ja: "東京大学 安田講堂", En: "Yasuda Auditorium, University of Tokyo"}, Online: true,
		Starts: starts, Ends: starts.Add(4 * time.Hour), Capacity: 2, RegistrationOpens: time.Now().Add(-time.Hour),
		RegistrationCloses: starts.Add(-24 * time.Hour), Organiser: "utokyo", State: partnerhub.EventPublished, RetentionDays: 30})
	put(partnerhub.NetworkEvent{Title: partnerhub.Text{Ja: "協定実務ワークショップ", En: "Workshop on agreements in practice"},
		Kind: partnerhub.EventWorkshop, Online: true, Starts: starts.AddDate(0, 1, 0), Ends: starts.AddDate(0, 1, 0).Add(2 * time.Hour), Capacity: 40,
		RegistrationOpens: time.Now().Add(-time.Hour), RegistrationCloses: starts.AddDate(0, 1, -1), State: partnerhub.EventPublished, RetentionDays: 30})
	page := "/en" + partnerhub.EventPath(ev.ID)

	register := func(name, affiliation, email, lang string) string {
		t.Helper()
		do(t, ctx, chromedp.Navigate(es.URL+page), chromedp.WaitReady(chromedp.CSS("footer")),
			chromedp.SetValue(chromedp.CSS(`#f-name`), name), chromedp.SetValue(chromedp.CSS(`#f-affiliation`), affiliation),
			chromedp.SetValue(chromedp.CSS(`#f-email`), email), chromedp.SetValue(chromedp.CSS(`#f-language`), lang),
			chromedp.Click(chromedp.CSS(`#register-form button[type="submit"]`)))
		arrive(t, ctx, page+"?registered=1")
		return get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	}
	for i, p := range [][4]string{{"山田 花子", "京都大学", "hanako@example.org", "ja"}, {"John Smith", "NTU", "john@example.org", "en"}} {
		if body := register(p[0], p[1], p[2], p[3]); !strings.Contains(body, "We have sent an e-mail to the address you gave.") {
			t.Fatalf("registration %d: %s", i, body)
		}
	}
	do(t, ctx, chromedp.Navigate(es.URL+page), chromedp.WaitReady(chromedp.CSS("footer")))
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "Full: new registrations go to the waiting list (0 waiting).") {
		t.Fatalf("full page: %s", body)
	}
	register("Lee Min", "SNU", "lee@example.org", "en")
	do(t, ctx, chromedp.Navigate(es.URL+page), chromedp.WaitReady(chromedp.CSS("footer")))
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "(1 waiting)") {
		t.Fatalf("waiting list: %s", body)
	}
	regs, err := es.db.Registrations(context.Background(), organiser, ev.ID)
	if err != nil || len(regs) != 3 || regs[2].Status != partnerhub.RegistrationWaiting || regs[2].Position != 1 {
		t.Fatalf("registrations: %+v %v", regs, err)
	}

	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	visit := func(pages []struct{ name, path string }) {
		for _, p := range pages {
			do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(es.URL+p.path), chromedp.WaitReady(chromedp.CSS("footer")))
			for _, v := range runAxe(t, ctx, axe).serious() {
				t.Errorf("%s: %s", p.path, v)
			}
			if shots != "" {
				png := get(t, ctx, chromedp.FullScreenshot(100))
				if err := os.WriteFile(filepath.Join(shots, "network-events-"+p.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			do(t, ctx, chromedp.EmulateViewport(390, 900), chromedp.Navigate(es.URL+p.path), chromedp.WaitReady(chromedp.CSS("footer")))
			if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
				t.Errorf("%s scrolls sideways by %dpx on a phone", p.path, overflow)
			}
		}
	}
	id := strconv.FormatInt(ev.ID, 10)
	var public, private []struct{ name, path string }
	for _, lang := range []string{"en", "ja"} {
		public = append(public, struct{ name, path string }{"list-" + lang, "/" + lang + "/network/events"},
			struct{ name, path string }{"event-" + lang, "/" + lang + "/network/events/" + id})
		private = append(private, struct{ name, path string }{"registrations-" + lang, "/" + lang + "/network/events/" + id + "/registrations"},
			struct{ name, path string }{"form-" + lang, "/" + lang + "/network/events/" + id + "/edit"})
	}
	visit(public)
	do(t, ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(es.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), "organiser@example.ac.jp"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	visit(private)
}
