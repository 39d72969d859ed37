package store

// The events of webhooks, as made from audit events, and the JSON each
// delivery carries (documented in web/openapi.json, under webhooks).

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"partnerhub"
)

// webhookPayload is a delivery's body, as the Standard Webhooks
// specification suggests: type, timestamp, data.
type webhookPayload struct {
	Type      partnerhub.WebhookKind `json:"type"`
	Timestamp time.Time              `json:"timestamp"`
	Data      any                    `json:"data"`
}

func webhookBody(kind partnerhub.WebhookKind, at time.Time, data any) ([]byte, error) {
	return json.Marshal(webhookPayload{Type: kind, Timestamp: at.UTC().Truncate(time.Second), Data: data})
}

// recordData is the data of record.*: which record, at which version.
// It names the record, never carries it: a receiver reads it through the
// API, with a token that may read what the record is.
type recordData struct {
	Home    string    `json:"home"`
	Entity  string    `json:"entity"`
	Key     string    `json:"key"`
	Version int       `json:"version"`
	At      time.Time `json:"at"`
}

// statusData is the data of agreement.status_changed.
type statusData struct {
	Home    string    `json:"home"`
	Key     string    `json:"key"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Verb    string    `json:"verb,omitempty"` // the workflow's, for a transition
	Version int       `json:"version"`
	At      time.Time `json:"at"`
}

// decisionData is the data of fund.decision.
type decisionData struct {
	Home     string    `json:"home"`
	Proposal string    `json:"proposal"`
	Outcome  string    `json:"outcome"`
	Previous string    `json:"previous,omitempty"` // the outcome changed
	Meeting  string    `json:"meeting,omitempty"`
	At       time.Time `json:"at"`
}

// importData is the data of import.finished.
type importData struct {
	Home string    `json:"home"`
	What string    `json:"what"` // mobility or agreements
	Rows int64     `json:"rows"`
	At   time.Time `json:"at"`
}

// testData is the data of webhook.test.
type testData struct {
	Home         string    `json:"home"`
	Subscription int64     `json:"subscription"`
	At           time.Time `json:"at"`
}

// webhookEv is one event made of an audit event.
type webhookEv struct {
	kind partnerhub.WebhookKind
	data any
}

// auditRow is an audit event as the dispatcher reads it.
type auditRow struct {
	home          string
	at            time.Time
	action        partnerhub.Action
	entity        partnerhub.Entity
	key           string
	version       int
	before, after sql.NullString
	verb          string
}

func (db *DB) auditForWebhook(ctx context.Context, tx *sql.Tx, id int64) (*auditRow, error) {
	var a auditRow
	var action, entity string
	err := tx.QueryRowContext(ctx, db.q(`SELECT h.slug, a.at, a.action, a.entity, a.entity_key, a.version, a.before_json, a.after_json, a.verb
		FROM audit_events a JOIN home_institutions h ON h.id = a.home_id WHERE a.id = ?`), id).
		Scan(&a.home, &a.at, &action, &entity, &a.key, &a.version, &a.before, &a.after, &a.verb)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	a.action, a.entity = partnerhub.Action(action), partnerhub.Entity(entity)
	return &a, err
}

// eventsOfAudit are the webhook events an audit event makes: none for
// most (sign-ins, reviews, the webhooks' own changes).
func eventsOfAudit(a auditRow) []webhookEv {
	at := a.at.UTC()
	var out []webhookEv
	if slices.Contains(partnerhub.Edited, a.entity) {
		kind := map[partnerhub.Action]partnerhub.WebhookKind{
			partnerhub.ActionCreate: partnerhub.WebhookRecordCreated, partnerhub.ActionUpdate: partnerhub.WebhookRecordUpdated,
			partnerhub.ActionDelete: partnerhub.WebhookRecordDeleted, partnerhub.ActionRestore: partnerhub.WebhookRecordRestored,
		}[a.action]
		if kind != "" {
			out = append(out, webhookEv{kind, recordData{Home: a.home, Entity: string(a.entity), Key: a.key, Version: a.version, At: at}})
		}
	}
	field := func(js sql.NullString, name string) string {
		if !js.Valid {
			return ""
		}
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(js.String), &m) != nil {
			return ""
		}
		var s string
		json.Unmarshal(m[name], &s)
		return s
	}
	switch {
	case a.entity == partnerhub.EntityAgreement && (a.action == partnerhub.ActionTransition || a.action == partnerhub.ActionUpdate):
		from, to := field(a.before, "status"), field(a.after, "status")
		if from != to && to != "" {
			out = append(out, webhookEv{partnerhub.WebhookAgreementStatus, statusData{Home: a.home, Key: a.key, From: from, To: to,
				Verb: a.verb, Version: a.version, At: at}})
		}
	case a.entity == partnerhub.EntityDecision && a.after.Valid:
		from, to := field(a.before, "outcome"), field(a.after, "outcome")
		if from != to {
			out = append(out, webhookEv{partnerhub.WebhookFundDecision, decisionData{Home: a.home, Proposal: a.key, Outcome: to,
				Previous: from, Meeting: field(a.after, "meeting"), At: at}})
		}
	case a.entity == partnerhub.EntityMobility && a.key == "import" && a.action == partnerhub.ActionCreate && a.after.Valid:
		var n struct {
			Rows int64 `json:"rows"`
		}
		json.Unmarshal([]byte(a.after.String), &n)
		out = append(out, webhookEv{partnerhub.WebhookImportFinished, importData{Home: a.home, What: "mobility", Rows: n.Rows, At: at}})
	}
	return out
}
