package store

// The mail outbox (see package mail): messages written in the transaction
// of the change they tell about, and claimed by senders.

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
	"partnerhub/mail"
)

// SetMail makes the store write the security notices of changes to how
// users sign in (a new password, a second factor added or removed) with
// c, into the outbox, in the transaction of the change. Without it (a
// command that sends no mail) no notice is written.
func (db *DB) SetMail(c *mail.Composer) { db.mail = c }

// EnqueueMail adds m to the outbox inside the caller's write transaction:
// it is sent if and only if tx commits.
func (db *DB) EnqueueMail(ctx context.Context, tx *sql.Tx, m mail.Message, now time.Time) error {
	now = dbTime(now)
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO mail_outbox
		(recipient, language, subject, body_text, body_html, message_id, kind, created_at, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		m.To, string(m.Language), m.Subject, m.Text, m.HTML, m.MessageID, string(m.Kind), now, now)
	return wrap("enqueue mail", err)
}

// securityNotice writes the notice of ev to user userID, in their
// language, inside tx.
func (db *DB) securityNotice(ctx context.Context, tx *sql.Tx, userID int64, ev mail.SecurityEvent, now time.Time) error {
	if db.mail == nil {
		return nil
	}
	var email, name, lang string
	err := tx.QueryRowContext(ctx, db.q(`SELECT email, name, language FROM users WHERE id = ?`), userID).Scan(&email, &name, &lang)
	if err != nil {
		return wrap("security notice", err)
	}
	c, err := db.mailForUser(ctx, tx, userID)
	if err != nil {
		return err
	}
	m, err := c.SecurityNotice(email, name, mailLang(lang), ev, now)
	if err != nil {
		return err
	}
	return db.EnqueueMail(ctx, tx, m, now)
}

// mailLang is the language of a user's mail: theirs, or Japanese.
func mailLang(s string) partnerhub.Lang {
	if l, ok := partnerhub.ParseLang(s); ok {
		return l
	}
	return partnerhub.Japanese
}

const outboxColumns = `id, attempts, recipient, language, subject, body_text, body_html, message_id, kind`

// ClaimMail implements mail.Outbox. On PostgreSQL the rows are locked with
// SKIP LOCKED, so that concurrent claims on several nodes take different
// messages; on SQLite the one writer connection orders them. The lease
// (next_at) keeps a claimed message from later claims until it ends.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]mail.Queued, error) {
	lock := ""
	if db.dialect.name == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []mail.Queued
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, db.q(`UPDATE mail_outbox SET attempts = attempts + 1, next_at = ?
			WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ?
				ORDER BY next_at, id LIMIT ?`+lock+`)
			RETURNING `+outboxColumns), dbTime(now.Add(lease)), dbTime(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q mail.Queued
			var lang, kind string
			if err := rows.Scan(&q.ID, &q.Attempts, &q.To, &lang, &q.Subject, &q.Text, &q.HTML, &q.MessageID, &kind); err != nil {
				return err
			}
			q.Language, q.Kind = partnerhub.Lang(lang), mail.Kind(kind)
			out = append(out, q)
		}
		return rows.Err()
	})
	return out, wrap("claim mail", err)
}

// MailSent implements mail.Outbox.
func (db *DB) MailSent(ctx context.Context, id int64, now time.Time) error {
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE mail_outbox SET sent_at = ?, last_error = '' WHERE id = ?`), dbTime(now), id)
	return wrap("mail sent", err)
}

// MailFailed implements mail.Outbox.
func (db *DB) MailFailed(ctx context.Context, id int64, reason string, retry time.Time, giveUp bool, now time.Time) error {
	var failed any
	if giveUp {
		failed = dbTime(now)
	}
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE mail_outbox SET last_error = ?, next_at = ?, failed_at = ? WHERE id = ?`),
		reason, dbTime(retry), failed, id)
	return wrap("mail failed", err)
}

// Outbox lists up to limit messages for the administrators: those waiting
// or failed first, then the newest.
func (db *DB) Outbox(ctx context.Context, limit int) ([]mail.Entry, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, recipient, language, subject, kind, message_id, created_at,
		attempts, last_error, next_at, sent_at, failed_at FROM mail_outbox
		ORDER BY CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, wrap("outbox", err)
	}
	defer rows.Close()
	out := []mail.Entry{}
	for rows.Next() {
		var e mail.Entry
		var lang, kind string
		var sent, failed sql.NullTime
		if err := rows.Scan(&e.ID, &e.To, &lang, &e.Subject, &kind, &e.MessageID, &e.CreatedAt,
			&e.Attempts, &e.LastError, &e.NextAt, &sent, &failed); err != nil {
			return nil, wrap("outbox", err)
		}
		e.Language, e.Kind = partnerhub.Lang(lang), mail.Kind(kind)
		if sent.Valid {
			e.SentAt = &sent.Time
		}
		if failed.Valid {
			e.FailedAt = &failed.Time
		}
		out = append(out, e)
	}
	return out, wrap("outbox", rows.Err())
}

// MailLanguage is the language user userID's mail is written in, and
// whether they chose it.
func (db *DB) MailLanguage(ctx context.Context, userID int64) (partnerhub.Lang, bool, error) {
	var lang string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT language FROM users WHERE id = ?`), userID).Scan(&lang)
	if err == sql.ErrNoRows {
		return "", false, errUserNotFound(userID)
	}
	_, chosen := partnerhub.ParseLang(lang)
	return mailLang(lang), chosen, wrap("mail language", err)
}

// SetMailLanguage records the language user userID's mail is written in.
// With onlyIfUnset (the language of a sign-in), a language the user chose
// is kept.
func (db *DB) SetMailLanguage(ctx context.Context, userID int64, lang partnerhub.Lang, onlyIfUnset bool) error {
	if _, ok := partnerhub.ParseLang(string(lang)); !ok {
		errs := partnerhub.FieldErrors{}
		errs.Add("language", "one_of", "ja, en")
		return errs.Err()
	}
	q := `UPDATE users SET language = ? WHERE id = ?`
	if onlyIfUnset {
		q += ` AND language = ''`
	}
	_, err := db.write.ExecContext(ctx, db.q(q), string(lang), userID)
	return wrap("set mail language", err)
}
