package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
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

const mailBase = "https://partners.example.ac.jp"

// mailDB is a store that writes security notices, and two users: one who
// chose English for their mail and one who chose nothing (Japanese).
func mailDB(t *testing.T, e storetest.Engine) (db *store.DB, ja, en *partnerhub.User) {
	t.Helper()
	db, _ = acctDB(t, e)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
	ja = acctUser(t, db, "hanako@example.ac.jp", partnerhub.RoleViewer)
	en = acctUser(t, db, "john@example.ac.jp", partnerhub.RoleViewer)
	if err := db.SetMailLanguage(context.Background(), en.ID, partnerhub.English, false); err != nil {
		t.Fatal(err)
	}
	return db, ja, en
}

func sender(t *testing.T, db *store.DB, smtpURL string) *mail.Sender {
	t.Helper()
	from, _ := mail.ParseFrom("partnerhub <noreply@example.ac.jp>")
	s := &mail.Sender{Outbox: db, From: from}
	if smtpURL != "" {
		c, err := mail.ParseSMTP(smtpURL)
		if err != nil {
			t.Fatal(err)
		}
		s.SMTP = c
	}
	return s
}

func outbox(t *testing.T, db *store.DB) []mail.Entry {
	t.Helper()
	es, err := db.Outbox(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// A change of password mails its holder a notice in their language, with
// a plain-text and an HTML part linking to their password page, under
// the Message-ID written with it; a second drain sends nothing more.
func TestSecurityNoticeDelivered(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, en := mailDB(t, e)
		for _, u := range []*partnerhub.User{ja, en} {
			if err := db.ChangePassword(ctx, u.ID, goodPassword, "a new and better passphrase", "", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		ids := map[string]string{}
		for _, m := range outbox(t, db) {
			if m.State() != "waiting" || m.Kind != mail.KindSecurity {
				t.Fatalf("before a drain: %+v", m)
			}
			ids[m.To] = m.MessageID
		}
		s := sender(t, db, mp.SMTPURL())
		if n, err := s.Drain(ctx); err != nil || n != 2 {
			t.Fatalf("Drain: %d, %v; want 2 sent", n, err)
		}
		if n, err := s.Drain(ctx); err != nil || n != 0 {
			t.Fatalf("second Drain: %d, %v; want nothing", n, err)
		}
		// The engines run at once against one Mailpit: count only this
		// engine's messages, by their Message-IDs.
		got, ours := mp.Messages(t), 0
		for _, m := range got {
			for _, id := range ids {
				if m.MessageID == id {
					ours++
				}
			}
		}
		if ours != 2 {
			t.Fatalf("mailpit got %d of our messages, want 2", ours)
		}
		for _, tc := range []struct {
			u                  *partnerhub.User
			lang, subject, say string
		}{
			{ja, "ja", "パスワードが変更されました", "様"},
			{en, "en", "Your password was changed", "Dear "},
		} {
			var m mailpittest.Message
			for _, s := range got {
				if s.MessageID == ids[tc.u.Email] {
					m = mp.Message(t, s.ID)
				}
			}
			if m.ID == "" {
				t.Fatalf("no message with Message-ID %q for %s", ids[tc.u.Email], tc.u.Email)
			}
			link := mailBase + "/" + tc.lang + "/account/password"
			if m.Subject != tc.subject || len(m.To) != 1 || m.To[0].Address != tc.u.Email {
				t.Errorf("%s: subject %q to %v", tc.lang, m.Subject, m.To)
			}
			if !strings.Contains(m.Text, link) || !strings.Contains(m.Text, tc.say) || strings.Contains(m.Text, "<") {
				t.Errorf("%s: plain text part:\n%s", tc.lang, m.Text)
			}
			if !strings.Contains(m.HTML, `<a href="`+link+`">`) || !strings.Contains(m.HTML, `<html lang="`+tc.lang+`">`) {
				t.Errorf("%s: HTML part:\n%s", tc.lang, m.HTML)
			}
		}
		for _, m := range outbox(t, db) {
			if m.State() != "sent" || m.Attempts != 1 {
				t.Errorf("after the drain: %+v", m)
			}
		}
	})
}

// Without SMTP mail waits in the outbox; a sender configured later sends it.
func TestOutboxWaitsWithoutSMTP(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, _ := mailDB(t, e)
		if err := db.SetPassword(ctx, "utokyo", ja.Email, "a password from the office", true); err != nil {
			t.Fatal(err)
		}
		if n, err := sender(t, db, "").Drain(ctx); err != nil || n != 0 {
			t.Fatalf("Drain without SMTP: %d, %v", n, err)
		}
		es := outbox(t, db)
		if len(es) != 1 || es[0].State() != "waiting" || es[0].Attempts != 0 || es[0].Subject != "パスワードが再設定されました" {
			t.Fatalf("outbox: %+v", es)
		}
		if n, err := sender(t, db, mp.SMTPURL()).Drain(ctx); err != nil || n != 1 {
			t.Fatalf("Drain: %d, %v", n, err)
		}
		found := false
		for _, m := range mp.Messages(t) {
			found = found || m.MessageID == es[0].MessageID
		}
		if !found || outbox(t, db)[0].State() != "sent" {
			t.Errorf("message %s not delivered (%v) or not marked sent", es[0].MessageID, found)
		}
	})
}

// A message written in a transaction that rolls back does not exist; the
// same in one that commits does. A refused change of password writes no
// notice either.
func TestOutboxFollowsTheTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, _ := mailDB(t, e)
		m := mail.Message{To: ja.Email, Language: partnerhub.Japanese, Subject: "s", Text: "t", HTML: "<p>t</p>", Kind: mail.KindSecurity}
		boom := errors.New("boom")
		m.MessageID = mail.NewMessageID("example.ac.jp")
		err := db.TxForTest(ctx, func(tx *sql.Tx) error {
			if err := db.EnqueueMail(ctx, tx, m, time.Now()); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatal(err)
		}
		if es := outbox(t, db); len(es) != 0 {
			t.Fatalf("a rolled-back message is in the outbox: %+v", es)
		}
		if err := db.ChangePassword(ctx, ja.ID, "not the password", "a new and better passphrase", "", time.Now()); err == nil {
			t.Fatal("a wrong current password was accepted")
		}
		if es := outbox(t, db); len(es) != 0 {
			t.Fatalf("a refused change wrote mail: %+v", es)
		}
		m.MessageID = mail.NewMessageID("example.ac.jp")
		if err := db.TxForTest(ctx, func(tx *sql.Tx) error { return db.EnqueueMail(ctx, tx, m, time.Now()) }); err != nil {
			t.Fatal(err)
		}
		if es := outbox(t, db); len(es) != 1 || es[0].MessageID != m.MessageID {
			t.Fatalf("a committed message: %+v", es)
		}
	})
}

// closedPort is an address where no SMTP server listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "smtp://" + addr + "?starttls=off"
}

// A message the server cannot take keeps its error and is tried again
// after a back-off, under the same Message-ID; after MaxAttempts it is
// marked failed and no longer tried.
func TestOutboxRetriesWithTheSameMessageID(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, en := mailDB(t, e)
		if err := db.SetPassword(ctx, "utokyo", ja.Email, "a password from the office", false); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		clock := func() time.Time { return now }
		down := sender(t, db, closedPort(t))
		down.Now, down.MaxAttempts = clock, 3
		if n, err := down.Drain(ctx); err != nil || n != 0 {
			t.Fatalf("Drain, server down: %d, %v", n, err)
		}
		es := outbox(t, db)
		if len(es) != 1 || es[0].State() != "waiting" || es[0].Attempts != 1 || es[0].LastError == "" {
			t.Fatalf("after a failure: %+v", es)
		}
		id := es[0].MessageID
		if !es[0].NextAt.Equal(now.Add(mail.Backoff(1)).UTC().Truncate(time.Microsecond)) {
			t.Errorf("next try at %v, want %v", es[0].NextAt, now.Add(mail.Backoff(1)))
		}
		// Not due yet: nothing is tried.
		up := sender(t, db, mp.SMTPURL())
		up.Now = clock
		if n, err := up.Drain(ctx); err != nil || n != 0 {
			t.Fatalf("Drain before the back-off ended: %d, %v", n, err)
		}
		now = now.Add(mail.Backoff(1))
		if n, err := up.Drain(ctx); err != nil || n != 1 {
			t.Fatalf("Drain after the back-off: %d, %v", n, err)
		}
		delivered := 0
		for _, m := range mp.Messages(t) {
			if m.MessageID == id {
				delivered++
			}
		}
		if delivered != 1 {
			t.Errorf("message %s delivered %d times, want once", id, delivered)
		}
		if es := outbox(t, db); es[0].State() != "sent" || es[0].Attempts != 2 || es[0].MessageID != id {
			t.Errorf("after the retry: %+v", es[0])
		}

		// Given up after MaxAttempts.
		if err := db.SetPassword(ctx, "utokyo", en.Email, "a password from the office", false); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			if _, err := down.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			now = now.Add(mail.Backoff(i))
		}
		var last mail.Entry
		for _, m := range outbox(t, db) {
			if m.To == en.Email {
				last = m
			}
		}
		if last.State() != "failed" || last.Attempts != 3 || last.LastError == "" {
			t.Fatalf("after 3 failures: %+v", last)
		}
		if n, err := up.Drain(ctx); err != nil || n != 0 {
			t.Errorf("a failed message was sent again: %d, %v", n, err)
		}
	})
}

// Two drains running at once (on PostgreSQL: two nodes) send each message
// once: the second claims only what the first did not take.
func TestConcurrentDrainsSendEachMessageOnce(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, _ := mailDB(t, e)
		const total = 10
		var ids []string
		for i := range total {
			m := mail.Message{To: ja.Email, Language: partnerhub.Japanese, Subject: fmt.Sprintf("m%d", i), Text: "t", HTML: "<p>t</p>",
				Kind: mail.KindSecurity, MessageID: mail.NewMessageID("example.ac.jp")}
			ids = append(ids, m.MessageID)
			if err := db.TxForTest(ctx, func(tx *sql.Tx) error { return db.EnqueueMail(ctx, tx, m, time.Now()) }); err != nil {
				t.Fatal(err)
			}
		}
		// a claims a batch, then waits until b has drained everything else.
		aClaimed, bDone := make(chan struct{}), make(chan struct{})
		var once sync.Once
		a, b := sender(t, db, mp.SMTPURL()), sender(t, db, mp.SMTPURL())
		a.Batch, b.Batch = 4, 4
		a.Claimed = func(qs []mail.Queued) {
			if len(qs) > 0 {
				once.Do(func() { close(aClaimed); <-bDone })
			}
		}
		var nA, nB int
		var errA, errB error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); nA, errA = a.Drain(ctx) }()
		go func() {
			defer wg.Done()
			defer close(bDone)
			<-aClaimed
			nB, errB = b.Drain(ctx)
		}()
		wg.Wait()
		if errA != nil || errB != nil || nA+nB != total || nA < 4 || nB == 0 {
			t.Fatalf("drains sent %d and %d (%v, %v); want %d in all, from both", nA, nB, errA, errB, total)
		}
		seen := map[string]int{}
		for _, m := range mp.Messages(t) {
			seen[m.MessageID]++
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("message %s delivered %d times", id, seen[id])
			}
		}
	})
}

// Adding or removing a second factor writes a notice in its transaction;
// an enrolment that never got its first code does not.
func TestFactorNotices(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, ja, en := mailDB(t, e)
		now := time.Now()
		subjects := func() []string {
			var out []string
			es := outbox(t, db)
			for i := len(es) - 1; i >= 0; i-- { // oldest first
				out = append(out, es[i].To+": "+es[i].Subject)
			}
			return out
		}
		if err := db.StartTOTP(ctx, ja.ID, "JBSWY3DPEHPK3PXP", now); err != nil {
			t.Fatal(err)
		}
		if err := db.RemoveTOTP(ctx, ja.ID, false); err != nil { // never confirmed
			t.Fatal(err)
		}
		if got := subjects(); len(got) != 0 {
			t.Fatalf("an unconfirmed enrolment wrote mail: %v", got)
		}
		if err := db.StartTOTP(ctx, ja.ID, "JBSWY3DPEHPK3PXP", now); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.CheckTOTP(ctx, ja.ID, true, now, func(string) (int64, bool) { return 1, true }); err != nil || !ok {
			t.Fatalf("confirm: %v %v", ok, err)
		}
		// A code at sign-in is no change.
		if ok, err := db.CheckTOTP(ctx, ja.ID, false, now, func(string) (int64, bool) { return 2, true }); err != nil || !ok {
			t.Fatalf("sign-in code: %v %v", ok, err)
		}
		p, err := db.AddPasskey(ctx, partnerhub.Passkey{UserID: en.ID, Name: "key", CredentialID: []byte{1}, Credential: []byte(`{}`), CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RemovePasskey(ctx, en.ID, p.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := db.ResetMFA(ctx, "utokyo", ja.Email); err != nil {
			t.Fatal(err)
		}
		want := []string{
			ja.Email + ": 2段階認証の手段が追加されました",
			en.Email + ": A second factor was added to your account",
			en.Email + ": A second factor was removed from your account",
			ja.Email + ": 2段階認証の設定が解除されました",
		}
		if got := subjects(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("notices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
