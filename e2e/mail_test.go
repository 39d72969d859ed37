package e2e_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"partnerhub/e2e"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// skipShort skips a test of real processes in the fast tier.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs partnerhub serve as separate processes and kills them; go test without -short runs it")
	}
}

const (
	adminEmail    = "admin@example.ac.jp"
	adminPassword = "correct horse battery staple 11"
)

// newDatabase returns the URL of a new database on e holding the built-in
// data and an administrator, made with the command an operator runs.
func newDatabase(t *testing.T, e storetest.Engine) string {
	t.Helper()
	db := e.URL(t)
	e2e.Run(t, "", "migrate", "-db", db)
	e2e.Run(t, adminPassword+"\n", "user", "add", "-db", db, "-email", adminEmail, "-name", "Admin", "-role", "admin", "-password-stdin")
	return db
}

// outbox reads the outbox of the database at url, as a node would.
func outbox(t *testing.T, url string) []mail.Entry {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.Outbox(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// waitSent waits until every message of the outbox is recorded sent. The
// limit is past the outbox's five-minute lease: a node killed after
// claiming a message leaves it to be sent again once the lease ends.
func waitSent(t *testing.T, url string) []mail.Entry {
	t.Helper()
	deadline := time.Now().Add(7 * time.Minute)
	for {
		es := outbox(t, url)
		waiting := 0
		for _, e := range es {
			if e.SentAt == nil {
				waiting++
			}
		}
		if len(es) > 0 && waiting == 0 {
			return es
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 7 minutes, %d of %d messages not sent: %+v", waiting, len(es), es)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// arrived counts the messages Mailpit holds by Message-ID.
func arrived(t *testing.T, mp *mailpittest.Server) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, m := range mp.Messages(t) {
		n[strings.Trim(m.MessageID, "<>")]++
	}
	return n
}

// securityNotices returns the outbox's messages to the administrator,
// which must be there, waiting: the enrolment of a second factor wrote
// them in its transaction.
func securityNotices(t *testing.T, url string) []mail.Entry {
	t.Helper()
	es := outbox(t, url)
	if len(es) == 0 {
		t.Fatal("adding a second factor wrote no message to the outbox")
	}
	for _, e := range es {
		if e.To != adminEmail || e.Kind != mail.KindSecurity || e.MessageID == "" {
			t.Fatalf("unexpected message in the outbox: %+v", e)
		}
	}
	return es
}

// A node without SMTP writes a security notice and is killed with
// SIGKILL; started again with SMTP, it sends the message exactly once,
// with the Message-ID written before the kill.
func TestKilledNodeWithoutSMTPSendsAfterRestart(t *testing.T) {
	skipShort(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		url := newDatabase(t, e)
		mp := mailpittest.Start(t)
		n := e2e.Serve(t, "A", url, e2e.FreeAddr(t), "-mfa-required", "admins")
		e2e.NewClient(t).SignInAdmin(n.URL, adminEmail, adminPassword)
		before := securityNotices(t, url)
		for _, e := range before {
			if e.SentAt != nil || e.Attempts != 0 {
				t.Fatalf("sent without SMTP: %+v", e)
			}
		}
		n.Kill()
		if got := arrived(t, mp); len(got) != 0 {
			t.Fatalf("Mailpit has mail before any node had SMTP: %v", got)
		}
		n.Restart("-mfa-required", "admins", "-smtp", mp.SMTPURL(), "-mail-from", "noreply@example.ac.jp")
		after := waitSent(t, url)
		if len(after) != len(before) {
			t.Fatalf("outbox had %d messages before the kill, %d after", len(before), len(after))
		}
		got := arrived(t, mp)
		for _, e := range before {
			if got[e.MessageID] != 1 {
				t.Errorf("message %s (%s) arrived %d times, want once", e.MessageID, e.Subject, got[e.MessageID])
			}
		}
		if len(got) != len(before) {
			t.Errorf("Mailpit holds Message-IDs %v; the outbox wrote %d", got, len(before))
		}
	})
}

// A node with SMTP is killed with SIGKILL right after the write, before
// or while its mail job sends: after a restart every message has arrived,
// and any copy carries the one Message-ID the outbox gave it.
func TestKilledNodeWithSMTPLosesNoMail(t *testing.T) {
	skipShort(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		url := newDatabase(t, e)
		mp := mailpittest.Start(t)
		n := e2e.Serve(t, "A", url, e2e.FreeAddr(t), "-mfa-required", "admins",
			"-smtp", mp.SMTPURL(), "-mail-from", "noreply@example.ac.jp")
		e2e.NewClient(t).SignInAdmin(n.URL, adminEmail, adminPassword)
		n.Kill()
		before := securityNotices(t, url)
		n.Restart()
		after := waitSent(t, url)
		if len(after) != len(before) {
			t.Fatalf("outbox had %d messages at the kill, %d after", len(before), len(after))
		}
		got := arrived(t, mp)
		ids := map[string]bool{}
		for _, e := range before {
			ids[e.MessageID] = true
			if got[e.MessageID] < 1 {
				t.Errorf("message %s (%s) never arrived", e.MessageID, e.Subject)
			}
		}
		for id, k := range got {
			if !ids[id] {
				t.Errorf("Mailpit holds %d copies of Message-ID %s, which the outbox never gave", k, id)
			}
		}
	})
}
