package store

// Webhook subscriptions and their deliveries. Events come from the audit
// log like an outbox: a trigger on audit_events (migration 00025) writes
// the event's id into webhook_events, in the transaction of the write, for
// a home that has a subscription; DispatchWebhooks turns those into
// deliveries, and the job queue sends them (package jobs).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"partnerhub"
)

// EnqueueDelivery enqueues the sending of a delivery in tx, the
// transaction that made it pending (River's InsertTx).
type EnqueueDelivery func(tx *sql.Tx, delivery int64, home string) error

// webhookTable reports whether a table is the webhooks': left out of
// exports, since they hold the subscriptions' secrets and work in flight.
func webhookTable(name string) bool { return strings.HasPrefix(name, "webhook_") }

func errWebhookNotFound(id int64) error {
	return notFound("error.webhook_not_found", itoa(id))
}

const subscriptionColumns = `s.id, s.url, s.kinds, s.state, s.paused_reason, s.failures, s.created_at, s.created_by`

func scanSubscription(sc interface{ Scan(...any) error }) (partnerhub.WebhookSubscription, error) {
	var s partnerhub.WebhookSubscription
	var kinds, state string
	err := sc.Scan(&s.ID, &s.URL, &kinds, &state, &s.PausedReason, &s.Failures, &s.CreatedAt, &s.CreatedBy)
	s.State = partnerhub.WebhookState(state)
	for k := range strings.SplitSeq(kinds, ",") {
		if k != "" {
			s.Kinds = append(s.Kinds, partnerhub.WebhookKind(k))
		}
	}
	return s, err
}

// Subscriptions lists a home's subscriptions, oldest first, each with its
// newest delivery.
func (db *DB) Subscriptions(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.WebhookSubscription, error) {
	if err := partnerhub.AuthorizeWebhooks(actor, home); err != nil {
		return nil, err
	}
	out := []partnerhub.WebhookSubscription{}
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		if err := eachRow(ctx, db, tx, `SELECT `+subscriptionColumns+` FROM webhook_subscriptions s WHERE s.home_id = ? ORDER BY s.id`,
			[]any{homeID}, func(rows *sql.Rows) error {
				s, err := scanSubscription(rows)
				out = append(out, s)
				return err
			}); err != nil {
			return err
		}
		for i := range out {
			ds, err := db.deliveries(ctx, tx, out[i].ID, 1, false)
			if err != nil {
				return err
			}
			if len(ds) > 0 {
				out[i].Last = &ds[0]
			}
		}
		return nil
	})
	return out, wrap("webhook subscriptions", err)
}

// webhookDeliveriesShown is how many deliveries a subscription's page
// shows, newest first.
const webhookDeliveriesShown = 50

// Subscription is one of a home's subscriptions, with its newest
// deliveries and their tries.
func (db *DB) Subscription(ctx context.Context, actor *partnerhub.User, home string, id int64) (*partnerhub.WebhookSubscription, []partnerhub.WebhookDelivery, error) {
	if err := partnerhub.AuthorizeWebhooks(actor, home); err != nil {
		return nil, nil, err
	}
	var s partnerhub.WebhookSubscription
	var ds []partnerhub.WebhookDelivery
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if s, err = db.subscription(ctx, tx, home, id); err != nil {
			return err
		}
		ds, err = db.deliveries(ctx, tx, id, webhookDeliveriesShown, true)
		if len(ds) > 0 {
			s.Last = &ds[0]
		}
		return err
	})
	if err != nil {
		return nil, nil, wrap("webhook subscription", err)
	}
	return &s, ds, nil
}

func (db *DB) subscription(ctx context.Context, tx *sql.Tx, home string, id int64) (partnerhub.WebhookSubscription, error) {
	s, err := scanSubscription(tx.QueryRowContext(ctx, db.q(`SELECT `+subscriptionColumns+` FROM webhook_subscriptions s
		JOIN home_institutions h ON h.id = s.home_id WHERE s.id = ? AND h.slug = ?`), id, home))
	if err == sql.ErrNoRows {
		return s, errWebhookNotFound(id)
	}
	return s, err
}

// deliveries are a subscription's newest, with their tries when asked.
func (db *DB) deliveries(ctx context.Context, tx *sql.Tx, sub int64, limit int, tries bool) ([]partnerhub.WebhookDelivery, error) {
	var out []partnerhub.WebhookDelivery
	err := eachRow(ctx, db, tx, `SELECT id, message_id, kind, state, tries, created_at, finished_at FROM webhook_deliveries
		WHERE subscription_id = ? ORDER BY id DESC LIMIT ?`, []any{sub, limit}, func(rows *sql.Rows) error {
		var d partnerhub.WebhookDelivery
		var kind, state string
		var fin sql.NullTime
		err := rows.Scan(&d.ID, &d.MessageID, &kind, &state, &d.Tries, &d.CreatedAt, &fin)
		d.Kind, d.State = partnerhub.WebhookKind(kind), partnerhub.DeliveryState(state)
		if fin.Valid {
			d.FinishedAt = &fin.Time
		}
		out = append(out, d)
		return err
	})
	if err != nil || !tries || len(out) == 0 {
		return out, err
	}
	at := map[int64]int{}
	for i, d := range out {
		at[d.ID] = i
	}
	err = eachRow(ctx, db, tx, `SELECT delivery_id, at, status, duration_ms, response, error FROM webhook_attempts
		WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = ? AND id >= ?) ORDER BY id`,
		[]any{sub, out[len(out)-1].ID}, func(rows *sql.Rows) error {
			var a partnerhub.WebhookAttempt
			var d, ms int64
			if err := rows.Scan(&d, &a.At, &a.Status, &ms, &a.Response, &a.Error); err != nil {
				return err
			}
			a.Duration = time.Duration(ms) * time.Millisecond
			if i, ok := at[d]; ok {
				out[i].Attempts = append(out[i].Attempts, a)
			}
			return nil
		})
	return out, err
}

// webhookAudit is what the audit log keeps of a subscription: never its
// secret.
type webhookAudit struct {
	URL           string                   `json:"url"`
	Kinds         []partnerhub.WebhookKind `json:"kinds"`
	State         partnerhub.WebhookState  `json:"state"`
	PausedReason  string                   `json:"paused_reason,omitempty"`
	SecretRotated *time.Time               `json:"secret_rotated,omitempty"`
}

func auditOfWebhook(s partnerhub.WebhookSubscription) *webhookAudit {
	return &webhookAudit{URL: s.URL, Kinds: s.Kinds, State: s.State, PausedReason: s.PausedReason}
}

// auditWebhook records a change of subscription id in its home's log;
// actor nil is the server itself (a pause after failures).
func (db *DB) auditWebhook(ctx context.Context, tx *sql.Tx, homeID int64, actor *partnerhub.User, action partnerhub.Action,
	id int64, before, after *webhookAudit, now time.Time) error {
	enc := func(v *webhookAudit) any {
		if v == nil {
			return nil
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	var userID any
	name := "system"
	if actor != nil {
		name = actor.Email
		if actor.ID != 0 {
			userID = actor.ID
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json, verb, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, '', '')`), homeID, dbTime(now), userID, name, action, partnerhub.EntityWebhook,
		itoa(id), enc(before), enc(after))
	return err
}

// CreateWebhook makes a subscription of home with secret (whsec_…),
// which it keeps to sign with.
func (db *DB) CreateWebhook(ctx context.Context, actor *partnerhub.User, home string, spec partnerhub.WebhookSpec, secret string, now time.Time) (*partnerhub.WebhookSubscription, error) {
	if err := partnerhub.AuthorizeWebhooks(actor, home); err != nil {
		return nil, err
	}
	if err := spec.Validate(nil); err != nil {
		return nil, err
	}
	kinds := slices.Clone(spec.Kinds)
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	s := partnerhub.WebhookSubscription{URL: strings.TrimSpace(spec.URL), Kinds: kinds, State: partnerhub.WebhookActive,
		CreatedAt: dbTime(now), CreatedBy: actor.Email}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO webhook_subscriptions (home_id, url, kinds, secret, state, created_at, created_by)
			VALUES (?, ?, ?, ?, 'active', ?, ?) RETURNING id`), homeID, s.URL, joinWebhookKinds(kinds), secret, s.CreatedAt, s.CreatedBy).Scan(&s.ID); err != nil {
			return err
		}
		return db.auditWebhook(ctx, tx, homeID, actor, partnerhub.ActionCreate, s.ID, nil, auditOfWebhook(s), now)
	})
	if err != nil {
		return nil, wrap("create webhook", err)
	}
	return &s, nil
}

func joinWebhookKinds(ks []partnerhub.WebhookKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// changeWebhook runs fn on subscription id of home in a write
// transaction, and audits the change fn makes (fn returns the state
// after, nil for a deletion).
func (db *DB) changeWebhook(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time,
	fn func(tx *sql.Tx, homeID int64, s partnerhub.WebhookSubscription) (*webhookAudit, error)) error {
	if err := partnerhub.AuthorizeWebhooks(actor, home); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		s, err := db.subscription(ctx, tx, home, id)
		if err != nil {
			return err
		}
		after, err := fn(tx, homeID, s)
		if err != nil {
			return err
		}
		action := partnerhub.ActionUpdate
		if after == nil {
			action = partnerhub.ActionDelete
		}
		return db.auditWebhook(ctx, tx, homeID, actor, action, id, auditOfWebhook(s), after, now)
	})
}

// SetWebhookState pauses or resumes subscription id. A resumed one starts
// again with no failures, and what was held while it was paused is
// enqueued with enqueue.
func (db *DB) SetWebhookState(ctx context.Context, actor *partnerhub.User, home string, id int64, state partnerhub.WebhookState,
	now time.Time, enqueue EnqueueDelivery) error {
	if state != partnerhub.WebhookActive && state != partnerhub.WebhookPaused {
		errs := partnerhub.FieldErrors{}
		errs.Add("state", "one_of", "active, paused")
		return errs.Err()
	}
	err := db.changeWebhook(ctx, actor, home, id, now, func(tx *sql.Tx, _ int64, s partnerhub.WebhookSubscription) (*webhookAudit, error) {
		reason := ""
		if state == partnerhub.WebhookPaused {
			reason = "admin"
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE webhook_subscriptions SET state = ?, paused_reason = ?, failures = 0 WHERE id = ?`),
			string(state), reason, id); err != nil {
			return nil, err
		}
		if state == partnerhub.WebhookActive {
			if err := db.releaseHeld(ctx, tx, home, id, enqueue); err != nil {
				return nil, err
			}
		}
		s.State, s.PausedReason = state, reason
		return auditOfWebhook(s), nil
	})
	return wrap("webhook state", err)
}

// releaseHeld makes subscription id's held deliveries pending again and
// enqueues them.
func (db *DB) releaseHeld(ctx context.Context, tx *sql.Tx, home string, id int64, enqueue EnqueueDelivery) error {
	var held []int64
	if err := eachRow(ctx, db, tx, `UPDATE webhook_deliveries SET state = 'pending' WHERE subscription_id = ? AND state = 'held' RETURNING id`,
		[]any{id}, func(rows *sql.Rows) error {
			var d int64
			err := rows.Scan(&d)
			held = append(held, d)
			return err
		}); err != nil {
		return err
	}
	slices.Sort(held)
	for _, d := range held {
		if err := enqueue(tx, d, home); err != nil {
			return err
		}
	}
	return nil
}

// DeleteWebhook deletes subscription id with its deliveries; the audit
// log keeps that it was.
func (db *DB) DeleteWebhook(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time) error {
	err := db.changeWebhook(ctx, actor, home, id, now, func(tx *sql.Tx, _ int64, _ partnerhub.WebhookSubscription) (*webhookAudit, error) {
		_, err := tx.ExecContext(ctx, db.q(`DELETE FROM webhook_subscriptions WHERE id = ?`), id)
		return nil, err
	})
	return wrap("delete webhook", err)
}

// RotateWebhookSecret gives subscription id the secret given.
func (db *DB) RotateWebhookSecret(ctx context.Context, actor *partnerhub.User, home string, id int64, secret string, now time.Time) error {
	err := db.changeWebhook(ctx, actor, home, id, now, func(tx *sql.Tx, _ int64, s partnerhub.WebhookSubscription) (*webhookAudit, error) {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE webhook_subscriptions SET secret = ? WHERE id = ?`), secret, id); err != nil {
			return nil, err
		}
		a := auditOfWebhook(s)
		t := dbTime(now)
		a.SecretRotated = &t
		return a, nil
	})
	return wrap("rotate webhook secret", err)
}

// TestWebhook makes a delivery of a test event to subscription id, sent
// whatever its state.
func (db *DB) TestWebhook(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time, enqueue EnqueueDelivery) error {
	if err := partnerhub.AuthorizeWebhooks(actor, home); err != nil {
		return err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.subscription(ctx, tx, home, id); err != nil {
			return err
		}
		body, err := webhookBody(partnerhub.WebhookTest, now, testData{Home: home, Subscription: id, At: dbTime(now)})
		if err != nil {
			return err
		}
		d, err := db.insertDelivery(ctx, tx, id, partnerhub.WebhookTest, body, partnerhub.DeliveryPending, now)
		if err != nil {
			return err
		}
		return enqueue(tx, d, home)
	})
	return wrap("test webhook", err)
}

func (db *DB) insertDelivery(ctx context.Context, tx *sql.Tx, sub int64, kind partnerhub.WebhookKind, body []byte,
	state partnerhub.DeliveryState, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, db.q(`INSERT INTO webhook_deliveries (subscription_id, message_id, kind, payload, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), sub, newMessageID(), string(kind), string(body), string(state), dbTime(now)).Scan(&id)
	return id, err
}

// newMessageID is a delivery's webhook-id: unique, the same on each try,
// so that a receiver can tell a retry from a new event.
func newMessageID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return "msg_" + hex.EncodeToString(b)
}

// webhookEvent adds an event of its own (not of the audit log) to the
// outbox of home homeID, in the caller's transaction: it is sent if and
// only if tx commits. Only a home with a subscription keeps it.
func (db *DB) webhookEvent(ctx context.Context, tx *sql.Tx, homeID int64, kind partnerhub.WebhookKind, data any, now time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, db.q(`INSERT INTO webhook_events (home_id, kind, data, created_at)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE home_id = ?)`),
		homeID, string(kind), string(b), dbTime(now), homeID)
	return err
}

// dispatchBatch bounds the events DispatchWebhooks takes at once.
const dispatchBatch = 200

// DispatchWebhooks turns the outbox's events into deliveries to the
// subscriptions that asked for their kinds, enqueueing each with enqueue
// in the same transaction, and says how many events it took. On
// PostgreSQL two nodes at once take different events (SKIP LOCKED); on
// SQLite the one writer orders them.
func (db *DB) DispatchWebhooks(ctx context.Context, now time.Time, enqueue EnqueueDelivery) (int, error) {
	lock := ""
	if db.dialect.name == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		type outboxRow struct {
			id, home int64
			audit    sql.NullInt64
			kind     string
			data     string
			at       time.Time
		}
		var rows []outboxRow
		if err := eachRow(ctx, db, tx, `SELECT id, home_id, audit_id, kind, data, created_at FROM webhook_events ORDER BY id LIMIT ?`+lock,
			[]any{dispatchBatch}, func(r *sql.Rows) error {
				var o outboxRow
				err := r.Scan(&o.id, &o.home, &o.audit, &o.kind, &o.data, &o.at)
				rows = append(rows, o)
				return err
			}); err != nil {
			return err
		}
		n = len(rows)
		subs := map[int64][]webhookTarget{}
		for _, o := range rows {
			targets, ok := subs[o.home]
			if !ok {
				var err error
				if targets, err = db.webhookTargets(ctx, tx, o.home); err != nil {
					return err
				}
				subs[o.home] = targets
			}
			var evs []webhookEv
			if o.audit.Valid {
				a, err := db.auditForWebhook(ctx, tx, o.audit.Int64)
				if err != nil {
					return err
				}
				if a != nil {
					evs = eventsOfAudit(*a)
				}
			} else {
				evs = []webhookEv{{kind: partnerhub.WebhookKind(o.kind), data: json.RawMessage(o.data)}}
			}
			for _, ev := range evs {
				body, err := webhookBody(ev.kind, o.at, ev.data)
				if err != nil {
					return err
				}
				for _, t := range targets {
					if !slices.Contains(t.kinds, ev.kind) {
						continue
					}
					state := partnerhub.DeliveryPending
					if t.state != partnerhub.WebhookActive {
						state = partnerhub.DeliveryHeld
					}
					d, err := db.insertDelivery(ctx, tx, t.id, ev.kind, body, state, now)
					if err != nil {
						return err
					}
					if state == partnerhub.DeliveryPending {
						if err := enqueue(tx, d, t.home); err != nil {
							return err
						}
					}
				}
			}
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM webhook_events WHERE id = ?`), o.id); err != nil {
				return err
			}
		}
		return nil
	})
	return n, wrap("dispatch webhooks", err)
}

// webhookTarget is a subscription as the dispatcher reads it.
type webhookTarget struct {
	id    int64
	home  string
	kinds []partnerhub.WebhookKind
	state partnerhub.WebhookState
}

func (db *DB) webhookTargets(ctx context.Context, tx *sql.Tx, homeID int64) ([]webhookTarget, error) {
	var out []webhookTarget
	err := eachRow(ctx, db, tx, `SELECT s.id, h.slug, s.kinds, s.state FROM webhook_subscriptions s JOIN home_institutions h ON h.id = s.home_id
		WHERE s.home_id = ? ORDER BY s.id`, []any{homeID}, func(rows *sql.Rows) error {
		var t webhookTarget
		var kinds, state string
		err := rows.Scan(&t.id, &t.home, &kinds, &state)
		for k := range strings.SplitSeq(kinds, ",") {
			t.kinds = append(t.kinds, partnerhub.WebhookKind(k))
		}
		t.state = partnerhub.WebhookState(state)
		out = append(out, t)
		return err
	})
	return out, err
}

// WebhookJob is a delivery as its sender needs it.
type WebhookJob struct {
	ID        int64
	Sub       int64
	URL       string
	Secret    string
	MessageID string
	Kind      partnerhub.WebhookKind
	Payload   []byte
	State     partnerhub.DeliveryState
	SubState  partnerhub.WebhookState
}

// WebhookDelivery reads delivery id for its sender; nil when it is no
// more (its subscription was deleted).
func (db *DB) WebhookDelivery(ctx context.Context, id int64) (*WebhookJob, error) {
	var j WebhookJob
	var kind, state, subState, payload string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT d.id, s.id, s.url, s.secret, d.message_id, d.kind, d.payload, d.state, s.state
		FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?`), id).
		Scan(&j.ID, &j.Sub, &j.URL, &j.Secret, &j.MessageID, &kind, &payload, &state, &subState)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("webhook delivery", err)
	}
	j.Kind, j.State, j.SubState, j.Payload = partnerhub.WebhookKind(kind), partnerhub.DeliveryState(state), partnerhub.WebhookState(subState), []byte(payload)
	return &j, nil
}

// HoldWebhookDelivery keeps a pending delivery of a paused subscription
// until it is resumed (the sender found it paused: each delivery's job
// holds its own, so that none is both held and still in the queue).
func (db *DB) HoldWebhookDelivery(ctx context.Context, id int64) error {
	// Only while it is paused still: a resumption that came meanwhile
	// leaves the delivery to its job.
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE webhook_deliveries SET state = 'held' WHERE id = ? AND state = 'pending'
		AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = webhook_deliveries.subscription_id AND s.state = 'paused')`), id)
	return wrap("hold webhook delivery", err)
}

// WebhookTried records a try of delivery id and where the delivery now
// stands: pending (to be retried), delivered, failed or refused. A
// delivered one clears its subscription's failures; a failed or refused
// one adds one, and pauses the subscription at pauseAfter in a row
// (audited as the server's doing). Test events count for neither. It
// says whether the subscription was paused.
func (db *DB) WebhookTried(ctx context.Context, id int64, try partnerhub.WebhookAttempt, outcome partnerhub.DeliveryState,
	pauseAfter int, now time.Time) (bool, error) {
	paused := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if len(try.Error) > 1000 {
			try.Error = try.Error[:1000]
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO webhook_attempts (delivery_id, at, status, duration_ms, response, error)
			VALUES (?, ?, ?, ?, ?, ?)`), id, dbTime(try.At), try.Status, try.Duration.Milliseconds(), try.Response, try.Error); err != nil {
			return err
		}
		var fin any
		if outcome != partnerhub.DeliveryPending {
			fin = dbTime(now)
		}
		var sub int64
		var kind string
		err := tx.QueryRowContext(ctx, db.q(`UPDATE webhook_deliveries SET tries = tries + 1, state = ?, finished_at = ? WHERE id = ?
			RETURNING subscription_id, kind`), string(outcome), fin, id).Scan(&sub, &kind)
		if err == sql.ErrNoRows {
			return nil // deleted meanwhile
		}
		if err != nil || partnerhub.WebhookKind(kind) == partnerhub.WebhookTest {
			return err
		}
		switch outcome {
		case partnerhub.DeliveryDelivered:
			_, err = tx.ExecContext(ctx, db.q(`UPDATE webhook_subscriptions SET failures = 0 WHERE id = ?`), sub)
			return err
		case partnerhub.DeliveryFailed, partnerhub.DeliveryRefused:
		default:
			return nil
		}
		var failures int
		var state string
		var homeID int64
		if err := tx.QueryRowContext(ctx, db.q(`UPDATE webhook_subscriptions SET failures = failures + 1 WHERE id = ?
			RETURNING failures, state, home_id`), sub).Scan(&failures, &state, &homeID); err != nil {
			return err
		}
		if pauseAfter <= 0 || failures < pauseAfter || state != string(partnerhub.WebhookActive) {
			return nil
		}
		s, err := scanSubscription(tx.QueryRowContext(ctx, db.q(`SELECT `+subscriptionColumns+` FROM webhook_subscriptions s WHERE s.id = ?`), sub))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE webhook_subscriptions SET state = 'paused', paused_reason = 'failures' WHERE id = ?`), sub); err != nil {
			return err
		}
		paused = true
		after := auditOfWebhook(s)
		after.State, after.PausedReason = partnerhub.WebhookPaused, "failures"
		return db.auditWebhook(ctx, tx, homeID, nil, partnerhub.ActionUpdate, sub, auditOfWebhook(s), after, now)
	})
	return paused, wrap("webhook tried", err)
}
