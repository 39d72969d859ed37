package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// serve's stand-in for the job queue drains the outbox at once, and stops
// with its context; without SMTP it does nothing.
func TestSendMail(t *testing.T) {
	mp := mailpittest.Start(t)
	db := storetest.Engines()[0].OpenBuiltin(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
	u, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "a@example.ac.jp", Name: "A", Role: partnerhub.RoleViewer}, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(ctx, "utokyo", u.Email, "another long passphrase", false); err != nil {
		t.Fatal(err)
	}
	waiting, _ := db.Outbox(ctx, 10)
	if len(waiting) != 1 {
		t.Fatalf("outbox: %+v", waiting)
	}
	m := waiting[0]
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sendMail(ctx, log, &mail.Sender{Outbox: db}, time.Hour) // no SMTP: returns at once
	if es, _ := db.Outbox(ctx, 10); len(es) != 1 || es[0].State() != "waiting" {
		t.Fatalf("without SMTP: %+v", es)
	}
	c, _ := mail.ParseSMTP(mp.SMTPURL())
	from, _ := mail.ParseFrom("noreply@example.ac.jp")
	// Stop once the outbox is empty: the first drain has run.
	s := &mail.Sender{Outbox: db, SMTP: c, From: from, Claimed: func(qs []mail.Queued) {
		if len(qs) == 0 {
			cancel()
		}
	}}
	sendMail(ctx, log, s, time.Hour)
	if es, _ := db.Outbox(context.Background(), 10); len(es) != 1 || es[0].State() != "sent" {
		t.Fatalf("after the first drain: %+v", es)
	}
	found := false
	for _, got := range mp.Messages(t) {
		found = found || got.MessageID == m.MessageID
	}
	if !found {
		t.Error("the message did not reach the SMTP server")
	}
}
