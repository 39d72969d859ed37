package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/store"
)

// DigestArgs is the weekly job that mails each user the digest of the
// notices they chose to get so.
type DigestArgs struct{}

func (DigestArgs) Kind() string { return "digest" }

// RemindersArgs is the daily job that reminds of agreements' expiries.
type RemindersArgs struct{}

func (RemindersArgs) Kind() string { return "reminders" }

// JST is Japan's time, in which the digest's Monday morning falls; fixed,
// as Japan has no daylight saving.
var JST = time.FixedZone("JST", 9*60*60)

// Weekly is a periodic schedule: every week on Day at Hour:00 in Loc.
type Weekly struct {
	Day  time.Weekday
	Hour int
	Loc  *time.Location
}

// DigestSchedule is the digest's: Monday 09:00 JST.
var DigestSchedule = Weekly{Day: time.Monday, Hour: 9, Loc: JST}

// Next is the first time after current that the schedule names.
func (w Weekly) Next(current time.Time) time.Time {
	c := current.In(w.Loc)
	t := time.Date(c.Year(), c.Month(), c.Day(), w.Hour, 0, 0, 0, w.Loc)
	t = t.AddDate(0, 0, (int(w.Day)-int(t.Weekday())+7)%7)
	if !t.After(c) {
		t = t.AddDate(0, 0, 7)
	}
	return t
}

// Notices registers the weekly digest (on schedule) and the daily
// reminders before expiry at thresholds (also at the start), on the
// leader only. Each is safe run twice or on two nodes at once: the store
// marks what it sent in the transaction that writes the mail.
func Notices(q *Queue, db *store.DB, schedule river.PeriodicSchedule, thresholds []int, log *slog.Logger) {
	RegisterFunc(q, func(ctx context.Context, j *river.Job[DigestArgs]) error {
		n, err := db.SendDigests(ctx, time.Now())
		if err == nil && n > 0 && log != nil {
			log.Info("digests written", "messages", n)
		}
		return err
	})
	RegisterFunc(q, func(ctx context.Context, j *river.Job[RemindersArgs]) error {
		n, err := db.SendReminders(ctx, time.Now(), thresholds)
		if err == nil && n > 0 && log != nil {
			log.Info("expiry reminders sent", "reminders", n)
		}
		return err
	})
	q.At(schedule, DigestArgs{}, false)
	q.Every(24*time.Hour, RemindersArgs{}, true)
}
