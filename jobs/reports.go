package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/store"
)

// ReportRemindersArgs is the daily job that reminds awarded projects of
// the reports they owe.
type ReportRemindersArgs struct{}

func (ReportRemindersArgs) Kind() string { return "report_reminders" }

// ReportReminders registers the daily reminders of the reports awarded
// projects owe (also run at the start), on the leader only; like the
// expiry reminders (Notices), safe run twice or on two nodes at once.
func ReportReminders(q *Queue, db *store.DB, log *slog.Logger) {
	RegisterFunc(q, func(ctx context.Context, j *river.Job[ReportRemindersArgs]) error {
		n, err := db.SendReportReminders(ctx, time.Now())
		if err == nil && n > 0 && log != nil {
			log.Info("report reminders sent", "reports", n)
		}
		return err
	})
	q.Every(24*time.Hour, ReportRemindersArgs{}, true)
}
