package store

import (
	"database/sql"
	"testing"
	"time"

	"partnerhub"
)

// The events an audit event makes: a decision makes fund.decision when
// its outcome is new or changed, not when only its letters were sent;
// an agreement's status change, whether by transition or by edit.
func TestEventsOfAudit(t *testing.T) {
	js := func(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
	at := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	kinds := func(a auditRow) []partnerhub.WebhookKind {
		var out []partnerhub.WebhookKind
		for _, e := range eventsOfAudit(a) {
			out = append(out, e.kind)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		a    auditRow
		want []partnerhub.WebhookKind
	}{
		{"a first decision", auditRow{action: partnerhub.ActionUpdate, entity: partnerhub.EntityDecision, key: "7",
			after: js(`{"outcome":"award","meeting":"2026-12-01"}`)}, []partnerhub.WebhookKind{partnerhub.WebhookFundDecision}},
		{"a decision changed", auditRow{action: partnerhub.ActionUpdate, entity: partnerhub.EntityDecision, key: "7",
			before: js(`{"outcome":"waitlist"}`), after: js(`{"outcome":"award"}`)}, []partnerhub.WebhookKind{partnerhub.WebhookFundDecision}},
		{"letters sent", auditRow{action: partnerhub.ActionUpdate, entity: partnerhub.EntityDecision, key: "7",
			before: js(`{"outcome":"award"}`), after: js(`{"outcome":"award","letters_sent":"2026-12-02T00:00:00Z"}`)}, nil},
		{"an agreement edited, its status too", auditRow{action: partnerhub.ActionUpdate, entity: partnerhub.EntityAgreement, key: "a",
			before: js(`{"status":"signed"}`), after: js(`{"status":"active"}`)},
			[]partnerhub.WebhookKind{partnerhub.WebhookRecordUpdated, partnerhub.WebhookAgreementStatus}},
		{"an agreement edited, not its status", auditRow{action: partnerhub.ActionUpdate, entity: partnerhub.EntityAgreement, key: "a",
			before: js(`{"status":"active"}`), after: js(`{"status":"active"}`)}, []partnerhub.WebhookKind{partnerhub.WebhookRecordUpdated}},
		{"a mobility import", auditRow{action: partnerhub.ActionCreate, entity: partnerhub.EntityMobility, key: "import",
			after: js(`{"rows":12}`)}, []partnerhub.WebhookKind{partnerhub.WebhookImportFinished}},
		{"a sign-in's account change", auditRow{action: partnerhub.ActionUpdate, entity: partnerhub.EntityUser, key: "1"}, nil},
		{"a subscription's own change", auditRow{action: partnerhub.ActionCreate, entity: partnerhub.EntityWebhook, key: "1"}, nil},
	} {
		tc.a.home, tc.a.at = "utokyo", at
		got := kinds(tc.a)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
	d := eventsOfAudit(auditRow{home: "utokyo", at: at, action: partnerhub.ActionUpdate, entity: partnerhub.EntityDecision, key: "7",
		before: js(`{"outcome":"waitlist"}`), after: js(`{"outcome":"award","meeting":"2026-12-01"}`)})[0].data.(decisionData)
	if d.Proposal != "7" || d.Outcome != "award" || d.Previous != "waitlist" || d.Meeting != "2026-12-01" {
		t.Errorf("decision data: %+v", d)
	}
}
