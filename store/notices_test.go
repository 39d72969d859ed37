package store_test

import (
	"bytes"
	"context"
	"database/sql"
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

func notify(t *testing.T, db *store.DB, n partnerhub.Notice, now time.Time, users ...*partnerhub.User) {
	t.Helper()
	var ids []int64
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if err := db.WriteTx(context.Background(), func(tx *sql.Tx) error { return db.Notify(context.Background(), tx, ids, n, now) }); err != nil {
		t.Fatal(err)
	}
}

func approvalNotice(slug string) partnerhub.Notice {
	return partnerhub.Notice{Kind: partnerhub.NoticeApproval, Entity: partnerhub.EntityAgreement, Key: slug,
		Title: partnerhub.Text{Ja: "交流協定", En: "Exchange agreement"}, Path: partnerhub.AgreementPath(slug),
		NoticeDetails: partnerhub.NoticeDetails{Actor: "Sato Ken"}}
}

func ofKind(es []mail.Entry, kind mail.Kind) []mail.Entry {
	var out []mail.Entry
	for _, e := range es {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// A notice is a notification for each recipient and, by their choice for
// its kind, a mail now in their language, a place in the digest, or
// nothing; a kind that must be received is mailed whatever they chose.
// A disabled user gets nothing; the rest read theirs, and only theirs.
func TestNotify(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, en := mailDB(t, e)
		gone := acctUser(t, db, "gone@example.ac.jp", partnerhub.RoleViewer)
		if err := db.DisableUser(ctx, "utokyo", gone.Email); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
		notify(t, db, approvalNotice("a-mou"), now, ja, en, gone, ja)

		es := ofKind(outbox(t, db), mail.Kind(partnerhub.NoticeApproval))
		if len(es) != 2 {
			t.Fatalf("approval mail: %+v, want one to each enabled user", es)
		}
		for _, m := range es {
			want := map[string]string{ja.Email: "承認依頼：交流協定", en.Email: "Waiting for your approval: Exchange agreement"}[m.To]
			if m.Subject != want {
				t.Errorf("mail to %s: subject %q, want %q", m.To, m.Subject, want)
			}
		}
		if n, err := db.UnreadNotices(ctx, gone.ID); err != nil || n != 0 {
			t.Errorf("disabled user: %d notices, %v", n, err)
		}

		// Choices: English none, Japanese the digest, for expiries; the
		// approval cannot be turned off, nor can an unknown delivery be
		// chosen: both refused by field, nothing changed.
		if err := db.SetMailPreference(ctx, en.ID, partnerhub.NoticeExpiring, partnerhub.DeliverNone); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMailPreference(ctx, ja.ID, partnerhub.NoticeExpiring, partnerhub.DeliverDigest); err != nil {
			t.Fatal(err)
		}
		err := db.SetMailPreferences(ctx, en.ID, map[partnerhub.NoticeKind]partnerhub.Delivery{
			partnerhub.NoticeApproval: partnerhub.DeliverNone, partnerhub.NoticeImport: "weekly", partnerhub.NoticeReturned: partnerhub.DeliverDigest})
		wantFields(t, err, "delivery_approval", "delivery_import")
		prefs, err := db.MailPreferences(ctx, en.ID)
		if err != nil || prefs[partnerhub.NoticeApproval] != partnerhub.DeliverImmediately || prefs[partnerhub.NoticeReturned] != partnerhub.DeliverImmediately ||
			prefs[partnerhub.NoticeExpiring] != partnerhub.DeliverNone || len(prefs) != len(partnerhub.NoticeKinds) {
			t.Fatalf("preferences after a refused change: %v %v", prefs, err)
		}

		expiring := partnerhub.Notice{Kind: partnerhub.NoticeExpiring, Entity: partnerhub.EntityAgreement, Key: "a-mou",
			Title: partnerhub.Text{Ja: "交流協定", En: "Exchange agreement"}, Path: "/agreements/a-mou",
			NoticeDetails: partnerhub.NoticeDetails{Days: 90, Date: "2027-03-31"}}
		notify(t, db, expiring, now.Add(time.Minute), ja, en)
		if es := ofKind(outbox(t, db), mail.Kind(partnerhub.NoticeExpiring)); len(es) != 0 {
			t.Errorf("expiry mailed against both choices: %+v", es)
		}

		ns, err := db.Notifications(ctx, en.ID, 10)
		if err != nil || len(ns) != 2 {
			t.Fatalf("notifications: %+v %v", ns, err)
		}
		if ns[0].Kind != partnerhub.NoticeExpiring || ns[0].Days != 90 || ns[0].Date != "2027-03-31" || ns[0].Title.En != "Exchange agreement" ||
			ns[1].Kind != partnerhub.NoticeApproval || ns[1].Actor != "Sato Ken" || ns[1].Path != "/agreements/a-mou" || !ns[1].Unread() {
			t.Fatalf("notifications, newest first, with their details: %+v", ns)
		}
		// Marking another's notification changes nothing; one, then all.
		if err := db.MarkNoticesRead(ctx, ja.ID, []int64{ns[0].ID}, now); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			ids  []int64
			want int
		}{{nil, 2}, {[]int64{ns[1].ID}, 1}, {[]int64{}, 0}} {
			if step.ids != nil {
				if err := db.MarkNoticesRead(ctx, en.ID, step.ids, now); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := db.UnreadNotices(ctx, en.ID); err != nil || n != step.want {
				t.Fatalf("after marking %v: %d unread, %v; want %d", step.ids, n, err, step.want)
			}
		}
		if n, _ := db.UnreadNotices(ctx, ja.ID); n != 2 {
			t.Errorf("the other user's: %d unread, want 2", n)
		}
	})
}

// Two notices a user wants in the digest are one digest mail, in their
// language, with a link to each, and no mail of their own; a second run
// sends nothing more.
func TestDigest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, en := mailDB(t, e)
		for _, u := range []*partnerhub.User{ja, en} {
			if err := db.SetMailPreference(ctx, u.ID, partnerhub.NoticeImport, partnerhub.DeliverDigest); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		for i, file := range []string{"first.xlsx", "second.csv"} {
			notify(t, db, partnerhub.Notice{Kind: partnerhub.NoticeImport, Entity: partnerhub.EntityMobility, Key: file,
				Title: partnerhub.Text{Ja: file, En: file}, Path: "/mobility/import/" + file,
				NoticeDetails: partnerhub.NoticeDetails{OK: i == 0, Count: 3 * i}}, now, en)
		}
		if es := outbox(t, db); len(es) != 0 {
			t.Fatalf("mail before the digest: %+v", es)
		}
		n, err := db.SendDigests(ctx, now.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("SendDigests: %d, %v; want 1 (the Japanese user has nothing)", n, err)
		}
		es := outbox(t, db)
		if len(es) != 1 || es[0].Kind != mail.KindDigest || es[0].To != en.Email || es[0].Subject != "Your weekly digest: 2 notices" {
			t.Fatalf("outbox after the digest: %+v", es)
		}
		q, err := db.ClaimMail(ctx, now.Add(2*time.Hour), time.Minute, 10)
		if err != nil || len(q) != 1 {
			t.Fatal(q, err)
		}
		text := q[0].Text
		first, second := strings.Index(text, "“first.xlsx” finished"), strings.Index(text, "“second.csv” was refused: 3 problems")
		if first < 0 || second < first || !strings.Contains(text, mailBase+"/en/mobility/import/second.csv") ||
			!strings.Contains(text, mailBase+"/en/account#mail-preferences") {
			t.Errorf("digest text, oldest first with links:\n%s", text)
		}
		if n, err := db.SendDigests(ctx, now.Add(2*time.Hour)); err != nil || n != 0 {
			t.Fatalf("second SendDigests: %d, %v", n, err)
		}
		if es := outbox(t, db); len(es) != 1 {
			t.Fatalf("outbox after a second run: %d messages", len(es))
		}
	})
}

// A notice mailed at once arrives through SMTP in the recipient's
// language, with a link to the thing in that language.
func TestNoticeDelivered(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, en := mailDB(t, e)
		notify(t, db, approvalNotice("delivered-mou"), time.Now(), ja, en)
		ids := map[string]string{}
		for _, m := range outbox(t, db) {
			ids[m.MessageID] = m.To
		}
		if n, err := sender(t, db, mp.SMTPURL()).Drain(ctx); err != nil || n != 2 {
			t.Fatalf("Drain: %d, %v", n, err)
		}
		got := 0
		for _, s := range mp.Messages(t) {
			to, ours := ids[s.MessageID]
			if !ours {
				continue // the other engine's
			}
			got++
			m := mp.Message(t, s.ID)
			lang, subject, body := "en", "Waiting for your approval: Exchange agreement", "“Exchange agreement”, submitted by Sato Ken, waits for your approval."
			if to == ja.Email {
				lang, subject, body = "ja", "承認依頼：交流協定", "Sato Kenさんから提出された「交流協定」があなたの承認を待っています。"
			}
			link := mailBase + "/" + lang + "/agreements/delivered-mou"
			if m.Subject != subject || !strings.Contains(m.Text, body) || !strings.Contains(m.Text, link) ||
				!strings.Contains(m.HTML, `<a href="`+link+`">`) || !strings.Contains(m.HTML, `<html lang="`+lang+`">`) {
				t.Errorf("message to %s: %q\n%s\n%s", to, m.Subject, m.Text, m.HTML)
			}
		}
		if got != 2 {
			t.Fatalf("mailpit got %d of our messages, want 2", got)
		}
	})
}

// remindersDB is a store with a coordinator of "agr", an administrator,
// a coordinator of another unit, and an agreement of "agr" in force that
// expires on expires; and a second handle on the same database, as a
// second node has.
func remindersDB(t *testing.T, e storetest.Engine, expires time.Time) (db, other *store.DB, coord, admin, outsider *partnerhub.User) {
	t.Helper()
	ctx := context.Background()
	url := e.URL(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db = open()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCatalog(ctx, builtin(t)); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	other = open()
	for _, d := range []*store.DB{db, other} {
		d.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
	}
	coord = acctUser(t, db, "agr@example.ac.jp", partnerhub.RoleCoordinator, "agr")
	admin = acctUser(t, db, "office@example.ac.jp", partnerhub.RoleAdmin)
	outsider = acctUser(t, db, "eng@example.ac.jp", partnerhub.RoleCoordinator, "eng")
	if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityAgreement, Action: partnerhub.ActionCreate,
		Record: &partnerhub.Agreement{Slug: "reminded-agreement", Partner: "ntu", Kind: partnerhub.Exchange, Level: partnerhub.UnitLevel,
			Title: partnerhub.Text{Ja: "期限のある協定", En: "Agreement with an end"}, Units: []string{"agr"}, Stage: partnerhub.StageSigned,
			Expires: partnerhub.PartialDate{Year: expires.Year(), Month: int(expires.Month()), Day: expires.Day()}, Published: true}}); err != nil {
		t.Fatal(err)
	}
	return db, other, coord, admin, outsider
}

// reminded lists the expiry reminders of the test's agreement u has.
func reminded(t *testing.T, db *store.DB, u *partnerhub.User) []partnerhub.Notification {
	t.Helper()
	ns, err := db.Notifications(context.Background(), u.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []partnerhub.Notification
	for _, n := range ns {
		if n.Kind == partnerhub.NoticeExpiring && n.Key == "reminded-agreement" {
			out = append(out, n)
		}
	}
	return out
}

// An agreement 100 days from its expiry gets the 180-day reminder only,
// once, to its unit's coordinator and the office, even when two nodes
// run the reminders at once; at 80 days the 90-day one follows.
func TestRemindersOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		// Far from the built-in agreements' dates, so that only ours is due.
		expires := time.Date(2090, 6, 30, 0, 0, 0, 0, time.UTC)
		now := expires.AddDate(0, 0, -100).Add(9 * time.Hour)
		db, other, coord, admin, outsider := remindersDB(t, e, expires)

		// Both nodes find it due; only the first claim sends it.
		due := map[*store.DB]store.Reminder{}
		for _, d := range []*store.DB{db, other} {
			rs, err := d.DueReminders(ctx, now, partnerhub.DefaultReminderDays)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Slug == "reminded-agreement" {
					due[d] = r
				}
			}
			if r := due[d]; r.Days != 180 || len(r.Skipped) != 0 {
				t.Fatalf("due: %+v, want the 180-day reminder alone", r)
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		sent := 0
		for d, r := range due {
			wg.Go(func() {
				ok, err := d.SendReminder(ctx, r, now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					sent++
				}
			})
		}
		wg.Wait()
		if sent != 1 {
			t.Fatalf("%d nodes sent the reminder, want 1", sent)
		}
		// The whole job on both nodes at once, twice: nothing more.
		for range 2 {
			for _, d := range []*store.DB{db, other} {
				wg.Go(func() {
					if _, err := d.SendReminders(ctx, now, partnerhub.DefaultReminderDays); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		for _, u := range []*partnerhub.User{coord, admin} {
			ns := reminded(t, db, u)
			if len(ns) != 1 || ns[0].Days != 100 || ns[0].Date != "2090-06-30" || ns[0].Path != "/agreements/reminded-agreement" {
				t.Fatalf("%s: %+v, want one reminder, 100 days before", u.Email, ns)
			}
		}
		if ns := reminded(t, db, outsider); len(ns) != 0 {
			t.Errorf("a coordinator of another unit was reminded: %+v", ns)
		}
		mails := 0
		for _, m := range outbox(t, db) {
			if m.Kind == mail.Kind(partnerhub.NoticeExpiring) && strings.Contains(m.Subject, "期限のある協定") {
				mails++
			}
		}
		if mails != 2 {
			t.Errorf("%d reminder mails, want 2 (coordinator and office, in Japanese)", mails)
		}

		// Twenty days on, the 90-day reminder, once.
		later := now.AddDate(0, 0, 20)
		for range 2 {
			if _, err := other.SendReminders(ctx, later, partnerhub.DefaultReminderDays); err != nil {
				t.Fatal(err)
			}
		}
		if ns := reminded(t, db, coord); len(ns) != 2 || ns[0].Days != 80 {
			t.Fatalf("after 20 days: %+v", ns)
		}
	})
}

// An export of schema 12, before notifications, imports: none, every
// choice of mail the default, and no reminder counted as sent.
func TestImportBeforeNotices(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := transferFixture(t, e)
		d := xferParse(t, xferExport(t, f.db))
		d["schema_version"] = 12
		for _, name := range store.OlderExportTables(12) {
			delete(d.tables(), name)
		}
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(d.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if ns, err := dst.Notifications(ctx, f.admin.ID, 10); err != nil || len(ns) != 0 {
			t.Fatalf("notifications after the import: %v %v", ns, err)
		}
		if p, err := dst.MailPreferences(ctx, f.admin.ID); err != nil || p[partnerhub.NoticeImport] != partnerhub.DeliverImmediately {
			t.Fatalf("preferences after the import: %v %v", p, err)
		}
		// The reminder the fixture sent is due again in the imported copy.
		due, err := dst.DueReminders(ctx, time.Now(), partnerhub.DefaultReminderDays)
		if err != nil || !slices.ContainsFunc(due, func(r store.Reminder) bool { return r.Slug == "transfer-expiring-agreement" }) {
			t.Fatalf("due after the import: %+v %v", due, err)
		}
		// The source's own export keeps them.
		if p, err := f.db.MailPreferences(ctx, f.admin.ID); err != nil || p[partnerhub.NoticeImport] != partnerhub.DeliverDigest {
			t.Fatalf("fixture preferences: %v %v", p, err)
		}
	})
}

// An agreement without units is reminded of to the coordinators of its
// partner's lead unit in the latest team (NTU's is "agr"), and the office;
// one not in force, or without an expiry, to nobody.
func TestReminderWithoutUnits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		expires := time.Date(2091, 3, 31, 0, 0, 0, 0, time.UTC)
		now := expires.AddDate(0, 0, -10)
		db, _, coord, admin, outsider := remindersDB(t, e, expires.AddDate(5, 0, 0))
		for _, a := range []partnerhub.Agreement{
			{Slug: "unitless-agreement", Stage: partnerhub.StageSigned, Published: true, Expires: partnerhub.PartialDate{Year: 2091, Month: 3}},
			// Renewed by a signed new version, which expires later: neither is reminded now.
			{Slug: "renewed-agreement", Stage: partnerhub.StageSigned, Published: true, Expires: partnerhub.PartialDate{Year: 2091, Month: 3}},
			{Slug: "its-renewal", Stage: partnerhub.StageSigned, Renews: "renewed-agreement", Published: true, Expires: partnerhub.PartialDate{Year: 2096, Month: 3}},
			{Slug: "draft-agreement", Stage: partnerhub.StageDraft, Published: true, Expires: partnerhub.PartialDate{Year: 2091}},
			{Slug: "open-ended-agreement", Stage: partnerhub.StageSigned, Published: true},
		} {
			a.Partner, a.Kind, a.Level, a.Title = "ntu", partnerhub.Exchange, partnerhub.UniversityLevel, partnerhub.Text{Ja: a.Slug, En: a.Slug}
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityAgreement,
				Action: partnerhub.ActionCreate, Record: &a}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.SendReminders(ctx, now, partnerhub.DefaultReminderDays); err != nil || n != 1 {
			t.Fatalf("SendReminders: %d, %v; want 1", n, err)
		}
		for u, want := range map[*partnerhub.User]int{coord: 1, admin: 1, outsider: 0} {
			ns, err := db.Notifications(ctx, u.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != want || want == 1 && (ns[0].Key != "unitless-agreement" || ns[0].Days != 10 || ns[0].Date != "2091-03") {
				t.Errorf("%s: %+v, want %d", u.Email, ns, want)
			}
		}
	})
}
