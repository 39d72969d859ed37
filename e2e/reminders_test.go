package e2e_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/e2e"
	"partnerhub/mail/mailpittest"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// Two nodes on one database, both sending mail, both able to run the
// daily reminders: an agreement 100 days from its expiry is reminded at
// 180 days once, to its unit's coordinator (in Japanese, their language)
// and to the office, however many times and wherever the job runs.
func TestReminderOnceWithTwoNodes(t *testing.T) {
	skipShort(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		url := newDatabase(t, e)
		const coordEmail = "agr-coordinator@example.ac.jp"
		e2e.Run(t, adminPassword+"\n", "user", "add", "-db", url, "-email", coordEmail, "-name", "農学 花子", "-role", "coordinator",
			"-units", "agr", "-password-stdin")
		ctx := context.Background()
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		admin, err := db.UserByEmail(ctx, adminEmail)
		if err != nil {
			t.Fatal(err)
		}
		coord, err := db.UserByEmail(ctx, coordEmail)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetMailLanguage(ctx, coord.ID, partnerhub.Japanese, false); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMailLanguage(ctx, admin.ID, partnerhub.English, false); err != nil {
			t.Fatal(err)
		}
		exp := partnerhub.Today(time.Now()).AddDate(0, 0, 100)
		if _, err := db.Apply(ctx, partnerhub.Create(admin, "utokyo", &partnerhub.Agreement{Slug: "ntu-agr-exchange", Partner: "ntu",
			Kind: partnerhub.UnitAgreement, Level: partnerhub.UnitLevel, Units: []string{"agr"}, Stage: partnerhub.StageSigned, Published: true,
			Title:   partnerhub.Text{Ja: "農学部間交流協定（国立台湾大学）", En: "Agriculture exchange agreement with NTU"},
			Signed:  partnerhub.PartialDate{Year: exp.Year() - 5, Month: int(exp.Month()), Day: exp.Day()},
			Expires: partnerhub.PartialDate{Year: exp.Year(), Month: int(exp.Month()), Day: exp.Day()}})); err != nil {
			t.Fatal(err)
		}
		db.Close()

		mp := mailpittest.Start(t)
		flags := []string{"-mfa-required", "admins", "-smtp", mp.SMTPURL(), "-mail-from", "noreply@example.ac.jp"}
		// Whichever node leads runs the reminders when it starts to lead.
		a := e2e.Serve(t, "A", url, e2e.FreeAddr(t), flags...)
		b := e2e.Serve(t, "B", url, e2e.FreeAddr(t), flags...)
		waitRuns(t, url, 1)
		waitSent(t, url)
		// Both killed and started again, in either order: a leader is
		// elected anew and runs them again, with the other node up.
		for _, order := range [][]*e2e.Node{{b, a}, {a, b}} {
			before := reminderRuns(t, url)
			a.Kill()
			b.Kill()
			for _, n := range order {
				n.Restart()
			}
			waitRuns(t, url, before+1)
		}
		es := waitSent(t, url)
		if len(es) != 2 {
			t.Fatalf("%d messages in the outbox, want 2 (the coordinator and the office): %+v", len(es), es)
		}
		got := map[string][]string{}
		for _, s := range mp.Messages(t) {
			for _, to := range s.To {
				got[to.Address] = append(got[to.Address], s.Subject)
			}
		}
		for addr, want := range map[string]string{coordEmail: "農学部間交流協定（国立台湾大学）", adminEmail: "Agriculture exchange agreement with NTU"} {
			if len(got[addr]) != 1 || !strings.Contains(got[addr][0], want) {
				t.Errorf("%s received %q, want one message about %q", addr, got[addr], want)
			}
		}
	})
}

// reminderRuns counts the reminders jobs completed on the database at url.
func reminderRuns(t *testing.T, url string) int {
	t.Helper()
	driver, dsn := "pgx", url
	if p, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn = "sqlite", p
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'reminders' AND state = 'completed'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitRuns waits until at least n reminders jobs have completed.
func waitRuns(t *testing.T, url string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for reminderRuns(t, url) < n {
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes, %d reminders jobs completed, want %d", reminderRuns(t, url), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
