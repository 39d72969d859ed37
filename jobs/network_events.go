package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/store"
)

// EventRemindersArgs is the hourly job that reminds the confirmed
// registrants of a network event that starts within the days set.
type EventRemindersArgs struct{}

func (EventRemindersArgs) Kind() string { return "network_event_reminders" }

// EventRetentionArgs is the hourly job that deletes the registrants' data
// of network events whose retention ended.
type EventRetentionArgs struct{}

func (EventRetentionArgs) Kind() string { return "network_event_retention" }

// NetworkEvents registers the network events' jobs (also run at the
// start), on the leader only: the reminders days before (store
// DefaultEventReminderDays when 0) and the deletion of registrants' data.
// Both are safe run twice or on two nodes at once (see the store). now is
// their clock (nil: time.Now), which tests set.
func NetworkEvents(q *Queue, db *store.DB, days int, now func() time.Time, log *slog.Logger) {
	if days <= 0 {
		days = store.DefaultEventReminderDays
	}
	if now == nil {
		now = time.Now
	}
	RegisterFunc(q, func(ctx context.Context, j *river.Job[EventRemindersArgs]) error {
		n, err := db.SendEventReminders(ctx, now(), days)
		if err == nil && n > 0 && log != nil {
			log.Info("network event reminders sent", "registrants", n)
		}
		return err
	})
	RegisterFunc(q, func(ctx context.Context, j *river.Job[EventRetentionArgs]) error {
		n, err := db.PurgeEventRegistrants(ctx, now())
		if err == nil && n > 0 && log != nil {
			log.Info("network event registrants deleted", "events", n)
		}
		return err
	})
	q.Every(time.Hour, EventRemindersArgs{}, true)
	q.Every(time.Hour, EventRetentionArgs{}, true)
}
