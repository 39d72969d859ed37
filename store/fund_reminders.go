package store

// Reminders of the reports awarded projects owe: one before the due date
// (partnerhub.ReportReminderDays ahead) and one once overdue, each sent
// once. As for agreements' expiries (reminders.go), which are due is
// decided from the dates with partnerhub.DaysLeft, and a reminder is
// claimed in the transaction that writes its mail, so that nodes running
// the job at once send it once: here the claim is the conditional update
// of the report's reminded_at, which only one transaction can make.

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
)

// ReportReminder is a reminder due for one report.
type ReportReminder struct {
	Proposal int64
	Kind     partnerhub.ReportKind
	Due      partnerhub.PartialDate
	Title    partnerhub.Text
	Days     int // days left (negative: overdue)
	// Before is the instant a reminder must have been sent before to count
	// for this one: nil for the reminder before the due date (any earlier
	// one counts), the end of the due day for the overdue one (only a
	// reminder sent after that does).
	Before *time.Time
}

// DueReportReminders lists the reminders due on the day of now over every
// home's awarded projects.
func (db *DB) DueReportReminders(ctx context.Context, now time.Time) ([]ReportReminder, error) {
	var out []ReportReminder
	err := eachRow(ctx, db, db.read, `SELECT r.proposal_id, r.kind, r.due, r.reminded_at, p.title_ja, p.title_en
		FROM project_reports r JOIN proposals p ON p.id = r.proposal_id JOIN decisions d ON d.proposal_id = p.id
		JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
		WHERE r.submitted_at IS NULL AND d.outcome = 'award' AND f.deleted_at IS NULL ORDER BY r.due, r.proposal_id, r.kind`, nil,
		func(rows *sql.Rows) error {
			var r ReportReminder
			var kind, due string
			var reminded sql.NullTime
			if err := rows.Scan(&r.Proposal, &kind, &due, &reminded, &r.Title.Ja, &r.Title.En); err != nil {
				return err
			}
			var err error
			if r.Due, err = partnerhub.ParsePartialDate(due); err != nil {
				return nil // not a date: nothing to remind of
			}
			r.Kind, r.Days = partnerhub.ReportKind(kind), partnerhub.DaysLeft(r.Due, now)
			switch {
			case r.Days < 0:
				end := overdueFrom(r.Due)
				if reminded.Valid && !reminded.Time.Before(end) {
					return nil
				}
				r.Before = &end
			case r.Days <= partnerhub.ReportReminderDays:
				if reminded.Valid {
					return nil
				}
			default:
				return nil
			}
			out = append(out, r)
			return nil
		})
	return out, wrap("due report reminders", err)
}

// overdueFrom is the instant a report due on d becomes overdue: the end
// of its day in Japan.
func overdueFrom(d partnerhub.PartialDate) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day+1, 0, 0, 0, 0, partnerhub.Japan).UTC()
}

// SendReportReminders mails every reminder due on the day of now, and
// returns how many reports it reminded of.
func (db *DB) SendReportReminders(ctx context.Context, now time.Time) (int, error) {
	if db.mail == nil {
		return 0, nil
	}
	due, err := db.DueReportReminders(ctx, now)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range due {
		ok, err := db.SendReportReminder(ctx, r, now)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// SendReportReminder claims r and mails each applicant of its project in
// their language, in one transaction: false when another run claimed it
// first, and nothing is sent.
func (db *DB) SendReportReminder(ctx context.Context, r ReportReminder, now time.Time) (bool, error) {
	claimed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE project_reports SET reminded_at = ? WHERE proposal_id = ? AND kind = ? AND submitted_at IS NULL AND reminded_at IS NULL`
		args := []any{dbTime(now), r.Proposal, string(r.Kind)}
		if r.Before != nil {
			q = `UPDATE project_reports SET reminded_at = ? WHERE proposal_id = ? AND kind = ? AND submitted_at IS NULL
				AND (reminded_at IS NULL OR reminded_at < ?)`
			args = append(args, dbTime(*r.Before))
		}
		res, err := tx.ExecContext(ctx, db.q(q), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // another run sent it, or it was submitted meanwhile
		}
		claimed = true
		t := &fundTx{editTx: &editTx{db: db, tx: tx, ctx: ctx, now: dbTime(now)}}
		var members []partnerhub.ProposalMember
		err = eachRow(ctx, db, tx, `SELECT COALESCE(m.user_id, 0), m.email, m.name, m.side FROM proposal_members m
			LEFT JOIN users u ON u.id = m.user_id WHERE m.proposal_id = ? AND NOT COALESCE(u.disabled, ?) ORDER BY m.position`,
			[]any{r.Proposal, false}, func(rows *sql.Rows) error {
				var m partnerhub.ProposalMember
				var side string
				if err := rows.Scan(&m.UserID, &m.Email, &m.Name, &side); err != nil {
					return err
				}
				m.Side = partnerhub.Side(side)
				members = append(members, m)
				return nil
			})
		if err != nil {
			return err
		}
		for _, m := range members {
			lang, err := t.applicantLang(m)
			if err != nil {
				return err
			}
			c, err := db.mailForProposal(ctx, tx, r.Proposal)
			if err != nil {
				return err
			}
			msg, err := c.ReportReminder(m.Email, m.Name, lang, r.Proposal, r.Title, r.Kind, r.Due, r.Days)
			if err != nil {
				return err
			}
			if err := db.EnqueueMail(ctx, tx, msg, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, wrap("send report reminder", err)
	}
	return claimed, nil
}
