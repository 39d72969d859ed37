package store

// Reminders before an agreement's expiry: which are due is computed by
// partnerhub.DueReminder; each is sent once per agreement and threshold,
// guarded by agreement_reminders' primary key in the transaction of its
// notices, so that nodes running the job at once send it once.

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"partnerhub"
)

// Reminder is a reminder due for one agreement.
type Reminder struct {
	AgreementID int64
	HomeID      int64
	Slug        string
	Title       partnerhub.Text
	Expires     partnerhub.PartialDate
	Days        int   // the threshold crossed
	Skipped     []int // larger thresholds passed over, recorded as done
}

// remindable is the condition (on agreements as a) of an agreement that
// is reminded of before it expires: one signed, not terminated, not in
// the bin, and not renewed by a signed new version (published or not: an
// internal agreement lapses too).
const remindable = `a.stage = 'signed' AND a.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements n
	WHERE n.home_id = a.home_id AND n.renews = a.slug AND n.stage = 'signed' AND n.deleted_at IS NULL)`

// DueReminders lists the reminders due on the day of now for thresholds
// (largest first, as partnerhub.ValidateReminderDays gives them), over
// every home's agreements in force with a known expiry.
func (db *DB) DueReminders(ctx context.Context, now time.Time, thresholds []int) ([]Reminder, error) {
	if len(thresholds) == 0 {
		return nil, nil
	}
	// Expiry dates are written YYYY[-MM[-DD]] and so sort as text: only
	// those from this year to the year the largest threshold reaches
	// can be due.
	from := strconv.Itoa(now.UTC().Year())
	to := strconv.Itoa(now.UTC().AddDate(0, 0, thresholds[0]).Year() + 1)
	sent := map[int64][]int{}
	var out []Reminder
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT agreement_id, days FROM agreement_reminders`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var d int
			if err := rows.Scan(&id, &d); err != nil {
				rows.Close()
				return err
			}
			sent[id] = append(sent[id], d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, db.q(`SELECT a.id, a.home_id, a.slug, a.title_ja, a.title_en, a.expires
			FROM agreements a WHERE `+remindable+` AND a.expires >= ? AND a.expires < ? ORDER BY a.id`), from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Reminder
			var expires string
			if err := rows.Scan(&r.AgreementID, &r.HomeID, &r.Slug, &r.Title.Ja, &r.Title.En, &expires); err != nil {
				return err
			}
			if r.Expires, err = partnerhub.ParsePartialDate(expires); err != nil {
				continue // not a date: nothing to remind of
			}
			r.Days, r.Skipped = partnerhub.DueReminder(r.Expires, now, thresholds, sent[r.AgreementID])
			if r.Days > 0 {
				out = append(out, r)
			}
		}
		return rows.Err()
	})
	return out, wrap("due reminders", err)
}

// SendReminders notifies of every reminder due on the day of now (see
// DueReminders and SendReminder), and returns how many it sent.
func (db *DB) SendReminders(ctx context.Context, now time.Time, thresholds []int) (int, error) {
	due, err := db.DueReminders(ctx, now, thresholds)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range due {
		ok, err := db.SendReminder(ctx, r, now)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// SendReminder notifies of r the coordinators of the agreement's units
// (or, for an agreement without units, of its partner's lead unit in the
// latest team) and the administrators of its home, in one transaction
// that first claims r by inserting its row of agreement_reminders: false
// when another run (on any node) claimed it first, and nothing is sent.
func (db *DB) SendReminder(ctx context.Context, r Reminder, now time.Time) (bool, error) {
	claimed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`INSERT INTO agreement_reminders (agreement_id, days, sent_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`), r.AgreementID, r.Days, dbTime(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // another run sent it
		}
		for _, d := range r.Skipped {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO agreement_reminders (agreement_id, days, sent_at) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`), r.AgreementID, d, dbTime(now)); err != nil {
				return err
			}
		}
		to, err := db.reminderRecipients(ctx, tx, r.AgreementID, r.HomeID)
		if err != nil {
			return err
		}
		claimed = true
		return db.Notify(ctx, tx, to, partnerhub.Notice{
			Kind: partnerhub.NoticeExpiring, Entity: partnerhub.EntityAgreement, Key: r.Slug, Title: r.Title,
			Path:          partnerhub.AgreementPath(r.Slug),
			NoticeDetails: partnerhub.NoticeDetails{Days: partnerhub.DaysLeft(r.Expires, now), Date: r.Expires.String()},
		}, now)
	})
	if err != nil {
		return false, wrap("send reminder", err)
	}
	return claimed, nil
}

// reminderRecipients are the users told of an agreement's expiry: the
// coordinators of its units, or, when it has none, of its partner's lead
// unit in the latest phase the partner has a team in; and the home's
// administrators. Notify passes over disabled users.
func (db *DB) reminderRecipients(ctx context.Context, tx *sql.Tx, agreementID, homeID int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, db.q(`
		SELECT u.id FROM users u WHERE u.home_id = ? AND u.role = 'admin'
		UNION
		SELECT uu.user_id FROM user_units uu JOIN users u ON u.id = uu.user_id
		WHERE u.role = 'coordinator' AND uu.unit_id IN (
			SELECT au.unit_id FROM agreement_units au WHERE au.agreement_id = ?
			UNION
			SELECT t.unit_id FROM team_memberships t JOIN agreements a ON a.partner_id = t.partner_id
			WHERE a.id = ? AND t.lead = ? AND NOT EXISTS (SELECT 1 FROM agreement_units au WHERE au.agreement_id = a.id)
				AND t.phase = (SELECT MAX(t2.phase) FROM team_memberships t2 WHERE t2.partner_id = a.partner_id))
		ORDER BY 1`), homeID, agreementID, agreementID, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
