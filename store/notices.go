package store

// Notifications: one row per recipient of a notice, written in the
// transaction of the change it tells about, with its mail (if the
// recipient wants it now) in the outbox of the same transaction.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"partnerhub"
)

// Notify tells the users userIDs of n, inside tx (the write transaction of
// the change n is about): a notification for each, and, by each one's
// choice for n's kind (immediately by default, always for a kind that must
// be received), a mail in their language in the outbox. Disabled users,
// and unknown ones, are passed over.
func (db *DB) Notify(ctx context.Context, tx *sql.Tx, userIDs []int64, n partnerhub.Notice, now time.Time) error {
	details, err := json.Marshal(n.NoticeDetails)
	if err != nil {
		return err
	}
	now = dbTime(now)
	seen := map[int64]bool{}
	for _, id := range userIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		var email, name, lang, pref string
		var homeID int64
		var disabled bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT u.email, u.name, u.language, u.disabled, u.home_id, COALESCE(mp.delivery, '')
			FROM users u LEFT JOIN mail_preferences mp ON mp.user_id = u.id AND mp.kind = ? WHERE u.id = ?`),
			string(n.Kind), id).Scan(&email, &name, &lang, &disabled, &homeID, &pref)
		if err == sql.ErrNoRows || err == nil && disabled {
			continue
		}
		if err != nil {
			return wrap("notify", err)
		}
		delivery := deliveryOf(n.Kind, pref)
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO notifications
			(home_id, user_id, kind, entity, entity_key, title_ja, title_en, path, details, delivery, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			homeID, id, string(n.Kind), string(n.Entity), n.Key, n.Title.Ja, n.Title.En, n.Path, string(details),
			string(delivery), now); err != nil {
			return wrap("notify", err)
		}
		if delivery != partnerhub.DeliverImmediately || db.mail == nil {
			continue
		}
		c, err := db.mailFor(ctx, tx, homeID)
		if err != nil {
			return err
		}
		m, err := c.Notice(email, name, mailLang(lang), n)
		if err != nil {
			return err
		}
		if err := db.EnqueueMail(ctx, tx, m, now); err != nil {
			return err
		}
	}
	return nil
}

// deliveryOf is how a notice of kind is mailed to a user whose stored
// choice is pref ("" for none).
func deliveryOf(kind partnerhub.NoticeKind, pref string) partnerhub.Delivery {
	if kind.Receipt() { // mailed apart, to every applicant
		return partnerhub.DeliverNone
	}
	d := partnerhub.Delivery(pref)
	if kind.MustGet() || d != partnerhub.DeliverDigest && d != partnerhub.DeliverNone {
		return partnerhub.DeliverImmediately
	}
	return d
}

const notificationCols = `id, kind, entity, entity_key, title_ja, title_en, path, details, created_at, read_at`

func scanNotification(row rowScanner) (partnerhub.Notification, error) {
	var n partnerhub.Notification
	var kind, entity, details string
	var read sql.NullTime
	if err := row.Scan(&n.ID, &kind, &entity, &n.Key, &n.Title.Ja, &n.Title.En, &n.Path, &details, &n.CreatedAt, &read); err != nil {
		return n, err
	}
	n.Kind, n.Entity = partnerhub.NoticeKind(kind), partnerhub.Entity(entity)
	n.CreatedAt = n.CreatedAt.UTC()
	if read.Valid {
		t := read.Time.UTC()
		n.ReadAt = &t
	}
	// Details written by this or a later release: what is not understood
	// is left out of the text, never an error for the page.
	_ = json.Unmarshal([]byte(details), &n.NoticeDetails)
	return n, nil
}

// Notifications lists user userID's latest notifications, newest first.
func (db *DB) Notifications(ctx context.Context, userID int64, limit int) ([]partnerhub.Notification, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+notificationCols+` FROM notifications
		WHERE user_id = ? ORDER BY id DESC LIMIT ?`), userID, limit)
	if err != nil {
		return nil, wrap("notifications", err)
	}
	defer rows.Close()
	out := []partnerhub.Notification{}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, wrap("notifications", err)
		}
		out = append(out, n)
	}
	return out, wrap("notifications", rows.Err())
}

// UnreadNotices counts user userID's unread notifications: one indexed
// count, made for the header of every signed-in page.
func (db *DB) UnreadNotices(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`), userID).Scan(&n)
	return n, wrap("unread notices", err)
}

// MarkNoticesRead marks user userID's notifications ids read, or all of
// them when ids is empty. Another user's ids are left as they are.
func (db *DB) MarkNoticesRead(ctx context.Context, userID int64, ids []int64, now time.Time) error {
	q := `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`
	args := []any{dbTime(now), userID}
	if len(ids) > 0 {
		q += ` AND id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	_, err := db.write.ExecContext(ctx, db.q(q), args...)
	return wrap("mark notices read", err)
}

// MailPreferences is how user userID wants each kind of notice mailed,
// every kind present (immediately where they chose nothing).
func (db *DB) MailPreferences(ctx context.Context, userID int64) (map[partnerhub.NoticeKind]partnerhub.Delivery, error) {
	out := map[partnerhub.NoticeKind]partnerhub.Delivery{}
	for _, k := range partnerhub.NoticeKinds {
		out[k] = partnerhub.DeliverImmediately
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT kind, delivery FROM mail_preferences WHERE user_id = ?`), userID)
	if err != nil {
		return nil, wrap("mail preferences", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, d string
		if err := rows.Scan(&k, &d); err != nil {
			return nil, wrap("mail preferences", err)
		}
		if kind := partnerhub.NoticeKind(k); kind.Valid() {
			out[kind] = deliveryOf(kind, d)
		}
	}
	return out, wrap("mail preferences", rows.Err())
}

// PreferenceField is the form field (and the error's field) of the
// choice for kind.
func PreferenceField(kind partnerhub.NoticeKind) string { return "delivery_" + string(kind) }

// SetMailPreferences records how user userID wants the kinds in prefs
// mailed. Every choice is checked first; with one bad (an unknown kind or
// delivery, or a kind that must be received set to anything but
// immediately) nothing is changed, and the error names each bad field.
func (db *DB) SetMailPreferences(ctx context.Context, userID int64, prefs map[partnerhub.NoticeKind]partnerhub.Delivery) error {
	errs := partnerhub.FieldErrors{}
	for k, d := range prefs {
		switch {
		case !k.Valid():
			errs.Add(PreferenceField(k), "unknown_field")
		case !validDelivery(d):
			errs.Add(PreferenceField(k), "one_of", "immediate, digest, none")
		case k.MustGet() && d != partnerhub.DeliverImmediately:
			errs.Add(PreferenceField(k), "must_get")
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return wrap("set mail preferences", db.tx(ctx, func(tx *sql.Tx) error {
		for k, d := range prefs {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM mail_preferences WHERE user_id = ? AND kind = ?`), userID, string(k)); err != nil {
				return err
			}
			if d == partnerhub.DeliverImmediately {
				continue // the default: no row
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO mail_preferences (user_id, kind, delivery) VALUES (?, ?, ?)`),
				userID, string(k), string(d)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// SetMailPreference records one choice, as SetMailPreferences.
func (db *DB) SetMailPreference(ctx context.Context, userID int64, kind partnerhub.NoticeKind, d partnerhub.Delivery) error {
	return db.SetMailPreferences(ctx, userID, map[partnerhub.NoticeKind]partnerhub.Delivery{kind: d})
}

func validDelivery(d partnerhub.Delivery) bool { return slices.Contains(partnerhub.Deliveries, d) }

// ---- the weekly digest -------------------------------------------------------

// SendDigests writes, for each user with notifications waiting for the
// digest, one message listing them into the outbox, and marks them sent
// with it, in one transaction per user. Marking is the guard: a row is
// taken by the UPDATE that marks it, so two runs at once (or one run
// again) never put a notification in two digests. A disabled user's rows
// are marked, without mail. It returns how many digests were written.
func (db *DB) SendDigests(ctx context.Context, now time.Time) (int, error) {
	var users []int64
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT user_id FROM notifications
		WHERE delivery = 'digest' AND digest_sent_at IS NULL ORDER BY user_id`)
	if err != nil {
		return 0, wrap("digests", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, wrap("digests", err)
		}
		users = append(users, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("digests", err)
	}
	sent := 0
	for _, id := range users {
		ok, err := db.sendDigest(ctx, id, now)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (db *DB) sendDigest(ctx context.Context, userID int64, now time.Time) (bool, error) {
	sent := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, db.q(`UPDATE notifications SET digest_sent_at = ?
			WHERE user_id = ? AND delivery = 'digest' AND digest_sent_at IS NULL
			RETURNING `+notificationCols), dbTime(now), userID)
		if err != nil {
			return err
		}
		var ns []partnerhub.Notification
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ns = append(ns, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ns) == 0 || db.mail == nil {
			return nil
		}
		// RETURNING gives no order; a digest reads oldest first.
		slices.SortFunc(ns, func(a, b partnerhub.Notification) int { return cmp.Compare(a.ID, b.ID) })
		var email, name, lang string
		var disabled bool
		if err := tx.QueryRowContext(ctx, db.q(`SELECT email, name, language, disabled FROM users WHERE id = ?`), userID).
			Scan(&email, &name, &lang, &disabled); err != nil {
			return err
		}
		if disabled {
			return nil
		}
		c, err := db.mailForUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		m, err := c.Digest(email, name, mailLang(lang), ns)
		if err != nil {
			return err
		}
		sent = true
		return db.EnqueueMail(ctx, tx, m, now)
	})
	return sent, wrap("digest", err)
}
