package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store/storetest"
)

// The network events' jobs run when the leader starts, on the clock they
// are given: a day before an event its confirmed registrant is reminded;
// the registrants of an event whose retention ended are deleted.
func TestNetworkEventJobsAtStart(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.OpenBuiltin(t)
			ctx := context.Background()
			cat, err := i18n.Load()
			if err != nil {
				t.Fatal(err)
			}
			db.SetMail(&mail.Composer{Messages: cat, BaseURL: "https://partners.example.ac.jp"})
			editor, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "editor@example.ac.jp", Name: "Editor", Role: partnerhub.RoleViewer}, "a long and secret passphrase")
			if err != nil {
				t.Fatal(err)
			}
			editor.NetworkEditor = true
			clock := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
			event := func(starts time.Time) int64 {
				ev, err := db.PutNetworkEvent(ctx, editor, partnerhub.NetworkEvent{Title: partnerhub.Text{Ja: "催し", En: "Event"},
					Kind: partnerhub.EventWorkshop, Online: true, Starts: starts, Ends: starts.Add(time.Hour), Capacity: 5,
					RegistrationOpens: clock.AddDate(0, -1, 0), RegistrationCloses: starts, State: partnerhub.EventPublished, RetentionDays: 3}, clock)
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Register(ctx, ev.ID, partnerhub.Registrant{Name: "A", Affiliation: "B", Email: "a@example.org", Lang: partnerhub.English},
					clock.AddDate(0, 0, -7)); err != nil {
					t.Fatal(err)
				}
				return ev.ID
			}
			soon, past := event(clock.Add(24*time.Hour)), event(clock.AddDate(0, 0, -4))
			q, err := New(db, Config{Poll: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			NetworkEvents(q, db, 2, func() time.Time { return clock }, nil)
			done, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancel()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			for range 2 {
				if ev := wait(t, done); ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("job %s: %s", ev.Job.Kind, ev.Kind)
				}
			}
			out, err := db.Outbox(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			reminders := 0
			for _, m := range out {
				if m.Kind == mail.KindNetworkEvent && m.Subject == "Reminder: Event" {
					reminders++
				}
			}
			if reminders != 1 {
				t.Fatalf("reminders: %d", reminders)
			}
			if regs, err := db.Registrations(ctx, editor, past); err != nil || len(regs) != 0 {
				t.Fatalf("past event's registrants: %v %v", regs, err)
			}
			if regs, err := db.Registrations(ctx, editor, soon); err != nil || len(regs) != 1 {
				t.Fatalf("coming event's registrants: %v %v", regs, err)
			}
		})
	}
}
