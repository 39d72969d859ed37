package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/store"
)

// CleanupArgs is the periodic job that deletes what has expired.
type CleanupArgs struct{}

func (CleanupArgs) Kind() string { return "cleanup" }

// forgetAfter is how long sign-in failures and finished imports are kept:
// the throttle looks back a day.
const forgetAfter = 24 * time.Hour

// Builtin registers the jobs every node runs, the periodic ones included:
// the one place, with serve's call for the web's, where workers are
// registered.
func Builtin(q *Queue, db *store.DB, log *slog.Logger) {
	RegisterFunc(q, func(ctx context.Context, j *river.Job[CleanupArgs]) error {
		now := time.Now()
		n, err := db.Cleanup(ctx, now, now.Add(-forgetAfter))
		if err == nil && n > 0 && log != nil {
			log.Info("cleanup", "deleted", n)
		}
		return err
	})
	q.Every(time.Hour, CleanupArgs{}, true)
}
