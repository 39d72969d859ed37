package web

import (
	"encoding/json"
	"net/url"
	"testing"

	"partnerhub"
	"partnerhub/dataset"
)

// TestFormsRoundTrip: a record shown in its form and sent back unchanged is
// the same record, for every record of the built-in data, so saving a form
// never drops a field the form does not show.
func TestFormsRoundTrip(t *testing.T) {
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	check := func(entity partnerhub.Entity, rec partnerhub.Record) {
		t.Helper()
		spec := forms[entity]
		vals := spec.values(rec)
		// What a browser sends: only named fields, each as text.
		sent := url.Values{}
		for k, v := range vals {
			sent[k] = append([]string(nil), v...)
		}
		errs := partnerhub.FieldErrors{}
		back := spec.record(sent, errs)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", entity, errs)
		}
		setVersion(back, rec.RecordVersion())
		a, _ := json.Marshal(rec)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Errorf("%s changed on a round trip through its form:\n was %s\n now %s", entity, a, b)
		}
	}
	for i := range c.Activities {
		check(partnerhub.EntityActivity, &c.Activities[i])
	}
	for i := range c.Agreements {
		// What is derived, or moved by transitions only, is not edited.
		a := c.Agreements[i]
		a.Status, a.RenewedBy, a.Review = "", "", nil
		check(partnerhub.EntityAgreement, &a)
	}
	for i := range c.Partners {
		check(partnerhub.EntityPartner, &c.Partners[i])
	}
	for i := range c.Institutions {
		check(partnerhub.EntityInstitution, &c.Institutions[i])
	}
	for i := range c.Units {
		check(partnerhub.EntityUnit, &c.Units[i])
	}
	check(partnerhub.EntityTeam, &partnerhub.TeamDoc{Partner: "ntu", Phase: 3, Tier: partnerhub.Prospective, Units: []string{"med", "agr"}, Lead: "agr"})
}

func setVersion(rec partnerhub.Record, v int) {
	switch r := rec.(type) {
	case *partnerhub.Institution:
		r.Version = v
	case *partnerhub.Unit:
		r.Version = v
	case *partnerhub.Partner:
		r.Version = v
	case *partnerhub.TeamDoc:
		r.Version = v
	case *partnerhub.Agreement:
		r.Version = v
	case *partnerhub.Activity:
		r.Version = v
	}
}
