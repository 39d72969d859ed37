package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestTransitions runs a workflow's verbs through the one write engine:
// authorisation, the version read, the state the verb needs, and an audit
// event that keeps the verb and the comment.
func TestTransitions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		viewer := addUser(t, db, "viewer@example.ac.jp", partnerhub.RoleViewer)
		rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityAgreement, "princeton-mou")
		if err != nil {
			t.Fatal(err)
		}
		v := rec.RecordVersion()
		expire := partnerhub.Transition{Verb: partnerhub.VerbExpire, Comment: "Lapsed; renewal under way."}

		if _, err := db.Apply(ctx, partnerhub.Transit(viewer, "utokyo", partnerhub.EntityAgreement, "princeton-mou", v, expire)); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a viewer's transition: %v, want forbidden", err)
		}
		if _, err := db.Apply(ctx, partnerhub.Transit(admin, "utokyo", partnerhub.EntityAgreement, "princeton-mou", v-1, expire)); partnerhub.ErrorCode(err) != partnerhub.EConflict {
			t.Fatalf("a transition at a stale version: %v, want conflict", err)
		}
		nv, err := db.Apply(ctx, partnerhub.Transit(admin, "utokyo", partnerhub.EntityAgreement, "princeton-mou", v, expire))
		if err != nil || nv != v+1 {
			t.Fatalf("expire: version %d, %v; want %d", nv, err, v+1)
		}
		rec, _, err = db.Record(ctx, "utokyo", partnerhub.EntityAgreement, "princeton-mou")
		if err != nil || rec.(*partnerhub.Agreement).Status != partnerhub.Expired {
			t.Fatalf("after expire: %+v, %v", rec, err)
		}
		// The verb no longer applies: a conflict that carries the record as it is.
		_, err = db.Apply(ctx, partnerhub.Transit(admin, "utokyo", partnerhub.EntityAgreement, "princeton-mou", nv, expire))
		var pe *partnerhub.Error
		if partnerhub.ErrorCode(err) != partnerhub.EConflict || !errorAs(err, &pe) || pe.Message != "error.transition_not_allowed" || pe.Current == nil {
			t.Fatalf("expire twice: %v", err)
		}
		// A kind with no workflow refuses verbs.
		p, _, _ := db.Record(ctx, "utokyo", partnerhub.EntityPartner, "ntu")
		if _, err := db.Apply(ctx, partnerhub.Transit(admin, "utokyo", partnerhub.EntityPartner, "ntu", p.RecordVersion(), expire)); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Fatalf("a verb on a partner: %v, want invalid", err)
		}
		events, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityAgreement, Key: "princeton-mou"})
		if err != nil || len(events) == 0 {
			t.Fatalf("audit: %v, %v", events, err)
		}
		ev := events[0]
		if ev.Action != partnerhub.ActionTransition || ev.Verb != partnerhub.VerbExpire || ev.Comment != expire.Comment || ev.Version != nv {
			t.Fatalf("audit event %+v", ev)
		}
		var before, after partnerhub.Agreement
		if json.Unmarshal(ev.Before, &before) != nil || json.Unmarshal(ev.After, &after) != nil || before.Status != partnerhub.Active || after.Status != partnerhub.Expired {
			t.Fatalf("audit before %s after %s", ev.Before, ev.After)
		}
	})
}

// TestEveryEditedKindIsStored fails when a kind the Editor offers has no
// storage, so that adding one cannot be half done.
func TestEveryEditedKindIsStored(t *testing.T) {
	db := loaded(t, storetest.Engines()[0])
	for _, e := range partnerhub.Edited {
		rec, ok := partnerhub.NewRecord(e)
		if !ok || rec.Entity() != e {
			t.Errorf("NewRecord(%s) = %v, %v", e, rec, ok)
		}
		if _, _, err := db.Record(context.Background(), "utokyo", e, "no-such-key"); partnerhub.ErrorCode(err) != partnerhub.ENotFound || err.(*partnerhub.Error).Message != "error.record_not_found" {
			t.Errorf("%s: %v, want record_not_found (a kind the store does not know answers not_found)", e, err)
		}
	}
}

func errorAs(err error, target **partnerhub.Error) bool {
	e, ok := err.(*partnerhub.Error)
	*target = e
	return ok
}

// TestTransitionInput refuses, by field, a verb the workflow does not know
// and a comment too long, and changes nothing.
func TestTransitionInput(t *testing.T) {
	ctx := context.Background()
	db := loaded(t, storetest.Engines()[0])
	admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
	rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityAgreement, "snu-mou")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, field string
		t           partnerhub.Transition
	}{
		{"no verb", "verb", partnerhub.Transition{}},
		{"an unknown verb", "verb", partnerhub.Transition{Verb: "abolish"}},
		{"a comment too long", "comment", partnerhub.Transition{Verb: partnerhub.VerbExpire, Comment: strings.Repeat("長", partnerhub.MaxCommentChars+1)}},
		{"a comment that is not text", "comment", partnerhub.Transition{Verb: partnerhub.VerbExpire, Comment: "\xff"}},
	} {
		_, err := db.Apply(ctx, partnerhub.Transit(admin, "utokyo", partnerhub.EntityAgreement, "snu-mou", rec.RecordVersion(), tc.t))
		var pe *partnerhub.Error
		if !errorAs(err, &pe) || pe.Code != partnerhub.EInvalid || pe.Fields[tc.field].Key == "" {
			t.Errorf("%s: %v, want a problem with %s", tc.name, err, tc.field)
		}
	}
	after, _, err := db.Record(ctx, "utokyo", partnerhub.EntityAgreement, "snu-mou")
	if err != nil || after.RecordVersion() != rec.RecordVersion() {
		t.Fatalf("the agreement changed: version %d → %v, %v", rec.RecordVersion(), after, err)
	}
}
