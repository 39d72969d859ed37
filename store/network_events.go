package store

// The network's events and their registrations. Places are given in the
// transaction that registers, with the event's row locked (PostgreSQL:
// FOR UPDATE; SQLite has one writer), so that registrations at once never
// take more places than there are. Mail to registrants is written to the
// outbox in the same transaction.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/mail"
)

var _ partnerhub.NetworkEventService = (*DB)(nil)

// registrationPrefix starts a cancel link's token.
const registrationPrefix = "phr_"

// resendAfter is how long after a mail to a registrant a second
// registration of the address mails them again.
const resendAfter = 10 * time.Minute

const eventSelect = `SELECT e.id, e.title_ja, e.title_en, e.description_ja, e.description_en, e.kind, e.venue_ja, e.venue_en,
	e.online, e.starts_at, e.ends_at, e.capacity, e.registration_opens, e.registration_closes, COALESCE(h.slug, ''),
	COALESCE(i.name_ja, ''), COALESCE(i.name_en, ''), e.state,
	e.retention_days, e.cancellations, e.purged_at, e.kept_confirmed, e.kept_waiting, e.version, e.created_at, e.updated_at,
	(SELECT count(*) FROM network_event_registrations r WHERE r.event_id = e.id AND r.status = 'confirmed'),
	(SELECT count(*) FROM network_event_registrations r WHERE r.event_id = e.id AND r.status = 'waiting')
	FROM network_events e LEFT JOIN home_institutions h ON h.id = e.organiser_id LEFT JOIN institutions i ON i.id = h.institution_id`

func scanEvent(row rowScanner) (*partnerhub.NetworkEvent, error) {
	var e partnerhub.NetworkEvent
	var kind, state string
	var purged sql.NullTime
	var keptC, keptW int
	var org partnerhub.Text
	if err := row.Scan(&e.ID, &e.Title.Ja, &e.Title.En, &e.Description.Ja, &e.Description.En, &kind, &e.Venue.Ja, &e.Venue.En,
		&e.Online, &e.Starts, &e.Ends, &e.Capacity, &e.RegistrationOpens, &e.RegistrationCloses, &e.Organiser, &org.Ja, &org.En, &state,
		&e.RetentionDays, &e.Cancelled, &purged, &keptC, &keptW, &e.Version, &e.CreatedAt, &e.UpdatedAt,
		&e.Confirmed, &e.Waiting); err != nil {
		return nil, err
	}
	e.Kind, e.State = partnerhub.EventKind(kind), partnerhub.EventState(state)
	if e.Organiser != "" {
		e.OrganiserName = &org
	}
	for _, t := range []*time.Time{&e.Starts, &e.Ends, &e.RegistrationOpens, &e.RegistrationCloses, &e.CreatedAt, &e.UpdatedAt} {
		*t = t.UTC()
	}
	if purged.Valid {
		e.Purged, e.Confirmed, e.Waiting = true, keptC, keptW
	}
	return &e, nil
}

func errEventNotFound(id int64) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "nevent.error.not_found", id)
}

// organises reports whether u organises the network's events.
func organises(u *partnerhub.User) bool {
	return partnerhub.Authorize(u, partnerhub.ActionUpdate, partnerhub.EntityNetworkEvent, partnerhub.Facts{}) == nil
}

// NetworkEvents lists the events, upcoming (not yet ended at now) first
// by start, then past ones latest first.
func (db *DB) NetworkEvents(ctx context.Context, u *partnerhub.User, f partnerhub.EventFilter, now time.Time) ([]partnerhub.NetworkEvent, error) {
	if f.Drafts && !organises(u) {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_network")
	}
	q := eventSelect
	if !f.Drafts {
		q += ` WHERE e.state <> 'draft'`
	}
	rows, err := db.read.QueryContext(ctx, db.q(q+` ORDER BY e.starts_at, e.id`))
	if err != nil {
		return nil, wrap("network events", err)
	}
	defer rows.Close()
	var upcoming, past []partnerhub.NetworkEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, wrap("network events", err)
		}
		if e.Ends.After(now) {
			upcoming = append(upcoming, *e)
		} else {
			past = append([]partnerhub.NetworkEvent{*e}, past...)
		}
	}
	return append(append([]partnerhub.NetworkEvent{}, upcoming...), past...), wrap("network events", rows.Err())
}

// NetworkEvent is one event; a draft is not found but by its organisers.
func (db *DB) NetworkEvent(ctx context.Context, u *partnerhub.User, id int64) (*partnerhub.NetworkEvent, error) {
	e, err := db.eventByID(ctx, db.read, id)
	if err != nil {
		return nil, err
	}
	if e.State == partnerhub.EventDraft && !organises(u) {
		return nil, errEventNotFound(id)
	}
	return e, nil
}

func (db *DB) eventByID(ctx context.Context, q queryRower, id int64) (*partnerhub.NetworkEvent, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, db.q(eventSelect+` WHERE e.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errEventNotFound(id)
	}
	return e, wrap("network event", err)
}

// lockEvent takes the event's row for the rest of tx (PostgreSQL; SQLite
// has one writer) and reads it.
func (db *DB) lockEvent(ctx context.Context, tx *sql.Tx, id int64) (*partnerhub.NetworkEvent, error) {
	if db.dialect.name == "postgres" {
		var got int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM network_events WHERE id = ? FOR UPDATE`), id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errEventNotFound(id)
		}
		if err != nil {
			return nil, err
		}
	}
	return db.eventByID(ctx, tx, id)
}

// PutNetworkEvent creates (e.ID 0) or updates an event, as a network
// editor. An update is at e.Version (a conflict otherwise, with the
// event as it is). Capacity cannot fall below the places given; raised,
// it gives the new places to the waiting list, in order, and mails them.
func (db *DB) PutNetworkEvent(ctx context.Context, u *partnerhub.User, e partnerhub.NetworkEvent, now time.Time) (*partnerhub.NetworkEvent, error) {
	action := partnerhub.ActionUpdate
	if e.ID == 0 {
		action = partnerhub.ActionCreate
	}
	if err := partnerhub.Authorize(u, action, partnerhub.EntityNetworkEvent, partnerhub.Facts{}); err != nil {
		return nil, err
	}
	for _, t := range []*time.Time{&e.Starts, &e.Ends, &e.RegistrationOpens, &e.RegistrationCloses} {
		if !t.IsZero() {
			*t = dbTime(*t)
		}
	}
	errs := partnerhub.FieldErrors{}
	if err := addFields(errs, e.Validate()); err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	now = dbTime(now)
	var out *partnerhub.NetworkEvent
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var organiser any
		if e.Organiser != "" {
			var id int64
			err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM home_institutions WHERE slug = ? AND disabled = ?`), e.Organiser, false).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				errs.Add("organiser", "nevent_unknown_member", e.Organiser)
				return errs.Err()
			}
			if err != nil {
				return err
			}
			organiser = id
		}
		homeID, err := db.homeID(ctx, tx, u.Home)
		if err != nil {
			return err
		}
		var before *partnerhub.NetworkEvent
		if e.ID == 0 {
			err = tx.QueryRowContext(ctx, db.q(`INSERT INTO network_events (title_ja, title_en, description_ja, description_en, kind,
				venue_ja, venue_en, online, starts_at, ends_at, capacity, registration_opens, registration_closes, organiser_id, state,
				retention_days, version, created_by, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`),
				e.Title.Ja, e.Title.En, e.Description.Ja, e.Description.En, string(e.Kind), e.Venue.Ja, e.Venue.En, e.Online,
				e.Starts, e.Ends, e.Capacity, e.RegistrationOpens, e.RegistrationCloses, organiser, string(e.State),
				e.RetentionDays, nullID(u.ID), now, now).Scan(&e.ID)
			if err != nil {
				return err
			}
		} else {
			cur, err := db.lockEvent(ctx, tx, e.ID)
			if err != nil {
				return err
			}
			if cur.Version != e.Version {
				return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{e.Version, cur.Version}, Current: *cur}
			}
			if !cur.Purged && e.Capacity < cur.Confirmed {
				errs.Add("capacity", "nevent_capacity_below", cur.Confirmed)
				return errs.Err()
			}
			before = cur
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE network_events SET title_ja = ?, title_en = ?, description_ja = ?, description_en = ?,
				kind = ?, venue_ja = ?, venue_en = ?, online = ?, starts_at = ?, ends_at = ?, capacity = ?, registration_opens = ?,
				registration_closes = ?, organiser_id = ?, state = ?, retention_days = ?, version = version + 1, updated_at = ? WHERE id = ?`),
				e.Title.Ja, e.Title.En, e.Description.Ja, e.Description.En, string(e.Kind), e.Venue.Ja, e.Venue.En, e.Online,
				e.Starts, e.Ends, e.Capacity, e.RegistrationOpens, e.RegistrationCloses, organiser, string(e.State),
				e.RetentionDays, now, e.ID); err != nil {
				return err
			}
		}
		after, err := db.eventByID(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if before != nil && after.State == partnerhub.EventPublished {
			if err := db.promote(ctx, tx, after, now); err != nil {
				return err
			}
			if after, err = db.eventByID(ctx, tx, e.ID); err != nil {
				return err
			}
		}
		out = after
		return db.auditEvent(ctx, tx, homeID, u, action, before, after, now)
	})
	if err != nil {
		return nil, wrap("put network event", err)
	}
	return out, nil
}

// auditEvent records a change of an event in the audit log of the
// organiser's own home: the event as organised, never its registrants.
func (db *DB) auditEvent(ctx context.Context, tx *sql.Tx, homeID int64, u *partnerhub.User, action partnerhub.Action,
	before, after *partnerhub.NetworkEvent, now time.Time) error {
	enc := func(e *partnerhub.NetworkEvent) any {
		if e == nil {
			return nil
		}
		b, _ := json.Marshal(e)
		return string(b)
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), homeID, now, nullID(u.ID), u.Email, action, partnerhub.EntityNetworkEvent,
		strconv.FormatInt(after.ID, 10), after.Version, enc(before), enc(after))
	return err
}

// Register registers r for event id (see partnerhub.NetworkEventService).
func (db *DB) Register(ctx context.Context, id int64, r partnerhub.Registrant, now time.Time) error {
	r.Normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	now = dbTime(now)
	return wrap("register", db.tx(ctx, func(tx *sql.Tx) error {
		e, err := db.lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == partnerhub.EventDraft {
			return errEventNotFound(id)
		}
		if !e.RegistrationOpen(now) {
			return partnerhub.Errorf(partnerhub.EInvalid, "nevent.error.registration_closed")
		}
		raw, hash := authn.NewSecret(registrationPrefix)
		var existing int64
		var status string
		err = tx.QueryRowContext(ctx, db.q(`SELECT id, status FROM network_event_registrations WHERE event_id = ? AND email = ?`),
			id, r.Email).Scan(&existing, &status)
		switch {
		case err == nil:
			// Registered already: a new cancel link for the address's
			// holder, told by mail only, at most once in resendAfter; the
			// caller learns nothing.
			res, err := tx.ExecContext(ctx, db.q(`UPDATE network_event_registrations SET token_hash = ?, notified_at = ?
				WHERE id = ? AND notified_at <= ?`), hash, now, existing, now.Add(-resendAfter))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			pos := 0
			if status == string(partnerhub.RegistrationWaiting) {
				if pos, err = db.waitingPosition(ctx, tx, id, existing); err != nil {
					return err
				}
			}
			return db.eventMail(ctx, tx, r.Email, r.Lang, mail.EventMail{What: mail.EventAlready, Name: r.Name, Event: *e,
				Status: partnerhub.RegistrationStatus(status), Position: pos, Token: raw}, now)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		st, what := partnerhub.RegistrationConfirmed, mail.EventConfirmed
		if e.Confirmed >= e.Capacity {
			st, what = partnerhub.RegistrationWaiting, mail.EventWaiting
		}
		var regID int64
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO network_event_registrations (event_id, name, affiliation, email, language, status, token_hash, created_at, notified_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), id, r.Name, r.Affiliation, r.Email, string(r.Lang), string(st), hash, now, now).Scan(&regID); err != nil {
			return err
		}
		pos := 0
		if st == partnerhub.RegistrationWaiting {
			if pos, err = db.waitingPosition(ctx, tx, id, regID); err != nil {
				return err
			}
		}
		return db.eventMail(ctx, tx, r.Email, r.Lang, mail.EventMail{What: what, Name: r.Name, Event: *e, Position: pos, Token: raw}, now)
	}))
}

// waitingPosition is a waiting registration's place in the list, from 1.
func (db *DB) waitingPosition(ctx context.Context, q queryRower, eventID, regID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, db.q(`SELECT count(*) FROM network_event_registrations WHERE event_id = ? AND status = 'waiting' AND id <= ?`),
		eventID, regID).Scan(&n)
	return n, err
}

// eventMail writes a registrant's mail to the outbox, in tx; nothing
// without a composer.
func (db *DB) eventMail(ctx context.Context, tx *sql.Tx, to string, lang partnerhub.Lang, m mail.EventMail, now time.Time) error {
	if db.mail == nil {
		return nil
	}
	msg, err := db.mail.NetworkEvent(to, lang, m)
	if err != nil {
		return err
	}
	return db.EnqueueMail(ctx, tx, msg, now)
}

// promote gives the places left of e to the waiting list, first come
// first served, and mails each one promoted. A new cancel link goes with
// it: the store keeps no raw token to repeat.
func (db *DB) promote(ctx context.Context, tx *sql.Tx, e *partnerhub.NetworkEvent, now time.Time) error {
	free := e.Capacity - e.Confirmed
	if free <= 0 || e.Purged || e.State != partnerhub.EventPublished || !now.Before(e.Ends) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT id, name, email, language FROM network_event_registrations
		WHERE event_id = ? AND status = 'waiting' ORDER BY id LIMIT ?`), e.ID, free)
	if err != nil {
		return err
	}
	type next struct {
		id                int64
		name, email, lang string
	}
	var ns []next
	for rows.Next() {
		var n next
		if err := rows.Scan(&n.id, &n.name, &n.email, &n.lang); err != nil {
			rows.Close()
			return err
		}
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range ns {
		raw, hash := authn.NewSecret(registrationPrefix)
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE network_event_registrations SET status = 'confirmed', promoted_at = ?, token_hash = ? WHERE id = ?`),
			now, hash, n.id); err != nil {
			return err
		}
		if err := db.eventMail(ctx, tx, n.email, mailLang(n.lang), mail.EventMail{What: mail.EventPromoted, Name: n.name, Event: *e, Token: raw}, now); err != nil {
			return err
		}
	}
	return nil
}

const registrationSelect = `SELECT id, event_id, name, affiliation, email, language, status, created_at, promoted_at FROM network_event_registrations`

func scanRegistration(row rowScanner) (*partnerhub.Registration, error) {
	var r partnerhub.Registration
	var lang, status string
	var promoted sql.NullTime
	if err := row.Scan(&r.ID, &r.Event, &r.Name, &r.Affiliation, &r.Email, &lang, &status, &r.CreatedAt, &promoted); err != nil {
		return nil, err
	}
	r.Lang, r.Status, r.CreatedAt = partnerhub.Lang(lang), partnerhub.RegistrationStatus(status), r.CreatedAt.UTC()
	if promoted.Valid {
		t := promoted.Time.UTC()
		r.PromotedAt = &t
	}
	return &r, nil
}

func errRegistrationNotFound() error {
	return partnerhub.Errorf(partnerhub.ENotFound, "nevent.error.registration_not_found")
}

// RegistrationByToken is the registration of a cancel link's token.
func (db *DB) RegistrationByToken(ctx context.Context, token string) (*partnerhub.Registration, *partnerhub.NetworkEvent, error) {
	r, err := scanRegistration(db.read.QueryRowContext(ctx, db.q(registrationSelect+` WHERE token_hash = ?`), authn.SecretHash(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errRegistrationNotFound()
	}
	if err != nil {
		return nil, nil, wrap("registration", err)
	}
	if r.Status == partnerhub.RegistrationWaiting {
		if r.Position, err = db.waitingPosition(ctx, db.read, r.Event, r.ID); err != nil {
			return nil, nil, wrap("registration", err)
		}
	}
	e, err := db.eventByID(ctx, db.read, r.Event)
	if err != nil {
		return nil, nil, err
	}
	return r, e, nil
}

// CancelRegistration deletes the registration of a cancel link's token
// (the event counts it), and gives a confirmed place to the first waiting.
func (db *DB) CancelRegistration(ctx context.Context, token string, now time.Time) error {
	now = dbTime(now)
	return wrap("cancel registration", db.tx(ctx, func(tx *sql.Tx) error {
		var id, eventID int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT id, event_id FROM network_event_registrations WHERE token_hash = ?`),
			authn.SecretHash(token)).Scan(&id, &eventID)
		if errors.Is(err, sql.ErrNoRows) {
			return errRegistrationNotFound()
		}
		if err != nil {
			return err
		}
		if _, err := db.lockEvent(ctx, tx, eventID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM network_event_registrations WHERE id = ?`), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE network_events SET cancellations = cancellations + 1 WHERE id = ?`), eventID); err != nil {
			return err
		}
		e, err := db.eventByID(ctx, tx, eventID)
		if err != nil {
			return err
		}
		return db.promote(ctx, tx, e, now)
	}))
}

// Registrations are an event's registrations, for its organisers only.
func (db *DB) Registrations(ctx context.Context, u *partnerhub.User, id int64) ([]partnerhub.Registration, error) {
	if err := partnerhub.Authorize(u, partnerhub.ActionUpdate, partnerhub.EntityNetworkEvent, partnerhub.Facts{}); err != nil {
		return nil, err
	}
	if _, err := db.eventByID(ctx, db.read, id); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(registrationSelect+` WHERE event_id = ?
		ORDER BY CASE WHEN status = 'confirmed' THEN 0 ELSE 1 END, id`), id)
	if err != nil {
		return nil, wrap("registrations", err)
	}
	defer rows.Close()
	out := []partnerhub.Registration{}
	pos := 0
	for rows.Next() {
		r, err := scanRegistration(rows)
		if err != nil {
			return nil, wrap("registrations", err)
		}
		if r.Status == partnerhub.RegistrationWaiting {
			pos++
			r.Position = pos
		}
		out = append(out, *r)
	}
	return out, wrap("registrations", rows.Err())
}
