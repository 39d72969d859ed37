package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/mail"
)

// MailArgs is the periodic job that sends the outbox's waiting mail.
type MailArgs struct{}

func (MailArgs) Kind() string { return "mail" }

// Mail registers the sending of the outbox on the queue: every interval, on
// the elected leader alone, so two nodes never drain at once (the outbox's
// claims would keep them apart anyway). A failed drain is a failed job:
// retried, then shown to administrators. Without SMTP nothing is
// registered: mail waits in the outbox, where administrators see it, until
// a server starts with -smtp.
func Mail(q *Queue, s *mail.Sender, every time.Duration, log *slog.Logger) {
	if s.SMTP == nil {
		return
	}
	RegisterFunc(q, func(ctx context.Context, j *river.Job[MailArgs]) error {
		n, err := s.Drain(ctx)
		if err == nil && n > 0 && log != nil {
			log.Info("mail sent", "messages", n)
		}
		return err
	})
	q.Every(every, MailArgs{}, true)
}
