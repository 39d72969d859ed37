package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Queued is a message claimed from the outbox; Attempts counts this one.
type Queued struct {
	ID       int64
	Attempts int
	Message
}

// Outbox is the store's side of sending.
type Outbox interface {
	// ClaimMail takes up to limit waiting messages due at now and keeps
	// them from every other claim until now+lease (on PostgreSQL two nodes
	// never take the same message), counting an attempt of each.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Queued, error)
	// MailSent records a message sent.
	MailSent(ctx context.Context, id int64, now time.Time) error
	// MailFailed records a failed attempt: the message is tried again at
	// retry, or, with giveUp, never again.
	MailFailed(ctx context.Context, id int64, reason string, retry time.Time, giveUp bool, now time.Time) error
}

// Sender hands the outbox's messages to an SMTP server.
//
// A message is recorded sent after the server took it. Should the process
// stop in between, the message is claimed again once its lease ends and
// sent again with the same Message-ID: at worst a duplicate that mail
// clients recognise, never a lost message and never a different ID.
type Sender struct {
	Outbox Outbox
	SMTP   *SMTP // nil: nothing is sent, and mail waits in the outbox
	From   *mail.Address
	// MaxAttempts after which a message is marked failed; default 8.
	MaxAttempts int
	// Lease is how long a claimed message is kept from other senders;
	// default 5 minutes, longer than any one send.
	Lease time.Duration
	// Batch is how many messages are claimed at once; default 20.
	Batch int
	// Timeout of one SMTP connection; default 30 seconds.
	Timeout time.Duration
	Now     func() time.Time // default time.Now

	// Claimed, when set, is called after each claim with what it took:
	// tests hold a drain there to make two drains overlap.
	Claimed func([]Queued)
}

// Backoff is the wait before another try after attempt n (1, 2, ...)
// failed: 1, 2, 4 ... minutes, at most 6 hours.
func Backoff(n int) time.Duration {
	d := time.Minute << min(max(n-1, 0), 9)
	return min(d, 6*time.Hour)
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Drain sends every message due, until none is left or ctx ends, and
// says how many were sent. Without an SMTP server it sends nothing. A
// message the server refuses is recorded with the reason and tried again
// later; err is only a problem of the outbox itself (or ctx).
func (s *Sender) Drain(ctx context.Context) (sent int, err error) {
	if s.SMTP == nil || s.From == nil {
		return 0, nil
	}
	maxAttempts, lease, batch := cmp(s.MaxAttempts, 8), cmp(s.Lease, 5*time.Minute), cmp(s.Batch, 20)
	for ctx.Err() == nil {
		qs, err := s.Outbox.ClaimMail(ctx, s.now(), lease, batch)
		if err != nil {
			return sent, err
		}
		if s.Claimed != nil {
			s.Claimed(qs)
		}
		if len(qs) == 0 {
			return sent, nil
		}
		n, err := s.sendBatch(ctx, qs, maxAttempts)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, ctx.Err()
}

func cmp[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// sendBatch sends qs over one connection; a message whose turn did not
// come (the connection failed) fails with the connection's error.
func (s *Sender) sendBatch(ctx context.Context, qs []Queued, maxAttempts int) (int, error) {
	c, err := s.client()
	if err == nil {
		err = c.DialWithContext(ctx)
	}
	sent := 0
	for _, q := range qs {
		sendErr := err
		if sendErr == nil {
			var m *gomail.Msg
			if m, sendErr = s.msg(q.Message); sendErr == nil {
				sendErr = c.Send(m)
			}
		}
		now := s.now()
		if sendErr == nil {
			if err := s.Outbox.MailSent(context.WithoutCancel(ctx), q.ID, now); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		reason := strings.TrimSpace(sendErr.Error())
		if err := s.Outbox.MailFailed(context.WithoutCancel(ctx), q.ID, reason, now.Add(Backoff(q.Attempts)), q.Attempts >= maxAttempts, now); err != nil {
			return sent, err
		}
	}
	if err == nil {
		c.Close()
	}
	return sent, nil
}

func (s *Sender) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.SMTP.Port), gomail.WithTimeout(cmp(s.Timeout, 30*time.Second))}
	switch s.SMTP.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSStartTLSRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSStartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSOff:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.SMTP.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.SMTP.Username), gomail.WithPassword(s.SMTP.Password))
	}
	return gomail.NewClient(s.SMTP.Host, opts...)
}

func (s *Sender) msg(m Message) (*gomail.Msg, error) {
	g := gomail.NewMsg()
	if err := g.FromFormat(s.From.Name, s.From.Address); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := g.To(m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if m.MessageID == "" {
		return nil, errors.New("message without a Message-ID")
	}
	g.SetMessageIDWithValue(m.MessageID)
	g.SetDate()
	g.Subject(m.Subject)
	g.SetGenHeader(gomail.HeaderContentLang, string(m.Language))
	g.SetGenHeader("Auto-Submitted", "auto-generated")
	g.SetBodyString(gomail.TypeTextPlain, m.Text)
	g.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return g, nil
}
