package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// TestMailJob: a security notice written to the outbox by a password reset
// is sent to a real SMTP server by the queue's mail job, once; without
// SMTP the job is not there and the message waits.
func TestMailJob(t *testing.T) {
	mp := mailpittest.Start(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
		email := e.Name + "-jobs@example.ac.jp"
		if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: email, Name: "Queue Reader", Role: partnerhub.RoleViewer}, "correct horse battery staple"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPassword(ctx, "utokyo", email, "another long passphrase", false); err != nil {
			t.Fatal(err)
		}
		start := func(s *mail.Sender) *Queue {
			q, err := New(db, Config{Workers: 1, Poll: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			Builtin(q, db, nil) // as serve does: the queue always has work
			Mail(q, s, time.Hour, nil)
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Stop(context.Background()) })
			return q
		}
		state := func() string {
			es, err := db.Outbox(ctx, 10)
			if err != nil || len(es) != 1 {
				t.Fatalf("outbox: %+v, %v", es, err)
			}
			return es[0].State()
		}
		start(&mail.Sender{Outbox: db}).Stop(ctx)
		if got := state(); got != "waiting" {
			t.Fatalf("without SMTP: %s", got)
		}
		c, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("noreply@example.ac.jp")
		start(&mail.Sender{Outbox: db, SMTP: c, From: from})
		// The periodic job runs once at the leader's start; the deadline
		// is a failsafe only.
		for deadline := time.Now().Add(60 * time.Second); state() != "sent"; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not sent: %s", state())
			}
		}
		n := 0
		for _, m := range mp.Messages(t) {
			for _, to := range m.To {
				if strings.EqualFold(to.Address, email) {
					n++
				}
			}
		}
		if n != 1 {
			t.Fatalf("%s received %d messages, want 1", email, n)
		}
	})
}
