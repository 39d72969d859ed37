package store_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// eventNow is the clock of the events' tests: a fixed instant, so that
// registration windows, reminders and retention are decided by the test.
var eventNow = time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC)

func testEvent(capacity int) partnerhub.NetworkEvent {
	starts := eventNow.AddDate(0, 0, 10)
	return partnerhub.NetworkEvent{
		Title:       partnerhub.Text{Ja: "ネットワーク・シンポジウム", En: "Network symposium"},
		Description: partnerhub.Text{Ja: "年次の集まり", En: "The yearly meeting"},
		Kind:        partnerhub.EventSymposium, Venue: partnerhub.Text{Ja: "安田講堂", En: "Yasuda Auditorium"},
		Starts: starts, Ends: starts.Add(3 * time.Hour), Capacity: capacity,
		RegistrationOpens: eventNow.Add(-time.Hour), RegistrationCloses: starts.Add(-time.Hour),
		State: partnerhub.EventPublished, RetentionDays: partnerhub.DefaultEventRetentionDays,
	}
}

type eventFixture struct {
	db     *store.DB
	editor *partnerhub.User
	viewer *partnerhub.User
}

func newEventFixture(t *testing.T, e storetest.Engine) *eventFixture {
	t.Helper()
	db, _ := acctDB(t, e)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
	f := &eventFixture{db: db, editor: transferUser(t, db, "editor@example.ac.jp", partnerhub.RoleViewer),
		viewer: transferUser(t, db, "viewer@example.ac.jp", partnerhub.RoleAdmin)}
	f.editor.NetworkEditor = true
	return f
}

func (f *eventFixture) put(t *testing.T, ev partnerhub.NetworkEvent) *partnerhub.NetworkEvent {
	t.Helper()
	got, err := f.db.PutNetworkEvent(context.Background(), f.editor, ev, eventNow)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func registrant(i int, lang partnerhub.Lang) partnerhub.Registrant {
	return partnerhub.Registrant{Name: fmt.Sprintf("Person %d", i), Affiliation: "Univ", Email: fmt.Sprintf("p%d@example.org", i), Lang: lang}
}

var cancelLinkRE = regexp.MustCompile(`/network/registrations/(phr_[A-Za-z0-9_-]+)`)

// tokens are the cancel links' tokens of the mail waiting in the outbox,
// by recipient (the latest for each), claiming that mail.
func tokens(t *testing.T, db *store.DB, now time.Time) (map[string]string, []mail.Queued) {
	t.Helper()
	qs := claimAll(t, db, now)
	slices.SortFunc(qs, func(a, b mail.Queued) int { return cmp.Compare(a.ID, b.ID) })
	out := map[string]string{}
	for _, q := range qs {
		if m := cancelLinkRE.FindStringSubmatch(q.Text); m != nil {
			out[q.To] = m[1]
		}
	}
	return out, qs
}

// Places go first come first served up to capacity, then to the waiting
// list in order; a second registration of an address changes nothing
// and answers as the first; organising is for network editors only.
func TestNetworkEventCapacity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newEventFixture(t, e)
		db := f.db
		if _, err := db.PutNetworkEvent(ctx, f.viewer, testEvent(2), eventNow); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a home's admin organises: %v", err)
		}
		bad := testEvent(0)
		bad.Title.En, bad.Venue, bad.Ends = "", partnerhub.Text{}, bad.Starts.Add(-time.Hour)
		_, err := db.PutNetworkEvent(ctx, f.editor, bad, eventNow)
		wantFields(t, err, "title.en", "venue.ja", "venue.en", "ends_at", "capacity")
		ev := f.put(t, testEvent(2))
		for i := range 4 {
			if err := db.Register(ctx, ev.ID, registrant(i, partnerhub.English), eventNow); err != nil {
				t.Fatal(err)
			}
		}
		again := registrant(0, partnerhub.Japanese)
		again.Email = "P0@Example.org"
		// Registering again mails the address's holder once in ten
		// minutes: the form floods nobody.
		for _, at := range []time.Duration{time.Minute, 11 * time.Minute, 12 * time.Minute} {
			if err := db.Register(ctx, ev.ID, again, eventNow.Add(at)); err != nil {
				t.Fatalf("a second registration: %v", err)
			}
		}
		err = db.Register(ctx, ev.ID, partnerhub.Registrant{Name: " ", Email: "not an address", Lang: "fr"}, eventNow)
		wantFields(t, err, "name", "affiliation", "email", "language")
		regs, err := db.Registrations(ctx, f.editor, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range regs {
			got = append(got, fmt.Sprintf("%s:%s:%d", r.Email, r.Status, r.Position))
		}
		if want := "p0@example.org:confirmed:0 p1@example.org:confirmed:0 p2@example.org:waiting:1 p3@example.org:waiting:2"; strings.Join(got, " ") != want {
			t.Fatalf("registrations: %v, want %s", got, want)
		}
		cur, err := db.NetworkEvent(ctx, nil, ev.ID)
		if err != nil || cur.Confirmed != 2 || cur.Waiting != 2 || cur.Remaining() != 0 {
			t.Fatalf("counts: %+v %v", cur, err)
		}
		// The registrants are the organisers' only.
		for _, u := range []*partnerhub.User{nil, f.viewer} {
			if _, err := db.Registrations(ctx, u, ev.ID); err == nil {
				t.Fatalf("%v reads the registrants", u)
			}
		}
		// Mail: confirmed, confirmed, waiting 1, waiting 2, and "already".
		_, qs := tokens(t, db, eventNow.Add(time.Hour))
		var kinds []string
		for _, q := range qs {
			kinds = append(kinds, q.To+" "+q.Subject)
		}
		if len(qs) != 5 || !strings.Contains(qs[4].Subject, "既に") || qs[4].To != "p0@example.org" {
			t.Fatalf("mail: %q", kinds)
		}
		// A stale write is a conflict; a draft is nobody's but the organisers'.
		ev.Title.En = "Changed"
		ev.Version = 0
		if _, err := db.PutNetworkEvent(ctx, f.editor, *ev, eventNow); partnerhub.ErrorCode(err) != partnerhub.EConflict {
			t.Fatalf("stale write: %v", err)
		}
		ev.Version, ev.State = cur.Version, partnerhub.EventDraft
		if _, err := db.PutNetworkEvent(ctx, f.editor, *ev, eventNow); err != nil {
			t.Fatal(err)
		}
		if _, err := db.NetworkEvent(ctx, f.viewer, ev.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a draft for a home's admin: %v", err)
		}
		if list, err := db.NetworkEvents(ctx, nil, partnerhub.EventFilter{}, eventNow); err != nil || len(list) != 0 {
			t.Fatalf("public list with a draft: %v %v", list, err)
		}
		if err := db.Register(ctx, ev.ID, registrant(9, partnerhub.English), eventNow); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("registering for a draft: %v", err)
		}
		if _, err := db.NetworkEvents(ctx, f.viewer, partnerhub.EventFilter{Drafts: true}, eventNow); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("drafts for a home's admin: %v", err)
		}
		// Closed registration.
		ev2 := f.put(t, testEvent(5))
		if err := db.Register(ctx, ev2.ID, registrant(1, partnerhub.English), ev2.RegistrationCloses); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Fatalf("registering once closed: %v", err)
		}
		hist, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityNetworkEvent, Key: fmt.Sprint(ev.ID)})
		if err != nil || len(hist) != 2 {
			t.Fatalf("audit: %d %v", len(hist), err)
		}
		for _, h := range hist {
			if strings.Contains(string(h.After), "example.org") {
				t.Fatalf("the audit log tells a registrant: %s", h.After)
			}
		}
	})
}

// Registrations at once never take more places than there are.
func TestNetworkEventConcurrentRegistrations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newEventFixture(t, e)
		ev := f.put(t, testEvent(5))
		const n = 24
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- f.db.Register(ctx, ev.ID, registrant(i, partnerhub.English), eventNow)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		regs, err := f.db.Registrations(ctx, f.editor, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		confirmed := 0
		for i, r := range regs {
			if r.Status == partnerhub.RegistrationConfirmed {
				confirmed++
			} else if r.Position != i-4 {
				t.Errorf("position of %d: %d", i, r.Position)
			}
		}
		if confirmed != 5 || len(regs) != n {
			t.Fatalf("%d confirmed of %d", confirmed, len(regs))
		}
		_, qs := tokens(t, f.db, eventNow)
		positions := map[string]bool{}
		for _, q := range qs {
			if m := regexp.MustCompile(`position (\d+)`).FindStringSubmatch(q.Text); m != nil {
				if positions[m[1]] {
					t.Errorf("two mails at waiting position %s", m[1])
				}
				positions[m[1]] = true
			}
		}
		if len(qs) != n || len(positions) != n-5 {
			t.Fatalf("%d mails, %d waiting positions", len(qs), len(positions))
		}
	})
}

// Cancelling a place gives it to the first waiting, who is mailed a link
// of their own; the link cancelled works no more.
func TestNetworkEventCancelPromotes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newEventFixture(t, e)
		db := f.db
		ev := f.put(t, testEvent(1))
		for i := range 3 {
			if err := db.Register(ctx, ev.ID, registrant(i, partnerhub.Japanese), eventNow); err != nil {
				t.Fatal(err)
			}
		}
		toks, _ := tokens(t, db, eventNow)
		r, got, err := db.RegistrationByToken(ctx, toks["p2@example.org"])
		if err != nil || r.Position != 2 || got.ID != ev.ID {
			t.Fatalf("by token: %+v %v", r, err)
		}
		if err := db.CancelRegistration(ctx, toks["p0@example.org"], eventNow); err != nil {
			t.Fatal(err)
		}
		if err := db.CancelRegistration(ctx, toks["p0@example.org"], eventNow); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("cancel twice: %v", err)
		}
		regs, _ := db.Registrations(ctx, f.editor, ev.ID)
		if len(regs) != 2 || regs[0].Email != "p1@example.org" || regs[0].Status != partnerhub.RegistrationConfirmed || regs[0].PromotedAt == nil ||
			regs[1].Position != 1 {
			t.Fatalf("after cancel: %+v", regs)
		}
		promoted, qs := tokens(t, db, eventNow)
		if len(qs) != 1 || qs[0].To != "p1@example.org" || !strings.Contains(qs[0].Subject, "参加") || promoted["p1@example.org"] == "" {
			t.Fatalf("promotion mail: %+v", qs)
		}
		if r, _, err := db.RegistrationByToken(ctx, promoted["p1@example.org"]); err != nil || r.Status != partnerhub.RegistrationConfirmed {
			t.Fatalf("promoted's link: %+v %v", r, err)
		}
		cur, _ := db.NetworkEvent(ctx, nil, ev.ID)
		if cur.Cancelled != 1 || cur.Confirmed != 1 || cur.Waiting != 1 {
			t.Fatalf("counts: %+v", cur)
		}
		// Raising the capacity gives the new place to the waiting list.
		cur.Capacity = 2
		if _, err := db.PutNetworkEvent(ctx, f.editor, *cur, eventNow); err != nil {
			t.Fatal(err)
		}
		if _, qs := tokens(t, db, eventNow); len(qs) != 1 || qs[0].To != "p2@example.org" {
			t.Fatalf("promotion by capacity: %+v", qs)
		}
		cur, _ = db.NetworkEvent(ctx, nil, ev.ID)
		cur.Capacity = 1
		_, err = db.PutNetworkEvent(ctx, f.editor, *cur, eventNow)
		wantFields(t, err, "capacity")
	})
}

// The reminder goes once to each confirmed registrant, however many runs
// at once, and not to the waiting list.
func TestNetworkEventReminders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newEventFixture(t, e)
		db := f.db
		ev := f.put(t, testEvent(2))
		for i := range 3 {
			if err := db.Register(ctx, ev.ID, registrant(i, partnerhub.English), eventNow); err != nil {
				t.Fatal(err)
			}
		}
		claimAll(t, db, eventNow)
		if n, err := db.SendEventReminders(ctx, eventNow, 2); err != nil || n != 0 {
			t.Fatalf("too early: %d %v", n, err)
		}
		at := ev.Starts.Add(-47 * time.Hour)
		var wg sync.WaitGroup
		counts := make([]int, 3)
		for i := range counts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := db.SendEventReminders(ctx, at, 2)
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		if counts[0]+counts[1]+counts[2] != 2 {
			t.Fatalf("reminders: %v", counts)
		}
		if n, _ := db.SendEventReminders(ctx, at.Add(time.Hour), 2); n != 0 {
			t.Fatalf("again: %d", n)
		}
		_, qs := tokens(t, db, at)
		if len(qs) != 2 || qs[0].To == "p2@example.org" || qs[1].To == "p2@example.org" || !strings.Contains(qs[0].Subject, "Reminder") {
			t.Fatalf("reminder mail: %+v", qs)
		}
	})
}

// The registrants' data goes the set number of days after the event ends,
// the counts stay, and so does nothing else of them.
func TestNetworkEventRetention(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newEventFixture(t, e)
		db := f.db
		ev := f.put(t, testEvent(1))
		short := testEvent(1)
		short.RetentionDays = 7
		other := f.put(t, short)
		for i := range 2 {
			for _, id := range []int64{ev.ID, other.ID} {
				if err := db.Register(ctx, id, registrant(i, partnerhub.English), eventNow); err != nil {
					t.Fatal(err)
				}
			}
		}
		toks, _ := tokens(t, db, eventNow)
		if n, err := db.PurgeEventRegistrants(ctx, ev.Ends.AddDate(0, 0, 7).Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("purged early: %d %v", n, err)
		}
		if n, err := db.PurgeEventRegistrants(ctx, ev.Ends.AddDate(0, 0, 7)); err != nil || n != 1 {
			t.Fatalf("purge at 7 days: %d %v", n, err)
		}
		if regs, _ := db.Registrations(ctx, f.editor, other.ID); len(regs) != 0 {
			t.Fatalf("kept: %+v", regs)
		}
		if regs, _ := db.Registrations(ctx, f.editor, ev.ID); len(regs) != 2 {
			t.Fatalf("the 30 days' event lost its registrants: %+v", regs)
		}
		if n, _ := db.PurgeEventRegistrants(ctx, ev.Ends.AddDate(0, 0, 30)); n != 1 {
			t.Fatalf("purge at 30 days: %d", n)
		}
		if n, _ := db.PurgeEventRegistrants(ctx, ev.Ends.AddDate(0, 0, 31)); n != 0 {
			t.Fatalf("purged twice: %d", n)
		}
		got, _ := db.NetworkEvent(ctx, nil, ev.ID)
		if !got.Purged || got.Confirmed != 1 || got.Waiting != 1 {
			t.Fatalf("counts kept: %+v", got)
		}
		if _, _, err := db.RegistrationByToken(ctx, toks["p0@example.org"]); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a link after the purge: %v", err)
		}
		for _, m := range outbox(t, db) {
			if m.Kind == mail.KindNetworkEvent {
				t.Fatalf("mail to a registrant kept: %+v", m)
			}
		}
	})
}

// The registrants' mail arrives through SMTP in the language each chose:
// confirmation, waiting list, promotion and reminder, each in Japanese and
// in English, with the event's facts and a private cancel link.
func TestNetworkEventMailDelivered(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newEventFixture(t, e)
		db := f.db
		tag := e.Name
		person := func(name, lang string) partnerhub.Registrant {
			return partnerhub.Registrant{Name: name, Affiliation: "Univ", Email: name + "-" + tag + "@example.org", Lang: partnerhub.Lang(lang)}
		}
		ja1, en1, en2, ja2 := person("hanako", "ja"), person("john", "en"), person("mary", "en"), person("taro", "ja")
		first := f.put(t, testEvent(1))
		second := testEvent(1)
		second.Title = partnerhub.Text{Ja: "実務ワークショップ", En: "Practice workshop"}
		second.Venue, second.Online = partnerhub.Text{}, true
		second.Starts, second.Ends = first.Starts.Add(2*time.Hour), first.Ends.Add(2*time.Hour)
		other := f.put(t, second)
		// what is the label of each message written since the last drain.
		what := map[string]string{}
		drain := func(label string) {
			t.Helper()
			for _, m := range outbox(t, db) {
				if _, ok := what[m.MessageID]; !ok && m.SentAt == nil {
					what[m.MessageID] = label + " " + strings.SplitN(m.To, "-", 2)[0]
				}
			}
			snd := sender(t, db, mp.SMTPURL())
			snd.Now = func() time.Time { return eventNow.AddDate(0, 1, 0) }
			if _, err := snd.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		register := func(id int64, r partnerhub.Registrant) {
			t.Helper()
			if err := db.Register(ctx, id, r, eventNow); err != nil {
				t.Fatal(err)
			}
		}
		register(first.ID, ja1)
		register(first.ID, en1)
		register(other.ID, en2)
		register(other.ID, ja2)
		drain("registered")
		links := map[string]string{}
		read := func() map[string]string {
			got := map[string]string{}
			for _, s := range mp.Messages(t) {
				if label, ok := what[s.MessageID]; ok {
					m := mp.Message(t, s.ID)
					got[label] = m.Subject + "\n" + m.Text
					if tk := cancelLinkRE.FindStringSubmatch(m.Text); tk != nil {
						links[label] = tk[1]
					}
				}
			}
			return got
		}
		read()
		if err := db.CancelRegistration(ctx, links["registered hanako"], eventNow); err != nil {
			t.Fatal(err)
		}
		if err := db.CancelRegistration(ctx, links["registered mary"], eventNow); err != nil {
			t.Fatal(err)
		}
		drain("promoted")
		if n, err := db.SendEventReminders(ctx, first.Starts.Add(-24*time.Hour), 2); err != nil || n != 2 {
			t.Fatalf("reminders: %d %v", n, err)
		}
		drain("reminder")
		got := read()
		const base = mailBase
		for label, want := range map[string][]string{
			"registered hanako": {"【参加登録完了】ネットワーク・シンポジウム", "お席を確保しています", "2027-03-11 10:00 JST", "会場：安田講堂", base + "/ja/network/registrations/phr_"},
			"registered john":   {"On the waiting list: Network symposium", "You are at position 1 on the waiting list.", "Where: Yasuda Auditorium", base + "/en/network/registrations/phr_"},
			"registered mary":   {"Registration confirmed: Practice workshop", "a place is kept for you", "Where: Online", "2027-03-11 12:00 JST", base + "/en/network/registrations/phr_"},
			"registered taro":   {"【キャンセル待ち】実務ワークショップ", "キャンセル待ちの1番目です。", "会場：オンライン", base + "/ja/network/registrations/phr_"},
			"promoted john":     {"A place for you: Network symposium", "is now yours", base + "/en/network/registrations/phr_"},
			"promoted taro":     {"【参加確定】実務ワークショップ", "参加が確定しました", base + "/ja/network/registrations/phr_"},
			"reminder john":     {"Reminder: Network symposium", "is soon", "2027-03-11 10:00 JST", base + "/en/network/events/" + fmt.Sprint(first.ID)},
			"reminder taro":     {"【開催のお知らせ】実務ワークショップ", "開催が近づきました", base + "/ja/network/events/" + fmt.Sprint(other.ID)},
		} {
			all, ok := got[label]
			if !ok {
				t.Errorf("%s: no mail delivered", label)
				continue
			}
			for _, w := range want {
				if !strings.Contains(all, w) {
					t.Errorf("%s: mail lacks %q:\n%s", label, w, all)
				}
			}
		}
		if len(got) != 8 {
			t.Errorf("%d mails delivered, want 8: %v", len(got), slices.Sorted(maps.Keys(got)))
		}
	})
}

// transferEvents gives the export a network event with a registration.
func transferEvents(t *testing.T, db *store.DB, admin *partnerhub.User, now time.Time) {
	t.Helper()
	editor := *admin
	editor.NetworkEditor = true
	ev := testEvent(10)
	ev.RegistrationOpens, ev.RegistrationCloses = now.Add(-time.Hour), now.Add(24*time.Hour)
	ev.Starts, ev.Ends = now.Add(48*time.Hour), now.Add(50*time.Hour)
	ev.Organiser = "utokyo"
	got, err := db.PutNetworkEvent(context.Background(), &editor, ev, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Register(context.Background(), got.ID, registrant(1, partnerhub.English), now); err != nil {
		t.Fatal(err)
	}
}
