package store

// The network events' jobs: the reminder before an event, and the
// deletion of its registrants' data after it. Both are safe run twice or
// on two nodes at once: a reminder is claimed by setting the
// registration's reminded_at in the transaction that writes its mail, an
// event's data is deleted in one transaction that sets its purged_at.

import (
	"context"
	"database/sql"
	"time"

	"partnerhub/mail"
)

// DefaultEventReminderDays is how many days before an event its
// confirmed registrants are reminded.
const DefaultEventReminderDays = 2

// SendEventReminders mails a reminder to every confirmed registrant of a
// published event that starts within days of now and has not begun, once
// each, and returns how many it wrote.
func (db *DB) SendEventReminders(ctx context.Context, now time.Time, days int) (int, error) {
	now = dbTime(now)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT r.id, r.event_id FROM network_event_registrations r
		JOIN network_events e ON e.id = r.event_id
		WHERE r.status = 'confirmed' AND r.reminded_at IS NULL AND e.state = 'published' AND e.purged_at IS NULL
			AND e.starts_at > ? AND e.starts_at <= ? ORDER BY r.id`), now, now.AddDate(0, 0, days))
	if err != nil {
		return 0, wrap("event reminders", err)
	}
	type due struct{ reg, event int64 }
	var ds []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.reg, &d.event); err != nil {
			rows.Close()
			return 0, wrap("event reminders", err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("event reminders", err)
	}
	sent := 0
	for _, d := range ds {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, db.q(`UPDATE network_event_registrations SET reminded_at = ?
				WHERE id = ? AND reminded_at IS NULL AND status = 'confirmed'`), now, d.reg)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // another run sent it, or it was cancelled
			}
			var name, email, lang string
			if err := tx.QueryRowContext(ctx, db.q(`SELECT name, email, language FROM network_event_registrations WHERE id = ?`), d.reg).
				Scan(&name, &email, &lang); err != nil {
				return err
			}
			e, err := db.eventByID(ctx, tx, d.event)
			if err != nil {
				return err
			}
			sent++
			return db.eventMail(ctx, tx, email, mailLang(lang), mail.EventMail{What: mail.EventReminder, Name: name, Event: *e}, now)
		})
		if err != nil {
			return sent, wrap("event reminder", err)
		}
	}
	return sent, nil
}

// PurgeEventRegistrants deletes the registrants' personal data of every
// event whose retention ended by now (its end plus retention_days),
// keeping the counts on the event, and the mail sent to them about it.
// It returns how many events it purged.
func (db *DB) PurgeEventRegistrants(ctx context.Context, now time.Time) (int, error) {
	now = dbTime(now)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, ends_at, retention_days FROM network_events WHERE purged_at IS NULL AND ends_at <= ?`), now)
	if err != nil {
		return 0, wrap("purge registrants", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var ends time.Time
		var days int
		if err := rows.Scan(&id, &ends, &days); err != nil {
			rows.Close()
			return 0, wrap("purge registrants", err)
		}
		if !ends.UTC().AddDate(0, 0, days).After(now) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("purge registrants", err)
	}
	n := 0
	for _, id := range ids {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			e, err := db.lockEvent(ctx, tx, id)
			if err != nil || e.Purged {
				return err
			}
			// The mail sent about the event holds the addresses and names
			// too: what is sent goes; what still waits is left to be sent.
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM mail_outbox WHERE kind = ? AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)
				AND recipient IN (SELECT email FROM network_event_registrations WHERE event_id = ?)`), string(mail.KindNetworkEvent), id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM network_event_registrations WHERE event_id = ?`), id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE network_events SET purged_at = ?, kept_confirmed = ?, kept_waiting = ? WHERE id = ?`),
				now, e.Confirmed, e.Waiting, id); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, wrap("purge registrants", err)
		}
	}
	return n, nil
}
