package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/store/storetest"
)

// The digest's schedule is the next Monday 09:00 in Japan, whatever the
// zone of the clock asking.
func TestWeeklySchedule(t *testing.T) {
	for now, want := range map[time.Time]time.Time{
		// Sunday 23:59 UTC is Monday 08:59 JST: the same morning.
		time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC): time.Date(2026, 12, 7, 9, 0, 0, 0, JST),
		// Monday 09:00 JST itself: a week on.
		time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC): time.Date(2026, 12, 14, 9, 0, 0, 0, JST),
		// Wednesday: the next Monday.
		time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC): time.Date(2026, 12, 14, 9, 0, 0, 0, JST),
		// Across a year's end.
		time.Date(2026, 12, 29, 0, 0, 0, 0, JST): time.Date(2027, 1, 4, 9, 0, 0, 0, JST),
	} {
		if got := DigestSchedule.Next(now); !got.Equal(want) {
			t.Errorf("Next(%s) = %s, want %s", now, got, want)
		}
	}
}

// The reminders run when the leader starts: an agreement 100 days from
// its expiry is reminded of to the office.
func TestRemindersJobAtStart(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.OpenBuiltin(t)
			ctx := context.Background()
			admin, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "office@example.ac.jp", Name: "Office", Role: partnerhub.RoleAdmin},
				"a long and secret passphrase")
			if err != nil {
				t.Fatal(err)
			}
			exp := time.Now().AddDate(0, 0, 100)
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityAgreement, Action: partnerhub.ActionCreate,
				Record: &partnerhub.Agreement{Slug: "job-reminded", Partner: "ntu", Kind: partnerhub.Exchange, Level: partnerhub.UniversityLevel,
					Title: partnerhub.Text{Ja: "協定", En: "Agreement"}, Stage: partnerhub.StageSigned, Published: true,
					Expires: partnerhub.PartialDate{Year: exp.Year(), Month: int(exp.Month()), Day: exp.Day()}}}); err != nil {
				t.Fatal(err)
			}
			q, err := New(db, Config{Poll: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			Notices(q, db, DigestSchedule, partnerhub.DefaultReminderDays, nil)
			done, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancel()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			ev := wait(t, done)
			if ev.Job.Kind != "reminders" || ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("first job: %s %s", ev.Job.Kind, ev.Kind)
			}
			ns, err := db.Notifications(ctx, admin.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, n := range ns {
				found = found || n.Key == "job-reminded" && n.Kind == partnerhub.NoticeExpiring && n.Days == 100
			}
			if !found {
				t.Fatalf("no reminder of job-reminded among %+v", ns)
			}
		})
	}
}
